//! `run SCENARIO --client book-c`: the book's own echo_client.c, compiled,
//! traced and conducted in a scenario, its socket calls held at their entry
//! until the conductor's turn, as our own client's are.

mod common;

use serde_json::Value;

/// `tcp-boundary ARGS` with its own cache folder: (exit code, stdout,
/// stderr).
fn run(args: &[&str], cache: &std::path::Path) -> (Option<i32>, Vec<u8>, String) {
    let out = assert_cmd::Command::new(common::tcp_boundary_bin())
        .args(args)
        .env("XDG_CACHE_HOME", cache)
        .env_remove("CC")
        .write_stdin("")
        .timeout(common::LIMIT)
        .output()
        .unwrap();
    (out.status.code(), out.stdout, common::text(&out.stderr))
}

/// The one report of `run NAME --client book-c --json`.
fn report(name: &str, cache: &std::path::Path) -> Value {
    let (code, stdout, stderr) = run(&["run", name, "--client", "book-c", "--json"], cache);
    assert_eq!(code, Some(0), "{stderr}");
    let all: Value = serde_json::from_slice(&stdout).unwrap();
    assert_eq!(all.as_array().map(Vec::len), Some(1), "{all:#}");
    all[0].clone()
}

/// The client's reads: (asked, bytes) in order.
fn client_reads(report: &Value) -> Vec<(u64, String)> {
    report["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["side"] == "client" && e["kind"] == "read")
        .map(|e| {
            (
                e["asked"].as_u64().unwrap(),
                e["bytes"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// The timeline without what varies between runs (each row's number and
/// the kernel's queue measured at a read), and without the notes (the book's
/// program's console, what it printed and what it was typed, is rows of its
/// own).
fn shape(report: &Value) -> Vec<Value> {
    report["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] != "note")
        .map(|e| {
            let mut e = e.clone();
            let row = e.as_object_mut().unwrap();
            row.remove("seq");
            row.remove("queued");
            e
        })
        .collect()
}

#[test]
fn partial_read_with_the_book_s_client_reads_part_of_the_reply_the_same_way_every_run() {
    if !common::cc() {
        return;
    }
    let cache = tempfile::tempdir().unwrap();
    let r = report("partial-read", cache.path());
    assert_eq!(r["client_program"], "book-c", "{r:#}");
    assert_eq!(r["reader"], "naive");
    assert_eq!(r["verdict"], "broken", "{r:#}");
    // The C program's own read(sock, message, BUF_SIZE - 1): 1023 asked, the
    // first chunk of 4 bytes taken.
    assert_eq!(client_reads(&r), vec![(1023, "hell".to_string())], "{r:#}");
    // Its own console text.
    let console = r["console"].as_str().unwrap();
    assert!(console.contains("Message from server : hell"), "{console}");
    assert!(
        console.contains("Input message (Q to quit) : "),
        "{console}"
    );
    // And on the timeline, each at its moment: the prompt as fgets waits,
    // the line typed, its write; after the read, the reply printed.
    let client: Vec<String> = r["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["side"] == "client")
        .map(|e| match e["kind"].as_str().unwrap() {
            "note" => e["text"].as_str().unwrap().to_string(),
            kind => kind.to_string(),
        })
        .collect();
    assert_eq!(
        client,
        [
            "connect",
            "prints: connected .....\\n",
            "prints: Input message (Q to quit) : ",
            "is typed: hello, class\\n",
            "write",
            "read",
            "reply",
            "prints: Message from server : hell \\n",
            "prints: Input message (Q to quit) : ",
            "is typed: Q\\n",
            "close",
        ],
        "{r:#}"
    );
    // The same calls, in the same order, as our naive client's.
    let (code, stdout, stderr) = run(
        &["run", "partial-read", "--reader", "naive", "--json"],
        cache.path(),
    );
    assert_eq!(code, Some(0), "{stderr}");
    let ours: Value = serde_json::from_slice(&stdout).unwrap();
    assert_eq!(shape(&ours[0]), shape(&r));
    // Twenty runs in a row: every one as expected, with the first's timeline.
    let (code, stdout, stderr) = run(
        &[
            "run",
            "partial-read",
            "--client",
            "book-c",
            "--repeat",
            "20",
            "--json",
        ],
        cache.path(),
    );
    assert_eq!(code, Some(0), "{stderr}");
    let reps: Value = serde_json::from_slice(&stdout).unwrap();
    assert_eq!(reps[0]["runs"], 20, "{reps:#}");
    assert_eq!(reps[0]["as_expected"], 20, "{reps:#}");
    assert_eq!(reps[0]["same_timeline"], 20, "{reps:#}");
}

#[test]
fn out_of_step_shows_the_book_s_client_printing_replies_out_of_step() {
    if !common::cc() {
        return;
    }
    let cache = tempfile::tempdir().unwrap();
    let r = report("out-of-step", cache.path());
    assert_eq!(r["verdict"], "broken", "{r:#}");
    // Each reply printed is the rest of an earlier one, or two run together.
    let console = r["console"].as_str().unwrap();
    for printed in [
        "Message from server : first re ",
        "Message from server : ply\\n",
        "Message from server : two\\nthre ",
    ] {
        assert!(console.contains(printed), "{printed} in {console}");
    }
    let rounds = r["rounds"].as_array().unwrap();
    let numbers: Vec<u64> = rounds
        .iter()
        .map(|x| x["round"].as_u64().unwrap())
        .collect();
    assert_eq!(numbers, [1, 2, 3, 4, 5]);
    assert_eq!(rounds[1]["received"], "ply\\n", "{r:#}");
}

#[test]
fn the_terminal_says_it_is_the_book_s_program_and_shows_what_it_printed() {
    if !common::cc() {
        return;
    }
    let cache = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = run(&["run", "partial-read", "--client", "book-c"], cache.path());
    assert_eq!(code, Some(0), "{stderr}");
    let text = common::text(&stdout);
    for said in [
        "the book's program, compiled from book/echo_client.c",
        "timeline, the book's echo_client.c",
        "c1 read(1023) → 4 B @0 hell",
        "echo_client's terminal",
        "  Input message (Q to quit) : hello, class\n  Message from server : hell ",
    ] {
        assert!(text.contains(said), "{said} in:\n{text}");
    }
}

#[test]
fn a_script_the_book_s_client_cannot_be_typed_is_refused_before_anything_runs() {
    let cache = tempfile::tempdir().unwrap();
    for (name, why) in [
        ("five-clients", "more than one client"),
        ("nagle", "writes two messages before it reads"),
        ("coalesced", "sets nodelay"),
        ("large-message", "a buffer of 8192 bytes"),
    ] {
        let (code, stdout, stderr) = run(&["run", name, "--client", "book-c"], cache.path());
        assert_eq!(code, Some(2), "{name}: {stderr}");
        assert!(stdout.is_empty(), "{name}");
        assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
        assert!(stderr.contains(why), "{name}: {stderr}");
    }
    // In the class's language.
    let (code, _, stderr) = run(
        &["run", "five-clients", "--client", "book-c", "--lang", "ko"],
        cache.path(),
    );
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.starts_with("오류: five-clients 시나리오에는 클라이언트가 여럿이지만"),
        "{stderr}"
    );
    // Another reader than the book's naive one is not the book's client.
    let (code, _, stderr) = run(
        &["run", "classic", "--client", "book-c", "--reader", "exact"],
        cache.path(),
    );
    assert_eq!(code, Some(2), "{stderr}");
    // Nothing was built for any of them.
    assert!(std::fs::read_dir(cache.path()).unwrap().next().is_none());
}

#[test]
fn without_a_c_compiler_the_run_cannot_be_made_exit_3() {
    common::assert_needs_a_c_compiler(&["run", "classic", "--client", "book-c"]);
}

/// The server's rows of a report: (kind, the note's text or the read's size).
fn server_rows(report: &Value) -> Vec<(String, String)> {
    report["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["side"] == "server")
        .map(|e| {
            let detail = match &e["kind"] {
                k if k == "note" => e["text"].as_str().unwrap_or("").to_string(),
                k if k == "read" => e["asked"].to_string(),
                _ => String::new(),
            };
            (e["kind"].as_str().unwrap().to_string(), detail)
        })
        .collect()
}

#[test]
fn the_book_s_server_serves_five_clients_to_every_reader_the_same_way_every_run() {
    if !common::cc() {
        return;
    }
    let cache = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = run(
        &["run", "five-clients", "--server", "book-c", "--json"],
        cache.path(),
    );
    assert_eq!(code, Some(0), "{stderr}");
    let all: Value = serde_json::from_slice(&stdout).unwrap();
    let reports = all.as_array().unwrap();
    assert_eq!(reports.len(), 5, "every reader");
    for r in reports {
        assert_eq!(r["server_program"], "book-c");
        assert_eq!(r["as_expected"], true, "{r:#}");
        let rows = server_rows(r);
        // Its own read(clientSock, message, BUF_SIZE): 1024 asked, five
        // clients accepted, then its close(servSock).
        assert!(
            rows.iter().any(|(k, d)| k == "read" && d == "1024"),
            "{rows:?}"
        );
        assert_eq!(rows.iter().filter(|(k, _)| k == "accept").count(), 5);
        let calls: Vec<&(String, String)> = rows.iter().filter(|(k, _)| k != "note").collect();
        assert_eq!(calls.last().unwrap().0, "close_listener", "{rows:?}");
        // What it printed, a row as it printed it.
        assert!(
            rows.iter()
                .any(|(_, d)| d == "prints: connected client 1 \\n"),
            "{rows:?}"
        );
        // Bound to any address in the book, to loopback here, and said so.
        assert!(
            rows.iter().any(|(_, d)| d.contains("held to 127.0.0.1")),
            "{rows:?}"
        );
        let console = r["server_console"].as_str().unwrap();
        assert!(console.contains("connected client 5"), "{console}");
        // printf("%s") of what it read: the text, unless a length header's
        // first byte, 0, ends it at once.
        let printed = match r["reader"].as_str().unwrap() {
            "length" => "Message from client : connected client 2",
            _ => "Message from client : I am client 5",
        };
        assert!(console.contains(printed), "{console}");
    }
    let (code, stdout, stderr) = run(
        &[
            "run",
            "five-clients",
            "--server",
            "book-c",
            "--repeat",
            "10",
            "--json",
        ],
        cache.path(),
    );
    assert_eq!(code, Some(0), "{stderr}");
    for rep in serde_json::from_slice::<Value>(&stdout)
        .unwrap()
        .as_array()
        .unwrap()
    {
        assert_eq!(rep["same_timeline"], 10, "{rep:#}");
        assert_eq!(rep["as_expected"], 10, "{rep:#}");
    }
}

#[test]
fn the_book_s_server_waiting_for_a_client_that_never_comes_is_ended_and_its_console_kept() {
    if !common::cc() {
        return;
    }
    let cache = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = run(
        &[
            "run", "classic", "--server", "book-c", "--client", "book-c", "--json",
        ],
        cache.path(),
    );
    assert_eq!(code, Some(0), "{stderr}");
    let r = &serde_json::from_slice::<Value>(&stdout).unwrap()[0];
    assert_eq!(r["verdict"], "intact", "{r:#}");
    let rows = server_rows(r);
    let (kind, text) = rows.last().unwrap();
    assert_eq!(kind, "note", "{rows:?}");
    assert!(text.contains("waits in accept()"), "{rows:?}");
    // Ended where it waited, its lines printed so far are all there.
    let console = r["server_console"].as_str().unwrap();
    assert!(console.contains("Message from client : hi"), "{console}");
    assert!(
        r["console"]
            .as_str()
            .unwrap()
            .contains("Message from server : hi")
    );
}

#[test]
fn a_server_the_book_s_cannot_play_is_refused_before_anything_runs() {
    let cache = tempfile::tempdir().unwrap();
    for (name, why) in [
        ("partial-read", "shapes what it reads or sends"),
        ("backlog", "a backlog of 1"),
        ("large-message", "a buffer of 65536 bytes"),
    ] {
        let (code, stdout, stderr) = run(&["run", name, "--server", "book-c"], cache.path());
        assert_eq!(code, Some(2), "{name}: {stderr}");
        assert!(stdout.is_empty(), "{name}");
        assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
        assert!(stderr.contains(why), "{name}: {stderr}");
    }
    // A shaping switch makes it a shaped server too.
    let (code, _, stderr) = run(
        &["run", "classic", "--server", "book-c", "--chunk", "2"],
        cache.path(),
    );
    assert_eq!(code, Some(2), "{stderr}");
    assert!(std::fs::read_dir(cache.path()).unwrap().next().is_none());
}

#[test]
fn the_page_of_a_run_with_the_book_s_client_names_it_and_shows_what_it_printed() {
    if !common::cc() {
        return;
    }
    let cache = tempfile::tempdir().unwrap();
    let page = cache.path().join("page.html");
    let (code, _, stderr) = run(
        &[
            "run",
            "partial-read",
            "--client",
            "book-c",
            "--html",
            page.to_str().unwrap(),
        ],
        cache.path(),
    );
    assert_eq!(code, Some(0), "{stderr}");
    let html = std::fs::read_to_string(&page).unwrap();
    for said in [
        "The book&#39;s echo_client.c",
        "compiled from book/echo_client.c and run",
        "echo_client&#39;s terminal",
        "Message from server : hell",
        "read(1023)",
    ] {
        let plain = said.replace("&#39;", "'");
        assert!(html.contains(said) || html.contains(&plain), "{said}");
    }
    // One tab: the book's program reads one way.
    assert_eq!(html.matches(r#"<button role="tab""#).count(), 1);
}

#[test]
fn a_client_that_dies_before_its_script_is_played_fails_and_is_said() {
    if !common::cc() {
        return;
    }
    // A "compiler" that builds, in the book's client's place, a program that
    // connects and crashes.
    let dir = tempfile::tempdir().unwrap();
    let crash = dir.path().join("crash.c");
    std::fs::write(
        &crash,
        "#include <sys/socket.h>\n#include <arpa/inet.h>\n#include <stdlib.h>\n#include <string.h>\n\
         int main(int argc, char **argv) { int s = socket(AF_INET, SOCK_STREAM, 0);\n\
         struct sockaddr_in a; memset(&a, 0, sizeof a); a.sin_family = AF_INET;\n\
         a.sin_addr.s_addr = inet_addr(argv[1]); a.sin_port = htons(atoi(argv[2]));\n\
         connect(s, (struct sockaddr *)&a, sizeof a); abort(); }\n",
    )
    .unwrap();
    let cc = dir.path().join("fake-cc");
    std::fs::write(
        &cc,
        format!("#!/bin/sh\nexec cc -o \"$2\" {}\n", crash.display()),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&cc, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = assert_cmd::Command::new(common::tcp_boundary_bin())
        .args(["run", "classic", "--client", "book-c", "--json"])
        .env("XDG_CACHE_HOME", dir.path())
        .env("CC", &cc)
        .write_stdin("")
        .timeout(common::LIMIT)
        .output()
        .unwrap();
    // Not the intact run the book's client gives: its message never typed,
    // and how it ended said.
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let r = &serde_json::from_slice::<Value>(&out.stdout).unwrap()[0];
    assert_eq!(r["as_expected"], false, "{r:#}");
    assert_ne!(r["verdict"], "intact", "{r:#}");
    assert_eq!(r["rounds"][0]["outcome"], "failed", "{r:#}");
    assert_eq!(r["rounds"][0]["round"], 1, "{r:#}");
    assert_eq!(r["rounds"][0]["sent"], "hi\\n", "{r:#}");
    let checks = r["checks"].to_string();
    assert!(checks.contains("was ended by signal 6"), "{checks}");
}

/// A scenario file of one client sending `message` (TOML string syntax).
fn one_message(dir: &std::path::Path, name: &str, message: &str) -> String {
    let path = dir.join(format!("{name}.toml"));
    let text = format!(
        "lesson = \"x\"\ndescription = \"x\"\npoint_at = \"x\"\n\n[server]\nclients = 1\n\n\
         [[step]]\nsend = [\"{message}\"]\n\n[[step]]\nquit = true\n\n[expect]\n\
         naive = \"intact\"\nexact = \"intact\"\nline = \"intact\"\nlength = \"intact\"\n"
    );
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_string()
}

#[test]
fn a_line_as_long_as_fgets_reads_is_played_and_a_longer_one_or_a_nul_refused() {
    if !common::cc() {
        return;
    }
    let cache = tempfile::tempdir().unwrap();
    // fgets(message, BUF_SIZE, stdin) keeps 1023 bytes, the newline among them.
    let longest = one_message(cache.path(), "longest", &format!("{}\\n", "a".repeat(1022)));
    let (code, stdout, stderr) = run(
        &["run", &longest, "--client", "book-c", "--json"],
        cache.path(),
    );
    assert_eq!(code, Some(0), "{stderr}");
    let r = &serde_json::from_slice::<Value>(&stdout).unwrap()[0];
    assert_eq!(r["verdict"], "intact", "{r:#}");
    let longer = one_message(cache.path(), "longer", &format!("{}\\n", "a".repeat(1023)));
    let (code, _, stderr) = run(&["run", &longer, "--client", "book-c"], cache.path());
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("a message of 1024 bytes"), "{stderr}");
    let nul = one_message(cache.path(), "nul", "a\\u0000b\\n");
    let (code, _, stderr) = run(&["run", &nul, "--client", "book-c"], cache.path());
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("not one line of text"), "{stderr}");
}
