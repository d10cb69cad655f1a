//! A check's outcome for people (a table, then each failure with the command
//! that repeats it) and for CI (JSON, JUnit XML).

use std::io::{self, Write};

use super::{CheckReport, Run, Tracing};
use crate::lang::Lang;
use crate::tr;
use crate::view::report::{pad, pad_before};

/// The table of runs, then the failures, the simplest shape first, in `lang`.
pub fn text(report: &CheckReport, lang: Lang, out: &mut dyn Write) -> io::Result<()> {
    text_head(&report.command, &report.server, lang, out)?;
    for r in &report.runs {
        text_row(r, lang, out)?;
    }
    text_tail(report, lang, out)
}

/// What is checked, against what, and the table's headings: what
/// [`text`] prints before the runs, and a check printed as it goes prints
/// first.
pub fn text_head(
    command: &[String],
    server: &crate::lang::Msg,
    lang: Lang,
    out: &mut dyn Write,
) -> io::Result<()> {
    let command = super::quote::line(command.iter().map(String::as_str));
    writeln!(out, "{}", tr!(lang, "chk-checking", command = command))?;
    let against = tr!(lang, "chk-against", server = server.clone());
    writeln!(out, "{against}")?;
    writeln!(out)?;
    // Columns padded by what shows: a Korean heading is twice as wide as its
    // characters.
    writeln!(
        out,
        "  {} {}  {} {}",
        pad(&tr!(lang, "chk-col-shape"), 14),
        pad_before(&tr!(lang, "chk-col-seed"), 4),
        pad(&tr!(lang, "chk-col-result"), 6),
        pad_before(&tr!(lang, "chk-col-time"), 8),
    )
}

/// One run's row of the table.
pub fn text_row(r: &Run, lang: Lang, out: &mut dyn Write) -> io::Result<()> {
    let (pass, fail) = (tr!(lang, "chk-pass"), tr!(lang, "chk-fail"));
    let seed = r.seed.map(|s| s.to_string()).unwrap_or_default();
    // A row under a second in milliseconds: a fast server's rows take a
    // few, and "0.00 s" would say they took none.
    let time = match r.millis {
        0..1000 => format!("{} ms", r.millis),
        _ => format!("{:.2} s", r.millis as f64 / 1000.0),
    };
    writeln!(
        out,
        "  {:<14} {:>4}  {} {:>8}",
        r.shape.name(),
        seed,
        pad(if r.passed { &pass } else { &fail }, 6),
        time
    )
}

/// What [`text`] prints after the table: each failure, then the count.
pub fn text_tail(report: &CheckReport, lang: Lang, out: &mut dyn Write) -> io::Result<()> {
    let failed: Vec<&Run> = report.runs.iter().filter(|r| !r.passed).collect();
    writeln!(out)?;
    // A client that ran untraced may have quit with bytes of its reply
    // in its kernel, unread: said, since that failure was not looked for.
    match report.tracing {
        Some(Tracing::Untraced) => writeln!(out, "{}", tr!(lang, "chk-untraced"))?,
        Some(Tracing::NotAllowed) => writeln!(out, "{}", tr!(lang, "chk-untraceable"))?,
        Some(Tracing::Traced) | None => {}
    }
    if failed.is_empty() {
        let id = match report.server.id() {
            "srv-against" => "srv-all-as-expected",
            _ => "chk-all-as-expected",
        };
        writeln!(out, "{}", tr!(lang, id))?;
        return Ok(());
    }
    for r in &failed {
        let (shape, reason) = (r.shape.name(), r.reason.say(lang));
        let head = match r.seed {
            Some(seed) => tr!(
                lang,
                "chk-failed-seed",
                shape = shape,
                seed = seed.to_string(),
                reason = reason
            ),
            None => tr!(lang, "chk-failed", shape = shape, reason = reason),
        };
        writeln!(out, "{head}")?;
        if let Some(blamed) = &r.blamed {
            writeln!(out, "  {}", tr!(lang, "chk-blamed", who = blamed.say(lang)))?;
        }
        for line in &r.shaped {
            writeln!(out, "  {}", tr!(lang, "chk-shaped", line = line.say(lang)))?;
        }
        if !r.calls.is_empty() {
            writeln!(out, "  {}", tr!(lang, "chk-calls"))?;
            for e in &r.calls {
                let (words, bytes) = crate::view::timeline::words(&e.what, lang);
                let bytes = bytes.map(|b| crate::text::escape::escape_fit(b, 40));
                let bytes = bytes.map(|b| format!(" {b}")).unwrap_or_default();
                writeln!(out, "    {:>3}  {words}{bytes}", e.seq)?;
            }
        }
        if !r.last_output.is_empty() {
            let id = match report.server.id() {
                "srv-against" => "srv-last-output",
                _ => "chk-last-output",
            };
            writeln!(out, "  {}", tr!(lang, id))?;
            for line in &r.last_output {
                writeln!(out, "    | {line}")?;
            }
        }
        writeln!(
            out,
            "  {}",
            tr!(lang, "chk-reproduce", command = &r.reproduce)
        )?;
        writeln!(out)?;
    }
    let broke = tr!(
        lang,
        "chk-broke",
        n = failed.len(),
        runs = report.runs.len()
    );
    writeln!(out, "{broke}")
}

/// The report as JSON.
pub fn json(report: &CheckReport, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, report)?;
    writeln!(out)
}

/// The name a JUnit report gives a check when none is chosen: the command's
/// file name (`client` for `./client.py`), without dots, which JUnit
/// readers take for packages.
pub fn default_name(command: &[String]) -> String {
    let file_name = |word: &str| {
        std::path::Path::new(word)
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_else(|| word.to_string())
    };
    // `/usr/bin/env python3 x.py`: env names nothing.
    let command = match command.first().map(|w| file_name(w)) {
        Some(f) if f == "env" => &command[1..],
        _ => command,
    };
    let program = command.first().map(String::as_str).unwrap_or("client");
    let mut file = file_name(program);
    // `python3 client.py`: the script names the client, not the interpreter.
    const INTERPRETERS: [&str; 9] = [
        "python", "sh", "bash", "dash", "zsh", "node", "ruby", "perl", "php",
    ];
    if INTERPRETERS.iter().any(|i| file.starts_with(i))
        && let Some(script) = command[1..]
            .iter()
            .find(|w| !w.starts_with('-') && !w.contains('{'))
    {
        file = file_name(script);
    }
    let name = file.replace('.', "_");
    match name.is_empty() {
        true => "client".into(),
        false => name,
    }
}

/// The report as JUnit XML, the suite and the test cases' class named
/// `name`: one test case per shape and seed.
pub fn junit(report: &CheckReport, name: &str) -> io::Result<String> {
    use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};
    let command = name.to_string();
    let mut suite = TestSuite::new(name);
    for r in &report.runs {
        let name = match r.seed {
            Some(seed) => format!("{} seed {seed}", r.shape),
            None => r.shape.to_string(),
        };
        let status = if r.passed {
            TestCaseStatus::success()
        } else {
            let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
            s.set_message(r.reason.to_string());
            let blamed = r.blamed.iter().map(|b| format!("{b}\n"));
            s.set_description(format!(
                "{}{}\nreproduce: {}",
                blamed.collect::<String>(),
                r.shaped
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("\n"),
                r.reproduce
            ));
            s
        };
        let mut case = TestCase::new(name, status);
        case.set_classname(command.clone());
        case.set_time(std::time::Duration::from_millis(r.millis));
        case.set_system_out(r.last_output.join("\n"));
        suite.add_test_case(case);
    }
    let mut junit = Report::new("tcp-boundary");
    junit.add_test_suite(suite);
    junit.to_string().map_err(io::Error::other)
}

/// The file a JUnit report goes to, opened before the first run: a path
/// that cannot be written is found in a second, not after every shape has
/// run. It is not emptied until the check has an outcome: a check that
/// cannot be made leaves the previous report as it was, and no new empty
/// file. Only a regular file (or a new one) is a report: a device takes the
/// open and loses the report (/dev/full is full only when written to), and
/// a FIFO would hold us until someone reads it.
#[derive(Debug)]
pub struct JunitFile {
    file: std::fs::File,
    path: std::path::PathBuf,
    /// The file was there before: a failed check leaves it.
    existed: bool,
}

impl JunitFile {
    /// Open `path` for the report, or say why it cannot be one.
    pub fn open(path: &std::path::Path) -> Result<JunitFile, super::CheckError> {
        use std::os::unix::fs::OpenOptionsExt;
        let cannot = |why: String| {
            super::CheckError(format!(
                "cannot write the JUnit report {}: {why}",
                path.display()
            ))
        };
        let not_regular = || cannot("not a regular file".into());
        let existed = match std::fs::metadata(path) {
            Ok(meta) if meta.is_file() => true,
            Ok(_) => return Err(not_regular()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => false,
            Err(e) => return Err(cannot(e.to_string())),
        };
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .custom_flags(libc::O_NONBLOCK)
            .open(path)
            .map_err(|e| cannot(e.to_string()))?;
        if !file.metadata().is_ok_and(|m| m.is_file()) {
            return Err(not_regular());
        }
        Ok(JunitFile {
            file,
            path: path.to_path_buf(),
            existed,
        })
    }

    /// The check could not be made: a file made for the report goes.
    pub fn abandon(self) {
        if !self.existed {
            let _ = std::fs::remove_file(&self.path);
        }
    }

    /// The check's end: with its report (`None`: it could not be made), the
    /// report written, its suite and classes named `name`, or the file
    /// abandoned.
    pub fn conclude(self, report: Option<&CheckReport>, name: &str) -> io::Result<()> {
        match report {
            Some(report) => self.write(report, name),
            None => {
                self.abandon();
                Ok(())
            }
        }
    }

    /// Write the report, its suite and classes named `name`.
    pub fn write(mut self, report: &CheckReport, name: &str) -> io::Result<()> {
        let said = |e: io::Error| {
            io::Error::new(
                e.kind(),
                format!("cannot write {}: {e}", self.path.display()),
            )
        };
        let xml = junit(report, name)?;
        self.file.set_len(0).map_err(said)?;
        self.file.write_all(xml.as_bytes()).map_err(said)
    }
}

/// A check shown as it goes: each run's row on `out` as it ends, the
/// heading before the first (so a check that cannot be made prints only its
/// error), and on a terminal the split sweep's progress on one line of
/// stderr that the next row replaces. With `rows` false (JSON), nothing
/// until the end.
pub struct Printing<'a> {
    out: std::cell::RefCell<&'a mut dyn Write>,
    rows: bool,
    headed: std::cell::Cell<bool>,
    progress: bool,
    command: &'a [String],
    against: crate::lang::Msg,
    lang: Lang,
}

impl<'a> Printing<'a> {
    /// Rows (if `rows`) of the check of `command` (`against`: what it runs
    /// against) on `out`; progress where stderr is a terminal.
    pub fn new(
        out: &'a mut dyn Write,
        rows: bool,
        command: &'a [String],
        against: crate::lang::Msg,
        lang: Lang,
    ) -> Self {
        Printing {
            out: std::cell::RefCell::new(out),
            rows,
            headed: std::cell::Cell::new(false),
            progress: std::io::IsTerminal::is_terminal(&io::stderr()),
            command,
            against,
            lang,
        }
    }

    /// Print the end of the check: all of it as JSON, or the table's tail
    /// under the rows already printed, or the whole table.
    pub fn finish(self, report: &CheckReport, json_out: bool) -> io::Result<()> {
        let headed = self.headed.get();
        let out = self.out.into_inner();
        match (json_out, headed) {
            (true, _) => json(report, out),
            (false, true) => text_tail(report, self.lang, out),
            (false, false) => text(report, self.lang, out),
        }
    }
}

impl super::Watch for Printing<'_> {
    fn run(&self, run: &Run) {
        if !self.rows {
            return;
        }
        let mut out = self.out.borrow_mut();
        if !self.headed.replace(true) {
            let _ = text_head(self.command, &self.against, self.lang, &mut **out);
        }
        let _ = text_row(run, self.lang, &mut **out);
        let _ = out.flush();
    }

    fn points(&self, done: usize, of: usize) {
        if !self.progress {
            return;
        }
        let mut err = io::stderr();
        let _ = match done < of {
            true => {
                let said = crate::lang::Msg::new("srv-progress")
                    .arg("done", done)
                    .arg("of", of);
                write!(err, "\r  {} ", said.say(self.lang))
            }
            false => write!(err, "\r\x1b[K"),
        };
        let _ = err.flush();
    }
}
