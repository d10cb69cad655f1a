//! The scenarios shipped in `scenarios/`, built into the binary.

use super::Scenario;

impl Scenario {
    /// The scenarios shipped in `scenarios/` (built into the binary), in
    /// teaching order.
    pub fn builtins() -> Vec<Scenario> {
        BUILTIN
            .iter()
            .map(|&(name, src)| shipped(name, src))
            .collect()
    }

    /// A shipped scenario by name (only that one file is parsed).
    pub fn builtin(name: &str) -> Option<Scenario> {
        BUILTIN
            .iter()
            .find(|(n, _)| *n == name)
            .map(|&(name, src)| shipped(name, src))
    }
}

fn shipped(name: &str, src: &str) -> Scenario {
    Scenario::parse(name, &format!("scenarios/{name}.toml"), src)
        .expect("shipped scenarios are valid (tested)")
}

/// The shipped scenarios, in the chapter's order: the programs, the server's
/// life (its steps, its queue, `accept`), the problem the chapter ends on,
/// then the next chapter's fix.
pub const BUILTIN: &[(&str, &str)] = &[
    ("classic", include_str!("../../scenarios/classic.toml")),
    (
        "five-clients",
        include_str!("../../scenarios/five-clients.toml"),
    ),
    ("backlog", include_str!("../../scenarios/backlog.toml")),
    (
        "queued-client",
        include_str!("../../scenarios/queued-client.toml"),
    ),
    (
        "partial-read",
        include_str!("../../scenarios/partial-read.toml"),
    ),
    (
        "split-character",
        include_str!("../../scenarios/split-character.toml"),
    ),
    (
        "large-message",
        include_str!("../../scenarios/large-message.toml"),
    ),
    ("coalesced", include_str!("../../scenarios/coalesced.toml")),
    ("nagle", include_str!("../../scenarios/nagle.toml")),
    (
        "out-of-step",
        include_str!("../../scenarios/out-of-step.toml"),
    ),
    (
        "random-chunks",
        include_str!("../../scenarios/random-chunks.toml"),
    ),
    (
        "cut-mid-message",
        include_str!("../../scenarios/cut-mid-message.toml"),
    ),
];
