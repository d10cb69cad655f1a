//! Tests of the parts of check that need no client: how a book client's
//! printed replies are read, and the shapes' switches.

use super::*;
use crate::event::{Event, Side, What};

#[test]
fn a_book_client_s_replies_are_read_off_its_lines() {
    let out = b"Input message(Q to quit): Message from server : hello, class\n\
                Input message(Q to quit): Message from server : helInput message(Q to quit): Message from server : lo\n";
    assert_eq!(
        printed_replies(out, BOOK_PREFIX),
        [
            &b"hello, class"[..],
            b"helInput message(Q to quit): ",
            b"lo"
        ]
    );
    let escaped = b"Input message (Q to quit) : Message from server : a\\\\b\\tc \\n\r\n";
    let replies = printed_replies(escaped, BOOK_PREFIX);
    assert_eq!(replies, [&b"a\\\\b\\tc \\n"[..]]);
    assert!(reply_is(&replies[0], "a\\b\tc "));
    assert!(
        !reply_is(&replies[0], "a\\b\tc"),
        "a trailing space is part of a message"
    );
    assert!(reply_is(b"a\\b\tc ", "a\\b\tc "), "the bytes themselves");
    assert!(!reply_is(b"hel", "hello"));
}

#[test]
fn the_first_reply_runs_until_the_client_speaks_again() {
    let read = |seq, side, n: usize| Event {
        seq,
        side,
        what: What::Read {
            asked: 65536,
            at: 0,
            queued: Some(n),
            bytes: vec![b'x'; n],
        },
    };
    let (client, server) = (Side::Downstream(1), Side::Upstream(1));
    // Headers, then a body: one reply of 3202 bytes.
    let http = [
        read(1, client, 84),
        read(2, server, 202),
        read(3, server, 3000),
    ];
    assert_eq!(first_reply(&http), 3202);
    // An echo: the client's next message ends the first reply.
    let echo = [
        read(1, client, 13),
        read(2, server, 13),
        read(3, client, 21),
        read(4, server, 21),
    ];
    assert_eq!(first_reply(&echo), 13);
    assert_eq!(first_reply(&[read(1, client, 5)]), 0);
}

#[test]
fn every_shape_runs_the_random_one_per_seed() {
    let runs = CheckConfig::every_shape(2);
    let names: Vec<String> = runs.iter().map(|(s, seed)| format!("{s}{seed}")).collect();
    assert_eq!(
        names,
        [
            "whole0",
            "one-byte0",
            "chunks0",
            "merged0",
            "small-buffers0",
            "random1",
            "random2",
            "stall0",
            "cut0"
        ]
    );
}

#[test]
fn a_reproduce_command_quotes_what_the_shell_would_split() {
    let config = CheckConfig {
        timeout: Duration::from_secs(10),
        ..CheckConfig::new(vec![
            "python3".into(),
            "my client.py".into(),
            "{addr}".into(),
        ])
    };
    assert_eq!(
        reproduce(&config, ShapeName::Random, 7, 0, Directions::Down),
        "tcp-boundary check --shape random --seed 7 --direction down --timeout 10 -- python3 'my client.py' '{addr}'"
    );
}
