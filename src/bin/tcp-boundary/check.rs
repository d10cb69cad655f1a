//! `tcp-boundary check`: run a client under every shape of fragmentation.

use std::io::Write;

use tcp_boundary::cli::{self, Check, CheckArgs};
use tcp_boundary::lang::Msg;
use tcp_boundary::tools::check::{self, report};

pub fn run(args: CheckArgs, out: &mut dyn Write) -> anyhow::Result<u8> {
    let which = args.check()?;
    // The report's file, before the first run (see JunitFile).
    let junit = args
        .junit
        .as_deref()
        .map(report::JunitFile::open)
        .transpose()?;
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
    let outcome = match outcome {
        Ok(outcome) => outcome,
        Err(e) => {
            if let Some(file) = junit {
                file.abandon();
            }
            return Err(e.into());
        }
    };
    if let Some(file) = junit {
        let name = args
            .name
            .clone()
            .unwrap_or_else(|| report::default_name(&args.command));
        file.write(&outcome, &name)?;
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
