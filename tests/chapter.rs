//! The whole chapter on screen: the server's seven steps, the listen backlog,
//! and the next chapter's fix (`book`) with its two flaws.

mod common;

use tcp_boundary::event::{Side, What};
use tcp_boundary::lesson::reader::ReaderKind;
use tcp_boundary::scenario::{Outcome, Scenario, Verdict};
use tcp_boundary::view::timeline::step_of;

#[test]
fn five_clients_shows_the_server_s_whole_life_with_the_chapter_s_steps() {
    let report = Scenario::builtin("five-clients")
        .unwrap()
        .run(ReaderKind::Naive, None)
        .unwrap();
    let steps: Vec<u8> = report
        .timeline
        .iter()
        .filter_map(|e| step_of(e.side, &e.what))
        .collect();
    // 1 socket, 2 bind, 3 listen, then for each of five clients 4 accept,
    // 5 read/write until end of stream, 6 close(client); last 7 close(server).
    assert_eq!(&steps[..4], [1, 2, 3, 4]);
    assert_eq!(steps.last(), Some(&7));
    let mut squeezed = steps.clone();
    squeezed.dedup();
    assert_eq!(
        squeezed,
        [1, 2, 3, 4, 5, 6, 4, 5, 6, 4, 5, 6, 4, 5, 6, 4, 5, 6, 7]
    );
    let listen = &report.timeline[2];
    assert_eq!(
        (listen.side, &listen.what),
        (Side::Server, &What::Listen { backlog: 5 })
    );
    // The listener closes before client 6 connects, and that is why it is refused.
    let close = report
        .timeline
        .iter()
        .position(|e| e.what == What::CloseListener)
        .unwrap();
    let refused = report
        .timeline
        .iter()
        .position(|e| e.what == What::Refused)
        .unwrap();
    assert!(close < refused);
    // The terminal folds steps 1 to 3 into one row on a narrow screen only.
    let text = |width: &str| {
        let out = assert_cmd::Command::new(common::tcp_boundary_bin())
            .args(["run", "five-clients", "--no-pager", "--color", "never"])
            .env("COLUMNS", width)
            .timeout(common::LIMIT)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let narrow = text("80");
    assert!(narrow.contains(" 1-3 "), "{narrow}");
    assert!(narrow.contains("[1-3] socket, bind, listen(5)"), "{narrow}");
    assert!(narrow.contains("[7] close(server)"), "{narrow}");
    let wide = text("120");
    for row in ["[1] socket()", "[2] bind()", "[3] listen(backlog 5)"] {
        assert!(wide.contains(row), "{row:?} not in:\n{wide}");
    }
}

#[test]
fn the_backlog_scenario_says_who_waited_in_the_queue_and_who_on_a_dropped_handshake() {
    let s = Scenario::builtin("backlog").unwrap();
    for run in 0..2 {
        let report = s.run(ReaderKind::Exact, None).unwrap();
        assert!(report.as_expected, "run {run}: {:?}", report.checks);
        let rows: Vec<(Side, What)> = report.shape();
        let at = |side: Side, what: What| {
            rows.iter()
                .position(|r| *r == (side, what.clone()))
                .unwrap_or_else(|| panic!("no {side:?} {what:?} in {rows:?}"))
        };
        // Clients 2 and 3 connect at once, into the queue of backlog + 1 = 2.
        let c2 = at(Side::Client(2), What::Connect);
        let c3 = at(Side::Client(3), What::Connect);
        // Client 4's handshake is dropped: its connect waits...
        let waits = at(Side::Client(4), What::ConnectWaits);
        assert!(c2 < c3 && c3 < waits);
        // ...until the server has accepted client 2 and made room.
        let accept2 = at(Side::Server, What::Accept { client: 2 });
        let retried = at(Side::Client(4), What::ConnectRetried);
        assert!(waits < accept2 && accept2 < retried);
        // And each is served in turn.
        let accept4 = at(Side::Server, What::Accept { client: 4 });
        assert!(retried < accept4);
        assert!(!rows.contains(&(Side::Client(2), What::ConnectWaits)));
        assert!(!rows.contains(&(Side::Client(3), What::ConnectWaits)));
        // The wait is the kernel's SYN retry: about a second, never less.
        let took = report
            .checks
            .iter()
            .find(|c| {
                c.what
                    .to_string()
                    .starts_with("client 4's connect returned after")
            })
            .unwrap()
            .what
            .to_string();
        let secs: f64 = took
            .trim_start_matches("client 4's connect returned after ")
            .split(' ')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert!((0.8..3.6).contains(&secs), "{took}");
    }
}

#[test]
fn the_book_fix_holds_on_chunks_and_names_its_two_flaws() {
    let verdict = |name: &str| {
        let report = Scenario::builtin(name)
            .unwrap()
            .run(ReaderKind::Book, None)
            .unwrap();
        assert!(report.as_expected, "{name}: {:?}", report.verdict);
        (report.verdict, report.rounds[0].outcome.clone())
    };
    assert_eq!(verdict("partial-read"), (Verdict::Intact, Outcome::Intact));
    assert_eq!(verdict("out-of-step"), (Verdict::Intact, Outcome::Intact));
    // The server closes mid-reply: read returns 0 and the loop would spin.
    assert_eq!(
        verdict("cut-mid-message"),
        (Verdict::Broken, Outcome::LoopsForever)
    );
    // 12000 bytes into 8192: the kernel's window hands over 4096, then 6144,
    // and the second read of 8191 bytes lands 2048 past the end.
    assert_eq!(
        verdict("large-message"),
        (Verdict::Broken, Outcome::Overflows(2048))
    );
    // Beside it, exact fixes both.
    let exact = |name: &str| {
        Scenario::builtin(name)
            .unwrap()
            .run(ReaderKind::Exact, None)
            .unwrap()
            .verdict
    };
    assert_eq!(exact("cut-mid-message"), Verdict::Detected);
    assert_eq!(exact("large-message"), Verdict::Intact);
}

#[test]
fn echo_client_s_book_reader_reports_the_endless_loop_and_exits() {
    // A server that sends part of a reply and closes: the book's client
    // would spin forever; ours says so and exits 1, well within the limit.
    let server = common::start_server(&["--clients", "1", "--cut-after", "3"]);
    let out = common::run_client(server.port, &["--reader", "book"], b"hello\nq\n");
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("would spin forever"), "{err}");
    server.finish();
}

/// The naive reader is the book's client line for line: `strLen =
/// read(sock, message, BUF_SIZE - 1)`, 1023 with the book's buffer, in every
/// scenario; the server reads `BUF_SIZE`, as the book's does.
#[test]
fn the_naive_reader_asks_buf_size_minus_one_as_the_book_s_client_does() {
    use tcp_boundary::lesson::server::BOOK_BUF_SIZE;
    let book = include_str!("../book/echo_client.c");
    assert!(book.contains(&format!("#define BUF_SIZE {BOOK_BUF_SIZE}")));
    assert!(book.contains("strLen = read(sock , message , BUF_SIZE - 1);"));
    for name in ["partial-read", "coalesced", "out-of-step", "five-clients"] {
        let report = Scenario::builtin(name)
            .unwrap()
            .run(ReaderKind::Naive, None)
            .unwrap();
        let asked: Vec<(Side, usize)> = report
            .timeline
            .iter()
            .filter_map(|e| match e.what {
                What::Read { asked, .. } => Some((e.side, asked)),
                _ => None,
            })
            .collect();
        assert!(
            asked.iter().any(|(s, _)| matches!(s, Side::Client(_))),
            "{name}"
        );
        for (side, asked) in asked {
            let want = match side {
                Side::Client(_) => BOOK_BUF_SIZE - 1,
                _ => BOOK_BUF_SIZE,
            };
            assert_eq!(asked, want, "{name}: {side:?} asked {asked}");
        }
    }
}
