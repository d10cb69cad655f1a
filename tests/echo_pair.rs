//! The classic pair, run as real binaries on loopback: the book's transcript,
//! five clients in turn, byte-exact echo, every reader against the plain server.

mod common;

use std::io::{Read, Write};

use common::{
    assert_reply_in_parts, echo_server_bin, first_reply, interrupt, run_client, start_server, text,
};
use tcp_boundary::lesson::reader::ReaderKind;

const PROMPT: &str = "Input message (Q to quit) : ";

#[test]
fn the_books_transcript_with_the_exact_text() {
    let server = start_server(&["--clients", "1"]);
    let client = run_client(server.port, &[], b"hi\nq\n");
    assert_eq!(
        text(&client.stdout),
        format!("connected .....\n{PROMPT}Message from server : hi\\n\n{PROMPT}")
    );
    assert!(client.status.success(), "{}", text(&client.stderr));
    let (out, _, code) = server.finish();
    assert_eq!(out, "connected client 1\nMessage from client : hi\\n\n");
    assert_eq!(code, 0);
}

#[test]
fn upper_case_q_quits_and_end_of_input_ends_cleanly() {
    let server = start_server(&["--clients", "2"]);
    let quit = run_client(server.port, &[], b"Q\n");
    assert_eq!(text(&quit.stdout), format!("connected .....\n{PROMPT}"));
    assert!(quit.status.success());
    // No `q` at all: the end of the pipe ends the session (the book's looped forever).
    let eof = run_client(server.port, &[], b"one\ntwo\n");
    assert_eq!(
        text(&eof.stdout),
        format!(
            "connected .....\n{PROMPT}Message from server : one\\n\n\
             {PROMPT}Message from server : two\\n\n{PROMPT}\n"
        )
    );
    assert!(eof.status.success());
    assert_eq!(server.finish().2, 0);
}

#[test]
fn serves_five_clients_in_turn_then_exits() {
    let server = start_server(&[]);
    for i in 1..=5 {
        let msg = format!("client {i}\nq\n");
        let out = run_client(server.port, &[], msg.as_bytes());
        assert!(
            text(&out.stdout).contains(&format!("Message from server : client {i}\\n")),
            "{}",
            text(&out.stdout)
        );
    }
    let (out, _, code) = server.finish();
    assert_eq!(code, 0, "the server exits by itself after five clients");
    for i in 1..=5 {
        assert!(out.contains(&format!("connected client {i}\n")), "{out}");
    }
    assert!(!out.contains("connected client 6"));
}

#[test]
fn binary_data_is_echoed_byte_exact() {
    let server = start_server(&["--clients", "1", "--quiet"]);
    let mut s = server.connect();
    // Every byte value, NULs and invalid UTF-8 included, several times over.
    let data: Vec<u8> = (0..=255u8).cycle().take(256 * 40).collect();
    s.write_all(&data).unwrap();
    s.shutdown(std::net::Shutdown::Write).unwrap();
    let mut back = Vec::new();
    s.read_to_end(&mut back).unwrap();
    assert_eq!(back, data);
    assert_eq!(server.finish().2, 0);
}

#[test]
fn binary_input_is_shown_escaped_never_mangled() {
    let server = start_server(&["--clients", "1"]);
    let client = run_client(server.port, &[], b"a\0b\xff\xfe\\\n");
    assert!(
        text(&client.stdout).contains(r"Message from server : a\0b\xff\xfe\\\n"),
        "{}",
        text(&client.stdout)
    );
    let (out, _, _) = server.finish();
    assert!(
        out.contains(r"Message from client : a\0b\xff\xfe\\\n"),
        "{out}"
    );
}

#[test]
fn every_reader_works_against_the_plain_server() {
    for reader in ReaderKind::ALL.map(ReaderKind::name) {
        let server = start_server(&["--clients", "1"]);
        let client = run_client(server.port, &["--reader", reader], b"hello\nworld\nq\n");
        assert_eq!(
            text(&client.stdout),
            format!(
                "connected .....\n{PROMPT}Message from server : hello\\n\n\
                 {PROMPT}Message from server : world\\n\n{PROMPT}"
            ),
            "reader {reader}"
        );
        assert!(client.status.success());
        assert_eq!(server.finish().2, 0);
    }
}

#[test]
fn naive_prints_part_of_a_chunked_reply_while_the_others_get_all_of_it() {
    // 45 bytes in 3-byte chunks, 100 ms apart: the reply takes 1.5 s to arrive.
    // The naive client's single read returns as soon as the first chunk is
    // there, so it prints a strict prefix of the message. The assertion does not
    // depend on how many chunks it caught, only that it caught fewer than all.
    let message = "the quick brown fox jumps over the lazy dog!\n";
    for reader in ReaderKind::ALL.map(ReaderKind::name) {
        let server = start_server(&["--clients", "1", "--chunk", "3", "--chunk-delay-ms", "100"]);
        let input = format!("{message}q\n");
        let client = run_client(server.port, &["--reader", reader], input.as_bytes());
        assert_reply_in_parts(reader, &first_reply(&client.stdout), message);
        let (out, _, _) = server.finish();
        assert!(out.contains("  write 3 bytes: "), "{out}");
    }
}

#[test]
fn ipv6_loopback_works() {
    let Ok(probe) = std::net::TcpListener::bind("[::1]:0") else {
        common::skip_without("no IPv6 loopback (::1) on this machine");
        return;
    };
    drop(probe);
    let mut child = std::process::Command::new(common::echo_server_bin())
        .args(["0", "--bind", "::1", "--clients", "1"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stderr.as_mut().unwrap()),
        &mut line,
    )
    .unwrap();
    let port = line.trim().rsplit(':').next().unwrap().to_string();
    let out = common::run_with_input(common::echo_client_bin(), &["::1", &port], b"v6\nq\n");
    assert!(text(&out.stdout).contains("Message from server : v6\\n"));
    assert!(child.wait().unwrap().success());
}

#[test]
fn ctrl_c_flushes_the_server_log_written_to_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let log_path = dir.path().join("server.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let mut child = std::process::Command::new(echo_server_bin())
        .args(["0", "--clients", "0"])
        .stdin(std::process::Stdio::null())
        .stdout(log)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stderr.take().unwrap()),
        &mut first,
    )
    .unwrap();
    let port: u16 = first.trim().rsplit(':').next().unwrap().parse().unwrap();
    let mut c = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    c.set_read_timeout(Some(common::LIMIT)).unwrap();
    std::io::Write::write_all(&mut c, b"hello\n").unwrap();
    let mut back = [0u8; 6];
    std::io::Read::read_exact(&mut c, &mut back).unwrap();
    // The server has read the message; its line sits in the file's buffer.
    let status = interrupt(&mut child);
    assert_eq!(status.code(), Some(130));
    let logged = std::fs::read_to_string(&log_path).unwrap();
    assert_eq!(
        logged,
        "connected client 1\nMessage from client : hello\\n\n"
    );
}

#[test]
fn a_chunk_s_trailing_space_is_shown() {
    let server = start_server(&["--clients", "1", "--chunk", "4"]);
    let mut s = server.connect();
    s.write_all(b"abc def\n").unwrap();
    s.shutdown(std::net::Shutdown::Write).unwrap();
    let mut back = Vec::new();
    s.read_to_end(&mut back).unwrap();
    assert_eq!(back, b"abc def\n");
    let (out, _, _) = server.finish();
    assert!(out.contains("  write 4 bytes: abc␣\n"), "{out}");
}
