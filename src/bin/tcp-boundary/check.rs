//! `tcp-boundary check`: run a client under every shape of fragmentation.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;

use anyhow::Context;
use tcp_boundary::cli::{self, Check, CheckArgs};
use tcp_boundary::lang::Msg;
use tcp_boundary::tools::check::{self, CheckError, report};

pub fn run(args: CheckArgs, out: &mut dyn Write) -> anyhow::Result<u8> {
    let which = args.check()?;
    // The report's file is opened before the first run: a path that cannot
    // be written is found in a second, not after every shape has run.
    // Opened without emptying it: a check that cannot be made leaves the
    // previous report as it was (and no new empty file).
    // Only a regular file (or a new one) is a report: a device takes the
    // open and loses the report (/dev/full is full only when written to),
    // and a FIFO would hold us until someone reads it.
    let junit = match &args.junit {
        Some(path) => {
            let cannot = |why: String| {
                CheckError(format!(
                    "cannot write the JUnit report {}: {why}",
                    path.display()
                ))
            };
            let not_regular = || cannot("not a regular file".into());
            let existed = match std::fs::metadata(path) {
                Ok(meta) if meta.is_file() => true,
                Ok(_) => return Err(not_regular().into()),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
                Err(e) => return Err(cannot(e.to_string()).into()),
            };
            let file = std::fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(false)
                .custom_flags(libc::O_NONBLOCK)
                .open(path)
                .map_err(|e| cannot(e.to_string()))?;
            if !file.metadata().is_ok_and(|m| m.is_file()) {
                return Err(not_regular().into());
            }
            Some((file, existed))
        }
        None => None,
    };
    // Orphans of the program under test come back to us instead of to init,
    // so that a process it detached from its group (`setsid`, a daemon's
    // double fork) is still ours to end when its run ends. The binary's
    // choice, not the library's: a program running many checks at once (the
    // tests) must not end the others' processes. A kernel without it (before
    // 3.4) leaves such processes running, as before.
    // SAFETY: prctl with integer arguments, changing only this process.
    unsafe {
        libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1 as libc::c_ulong);
    }
    // Ctrl-C or SIGTERM: the client's (or server's) whole process group,
    // and whatever it detached, end with us.
    let _ = ctrlc::set_handler(|| {
        check::end_client();
        std::process::exit(130);
    });
    let outcome = match &which {
        Check::Client(config) => check::check(config),
        Check::Server(config) => {
            // On a terminal, the split sweep's progress, on one line of
            // stderr that the report then replaces.
            let terminal = std::io::IsTerminal::is_terminal(&std::io::stderr());
            let progress = |done: usize, of: usize| {
                if terminal {
                    let mut err = std::io::stderr();
                    let _ = match done < of {
                        true => {
                            let said = Msg::new("srv-progress").arg("done", done).arg("of", of);
                            write!(err, "\r  {} ", said.say(args.lang.lang()))
                        }
                        false => write!(err, "\r\x1b[K"),
                    };
                    let _ = err.flush();
                }
            };
            check::server::check_server_with(config, &progress)
        }
    };
    let outcome = match (outcome, &junit, &args.junit) {
        (Ok(outcome), _, _) => outcome,
        (Err(e), Some((_, false)), Some(path)) => {
            let _ = std::fs::remove_file(path);
            return Err(e.into());
        }
        (Err(e), _, _) => return Err(e.into()),
    };
    if let (Some((mut file, _)), Some(path)) = (junit, &args.junit) {
        file.set_len(0)
            .with_context(|| format!("cannot write {}", path.display()))?;
        let name = args
            .name
            .clone()
            .unwrap_or_else(|| report::default_name(&args.command));
        file.write_all(report::junit(&outcome, &name)?.as_bytes())
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    if args.json {
        report::json(&outcome, out)?;
    } else {
        report::text(&outcome, args.lang.lang(), out)?;
    }
    Ok(if outcome.passed() {
        cli::EXIT_OK
    } else {
        cli::EXIT_FAILURE
    })
}
