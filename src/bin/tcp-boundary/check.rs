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
    let junit = match &args.junit {
        Some(path) => Some(std::fs::File::create(path).map_err(|e| {
            CheckError(format!(
                "cannot write the JUnit report {}: {e}",
                path.display()
            ))
        })?),
        None => None,
    };
    // Ctrl-C or SIGTERM: the client's (or server's) whole process group
    // ends with us.
    let _ = ctrlc::set_handler(|| {
        check::end_client();
        std::process::exit(130);
    });
    let outcome = match &which {
        Which::Client(config) => check::check(config)?,
        Which::Server(config) => check::server::check_server(config)?,
    };
    if let (Some(mut file), Some(path)) = (junit, &args.junit) {
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
