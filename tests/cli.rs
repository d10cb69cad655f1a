//! Snapshot tests of the command line, with trycmd (the tool clap and cargo
//! use for their own docs): each `tests/cmd/*.toml` is one command and the
//! output it must print. `TRYCMD=overwrite cargo test --test cli` rewrites the
//! snapshots after a deliberate change; review the diff before committing.

#[test]
fn cli_snapshots() {
    trycmd::TestCases::new().case("tests/cmd/*.toml");
}
