//! The tables under the diagrams: each round's reply reader by reader, and
//! the verdicts.

use maud::{Markup, html};

use crate::lang::Lang;
use crate::scenario::{Outcome, Report, Verdict};
use crate::text::escape::escape_fit;
use crate::tr;

fn outcome_said(
    outcome: &Outcome,
    received: Option<&[u8]>,
    lang: Lang,
) -> (&'static str, &'static str, String) {
    match outcome {
        Outcome::Intact => ("good", "✓", tr!(lang, "page-right")),
        Outcome::Wrong => (
            "bad",
            "✗",
            tr!(
                lang,
                "page-wrong",
                got = escape_fit(received.unwrap_or_default(), 32)
            ),
        ),
        Outcome::Stalled => ("bad", "✗", tr!(lang, "cell-stalled")),
        Outcome::ClosedMidMessage => ("warn", "!", tr!(lang, "page-closed-mid-message")),
        Outcome::Closed => ("warn", "!", tr!(lang, "page-closed")),
        Outcome::LoopsForever => ("bad", "✗", tr!(lang, "outcome-loops-forever")),
        Outcome::Overflows(by) => ("bad", "✗", tr!(lang, "outcome-overflows", n = *by)),
        Outcome::Failed(e) => ("warn", "!", tr!(lang, "page-error", error = e)),
    }
}

pub fn verdict_class(v: Verdict) -> &'static str {
    match v {
        Verdict::Intact => "good",
        Verdict::Broken => "bad",
        Verdict::Detected => "warn",
    }
}

pub fn rounds_table(reports: &[Report], lang: Lang) -> Markup {
    let Some(first) = reports.first() else {
        return html! {};
    };
    html! {
        table.rounds {
            thead { tr {
                th scope="col" { (tr!(lang, "rounds-round")) }
                th scope="col" { (tr!(lang, "rounds-sent")) }
                @for r in reports { th scope="col" { (r.reader) } }
            } }
            tbody {
                @for round in &first.rounds {
                    tr {
                        th scope="row" { (tr!(lang, "page-round", client = round.client, round = round.round)) }
                        td { code { (escape_fit(&round.sent, 32)) } }
                        @for r in reports {
                            @match r.rounds.iter().find(|x| x.client == round.client && x.round == round.round) {
                                Some(x) => {
                                    @let (class, mark, text) = outcome_said(&x.outcome, x.received.as_deref(), lang);
                                    td class=(class) { span.mark { (mark) } " " (text) }
                                }
                                None => td { "-" },
                            }
                        }
                    }
                }
            }
        }
    }
}

pub fn verdicts_table(reports: &[Report], lang: Lang) -> Markup {
    let t = |id: &str| tr!(lang, id);
    // A check (the order clients were served…) is the same for every reader:
    // said once.
    let mut checks: Vec<&crate::scenario::Check> = Vec::new();
    for c in reports.iter().flat_map(|r| &r.checks) {
        if !checks.iter().any(|x| x.what == c.what) {
            checks.push(c);
        }
    }
    html! {
        table.verdicts {
            thead { tr {
                th scope="col" { (t("verdicts-reader")) }
                th scope="col" { (t("verdicts-result")) }
                th scope="col" { (t("verdicts-predicted")) }
                th scope="col" { (t("verdicts-prediction")) }
            } }
            tbody {
                @for r in reports {
                    tr {
                        th scope="row" { (r.reader) }
                        td class=(verdict_class(r.verdict)) { (r.verdict.said(lang)) }
                        td { (r.expected.said(lang)) }
                        @if r.as_expected { td.good { "✓ " (t("verdicts-held")) } } @else { td.bad { "✗ " (t("verdicts-failed")) } }
                    }
                }
            }
        }
        ul.checks {
            @for c in checks {
                li class=(if c.ok { "good" } else { "bad" }) {
                    span.mark { (if c.ok { "✓" } else { "✗" }) } " " (c.what.say(lang))
                }
            }
        }
    }
}
