//! `tcp-boundary check --stdin-lines` on clients in the book's style: they
//! read lines from standard input and print each reply after a prefix, and
//! are judged by what they print (the chapter's C client among them).

mod common;

use std::path::{Path, PathBuf};

use common::{check, check_json, failed_shapes, python};

/// A client in the book's style: reads lines, prints the book's prefix and
/// the reply, `q` quits, always exits 0.
fn book_client(dir: &Path, name: &str, whole: bool) -> PathBuf {
    let read = if whole {
        // Read until the whole line is back; an early end is an error.
        "got = b''\n        while not got.endswith(b'\\n'):\n            c = s.recv(1024)\n            if not c:\n                print('error: the server closed mid-reply')\n                sys.exit(1)\n            got += c"
    } else {
        "got = s.recv(1024)"
    };
    let body = format!(
        r#"
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])))
while True:
    sys.stdout.write("Input message(Q to quit): ")
    sys.stdout.flush()
    line = sys.stdin.readline()
    if not line or line.strip() in ("q", "Q"):
        break
    s.sendall(line.encode())
    if True:
        {read}
    sys.stdout.write("Message from server : " + got.decode(errors="replace"))
    sys.stdout.flush()
"#
    );
    let path = dir.join(format!("{name}.py"));
    std::fs::write(&path, body).unwrap();
    path
}

#[test]
fn stdin_lines_judges_a_book_client_by_what_it_prints() {
    let Some(py) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let naive = book_client(dir.path(), "book_naive", false);
    let (report, code) = check_json(
        &["--stdin-lines"],
        &[py, naive.to_str().unwrap(), "{host}", "{port}"],
    );
    assert_eq!(code, 1, "{report:#}");
    let failed = failed_shapes(&report);
    assert!(failed.contains(&"chunks".to_string()), "{failed:?}");
    assert!(!failed.contains(&"whole".to_string()), "{failed:?}");
    let chunks = report["runs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["shape"] == "chunks")
        .unwrap();
    // What it printed after the prefix: the chunk, then its next prompt.
    assert_eq!(
        chunks["reason"],
        r#"reply 1 was "helInput message(Q to quit): ", not the message "hello, class""#
    );
    assert!(
        chunks["shaped"]
            .to_string()
            .contains("reply 1 (13 bytes) reached the client as 3+3+3"),
        "{chunks:#}"
    );
    let whole = book_client(dir.path(), "book_whole", true);
    let (report, code) = check_json(
        &["--stdin-lines"],
        &[py, whole.to_str().unwrap(), "{host}", "{port}"],
    );
    assert_eq!(code, 0, "{report:#}");
}

/// A client in C as the chapter writes it: one `read()` per reply, stdio
/// output, killed by SIGPIPE when it writes to a closed connection.
const BOOK_C: &str = r#"
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#define BUF_SIZE 1024
int main(int argc, char *argv[]) {
    char message[BUF_SIZE];
    struct sockaddr_in serv_addr;
    int sock = socket(PF_INET, SOCK_STREAM, 0);
    memset(&serv_addr, 0, sizeof(serv_addr));
    serv_addr.sin_family = AF_INET;
    serv_addr.sin_addr.s_addr = inet_addr(argv[1]);
    serv_addr.sin_port = htons(atoi(argv[2]));
    if (connect(sock, (struct sockaddr *)&serv_addr, sizeof(serv_addr)) == -1) return 1;
    puts("connected .....");
    while (1) {
        fputs("Input message (Q to quit) : ", stdout);
        if (!fgets(message, BUF_SIZE, stdin)) break;
        if (!strcmp(message, "q\n") || !strcmp(message, "Q\n")) break;
        write(sock, message, strlen(message));
        int len = read(sock, message, BUF_SIZE - 1);
        if (len < 0) len = 0;
        message[len] = 0;
        printf("Message from server : %s \n", message);
    }
    close(sock);
    return 0;
}
"#;

#[test]
fn the_chapter_s_c_client_fails_even_when_sigpipe_kills_it() {
    let dir = tempfile::tempdir().unwrap();
    let Some(binary) = common::compile_c(dir.path(), "client", BOOK_C) else {
        return;
    };
    let (report, code) = check_json(
        &["--stdin-lines"],
        &[binary.to_str().unwrap(), "{host}", "{port}"],
    );
    assert_eq!(code, 1, "{report:#}");
    // Its output reaches us line by line (a terminal), so even the cut, after
    // which SIGPIPE kills it, shows the half reply it printed.
    let failed = failed_shapes(&report);
    for shape in ["one-byte", "chunks", "stall", "cut"] {
        assert!(failed.contains(&shape.to_string()), "{shape}: {report:#}");
    }
    assert!(!failed.contains(&"whole".to_string()), "{report:#}");
}

#[test]
fn a_book_client_that_exits_at_once_is_a_failing_row_not_a_silent_death() {
    // More input than a pipe holds, and a client that reads none of it.
    let long = "x".repeat(60_000);
    let out = check(&[
        "--stdin-lines",
        "--shape",
        "whole",
        "--message",
        &long,
        "--message",
        &long,
        "--",
        "sh",
        "-c",
        "exit 0",
    ]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("✗ whole: the client never connected"),
        "{text}"
    );
}

#[test]
fn a_book_client_is_judged_by_the_bytes_it_was_sent() {
    // Our echo-client shows replies escaped: a backslash as \\, a tab as \t,
    // the newline as \n; a trailing space is part of the message.
    let message = "a\\b\tc ";
    let (report, code) = check_json(
        &[
            "--stdin-lines",
            "--message",
            message,
            "--message",
            "hello, class",
        ],
        &[common::echo_client_bin(), "{host}", "{port}"],
    );
    assert_eq!(code, 0, "{report:#}");
    let (report, code) = check_json(
        &["--stdin-lines", "--shape", "whole", "--message", "a\\b\tc"],
        &[
            "sh",
            "-c",
            "printf 'Message from server : a\\\\\\\\b\\\\tc \\\\n\\n'; sleep 1",
            "{addr}",
        ],
    );
    assert_eq!(code, 1, "{report:#}");
}
