//! The bench's figures for a person: each beside the raw loopback reference.

use std::io::{self, Write};

use super::Figures;

/// Print `result` for a person.
pub fn print(result: &Figures, out: &mut dyn Write) -> io::Result<()> {
    // A figure that could not be measured (nothing counted) has no ratio.
    let ratio = |a: f64, b: f64| {
        if a > 0.0 && b > 0.0 && a.is_finite() && b.is_finite() {
            format!("{:.2}×", a / b)
        } else {
            "not measured".to_string()
        }
    };
    match result {
        Figures::Rtt { server, raw } => {
            writeln!(
                out,
                "round trips of a small message ({} measured)",
                server.count
            )?;
            writeln!(
                out,
                "  {:<10} {:>10} {:>10} {:>10}",
                "", "p50 µs", "p99 µs", "mean µs"
            )?;
            for (name, l) in [("server", server), ("raw", raw)] {
                if l.count == 0 {
                    writeln!(out, "  {name:<10} {:>32}", "not measured")?;
                    continue;
                }
                writeln!(
                    out,
                    "  {:<10} {:>10.1} {:>10.1} {:>10.1}",
                    name, l.p50_us, l.p99_us, l.mean_us
                )?;
            }
            writeln!(
                out,
                "  server / raw: p50 {}, mean {}",
                ratio(server.p50_us, raw.p50_us),
                ratio(server.mean_us, raw.mean_us)
            )?;
        }
        Figures::Throughput { server, raw } => {
            writeln!(out, "streaming through one connection")?;
            for (name, t) in [("server", server), ("raw", raw)] {
                writeln!(
                    out,
                    "  {:<10} {:>10.1} MB/s  ({} bytes in {:.2} s)",
                    name, t.mb_per_s, t.bytes, t.seconds
                )?;
            }
            writeln!(
                out,
                "  server / raw: {}  (the echo carries every byte twice over loopback; the raw pair once)",
                ratio(server.mb_per_s, raw.mb_per_s)
            )?;
        }
        Figures::Connect { server, raw } => {
            writeln!(out, "connect, one echo, close")?;
            for (name, c) in [("server", server), ("raw", raw)] {
                writeln!(
                    out,
                    "  {:<10} {:>10.0} connections/s  ({} in {:.2} s)",
                    name, c.per_s, c.count, c.seconds
                )?;
            }
            writeln!(out, "  server / raw: {}", ratio(server.per_s, raw.per_s))?;
        }
        Figures::Queue { server, raw } => {
            writeln!(
                out,
                "{} clients connect at once; each keeps the server {:.0} ms after its echo",
                server.waits_ms.len(),
                server.hold_ms
            )?;
            writeln!(
                out,
                "  {:<8} {:>14} {:>18}",
                "served", "iterative ms", "thread-per-client ms"
            )?;
            for (i, w) in server.waits_ms.iter().enumerate() {
                let r = raw.waits_ms.get(i).copied().unwrap_or(0.0);
                writeln!(out, "  {:<8} {:>14.1} {:>18.1}", i + 1, w, r)?;
            }
            writeln!(
                out,
                "  client k waits for the k-1 before it, about (k-1) × {:.0} ms: one client at a time.",
                server.hold_ms
            )?;
            writeln!(
                out,
                "  A server that handles several clients at once serves them all straight away."
            )?;
        }
    }
    Ok(())
}
