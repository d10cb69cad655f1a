//! The readers driven through a scripted stream: every way of splitting the byte
//! stream into reads is tried, so no socket timing is involved.

use tcp_boundary::lesson::reader::{MessageReader, ReadError, ReaderKind};
use tcp_boundary::transport::mock::ScriptedStream;

/// The wire bytes a reader of `kind` sends for `messages` (what an echo returns).
fn wire(kind: ReaderKind, messages: &[&[u8]]) -> (Vec<u8>, Vec<usize>) {
    let reader = MessageReader::new(kind, 1024);
    let mut bytes = Vec::new();
    let mut lens = Vec::new();
    for m in messages {
        let w = reader.encode(m).unwrap();
        lens.push(w.len());
        bytes.extend_from_slice(&w);
    }
    (bytes, lens)
}

/// Split `bytes` into reads at the positions whose bit is set in `mask`.
fn reads_at(bytes: &[u8], mask: u64) -> Vec<Vec<u8>> {
    let mut reads = Vec::new();
    let mut start = 0;
    for i in 1..bytes.len() {
        if mask & (1 << (i - 1)) != 0 {
            reads.push(bytes[start..i].to_vec());
            start = i;
        }
    }
    reads.push(bytes[start..].to_vec());
    reads
}

/// Read one reply per message through a stream scripted with `reads`.
fn replies(kind: ReaderKind, reads: &[Vec<u8>], lens: &[usize]) -> Vec<Result<Vec<u8>, String>> {
    let mut stream = ScriptedStream::from_reads(reads);
    let mut reader = MessageReader::new(kind, 1024);
    lens.iter()
        .map(|&n| reader.receive(&mut stream, n).map_err(|e| e.to_string()))
        .collect()
}

const MESSAGES: [&[u8]; 3] = [b"hi\n", b"\0\xff\n", b"tcp\n"];

#[test]
fn correct_readers_recover_the_messages_however_the_reads_fall() {
    for kind in [ReaderKind::Exact, ReaderKind::Line, ReaderKind::Length] {
        let (bytes, lens) = wire(kind, &MESSAGES);
        // Length frames are longer: cap the splits tried at 2^16 per reader.
        let positions = (bytes.len() - 1).min(16);
        for mask in 0..(1u64 << positions) {
            let reads = reads_at(&bytes, mask);
            let got = replies(kind, &reads, &lens);
            let want: Vec<Result<Vec<u8>, String>> =
                MESSAGES.iter().map(|m| Ok(m.to_vec())).collect();
            assert_eq!(got, want, "{kind} with reads {reads:?}");
        }
    }
}

#[test]
fn naive_fails_when_a_read_ends_inside_a_message_or_two_share_a_read() {
    let (bytes, lens) = wire(ReaderKind::Naive, &MESSAGES);
    // Message boundaries in the stream: after byte 3 and after byte 6.
    let boundaries = [3usize, 6];
    for mask in 0..(1u64 << (bytes.len() - 1)) {
        let reads = reads_at(&bytes, mask);
        let ends: Vec<usize> = (1..bytes.len())
            .filter(|i| mask & (1 << (i - 1)) != 0)
            .collect();
        let exactly_at_boundaries = ends == boundaries;
        let got = replies(ReaderKind::Naive, &reads, &lens);
        let all_right = got.iter().zip(MESSAGES).all(|(r, m)| r.as_deref() == Ok(m));
        assert_eq!(
            all_right, exactly_at_boundaries,
            "naive with reads {reads:?} gave {got:?}"
        );
    }
}

#[test]
fn naive_stays_out_of_step_after_one_partial_read() {
    // "hello\n" arrives as "hel" + "lo\n"; each later reply is read whole. The
    // naive client shows "hel", then "lo\n" as the reply to "world\n", and so on.
    let chunks: Vec<Vec<u8>> = vec![b"hel".to_vec(), b"lo\n".to_vec(), b"world\n".to_vec()];
    let got = replies(ReaderKind::Naive, &chunks, &[6, 6, 6]);
    assert_eq!(got[0].as_deref(), Ok(&b"hel"[..]));
    assert_eq!(got[1].as_deref(), Ok(&b"lo\n"[..]));
    assert_eq!(got[2].as_deref(), Ok(&b"world\n"[..]));
}

#[test]
fn end_of_stream_mid_message_is_an_error_distinct_from_a_clean_end() {
    for kind in [ReaderKind::Exact, ReaderKind::Line, ReaderKind::Length] {
        let (bytes, lens) = wire(kind, &[b"hello\n"]);
        // Half the message, then the end of the stream.
        let mut half = ScriptedStream::from_reads([&bytes[..bytes.len() / 2]]);
        let mut reader = MessageReader::new(kind, 1024);
        let err = reader.receive(&mut half, lens[0]).unwrap_err();
        assert!(
            matches!(err, ReadError::ClosedMidMessage { .. }),
            "{kind}: {err}"
        );
        assert_eq!(
            err.to_string().split(" (").next(),
            Some("peer closed mid-message")
        );
        // Nothing at all, then the end: a clean close between messages. (A fresh
        // reader: the one above still holds half a message, rightly.)
        let mut reader = MessageReader::new(kind, 1024);
        let mut empty = ScriptedStream::new();
        let err = reader.receive(&mut empty, lens[0]).unwrap_err();
        assert!(matches!(err, ReadError::Closed), "{kind}: {err}");
    }
}

#[test]
fn an_overlong_line_or_frame_is_refused_and_the_state_is_not_corrupted() {
    let mut reader = MessageReader::new(ReaderKind::Line, 4).with_limits(8, 8);
    let mut s = ScriptedStream::from_reads([b"0123456789\n"]);
    assert!(matches!(
        reader.receive(&mut s, 11),
        Err(ReadError::LineTooLong { max: 8 })
    ));

    let mut reader = MessageReader::new(ReaderKind::Length, 1024).with_limits(8, 8);
    let mut frame = 9u32.to_be_bytes().to_vec();
    frame.extend_from_slice(b"123456789");
    let mut s = ScriptedStream::from_reads([frame]);
    let err = reader.receive(&mut s, 13).unwrap_err();
    assert!(
        matches!(err, ReadError::FrameTooLarge { len: 9, max: 8 }),
        "{err}"
    );
    // The refusal is repeatable: the reader does not skip ahead and misread the
    // payload as a new frame.
    let err = reader.receive(&mut s, 13).unwrap_err();
    assert!(
        matches!(err, ReadError::FrameTooLarge { len: 9, max: 8 }),
        "{err}"
    );
}

#[test]
fn a_reset_is_reported_as_the_socket_error() {
    let mut reader = MessageReader::new(ReaderKind::Exact, 1024);
    let mut s = ScriptedStream::new()
        .then_read(b"he")
        .error(std::io::ErrorKind::ConnectionReset);
    match reader.receive(&mut s, 5) {
        Err(ReadError::Io(e)) => assert_eq!(e.kind(), std::io::ErrorKind::ConnectionReset),
        other => panic!("{other:?}"),
    }
}

#[test]
fn exact_never_reads_past_the_reply() {
    // Two replies in one read: exact asks only for the bytes it is missing, so the
    // second reply stays in the stream for the next call.
    let mut s = ScriptedStream::from_reads([b"one\ntwo\n"]);
    let mut reader = MessageReader::new(ReaderKind::Exact, 1024);
    assert_eq!(reader.receive(&mut s, 4).unwrap(), b"one\n");
    assert_eq!(reader.receive(&mut s, 4).unwrap(), b"two\n");
}

// Exact limits and names: what mutation testing found unpinned.

#[test]
fn names_as_on_the_command_line_and_which_readers_frame() {
    let names: Vec<String> = ReaderKind::ALL.iter().map(|k| k.to_string()).collect();
    assert_eq!(names, ["naive", "exact", "line", "length", "book"]);
    for k in ReaderKind::ALL {
        assert_eq!(k.name(), k.to_string());
        let frames_always = !matches!(k, ReaderKind::Naive | ReaderKind::Book);
        assert_eq!(k.is_correct(), frames_always);
    }
}

#[test]
fn line_encoding_adds_one_newline_and_stops_exactly_at_the_limit() {
    use tcp_boundary::lesson::reader::EncodeError;
    let r = MessageReader::new(ReaderKind::Line, 64).with_limits(4, 100);
    assert_eq!(&*r.encode(b"hi\n").unwrap(), b"hi\n");
    assert_eq!(&*r.encode(b"hi").unwrap(), b"hi\n");
    // Three bytes and the newline make four: the limit, accepted.
    assert_eq!(&*r.encode(b"abc").unwrap(), b"abc\n");
    assert_eq!(&*r.encode(b"abc\n").unwrap(), b"abc\n");
    // One more is refused, and the error says how long the line would be.
    match r.encode(b"abcd") {
        Err(EncodeError::TooLarge { len, max }) => assert_eq!((len, max), (5, 4)),
        other => panic!("{other:?}"),
    }
}

#[test]
fn line_reading_stops_exactly_at_the_limit() {
    // A line of exactly max_line bytes (newline included) is read.
    let mut r = MessageReader::new(ReaderKind::Line, 64).with_limits(4, 100);
    let mut s = ScriptedStream::from_reads([&b"abc\n"[..]]);
    assert_eq!(r.receive(&mut s, 4).unwrap(), b"abc\n");
    // One byte more, newline in sight: too long.
    let mut r = MessageReader::new(ReaderKind::Line, 64).with_limits(4, 100);
    let mut s = ScriptedStream::from_reads([&b"abcd\n"[..]]);
    assert!(matches!(
        r.receive(&mut s, 5),
        Err(ReadError::LineTooLong { max: 4 })
    ));
    // max_line bytes held and no newline yet: too long, without waiting for more.
    let mut r = MessageReader::new(ReaderKind::Line, 64).with_limits(4, 100);
    let mut s = ScriptedStream::from_reads([&b"abcd"[..]]);
    assert!(matches!(
        r.receive(&mut s, 5),
        Err(ReadError::LineTooLong { max: 4 })
    ));
    // Three bytes and no newline: not enough bytes yet, so it reads on (and
    // meets the end of the stream).
    let mut r = MessageReader::new(ReaderKind::Line, 64).with_limits(4, 100);
    let mut s = ScriptedStream::from_reads([&b"abc"[..]]);
    assert!(matches!(
        r.receive(&mut s, 4),
        Err(ReadError::ClosedMidMessage { got: 3 })
    ));
}

#[test]
fn length_reading_stops_exactly_at_the_limit() {
    let frame = |len: u32, body: &[u8]| {
        let mut f = len.to_be_bytes().to_vec();
        f.extend_from_slice(body);
        f
    };
    let mut r = MessageReader::new(ReaderKind::Length, 64).with_limits(100, 3);
    let mut s = ScriptedStream::from_reads([frame(3, b"abc")]);
    assert_eq!(r.receive(&mut s, 7).unwrap(), b"abc");
    let mut r = MessageReader::new(ReaderKind::Length, 64).with_limits(100, 3);
    let mut s = ScriptedStream::from_reads([frame(4, b"abcd")]);
    assert!(matches!(
        r.receive(&mut s, 8),
        Err(ReadError::FrameTooLarge { len: 4, max: 3 })
    ));
}

/// The limits a reader has unless told otherwise: a line of 64 KiB (its
/// newline included) and a frame of 1 MiB are read; one byte more is refused.
#[test]
fn default_limits_are_a_64_kib_line_and_a_1_mib_frame() {
    let line = |len: usize| {
        let mut l = vec![b'a'; len - 1];
        l.push(b'\n');
        let mut r = MessageReader::new(ReaderKind::Line, 4096);
        let mut s = ScriptedStream::from_reads([l.clone()]);
        r.receive(&mut s, len).map(|got| got == l)
    };
    assert!(matches!(line(64 * 1024), Ok(true)));
    assert!(matches!(
        line(64 * 1024 + 1),
        Err(ReadError::LineTooLong { max: 65536 })
    ));
    let frame = |len: usize| {
        let mut f = (len as u32).to_be_bytes().to_vec();
        f.extend(vec![b'a'; len]);
        let mut r = MessageReader::new(ReaderKind::Length, 4096);
        let mut s = ScriptedStream::from_reads([f]);
        r.receive(&mut s, len + 4).map(|got| got.len())
    };
    assert!(matches!(frame(1 << 20), Ok(n) if n == 1 << 20));
    assert!(matches!(
        frame((1 << 20) + 1),
        Err(ReadError::FrameTooLarge { max: 1048576, .. })
    ));
}

/// What a scenario counts as a message's bytes on the wire is what each
/// reader's client sends: the message, and the `length` reader's 4-byte
/// prefix before it.
#[test]
fn on_the_wire_is_what_each_reader_sends() {
    use tcp_boundary::lesson::reader::on_the_wire;
    for len in [0usize, 1, 5, 1000] {
        let message = vec![b'a'; len];
        for kind in ReaderKind::ALL {
            let sent = MessageReader::new(kind, 64).encode(&message).unwrap().len();
            match kind {
                ReaderKind::Length => assert_eq!(sent, on_the_wire(len), "{kind}"),
                _ => assert!(sent <= on_the_wire(len) && sent >= len, "{kind} {sent}"),
            }
        }
    }
}

/// The naive reader asks for one byte less than its buffer, as the book's
/// `read(sock, message, BUF_SIZE - 1)`: with a 4-byte buffer a 4-byte reply
/// comes in two reads, 3 bytes and then 1.
#[test]
fn naive_asks_for_one_byte_less_than_its_buffer() {
    let mut r = MessageReader::new(ReaderKind::Naive, 4);
    let mut s = ScriptedStream::from_reads([&b"abcd"[..]]);
    assert_eq!(r.receive(&mut s, 4).unwrap(), b"abc");
    assert_eq!(r.receive(&mut s, 4).unwrap(), b"d");
}

// The book's fix (`book`): what it fixes, and its two flaws, reported and
// never committed.

#[test]
fn book_gathers_a_reply_that_comes_in_chunks() {
    let mut s = ScriptedStream::from_reads([&b"hel"[..], b"lo, c", b"lass\n"]);
    let mut reader = MessageReader::new(ReaderKind::Book, 1024);
    assert_eq!(reader.receive(&mut s, 13).unwrap(), b"hello, class\n");
}

#[test]
fn book_would_loop_forever_when_the_stream_ends_mid_reply() {
    let mut s = ScriptedStream::from_reads([&b"hello,"[..]]);
    let mut reader = MessageReader::new(ReaderKind::Book, 1024);
    match reader.receive(&mut s, 13) {
        Err(ReadError::WouldLoopForever { held }) => assert_eq!(held, 6),
        other => panic!("{other:?}"),
    }
    // A buffer of one byte asks read() for 0 bytes: the same endless loop.
    let mut s = ScriptedStream::from_reads([&b"x"[..]]);
    let mut tiny = MessageReader::new(ReaderKind::Book, 1);
    assert!(matches!(
        tiny.receive(&mut s, 1),
        Err(ReadError::WouldLoopForever { held: 0 })
    ));
}

#[test]
fn book_would_overflow_a_buffer_shorter_than_the_reply() {
    // BUF_SIZE 8: each read asks for 7 bytes wherever it writes. 7 + 7 = 14
    // bytes into 8: 6 past the end.
    let mut s = ScriptedStream::from_reads([&b"0123456"[..], b"789abcd", b"ef\n"]);
    let mut reader = MessageReader::new(ReaderKind::Book, 8);
    match reader.receive(&mut s, 17) {
        Err(ReadError::WouldOverflow { by }) => assert_eq!(by, 6),
        other => panic!("{other:?}"),
    }
    // A reply that fills the buffer exactly leaves no room for its NUL.
    let mut s = ScriptedStream::from_reads([&b"0123"[..], b"456\n"]);
    let mut reader = MessageReader::new(ReaderKind::Book, 8);
    assert!(matches!(
        reader.receive(&mut s, 8),
        Err(ReadError::WouldOverflow { by: 1 })
    ));
    // One byte shorter fits, NUL and all.
    let mut s = ScriptedStream::from_reads([&b"012"[..], b"345\n"]);
    let mut reader = MessageReader::new(ReaderKind::Book, 8);
    assert_eq!(reader.receive(&mut s, 7).unwrap(), b"012345\n");
}

#[test]
fn book_takes_the_start_of_the_next_reply_as_part_of_this_one() {
    let mut s = ScriptedStream::from_reads([&b"one\ntwo\n"[..]]);
    let mut reader = MessageReader::new(ReaderKind::Book, 1024);
    assert_eq!(reader.receive(&mut s, 4).unwrap(), b"one\ntwo\n");
}
