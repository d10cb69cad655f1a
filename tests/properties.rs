//! Property tests: for any messages and any way of splitting the byte stream into
//! reads, the correct readers recover exactly the messages sent, and the naive
//! reader does only when every read happens to be exactly one message.

use proptest::prelude::*;
use tcp_boundary::lesson::reader::{MessageReader, ReaderKind};
use tcp_boundary::shape::fragment::{ChunkRange, Chunks, FragmentPlan, Fragmenter};
use tcp_boundary::transport::mock::ScriptedStream;

const BUFFER: usize = 1024;

/// Split `bytes` into reads of the given sizes (cycled), the last one taking the rest.
fn reads_of(bytes: &[u8], sizes: &[usize]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut rest = bytes;
    let mut i = 0;
    while !rest.is_empty() {
        let n = sizes[i % sizes.len()].clamp(1, rest.len());
        out.push(rest[..n].to_vec());
        rest = &rest[n..];
        i += 1;
    }
    out
}

fn round_trip(kind: ReaderKind, messages: &[Vec<u8>], sizes: &[usize]) -> Vec<Vec<u8>> {
    let reader = MessageReader::new(kind, BUFFER);
    let mut wire = Vec::new();
    let mut lens = Vec::new();
    for m in messages {
        let w = reader.encode(m).unwrap();
        lens.push(w.len());
        wire.extend_from_slice(&w);
    }
    let mut stream = ScriptedStream::from_reads(reads_of(&wire, sizes));
    let mut reader = MessageReader::new(kind, BUFFER);
    lens.iter()
        .map(|&n| reader.receive(&mut stream, n).unwrap())
        .collect()
}

/// Any bytes, from empty to three times the read buffer.
fn binary() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..8),
        prop::collection::vec(any::<u8>(), 0..3 * BUFFER),
    ]
}

/// A line: any bytes but `\n`, then `\n` (the empty message is just "\n").
fn line() -> impl Strategy<Value = Vec<u8>> {
    binary().prop_map(|mut m| {
        m.retain(|&b| b != b'\n');
        m.push(b'\n');
        m
    })
}

fn read_sizes() -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(1usize..2 * BUFFER, 1..12)
}

proptest! {
    // A fixed seed: every run tries the same 300 cases, so a pass or a failure
    // repeats (PROPTEST_RNG_SEED does not override a seed set here; change it
    // here to explore other cases, and keep an edge found as its own test below).
    #![proptest_config(ProptestConfig {
        cases: 300,
        rng_seed: proptest::test_runner::RngSeed::Fixed(0x7c9_b0da),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn exact_recovers_any_messages(messages in prop::collection::vec(binary(), 1..6), sizes in read_sizes()) {
        prop_assert_eq!(round_trip(ReaderKind::Exact, &messages, &sizes), messages);
    }

    #[test]
    fn length_recovers_any_messages(messages in prop::collection::vec(binary(), 1..6), sizes in read_sizes()) {
        prop_assert_eq!(round_trip(ReaderKind::Length, &messages, &sizes), messages);
    }

    #[test]
    fn line_recovers_any_lines(messages in prop::collection::vec(line(), 1..6), sizes in read_sizes()) {
        prop_assert_eq!(round_trip(ReaderKind::Line, &messages, &sizes), messages);
    }

    #[test]
    fn naive_is_right_only_when_each_read_is_exactly_one_message(
        messages in prop::collection::vec(prop::collection::vec(any::<u8>(), 1..2 * BUFFER), 1..5),
        sizes in prop::collection::vec(1usize..2 * BUFFER, 1..8),
        aligned in any::<bool>(),
    ) {
        // Half the cases split the stream exactly at the message boundaries.
        let sizes = if aligned { messages.iter().map(Vec::len).collect() } else { sizes };
        let wire: Vec<u8> = messages.concat();
        let reads = reads_of(&wire, &sizes);
        let mut stream = ScriptedStream::from_reads(&reads);
        let mut reader = MessageReader::new(ReaderKind::Naive, BUFFER);
        let got: Vec<Option<Vec<u8>>> = messages
            .iter()
            .map(|m| reader.receive(&mut stream, m.len()).ok())
            .collect();
        let right = got.iter().zip(&messages).all(|(g, m)| g.as_ref() == Some(m));
        // Right exactly when no read ends inside a message, no two messages share a
        // read, and no message is larger than what the one read asks for: as in the
        // book, BUF_SIZE - 1 (a message of exactly BUF_SIZE bytes takes two reads).
        let one_read_each = reads == messages && messages.iter().all(|m| m.len() < BUFFER);
        prop_assert_eq!(right, one_read_each, "reads {:?}", reads.iter().map(Vec::len).collect::<Vec<_>>());
    }

    #[test]
    fn random_chunks_cover_the_buffer_in_order_within_bounds(
        len in 0usize..10_000,
        min in 1usize..50,
        extra in 0usize..50,
        seed in any::<u64>(),
    ) {
        let range = ChunkRange::new(min, min + extra).unwrap();
        let plan = FragmentPlan { chunks: Chunks::Random(range), seed, ..FragmentPlan::default() };
        let chunks = Fragmenter::new(plan).chunks(len);
        prop_assert_eq!(chunks.iter().sum::<usize>(), len);
        if let Some((last, init)) = chunks.split_last() {
            prop_assert!(init.iter().all(|&n| n >= min && n <= min + extra));
            prop_assert!(*last >= 1 && *last <= min + extra);
        }
        // The same seed splits the same way.
        prop_assert_eq!(Fragmenter::new(plan).chunks(len), chunks);
    }

    #[test]
    fn written_chunks_reassemble_to_the_buffer(
        data in prop::collection::vec(any::<u8>(), 0..5000),
        chunk in 1usize..300,
    ) {
        let plan = FragmentPlan { chunks: Chunks::Fixed(chunk), ..FragmentPlan::default() };
        let mut stream = ScriptedStream::new();
        let mut seen = Vec::new();
        Fragmenter::new(plan).write(&mut stream, &data, |p| seen.push(p.len())).unwrap();
        prop_assert_eq!(stream.written(), &data[..]);
        prop_assert!(seen.iter().all(|&n| n >= 1 && n <= chunk));
    }

    #[test]
    fn chunk_ranges_parse_or_name_the_rule(s in "\\PC{0,12}") {
        // Any text: either a valid range or a clear error, never a panic.
        match s.parse::<ChunkRange>() {
            Ok(r) => prop_assert!(r.min >= 1 && r.min <= r.max),
            Err(e) => prop_assert!(e.to_string().starts_with("random chunks: ")),
        }
    }
}

/// The edge the property found once in CI: a message of exactly BUF_SIZE bytes
/// in one read of its own is still read in two by the naive reader, which asks
/// for BUF_SIZE - 1, as the book's `read(sock, message, BUF_SIZE - 1)` does.
#[test]
fn naive_reads_a_message_of_exactly_the_buffer_in_two() {
    let message = vec![b'x'; BUFFER];
    let mut stream = ScriptedStream::from_reads(std::slice::from_ref(&message));
    let mut reader = MessageReader::new(ReaderKind::Naive, BUFFER);
    let first = reader.receive(&mut stream, message.len()).unwrap();
    assert_eq!(first.len(), BUFFER - 1);
}
