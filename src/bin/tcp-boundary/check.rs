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
        std::process::exit(cli::EXIT_INTERRUPTED.into());
    });
    // Each row printed as its run ends (not with --json): a check of many
    // shapes shows where it is, and one stopped by Ctrl-C has shown what it
    // did. The heading goes with the first row, so a check that cannot be
    // made prints only its error.
    let lang = args.lang.lang();
    let against = match &which {
        Check::Client(config) => check::against(config),
        Check::Server(config) => check::server::against(config),
    };
    let watch = Printed {
        out: std::cell::RefCell::new(out),
        rows: !args.json,
        headed: std::cell::Cell::new(false),
        progress: std::io::IsTerminal::is_terminal(&std::io::stderr()),
        command: &args.command,
        against,
        lang,
    };
    let outcome = match &which {
        Check::Client(config) => check::check_with(config, &watch),
        Check::Server(config) => check::server::check_server_with(config, &watch),
    };
    let headed = watch.headed.get();
    let out = watch.out.into_inner();
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
    match (args.json, headed) {
        (true, _) => report::json(&outcome, out)?,
        (false, true) => report::text_tail(&outcome, lang, out)?,
        (false, false) => report::text(&outcome, lang, out)?,
    }
    Ok(if outcome.passed() {
        cli::EXIT_OK
    } else {
        cli::EXIT_FAILURE
    })
}

/// The check as it goes: each run's row on `out`, the heading before the
/// first; on a terminal, the split sweep's progress on one line of stderr
/// that the next row replaces.
struct Printed<'a> {
    out: std::cell::RefCell<&'a mut dyn Write>,
    rows: bool,
    headed: std::cell::Cell<bool>,
    progress: bool,
    command: &'a [String],
    against: Msg,
    lang: tcp_boundary::lang::Lang,
}

impl check::Watch for Printed<'_> {
    fn run(&self, run: &check::Run) {
        if !self.rows {
            return;
        }
        let mut out = self.out.borrow_mut();
        if !self.headed.replace(true) {
            let _ = report::text_head(self.command, &self.against, self.lang, &mut **out);
        }
        let _ = report::text_row(run, self.lang, &mut **out);
        let _ = out.flush();
    }

    fn points(&self, done: usize, of: usize) {
        if !self.progress {
            return;
        }
        let mut err = std::io::stderr();
        let _ = match done < of {
            true => {
                let said = Msg::new("srv-progress").arg("done", done).arg("of", of);
                write!(err, "\r  {} ", said.say(self.lang))
            }
            false => write!(err, "\r\x1b[K"),
        };
        let _ = err.flush();
    }
}
