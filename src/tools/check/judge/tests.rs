//! The judge on its own: verdicts from made-up runs, and the words for what
//! a shape did, from made-up proxy timelines. No client is started.

use std::time::Duration;

use super::*;
use crate::lang::Lang;

/// A proxy that moved `from_client` bytes up and passed them all on.
fn moved(from_client: u64) -> Exchange {
    Exchange {
        connections: 1,
        traffic: Traffic {
            idle: Duration::ZERO,
            from_client,
            to_client: 0,
            from_server: 0,
            to_server: from_client,
        },
        refused: false,
        unread: 0,
    }
}

fn config(lines: Option<&[&str]>) -> CheckConfig {
    let mut config = CheckConfig::new(vec!["client".into()]);
    config.timeout = Duration::from_millis(1500);
    config.run_limit = Duration::from_secs(7);
    config.stdin_lines = lines.map(|ms| StdinLines {
        messages: ms.iter().map(|m| m.to_string()).collect(),
        prefix: "> ".into(),
    });
    config
}

/// The verdict, and the reason as a person reads it.
fn verdict(
    config: &CheckConfig,
    shape: ShapeName,
    ended: Ended,
    stdout: &str,
    exchange: Exchange,
) -> (bool, String) {
    let (passed, why) = judge(config, shape, &ended, stdout.as_bytes(), &exchange);
    (passed, why.say(Lang::En))
}

#[test]
fn no_exchange_fails_before_anything_else_is_looked_at() {
    let c = config(None);
    let ok = Ended::Exited(0);
    let refused = Exchange {
        refused: true,
        ..moved(3)
    };
    let (passed, why) = judge(&c, ShapeName::Whole, &ok, b"", &refused);
    assert_eq!((passed, why), (false, Msg::new("chk-upstream-refused")));
    let unconnected = Exchange {
        connections: 0,
        ..moved(3)
    };
    let (passed, why) = judge(&c, ShapeName::Whole, &ok, b"", &unconnected);
    assert_eq!((passed, why), (false, Msg::new("chk-never-connected")));
    // Killed by the timeout before it connected: said so, with the time.
    let (passed, why) = judge(&c, ShapeName::Whole, &Ended::Hung, b"", &unconnected);
    let late = Msg::new("chk-not-connected-yet").arg("secs", "1.5");
    assert_eq!((passed, why), (false, late));
    let (passed, why) = judge(&c, ShapeName::Whole, &ok, b"", &moved(0));
    assert_eq!((passed, why), (false, Msg::new("chk-sent-nothing")));
    // Two connections that moved bytes are an exchange like one.
    let two = Exchange {
        connections: 2,
        ..moved(3)
    };
    let (passed, why) = judge(&c, ShapeName::Whole, &ok, b"", &two);
    assert_eq!((passed, why), (true, Msg::new("chk-exit-ok")));
}

#[test]
fn a_hang_and_a_slow_run_fail_with_the_bytes_still_held() {
    let mut held = moved(10);
    held.traffic.to_server = 7;
    held.traffic.from_server = 9;
    held.traffic.to_client = 4;
    let bytes = |n: u64| Msg::new("bytes").arg("n", n);
    for lines in [None, Some(&["hi"][..])] {
        let c = config(lines);
        for shape in [ShapeName::Whole, ShapeName::Cut] {
            let (passed, why) = judge(&c, shape, &Ended::Hung, b"> hi\n", &held);
            let hung = Msg::new("chk-hung")
                .arg("secs", "1.5")
                .arg("up", bytes(3))
                .arg("down", bytes(5));
            assert_eq!((passed, why), (false, hung), "{shape:?}");
            let (passed, why) = judge(&c, shape, &Ended::TooSlow, b"> hi\n", &held);
            let slow = Msg::new("chk-too-slow")
                .arg("secs", "7")
                .arg("up", bytes(3))
                .arg("down", bytes(5));
            assert_eq!((passed, why), (false, slow), "{shape:?}");
        }
    }
}

#[test]
fn printed_replies_are_judged_one_by_one_against_the_messages() {
    let c = config(Some(&["hello", "hi"]));
    let ok = Ended::Exited(0);
    let whole = ShapeName::Whole;
    let cut = ShapeName::Cut;
    // Every reply right: a pass, unless the reply was cut.
    let all = "> hello\n> hi\n";
    assert_eq!(
        verdict(&c, whole, ok.clone(), all, moved(9)),
        (true, "all 2 replies right".into())
    );
    assert_eq!(
        judge(&c, whole, &ok, all.as_bytes(), &moved(9)).1,
        Msg::new("chk-all-replies").arg("n", 2)
    );
    assert_eq!(
        judge(&c, cut, &ok, all.as_bytes(), &moved(9)),
        (false, Msg::new("chk-invented"))
    );
    // A wrong reply fails in every shape, and is named by its number.
    for shape in [whole, cut] {
        let (passed, why) = judge(&c, shape, &ok, b"> hel\n> lohi\n", &moved(9));
        let wrong = Msg::new("chk-reply-wrong")
            .arg("n", 1)
            .arg("got", "\"hel\"")
            .arg("want", "\"hello\"");
        assert_eq!((passed, why), (false, wrong), "{shape:?}");
        let (passed, why) = judge(&c, shape, &ok, b"> hello\n> h\n", &moved(9));
        let wrong = Msg::new("chk-reply-wrong")
            .arg("n", 2)
            .arg("got", "\"h\"")
            .arg("want", "\"hi\"");
        assert_eq!((passed, why), (false, wrong), "{shape:?}");
    }
    // A missing reply: a failure, unless the reply was cut, where stopping
    // is right.
    let (passed, why) = judge(&c, whole, &ok, b"> hello\n", &moved(9));
    let none = Msg::new("chk-no-reply").arg("n", 2).arg("want", "\"hi\"");
    assert_eq!((passed, why), (false, none));
    let (passed, why) = judge(&c, whole, &ok, b"", &moved(9));
    let none = Msg::new("chk-no-reply")
        .arg("n", 1)
        .arg("want", "\"hello\"");
    assert_eq!((passed, why), (false, none));
    let (passed, why) = judge(&c, cut, &ok, b"> hello\n", &moved(9));
    assert_eq!(
        (passed, why),
        (true, Msg::new("chk-stopped-at-cut").arg("n", 1))
    );
    let (passed, why) = judge(&c, cut, &ok, b"", &moved(9));
    assert_eq!(
        (passed, why),
        (true, Msg::new("chk-stopped-at-cut").arg("n", 0))
    );
}

#[test]
fn without_messages_the_exit_is_judged_by_the_shape() {
    let c = config(None);
    let whole = ShapeName::Whole;
    let cut = ShapeName::Cut;
    let run = |shape, ended: Ended| judge(&c, shape, &ended, b"", &moved(5));
    let segv = || Arg::Text(super::super::signal_name(libc::SIGSEGV));
    assert_eq!(
        run(whole, Ended::Exited(0)),
        (true, Msg::new("chk-exit-ok"))
    );
    assert_eq!(
        run(whole, Ended::Exited(3)),
        (false, Msg::new("chk-exit-bad").arg("code", 3))
    );
    assert_eq!(
        run(whole, Ended::Signalled(libc::SIGSEGV)),
        (false, Msg::new("chk-signalled").arg("signal", segv()))
    );
    assert_eq!(
        run(cut, Ended::Exited(0)),
        (false, Msg::new("chk-exit-ok-cut"))
    );
    assert_eq!(
        run(cut, Ended::Exited(3)),
        (true, Msg::new("chk-exit-noticed").arg("code", 3))
    );
    assert_eq!(
        run(cut, Ended::Signalled(libc::SIGSEGV)),
        (true, Msg::new("chk-signalled-cut").arg("signal", segv()))
    );
}

#[test]
fn a_client_that_ended_with_its_reply_unread_fails_whatever_it_said() {
    let c = config(None);
    let left = |unread| Exchange {
        unread,
        traffic: Traffic {
            from_server: 40,
            ..moved(40).traffic
        },
        ..moved(40)
    };
    // Exit 0 with 28 of the 40 bytes unread: it took part of a reply for
    // the whole.
    assert_eq!(
        verdict(&c, ShapeName::Chunks, Ended::Exited(0), "", left(28)),
        (false, "ended with 28 of 40 reply bytes never read".into())
    );
    // Every byte read: the exit decides.
    assert!(verdict(&c, ShapeName::Chunks, Ended::Exited(0), "", left(0)).0);
    // A failure already said keeps its own reason.
    assert_eq!(
        verdict(&c, ShapeName::Chunks, Ended::Exited(2), "", left(28)).1,
        "exit status 2 (0 expected)"
    );
    // Under the cut the proxy holds the rest of the reply by design: the
    // client's exit is what is judged.
    assert!(verdict(&c, ShapeName::Cut, Ended::Exited(1), "", left(20)).0);
    // A book-style client that printed every reply right, but left bytes
    // unread, fails too.
    let lines = config(Some(&["hi"]));
    assert_eq!(
        verdict(
            &lines,
            ShapeName::Whole,
            Ended::Exited(0),
            "> hi\n",
            left(3)
        )
        .1,
        "ended with 3 of 40 reply bytes never read"
    );
    assert!(
        verdict(
            &lines,
            ShapeName::Whole,
            Ended::Exited(0),
            "> hi\n",
            left(0)
        )
        .0
    );
}

#[test]
fn replies_are_split_at_each_prefix_on_a_line_or_across_lines() {
    let p = |out: &str| -> Vec<String> {
        printed_replies(out.as_bytes(), "> ")
            .into_iter()
            .map(|r| String::from_utf8(r).unwrap())
            .collect()
    };
    assert_eq!(p("x> a> bb\r\nnoise\n> c"), ["a", "bb", "c"]);
    assert_eq!(p("intro\n> one\n>> two\n"), ["one", "two"]);
    assert_eq!(p("no prefix here\n"), Vec::<String>::new());
    assert_eq!(p("> \n> \n"), ["", ""]);
    assert!(
        printed_replies(b"> a", "").is_empty(),
        "no prefix, no replies"
    );
}

#[test]
fn a_reply_is_its_bytes_or_their_escaped_form() {
    assert!(reply_is(b"hello", "hello"));
    assert!(reply_is(b"hello\\n", "hello"), "the newline shown escaped");
    assert!(reply_is(b"a\\tb", "a\tb"));
    assert!(reply_is(b"a\\tb\\n", "a\tb"));
    assert!(!reply_is(b"hello", "hell"));
    assert!(!reply_is(b"hel", "hello"));
    assert!(!reply_is(b"hello\\n\\n", "hello"));
    assert!(!reply_is(b"a\\q", "aq"), "not an escape, not the bytes");
}

#[test]
fn the_last_lines_keep_each_stream_s_unfinished_line_its_own() {
    let out = |s: &str| (Pipe::Out, s.as_bytes().to_vec());
    let err = |s: &str| (Pipe::Err, s.as_bytes().to_vec());
    let both = [
        out("first\nsec"),
        err("oops"),
        out("ond\r\n"),
        err(" again\n\n"),
        out("a\nb\n"),
    ];
    assert_eq!(
        last_lines(&both, 10),
        ["first", "second", "(stderr) oops again", "a", "b"]
    );
    assert_eq!(last_lines(&both, 2), ["a", "b"]);
    assert!(last_lines(&both, 0).is_empty());
    assert!(last_lines(&[], 3).is_empty());
    let tab = [out("a\tb")];
    assert_eq!(last_lines(&tab, 1), ["a\\tb"]);
}

fn event(seq: usize, side: Side, what: What) -> Event {
    Event { seq, side, what }
}

fn read(seq: usize, side: Side, n: usize) -> Event {
    let what = What::Read {
        asked: 4096,
        at: 0,
        queued: None,
        bytes: vec![b'r'; n],
    };
    event(seq, side, what)
}

fn write(seq: usize, side: Side, n: usize) -> Event {
    let what = What::Write {
        at: 0,
        bytes: vec![b'w'; n],
    };
    event(seq, side, what)
}

/// A proxy timeline: the request read as 2+3 and written as 5 upstream; the
/// reply read as 5 and written to the client as 1+4; the second
/// connection's and other rows ignored.
fn timeline() -> Vec<Event> {
    let (down, up) = (Side::Downstream(1), Side::Upstream(1));
    vec![
        read(1, down, 2),
        read(2, down, 3),
        write(3, up, 5),
        read(4, Side::Downstream(2), 7),
        write(5, Side::Upstream(2), 7),
        read(6, up, 5),
        write(7, down, 1),
        event(8, down, What::Eof),
        write(9, down, 4),
        write(10, Side::Downstream(2), 6),
    ]
}

#[test]
fn shaping_counts_each_direction_of_the_first_connection() {
    let shaping = shaping(&timeline());
    let requests = PassedOn {
        read: vec![2, 3],
        written: vec![5],
        reads: 2,
        writes: 1,
        bytes: 5,
    };
    let replies = PassedOn {
        read: vec![5],
        written: vec![1, 4],
        reads: 1,
        writes: 2,
        bytes: 5,
    };
    assert_eq!(shaping, Shaping { requests, replies });
}

#[test]
fn shaping_keeps_the_first_sizes_and_counts_them_all() {
    let n = PassedOn::SHOWN + 6;
    let mut events = Vec::new();
    for k in 0..n {
        events.push(read(2 * k + 1, Side::Downstream(1), k + 1));
        events.push(write(2 * k + 2, Side::Upstream(1), k + 1));
    }
    let flow = shaping(&events).requests;
    let first: Vec<usize> = (1..=PassedOn::SHOWN).collect();
    assert_eq!(flow.read, first);
    assert_eq!(flow.written, first);
    assert_eq!((flow.reads, flow.writes), (n, n));
    assert_eq!(flow.bytes, (n * (n + 1) / 2) as u64);
}

#[test]
fn sizes_show_the_first_twelve_then_how_many() {
    let twelve: Vec<usize> = (1..=12).collect();
    assert_eq!(
        sizes(&twelve),
        Arg::Text("1+2+3+4+5+6+7+8+9+10+11+12".into())
    );
    let thirteen: Vec<usize> = (1..=13).collect();
    let more = Msg::new("chk-sizes-more")
        .arg("sizes", "1+2+3+4+5+6+7+8+9+10+11+12")
        .arg("n", 13);
    assert_eq!(sizes(&thirteen), Arg::from(more));
    assert_eq!(sizes(&[]), Arg::Text(String::new()));
}

#[test]
fn the_shaping_is_said_for_each_direction_that_moved() {
    let said: Vec<String> = describe_shaping(&timeline(), None)
        .iter()
        .map(|m| m.say(Lang::En))
        .collect();
    assert_eq!(
        said,
        [
            "client → server: the client's bytes read as 2+3, passed on as 5",
            "server → client: the server's bytes read as 5, passed on as 1+4",
        ]
    );
    assert!(describe_shaping(&[], None).is_empty());
    // Only replies: only the way down is said.
    let down = &timeline()[5..];
    let said = describe_shaping(down, None);
    assert_eq!(said.len(), 1);
    assert_eq!(said[0].id(), "chk-shaped-down");
}

/// The chunks each of `messages`' replies came in, with `written` the
/// proxy's writes to the client.
fn chunks(messages: &[&str], written: &[usize]) -> Vec<Msg> {
    let events: Vec<Event> = written
        .iter()
        .enumerate()
        .map(|(k, &n)| write(k + 1, Side::Downstream(1), n))
        .collect();
    let lines = StdinLines {
        messages: messages.iter().map(|m| m.to_string()).collect(),
        prefix: "> ".into(),
    };
    describe_shaping(&events, Some(&lines))
}

fn reply(n: usize, size: usize, sizes: &str, ended: bool) -> Msg {
    let id = match ended {
        true => "chk-shaped-reply-ended",
        false => "chk-shaped-reply",
    };
    Msg::new(id)
        .arg("n", n)
        .arg("size", size)
        .arg("sizes", sizes)
}

#[test]
fn each_reply_s_chunks_are_counted_across_the_writes() {
    // "hello\n" as 4+2, the rest of that write and one more byte for "hi\n".
    assert_eq!(
        chunks(&["hello", "hi"], &[4, 4, 1]),
        [reply(1, 6, "4+2", false), reply(2, 3, "2+1", false)]
    );
    // One write carrying two replies and the start of a third, which ends
    // there: the connection was cut.
    assert_eq!(
        chunks(&["a", "b", "ccccc"], &[7]),
        [
            reply(1, 2, "2", false),
            reply(2, 2, "2", false),
            reply(3, 6, "3", true)
        ]
    );
    // A reply that never began is not said; only the first three are.
    assert_eq!(chunks(&["ab", "cd"], &[3]), [reply(1, 3, "3", false)]);
    assert_eq!(
        chunks(&["a", "b", "c", "d"], &[8]),
        [
            reply(1, 2, "2", false),
            reply(2, 2, "2", false),
            reply(3, 2, "2", false)
        ]
    );
    assert_eq!(
        chunks(&["abc"], &[1, 1, 1, 1]),
        [reply(1, 4, "1+1+1+1", false)]
    );
    assert_eq!(chunks(&["abc"], &[2]), [reply(1, 4, "2", true)]);
}
