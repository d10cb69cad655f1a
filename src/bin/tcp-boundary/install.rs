//! `tcp-boundary completions` and `tcp-boundary man`: what installing the
//! programs takes, printed or written.

use std::io::Write;

use anyhow::Context;
use tcp_boundary::cli::{self, CompletionsArgs, ManArgs};

pub fn completions(args: &CompletionsArgs) -> anyhow::Result<u8> {
    let script = cli::completion_script(args.shell, &args.programs());
    let mut out = std::io::stdout().lock();
    out.write_all(&script)
        .and_then(|()| out.flush())
        .context("cannot write to stdout")?;
    Ok(cli::EXIT_OK)
}

pub fn man(args: &ManArgs) -> anyhow::Result<u8> {
    let mut out = std::io::stdout().lock();
    if let Some(dir) = &args.out {
        let written = cli::write_man_pages(dir)
            .with_context(|| format!("cannot write the man pages to {}", dir.display()))?;
        for path in written {
            writeln!(out, "{}", path.display())?;
        }
    } else {
        let page = cli::man_page(args.page.as_deref().unwrap_or("tcp-boundary"))?;
        out.write_all(&page.render())
            .and_then(|()| out.flush())
            .context("cannot write to stdout")?;
    }
    Ok(cli::EXIT_OK)
}
