//! The layers only point down: a module uses the modules below it in the
//! list under "# Layers" in `src/lib.rs`, never one above it.
//!
//! A source scan is enough: every path into another module is written
//! `crate::module…` or `use crate::{module…, …}`, so reading those (outside
//! comments) gives each module's imports.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// The layers, from the bottom up, as `src/lib.rs` lists them.
fn layers() -> Vec<String> {
    let lib = fs::read_to_string(src().join("lib.rs")).unwrap();
    let section = lib
        .split("//! # Layers")
        .nth(1)
        .expect("src/lib.rs has a \"# Layers\" section");
    let mut order = Vec::new();
    for line in section.lines().skip(1).take_while(|l| l.starts_with("//!")) {
        let line = line.trim_start_matches("//!").trim_start();
        let Some((number, rest)) = line.split_once(". [`") else {
            continue;
        };
        if number.parse::<u32>().is_err() {
            continue;
        }
        order.push(rest.split('`').next().unwrap().to_string());
    }
    order
}

/// The modules `src/lib.rs` declares.
fn modules() -> BTreeSet<String> {
    let lib = fs::read_to_string(src().join("lib.rs")).unwrap();
    lib.lines()
        .filter_map(|l| l.trim().strip_prefix("pub mod "))
        .map(|m| m.trim_end_matches(';').to_string())
        .collect()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The code of a file without its comments (line comments, doc comments and
/// block comments; a `//` inside a string literal ends the line early, which
/// can only hide an import, and none is written that way).
fn code(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find("/*") {
        out.push_str(&rest[..at]);
        rest = rest[at..].split_once("*/").map_or("", |(_, after)| after);
    }
    out.push_str(rest);
    out.lines()
        .map(|l| l.split("//").next().unwrap())
        .collect::<Vec<_>>()
        .join("\n")
}

fn ident(s: &str) -> &str {
    let end = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    &s[..end]
}

/// The crate's top-level names a chunk of code reaches: `crate::view::x` gives
/// `view`, `use crate::{event::X, view}` gives `event` and `view`.
fn reached(code: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for (at, _) in code.match_indices("crate::") {
        let after = code[at + "crate::".len()..].trim_start();
        if let Some(group) = after.strip_prefix('{') {
            // The names at the top level of the group.
            let mut depth = 0;
            let mut start = true;
            for (i, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => start = true,
                    c if start && (c.is_ascii_alphabetic() || c == '_') => {
                        names.insert(ident(&group[i..]).to_string());
                        start = false;
                    }
                    _ => {}
                }
            }
        } else {
            names.insert(ident(after).to_string());
        }
    }
    names
}

/// The module a name reached through `crate::` belongs to: exported macros
/// sit at the crate's root but are defined in a module.
fn home(name: &str) -> &str {
    match name {
        "tr" => "lang",
        other => other,
    }
}

/// Every import from a lower layer to a higher one, as `file: low -> high`.
fn upward_imports() -> Vec<String> {
    let order = layers();
    let rank = |m: &str| order.iter().position(|l| l == m);
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let mut found = Vec::new();
    for file in files {
        let relative = file.strip_prefix(src()).unwrap();
        let first = relative.components().next().unwrap().as_os_str();
        let module = Path::new(first).file_stem().unwrap().to_str().unwrap();
        if module == "lib" || module == "bin" {
            continue; // the root and the binaries sit above every layer
        }
        let own = rank(module).unwrap_or_else(|| panic!("{module} is not in lib.rs's layers"));
        let text = fs::read_to_string(&file).unwrap();
        for name in reached(&code(&text)) {
            let name = home(&name);
            if let Some(theirs) = rank(name)
                && theirs > own
            {
                found.push(format!("{}: {module} -> {name}", relative.display()));
            }
        }
    }
    found.sort();
    found
}

#[test]
fn the_layers_list_every_module_once() {
    let order = layers();
    let listed: BTreeSet<String> = order.iter().cloned().collect();
    assert_eq!(
        listed.len(),
        order.len(),
        "a module is listed twice: {order:?}"
    );
    assert_eq!(listed, modules(), "lib.rs's layers and its modules differ");
}

#[test]
fn no_module_imports_one_above_it() {
    let up = upward_imports();
    assert!(up.is_empty(), "imports that point up:\n{}", up.join("\n"));
}

#[test]
fn the_scan_sees_plain_and_grouped_paths_and_skips_comments() {
    let seen = reached(&code(
        "use crate::view::escape;\n\
         use crate::{\n    event::{Event, What},\n    tools,\n};\n\
         // crate::cli in a comment\n\
         /* crate::bench */ let n = crate::text::bytes(1);\n\
         crate::tr!(lang, \"x\");",
    ));
    let expected: BTreeSet<String> = ["view", "event", "tools", "text", "tr"]
        .into_iter()
        .map(String::from)
        .collect();
    assert_eq!(seen, expected);
}
