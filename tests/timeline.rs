//! The timeline a class is shown: every row true, said once.

mod common;

use common::{run_with_input, tcp_boundary_bin, text};

fn run_text(args: &[&str]) -> String {
    let mut all = vec!["run"];
    all.extend_from_slice(args);
    let out = run_with_input(tcp_boundary_bin(), &all, b"");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    text(&out.stdout)
}

#[test]
fn one_seed_is_stated_once_the_one_in_force() {
    let out = run_text(&["random-slices", "--seed", "7", "--reader", "naive"]);
    assert_eq!(out.matches("(seed 7)").count(), 1, "{out}");
    assert!(!out.contains("seed:"), "{out}");
    assert!(!out.contains("2024"), "{out}");
}
