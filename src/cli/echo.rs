//! The command lines of `echo-server` and `echo-client`: defined here, beside
//! `tcp-boundary`'s, so that `tcp-boundary completions` and `tcp-boundary man`
//! describe all three programs from the one definition each binary parses.

use clap::Parser;

use super::server::{MAX_BUFFER, ServerArgs};
use super::shape::{SeedArg, WriteShapeArgs, bytes_in, number_in};
use crate::lesson::reader::{DEFAULT_MAX_FRAME, DEFAULT_MAX_LINE, ReaderKind};
use crate::lesson::server::BOOK_BUF_SIZE;

/// An iterative echo server: one client at a time, five by default, then it exits.
///
/// It prints `connected client N` on each accept and `Message from client : TEXT`
/// for each read (TEXT escaped: \n, \0, \xff), and echoes every byte back exactly.
/// The shaping switches split and pace the echo so that a client's reads see
/// parts of a reply, or several replies at once.
#[derive(Debug, Parser)]
#[command(name = "echo-server", version, allow_negative_numbers = true)]
pub struct EchoServerArgs {
    /// Port to listen on (0: any free port; the one chosen is printed).
    pub port: u16,
    #[command(flatten)]
    pub server: ServerArgs,
    /// The language of the server's own lines (listening, shaping, a cut or
    /// a reset); the book's console text stays the book's.
    #[command(flatten)]
    pub lang: super::LangArg,
}

/// An interactive echo client: type a line, see the server's reply; Q quits.
///
/// Input ends the session too (Ctrl-D, or the end of a pipe), so
/// `printf 'hi\nq\n' | echo-client 127.0.0.1 9190` works.
#[derive(Debug, Parser)]
#[command(name = "echo-client", version, allow_negative_numbers = true)]
pub struct EchoClientArgs {
    /// Server host name or address.
    #[arg(value_hint = clap::ValueHint::Hostname)]
    pub host: String,
    /// Server port.
    pub port: u16,
    /// How replies are read.
    #[arg(long, value_enum, default_value_t = ReaderKind::Exact)]
    pub reader: ReaderKind,
    /// Size of the read buffer, the most one read returns (the book's BUF_SIZE;
    /// 1 to 16M).
    #[arg(long, value_name = "BYTES", default_value_t = BOOK_BUF_SIZE as u64, value_parser = bytes_in(1, MAX_BUFFER))]
    pub buffer_size: u64,
    /// Longest line the line reader accepts (1 to 16M).
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_MAX_LINE as u64, value_parser = bytes_in(1, MAX_BUFFER))]
    pub max_line: u64,
    /// Largest frame the length reader accepts (1 to 16M).
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_MAX_FRAME as u64, value_parser = bytes_in(1, MAX_BUFFER))]
    pub max_frame: u64,
    /// Give up when a reply is not whole within SECS seconds of its message
    /// being sent (1 to 3600), however its bytes trickle in: exit 1 with a
    /// line saying so. Without it, the client waits as long as the server
    /// takes.
    #[arg(long, value_name = "SECS", allow_negative_numbers = true, value_parser = number_in(1, 3600))]
    pub timeout: Option<u64>,
    /// How the client shapes what it writes: --chunk, --chunk-delay-ms,
    /// --random-chunks, --random-pauses and --burst split and pace each
    /// message, the socket switches set its socket's options.
    #[command(flatten)]
    pub shape: WriteShapeArgs,
    #[command(flatten)]
    pub seed: SeedArg,
}
