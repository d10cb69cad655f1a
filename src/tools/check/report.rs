//! A check's outcome for people (a table, then each failure with the command
//! that repeats it) and for CI (JSON, JUnit XML).

use std::io::{self, Write};

use super::{CheckReport, Run};

/// The table of runs, then the failures, the simplest shape first.
pub fn text(report: &CheckReport, out: &mut dyn Write) -> io::Result<()> {
    let command = shlex::try_join(report.command.iter().map(String::as_str))
        .unwrap_or_else(|_| report.command.join(" "));
    writeln!(out, "checking: {command}")?;
    writeln!(out, "against:  {}", report.server)?;
    writeln!(out)?;
    writeln!(
        out,
        "  {:<14} {:>4}  {:<6} {:>8}",
        "shape", "seed", "result", "time"
    )?;
    for r in &report.runs {
        writeln!(
            out,
            "  {:<14} {:>4}  {:<6} {:>6.2} s",
            r.shape.name(),
            r.seed.map(|s| s.to_string()).unwrap_or_default(),
            if r.passed { "✓ pass" } else { "✗ FAIL" },
            r.millis as f64 / 1000.0
        )?;
    }
    let failed: Vec<&Run> = report.runs.iter().filter(|r| !r.passed).collect();
    writeln!(out)?;
    if failed.is_empty() {
        writeln!(
            out,
            "every shape as expected: the client frames its messages"
        )?;
        return Ok(());
    }
    for r in &failed {
        let seed = r.seed.map(|s| format!(" (seed {s})")).unwrap_or_default();
        writeln!(out, "✗ {}{seed}: {}", r.shape, r.reason)?;
        for line in &r.shaped {
            writeln!(out, "  shaped: {line}")?;
        }
        if !r.last_output.is_empty() {
            writeln!(out, "  the client's last output:")?;
            for line in &r.last_output {
                writeln!(out, "    | {line}")?;
            }
        }
        writeln!(out, "  reproduce: {}", r.reproduce)?;
        writeln!(out)?;
    }
    writeln!(
        out,
        "{} of {} runs broke the client",
        failed.len(),
        report.runs.len()
    )
}

/// The report as JSON.
pub fn json(report: &CheckReport, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, report)?;
    writeln!(out)
}

/// The report as JUnit XML: one test case per shape and seed.
pub fn junit(report: &CheckReport) -> io::Result<String> {
    use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};
    let command = report.command.join(" ");
    let mut suite = TestSuite::new("tcp-boundary check");
    for r in &report.runs {
        let name = match r.seed {
            Some(seed) => format!("{} seed {seed}", r.shape),
            None => r.shape.to_string(),
        };
        let status = if r.passed {
            TestCaseStatus::success()
        } else {
            let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
            s.set_message(r.reason.clone());
            s.set_description(format!(
                "{}\nreproduce: {}",
                r.shaped.join("\n"),
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
