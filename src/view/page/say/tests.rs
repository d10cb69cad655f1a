use super::*;
use crate::event::flow::Direction;

fn stream(messages: Vec<Range<u64>>) -> Stream {
    Stream {
        client: 1,
        direction: Direction::Down,
        writes: Vec::new(),
        reads: Vec::new(),
        messages,
    }
}

fn at(seq: usize, side: Side, what: What) -> Event {
    Event { seq, side, what }
}

fn say(timeline: &[Event], seq: usize, lang: Lang) -> String {
    let flow = Flow::of(timeline, |_| vec![6, 6]);
    let e = timeline.iter().find(|e| e.seq == seq).unwrap();
    sentence(e, timeline, &flow, ReaderKind::Exact, 1, lang)
}

#[test]
fn a_failed_read_of_the_server_says_the_book_s_loop_would_go_on_and_others_do_not() {
    let failed = |call: &'static str| What::Error {
        error: ErrorKind::Reset,
        message: "reset".into(),
        call: Some(call),
    };
    let timeline = [
        at(1, Side::Server, What::Accept { client: 1 }),
        at(2, Side::Server, failed("read")),
        at(3, Side::Server, failed("write")),
        at(4, Side::Client(1), failed("read")),
    ];
    let read = say(&timeline, 2, Lang::En);
    assert!(read.contains("the book's loop would not"), "{read}");
    assert!(read.contains("returns -1, which is not 0"), "{read}");
    for seq in [3, 4] {
        let other = say(&timeline, seq, Lang::En);
        assert!(!other.contains("book's loop"), "{other}");
    }
    let ko = say(&timeline, 2, Lang::Ko);
    assert!(ko.contains("교재의 루프는 닫지 않습니다"), "{ko}");
}

#[test]
fn the_last_client_s_close_ends_the_loop_and_an_earlier_one_goes_back_to_accept() {
    let timeline = [
        at(1, Side::Server, What::Accept { client: 1 }),
        at(2, Side::Server, What::Close { unread: 0 }),
        at(3, Side::Server, What::Accept { client: 2 }),
        at(4, Side::Server, What::Close { unread: 0 }),
        at(5, Side::Server, What::CloseListener),
    ];
    let first = say(&timeline, 2, Lang::En);
    assert!(first.contains("goes back to accept()"), "{first}");
    let last = say(&timeline, 4, Lang::En);
    assert!(!last.contains("back to accept()"), "{last}");
    assert!(last.contains("loop ends"), "{last}");
    assert!(last.contains("close(server)"), "{last}");
    let ko = say(&timeline, 4, Lang::Ko);
    assert!(!ko.contains("accept()로 돌아"), "{ko}");
}

#[test]
fn a_read_limited_by_its_size_says_so() {
    let read = |asked, len, queued| What::Read {
        asked,
        at: 0,
        queued: Some(queued),
        bytes: b"hello\nworld\n"[..len].to_vec(),
    };
    // Asked 6 of the 12 queued: it returned 6 because it asked for 6.
    let timeline = [
        at(1, Side::Client(1), read(6, 6, 12)),
        at(2, Side::Client(1), read(1024, 6, 6)),
    ];
    let asked = say(&timeline, 1, Lang::En);
    assert!(asked.contains("as many as it asked for"), "{asked}");
    assert!(!asked.contains("that have arrived"), "{asked}");
    assert!(asked.contains("6 bytes stay there"), "{asked}");
    // Asked 1024, 6 had arrived: it returned what had arrived.
    let arrived = say(&timeline, 2, Lang::En);
    assert!(arrived.contains("that have arrived"), "{arrived}");
    assert!(!arrived.contains("asked for"), "{arrived}");
    assert!(say(&timeline, 1, Lang::Ko).contains("요청한 만큼"));
}

#[test]
fn a_reply_that_would_wait_forever_says_the_program_would_block_and_the_run_stopped_it() {
    let timeline = [at(
        1,
        Side::Client(1),
        What::Note {
            text: crate::lang::Msg::new("note-stalled").arg("round", 2),
            bad: true,
        },
    )];
    let said = say(&timeline, 1, Lang::En);
    assert!(said.contains("would wait forever"), "{said}");
    assert!(said.contains("block in read()"), "{said}");
    assert!(said.contains("the run stopped it"), "{said}");
    assert!(say(&timeline, 1, Lang::Ko).contains("read()"));
}

#[test]
fn parts_say_which_bytes_of_which_message() {
    let s = stream(vec![0..13, 13..26]);
    let en = |r: Range<u64>| parts(&s, &r, Lang::En);
    assert_eq!(en(0..13), "all of message 1");
    assert_eq!(en(0..4), "the first 4 bytes of message 1");
    assert_eq!(en(4..8), "bytes 5-8 of message 1");
    assert_eq!(en(5..6), "byte 6 of message 1");
    assert_eq!(
        en(12..14),
        "the last byte of message 1 and the first byte of message 2"
    );
    assert_eq!(en(0..26), "all of message 1 and all of message 2");
    assert_eq!(en(30..31), "");
    assert_eq!(
        parts(&s, &(12..14), Lang::Ko),
        "1번 메시지의 마지막 1바이트, 2번 메시지의 첫 1바이트"
    );
}
