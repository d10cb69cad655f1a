//! `tcp-boundary check`: run a client under every shape of fragmentation.

use std::io::Write;

use tcp_boundary::cli::{self, CheckArgs, CheckOf};
use tcp_boundary::tools::check::{self, report};

pub fn run(args: CheckArgs, out: &mut dyn Write) -> anyhow::Result<u8> {
    let which = args.check()?;
    // The report's file, before the first run (see JunitFile).
    let junit = args.junit_file()?;
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
        std::process::exit(cli::EXIT_INTERRUPTED.into());
    });
    // Each row printed as its run ends (not with --json).
    let lang = args.lang.lang();
    let against = match &which {
        CheckOf::Client(config) => check::against(config),
        CheckOf::Server(config) => check::server::against(config),
    };
    let watch = report::Printing::new(out, !args.json, &args.command, against, lang);
    let outcome = match &which {
        CheckOf::Client(config) => check::check_with(config, &watch),
        CheckOf::Server(config) => check::server::check_server_with(config, &watch),
    };
    if let Some(file) = junit {
        file.conclude(outcome.as_ref().ok(), &args.junit_name())?;
    }
    let outcome = outcome?;
    watch.finish(&outcome, args.json)?;
    Ok(if outcome.passed() {
        cli::EXIT_OK
    } else {
        cli::EXIT_FAILURE
    })
}
