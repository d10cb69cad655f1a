//! What the binaries share: argument groups, exit codes and the error line.
//!
//! Exit codes, the same for every binary:
//!
//! | code | meaning |
//! |------|---------|
//! | 0 | done as asked (for `run`: every verdict as expected) |
//! | 1 | a runtime failure (address in use, connection refused, a reset…) or, for `run`, a verdict not as expected |
//! | 2 | a usage error: a bad argument, a bad scenario file |

use std::net::IpAddr;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;

use crate::lesson::server::ServerConfig;
use crate::shape::fragment::{ChunkRange, FragmentPlan};
use crate::transport::net::SocketOptions;

/// Done as asked.
pub const EXIT_OK: u8 = 0;
/// A runtime failure, or a verdict not as expected.
pub const EXIT_FAILURE: u8 = 1;
/// A usage error: bad argument or bad scenario file.
pub const EXIT_USAGE: u8 = 2;

/// An error that is the user's input, not the network: exits with [`EXIT_USAGE`].
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// Print `error: …` on one line (the causes joined by `: `) and pick the exit code.
pub fn exit_with(result: anyhow::Result<u8>) -> ExitCode {
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            let line = format!("{e:#}").replace('\n', " ");
            eprintln!("error: {line}");
            if e.chain().any(|c| c.is::<UsageError>()) {
                ExitCode::from(EXIT_USAGE)
            } else {
                ExitCode::from(EXIT_FAILURE)
            }
        }
    }
}

/// A size in bytes that must be at least 1 (`--chunk`, `--buffer-size`, …).
pub fn positive(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(0) => Err("must be at least 1".to_string()),
        Ok(n) => Ok(n),
        Err(e) => Err(e.to_string()),
    }
}

/// Socket options, the same switches for the server and the client.
#[derive(Debug, Clone, Args)]
pub struct SocketArgs {
    /// Set TCP_NODELAY: every write leaves at once, so small writes are not merged
    /// by Nagle's algorithm.
    #[arg(long)]
    pub nodelay: bool,
    /// Ask for this SO_SNDBUF (the kernel's reported size is printed).
    #[arg(long, value_name = "BYTES", value_parser = positive)]
    pub send_buffer: Option<usize>,
    /// Ask for this SO_RCVBUF (the kernel's reported size is printed): a small one
    /// makes a large reply arrive over several reads.
    #[arg(long, value_name = "BYTES", value_parser = positive)]
    pub recv_buffer: Option<usize>,
}

impl SocketArgs {
    /// The options as the library takes them.
    pub fn options(&self) -> SocketOptions {
        SocketOptions {
            nodelay: self.nodelay,
            send_buffer: self.send_buffer,
            recv_buffer: self.recv_buffer,
        }
    }
}

/// The echo server's switches (without the port), shared by `echo-server` and
/// `tcp-boundary bench --spawn-server`.
#[derive(Debug, Clone, Args)]
#[command(group(clap::ArgGroup::new("randomness").args(["random_chunks", "random_pauses"]).multiple(true)))]
pub struct ServerArgs {
    /// Address to listen on. The default, loopback, is reachable from this machine
    /// only; use 0.0.0.0 (or ::) to let a classroom network in.
    #[arg(long, default_value = "127.0.0.1")]
    pub bind: IpAddr,
    /// Length of the listen backlog: connections the kernel completes and parks
    /// while the server is busy with another client.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(i32).range(1..))]
    pub backlog: i32,
    /// Serve this many clients one after another, then exit (0: until killed).
    #[arg(long, default_value_t = 5)]
    pub clients: usize,
    /// Size of the read buffer, the most one read returns (the seed's BUF_SIZE).
    #[arg(long, value_name = "BYTES", default_value_t = 1024, value_parser = positive)]
    pub buffer_size: usize,
    /// Leave out the per-message lines.
    #[arg(long)]
    pub quiet: bool,
    /// Drop a client that sends nothing for this many seconds (without it, one
    /// idle client holds the iterative server forever).
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..))]
    pub idle_timeout: Option<u64>,
    #[command(flatten)]
    pub socket: SocketArgs,
    /// Cut each echo into writes of at most this many bytes.
    #[arg(long, value_name = "BYTES", value_parser = positive, conflicts_with = "random_chunks")]
    pub chunk: Option<usize>,
    /// Pause this long after each write of an echo: the client reads in between.
    #[arg(long, value_name = "MS")]
    pub chunk_delay_ms: Option<u64>,
    /// Cut each echo into pieces of random sizes between MIN and MAX bytes.
    #[arg(long, value_name = "MIN-MAX")]
    pub random_chunks: Option<ChunkRange>,
    /// Seed for --random-chunks and --random-pauses: the same seed gives the same
    /// cuts and pauses (one is chosen and printed when not given).
    #[arg(long, value_name = "N", requires = "randomness")]
    pub seed: Option<u64>,
    /// Draw each pause at random between 0 and --chunk-delay-ms (seeded like the
    /// cuts); a pause of 0 sends the next piece straight after.
    #[arg(long, requires = "chunk_delay_ms")]
    pub random_pauses: bool,
    /// Wait this long before each read, so that what the client wrote meanwhile
    /// arrives as one read (coalescing).
    #[arg(long, value_name = "MS")]
    pub read_delay_ms: Option<u64>,
    /// Close a client's connection after echoing this many bytes to it: a server
    /// that vanishes mid-reply.
    #[arg(long, value_name = "BYTES")]
    pub cut_after: Option<u64>,
    /// Classroom preset: --nodelay --chunk 4 --chunk-delay-ms 150 (explicit
    /// switches win over the preset).
    #[arg(long)]
    pub fragment: bool,
}

/// The preset behind `--fragment`: small pieces, a visible pause, no Nagle.
pub const FRAGMENT_PRESET_CHUNK: usize = 4;
/// The pause of the `--fragment` preset.
pub const FRAGMENT_PRESET_DELAY_MS: u64 = 150;

/// A server configuration built from the switches, with what to tell the user.
#[derive(Debug, Clone)]
pub struct ResolvedServer {
    /// The configuration for [`crate::lesson::server::serve`].
    pub config: ServerConfig,
    /// Options for [`crate::transport::net::listen`] (buffers are set on the listener).
    pub socket: SocketOptions,
    /// Start-up lines for the console (fragmentation plan, chosen seed).
    pub notes: Vec<String>,
}

impl ServerArgs {
    /// Turn the switches into a configuration, choosing a seed when needed.
    pub fn resolve(&self) -> ResolvedServer {
        let mut socket = self.socket.options();
        let mut chunk = self.chunk;
        let mut delay = self.chunk_delay_ms;
        if self.fragment {
            socket.nodelay = true;
            if chunk.is_none() && self.random_chunks.is_none() {
                chunk = Some(FRAGMENT_PRESET_CHUNK);
            }
            delay.get_or_insert(FRAGMENT_PRESET_DELAY_MS);
        }
        let mut notes = Vec::new();
        let random = self.random_chunks.is_some() || self.random_pauses;
        let seed = match (random, self.seed) {
            (true, Some(s)) => s,
            (true, None) => {
                let s = rand::random::<u32>() as u64;
                notes.push(format!(
                    "no --seed given: chose seed {s} (repeat with --seed {s})"
                ));
                s
            }
            (false, _) => 0,
        };
        let mut plan = FragmentPlan::new(
            chunk,
            self.random_chunks,
            Duration::from_millis(delay.unwrap_or(0)),
            seed,
        )
        .expect("switches were validated by the argument parser");
        plan.random_pauses = self.random_pauses;
        if plan.is_active() {
            notes.push(format!("fragmenting: {}", plan.describe()));
        }
        if socket.nodelay {
            notes.push("TCP_NODELAY on accepted sockets".to_string());
        }
        let read_delay = Duration::from_millis(self.read_delay_ms.unwrap_or(0));
        if !read_delay.is_zero() {
            notes.push(format!(
                "reading late: {} ms before each read",
                read_delay.as_millis()
            ));
        }
        let config = ServerConfig {
            clients: self.clients,
            buffer_size: self.buffer_size,
            socket,
            fragment: plan,
            read_delay,
            idle_timeout: self.idle_timeout.map(Duration::from_secs),
            cut_after: self.cut_after,
            quiet: self.quiet,
        };
        ResolvedServer {
            config,
            socket,
            notes,
        }
    }
}

/// A byte count with an optional binary suffix: `4096`, `64K`, `256MiB`, `1G`.
pub fn byte_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u64 = num
        .parse()
        .map_err(|_| format!("expected a number of bytes such as 4096 or 64K (got '{s}')"))?;
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        _ => return Err(format!("unknown unit '{unit}' (use K, M or G)")),
    };
    match n.checked_mul(mult) {
        Some(0) => Err("must be at least 1 byte".to_string()),
        Some(v) => Ok(v),
        None => Err("too large".to_string()),
    }
}

/// The proxy's switches, each applying to the direction named most recently
/// before it on the command line (`--downstream`, the default, or `--upstream`).
#[derive(Debug, Clone, Args)]
pub struct ProxyArgs {
    /// Where to listen: PORT, or ADDR:PORT (the address defaults to 127.0.0.1).
    #[arg(long, value_name = "[ADDR:]PORT")]
    pub listen: String,
    /// The server to forward to.
    #[arg(long, value_name = "HOST:PORT")]
    pub to: String,
    /// The shaping switches after this one apply to server → client (the default).
    #[arg(long, action = clap::ArgAction::Append, num_args = 0, default_missing_value = "true")]
    pub downstream: Vec<bool>,
    /// The shaping switches after this one apply to client → server.
    #[arg(long, action = clap::ArgAction::Append, num_args = 0, default_missing_value = "true")]
    pub upstream: Vec<bool>,
    /// Cut what is forwarded into writes of at most BYTES.
    #[arg(long, value_name = "BYTES", value_parser = positive, action = clap::ArgAction::Append)]
    pub chunk: Vec<usize>,
    /// Pause MS after each write.
    #[arg(long, value_name = "MS", action = clap::ArgAction::Append)]
    pub chunk_delay_ms: Vec<u64>,
    /// Cut into pieces of random sizes between MIN and MAX bytes (seeded).
    #[arg(long, value_name = "MIN-MAX", action = clap::ArgAction::Append)]
    pub random_chunks: Vec<ChunkRange>,
    /// Draw each pause between 0 and --chunk-delay-ms (seeded).
    #[arg(long, action = clap::ArgAction::Append, num_args = 0, default_missing_value = "true")]
    pub random_pauses: Vec<bool>,
    /// Gather what arrives within MS and forward it as one write: separate writes
    /// arrive as one read.
    #[arg(long, value_name = "MS", action = clap::ArgAction::Append, value_parser = clap::value_parser!(u64).range(1..))]
    pub coalesce_ms: Vec<u64>,
    /// Close the connection cleanly after forwarding BYTES in this direction: a
    /// peer that vanishes mid-message.
    #[arg(long, value_name = "BYTES", action = clap::ArgAction::Append)]
    pub cut_after: Vec<u64>,
    /// Abort the connection (RST) after forwarding BYTES in this direction.
    #[arg(long, value_name = "BYTES", action = clap::ArgAction::Append)]
    pub reset_after: Vec<u64>,
    /// Seed for random cuts and pauses (chosen and printed when not given): the
    /// same seed gives the same cuts on the same traffic.
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
    /// Log connections only, not each read and write.
    #[arg(long)]
    pub quiet: bool,
}

#[derive(Debug, Default)]
struct ShapeDraft {
    chunk: Option<usize>,
    delay: Option<u64>,
    random: Option<ChunkRange>,
    random_pauses: bool,
    coalesce: Option<u64>,
    cut: Option<u64>,
    reset: Option<u64>,
}

#[derive(Debug, Clone, Copy)]
enum ProxySwitch {
    Downstream,
    Upstream,
    Chunk(usize),
    Delay(u64),
    Random(ChunkRange),
    RandomPauses,
    Coalesce(u64),
    Cut(u64),
    Reset(u64),
}

/// The downstream and upstream shapes of `tcp-boundary proxy`, from the parsed
/// switches and where each stood on the command line (`matches` of the `proxy`
/// subcommand). The seed is chosen when a random switch needs one and none was
/// given; the returned note says which.
pub fn proxy_shapes(
    args: &ProxyArgs,
    matches: &clap::ArgMatches,
) -> Result<
    (
        crate::tools::proxy::Shape,
        crate::tools::proxy::Shape,
        Option<String>,
    ),
    UsageError,
> {
    fn at<T: Copy>(
        m: &clap::ArgMatches,
        id: &str,
        values: &[T],
        make: impl Fn(T) -> ProxySwitch,
        out: &mut Vec<(usize, ProxySwitch)>,
    ) {
        if let Some(idx) = m.indices_of(id) {
            out.extend(idx.zip(values.iter()).map(|(i, &v)| (i, make(v))));
        }
    }
    let mut switches = Vec::new();
    at(
        matches,
        "downstream",
        &args.downstream,
        |_| ProxySwitch::Downstream,
        &mut switches,
    );
    at(
        matches,
        "upstream",
        &args.upstream,
        |_| ProxySwitch::Upstream,
        &mut switches,
    );
    at(
        matches,
        "chunk",
        &args.chunk,
        ProxySwitch::Chunk,
        &mut switches,
    );
    at(
        matches,
        "chunk_delay_ms",
        &args.chunk_delay_ms,
        ProxySwitch::Delay,
        &mut switches,
    );
    at(
        matches,
        "random_chunks",
        &args.random_chunks,
        ProxySwitch::Random,
        &mut switches,
    );
    at(
        matches,
        "random_pauses",
        &args.random_pauses,
        |_| ProxySwitch::RandomPauses,
        &mut switches,
    );
    at(
        matches,
        "coalesce_ms",
        &args.coalesce_ms,
        ProxySwitch::Coalesce,
        &mut switches,
    );
    at(
        matches,
        "cut_after",
        &args.cut_after,
        ProxySwitch::Cut,
        &mut switches,
    );
    at(
        matches,
        "reset_after",
        &args.reset_after,
        ProxySwitch::Reset,
        &mut switches,
    );
    switches.sort_by_key(|(i, _)| *i);

    let mut drafts = [ShapeDraft::default(), ShapeDraft::default()];
    let names = ["downstream", "upstream"];
    let mut dir = 0;
    for (_, s) in switches {
        let d = &mut drafts[dir];
        let twice = |flag: &str| UsageError(format!("{flag} given twice for {}", names[dir]));
        match s {
            ProxySwitch::Downstream => dir = 0,
            ProxySwitch::Upstream => dir = 1,
            ProxySwitch::Chunk(v) => set_once(&mut d.chunk, v).ok_or_else(|| twice("--chunk"))?,
            ProxySwitch::Delay(v) => {
                set_once(&mut d.delay, v).ok_or_else(|| twice("--chunk-delay-ms"))?
            }
            ProxySwitch::Random(v) => {
                set_once(&mut d.random, v).ok_or_else(|| twice("--random-chunks"))?
            }
            ProxySwitch::RandomPauses => d.random_pauses = true,
            ProxySwitch::Coalesce(v) => {
                set_once(&mut d.coalesce, v).ok_or_else(|| twice("--coalesce-ms"))?
            }
            ProxySwitch::Cut(v) => set_once(&mut d.cut, v).ok_or_else(|| twice("--cut-after"))?,
            ProxySwitch::Reset(v) => {
                set_once(&mut d.reset, v).ok_or_else(|| twice("--reset-after"))?
            }
        }
    }
    let random = drafts.iter().any(|d| d.random.is_some() || d.random_pauses);
    let (seed, note) = match (random, args.seed) {
        (_, Some(s)) => (s, None),
        (true, None) => {
            let s = rand::random::<u32>() as u64;
            (
                s,
                Some(format!(
                    "no --seed given: chose seed {s} (repeat with --seed {s})"
                )),
            )
        }
        (false, None) => (0, None),
    };
    let mut shapes = [crate::tools::proxy::Shape::default(); 2];
    for (i, d) in drafts.iter().enumerate() {
        let name = names[i];
        if d.chunk.is_some() && d.random.is_some() {
            return Err(UsageError(format!(
                "--chunk and --random-chunks cannot both apply to {name}"
            )));
        }
        if d.cut.is_some() && d.reset.is_some() {
            return Err(UsageError(format!(
                "--cut-after and --reset-after cannot both apply to {name}"
            )));
        }
        if d.random_pauses && d.delay.is_none() {
            return Err(UsageError(format!(
                "--random-pauses needs --chunk-delay-ms for {name} (the longest pause)"
            )));
        }
        let mut plan = FragmentPlan::new(
            d.chunk,
            d.random,
            Duration::from_millis(d.delay.unwrap_or(0)),
            seed,
        )
        .map_err(|e| UsageError(format!("{name}: {e}")))?;
        plan.random_pauses = d.random_pauses;
        shapes[i] = crate::tools::proxy::Shape {
            plan,
            coalesce: d.coalesce.map(Duration::from_millis),
            cut_after: d.cut,
            reset_after: d.reset,
        };
    }
    Ok((shapes[0], shapes[1], note))
}

/// Set `slot` to `v` if it is empty; `None` if it was already set.
fn set_once<T>(slot: &mut Option<T>, v: T) -> Option<()> {
    match slot {
        Some(_) => None,
        None => {
            *slot = Some(v);
            Some(())
        }
    }
}

/// `PORT` or `ADDR:PORT` (IPv6 as `[::1]:PORT`); the address defaults to loopback.
pub fn listen_addr(s: &str) -> Result<std::net::SocketAddr, UsageError> {
    if let Ok(port) = s.parse::<u16>() {
        return Ok(std::net::SocketAddr::from(([127, 0, 0, 1], port)));
    }
    s.parse().map_err(|_| {
        UsageError(format!(
            "--listen: expected PORT or ADDR:PORT, such as 9000 or 0.0.0.0:9000 (got '{s}')"
        ))
    })
}

/// `HOST:PORT` (IPv6 as `[::1]:PORT`), resolved.
pub fn host_port(flag: &str, s: &str) -> anyhow::Result<std::net::SocketAddr> {
    let (host, port) = s
        .rsplit_once(':')
        .and_then(|(h, p)| Some((h.trim_matches(['[', ']']), p.parse::<u16>().ok()?)))
        .ok_or_else(|| UsageError(format!("{flag}: expected HOST:PORT (got '{s}')")))?;
    Ok(crate::transport::net::resolve(host, port)?)
}

/// Parse the command line; on a usage error print clap's message as one
/// `error:` line (naming the flag and the rule) followed by clap's usage line,
/// and exit with [`EXIT_USAGE`]. Help and version are printed as clap does.
pub fn parse_or_exit<T>(parsed: Result<T, clap::Error>) -> T {
    let e = match parsed {
        Ok(v) => return v,
        Err(e) => e,
    };
    use clap::error::ErrorKind;
    if matches!(
        e.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        e.exit();
    }
    let text = e.render().to_string();
    let (message, usage) = match text.find("\nUsage:") {
        Some(i) => (&text[..i], text[i + 1..].lines().next()),
        None => (text.as_str(), None),
    };
    // clap puts the missing or offending argument on lines of its own; join
    // them, leaving out its tips, so the whole rule reads on one line.
    let line = message
        .lines()
        .filter(|l| {
            let l = l.trim_start();
            !l.starts_with("tip:") && !l.starts_with("For more information")
        })
        .flat_map(str::split_whitespace)
        .collect::<Vec<_>>()
        .join(" ");
    eprintln!("{line}");
    match usage {
        Some(usage) => eprintln!("{usage}"),
        None => eprintln!("For more information, try '--help'."),
    }
    std::process::exit(EXIT_USAGE.into())
}
