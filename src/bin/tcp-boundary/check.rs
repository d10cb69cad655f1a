//! `tcp-boundary check`: run a client under every shape of fragmentation.

use std::io::Write;

use anyhow::Context;
use tcp_boundary::cli::{self, CheckArgs};
use tcp_boundary::tools::check::{self, CheckError, report};

pub fn run(args: CheckArgs, out: &mut dyn Write) -> anyhow::Result<u8> {
    enum Which {
        Client(Box<check::CheckConfig>),
        Server(Box<check::server::ServerConfig>),
    }
    let which = match args.server {
        true => Which::Server(Box::new(args.server_config()?)),
        false => Which::Client(Box::new(args.config()?)),
    };
    // The report's file is opened before the first run: a path that cannot
    // be written is found in a second, not after every shape has run.
    // Opened without emptying it: a check that cannot be made leaves the
    // previous report as it was (and no new empty file).
    let junit = match &args.junit {
        Some(path) => {
            let existed = path.exists();
            let file = std::fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(false)
                .open(path)
                .map_err(|e| {
                    CheckError(format!(
                        "cannot write the JUnit report {}: {e}",
                        path.display()
                    ))
                })?;
            Some((file, existed))
        }
        None => None,
    };
    // Ctrl-C or SIGTERM: the client's (or server's) whole process group
    // ends with us.
    let _ = ctrlc::set_handler(|| {
        check::end_client();
        std::process::exit(130);
    });
    let outcome = match &which {
        Which::Client(config) => check::check(config),
        Which::Server(config) => check::server::check_server(config),
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
