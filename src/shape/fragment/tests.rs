//! The fragmenter's own tests: its plans, its chunks and its writes.

use super::*;

fn plan(chunks: Chunks, seed: u64) -> FragmentPlan {
    FragmentPlan {
        chunks,
        seed,
        ..FragmentPlan::default()
    }
}

// What mutation testing found unpinned: the plan's own questions.

#[test]
fn edges_split_the_first_and_last_chunks_and_send_the_middle_whole() {
    let chunks = |len: usize| {
        let mut fragmenter = Fragmenter::new(FragmentPlan {
            edges: 2,
            ..plan(Chunks::Fixed(3), 0)
        });
        let mut stream = crate::transport::mock::ScriptedStream::new();
        let mut sizes = Vec::new();
        let data = vec![b'x'; len];
        fragmenter
            .write(&mut stream, &data, |p| sizes.push(p.len()))
            .unwrap();
        assert_eq!(stream.written(), &data[..]);
        sizes
    };
    assert_eq!(chunks(20), [3, 3, 8, 3, 3]);
    // Too short for a middle: the tail gets what the head left.
    assert_eq!(chunks(7), [3, 3, 1]);
    assert_eq!(chunks(12), [3, 3, 3, 3]);
}

#[test]
fn a_range_is_shown_as_it_is_written() {
    let r: ChunkRange = "2-5".parse().unwrap();
    assert_eq!(r.to_string(), "2-5");
}

#[test]
fn a_plan_is_active_when_it_splits_or_pauses() {
    let ms = Duration::from_millis;
    let with = |chunks, delay| FragmentPlan {
        chunks,
        delay,
        ..FragmentPlan::default()
    };
    assert!(!with(Chunks::Whole, ms(0)).is_active());
    assert!(with(Chunks::Fixed(3), ms(0)).is_active());
    assert!(with(Chunks::Whole, ms(5)).is_active());
}

#[test]
fn a_plan_is_random_when_it_draws_chunks_or_pauses() {
    let range = ChunkRange::new(1, 3).unwrap();
    let with = |chunks, delay_ms, random_pauses| FragmentPlan {
        chunks,
        delay: Duration::from_millis(delay_ms),
        random_pauses,
        ..FragmentPlan::default()
    };
    assert!(with(Chunks::Random(range), 0, false).is_random());
    assert!(with(Chunks::Whole, 10, true).is_random());
    assert!(!with(Chunks::Whole, 0, true).is_random());
    assert!(!with(Chunks::Fixed(2), 10, false).is_random());
}

#[test]
fn pauses_are_the_delay_or_drawn_up_to_it() {
    let with = |delay_ms, random_pauses| FragmentPlan {
        delay: Duration::from_millis(delay_ms),
        random_pauses,
        seed: 7,
        ..FragmentPlan::default()
    };
    let mut fixed = Fragmenter::new(with(40, false));
    assert!((0..20).all(|_| fixed.next_pause() == Duration::from_millis(40)));
    let mut none = Fragmenter::new(with(0, true));
    assert!((0..20).all(|_| none.next_pause().is_zero()));
    let mut drawn = Fragmenter::new(with(40, true));
    let pauses: Vec<Duration> = (0..50).map(|_| drawn.next_pause()).collect();
    assert!(pauses.iter().all(|p| *p <= Duration::from_millis(40)));
    assert!(
        pauses.iter().any(|p| *p != Duration::from_millis(40)),
        "{pauses:?}"
    );
}

#[test]
fn same_seed_gives_same_chunks() {
    let range = ChunkRange::new(1, 7).unwrap();
    let a = Fragmenter::new(plan(Chunks::Random(range), 42)).chunks(500);
    let b = Fragmenter::new(plan(Chunks::Random(range), 42)).chunks(500);
    let c = Fragmenter::new(plan(Chunks::Random(range), 43)).chunks(500);
    assert_eq!(a, b);
    assert_ne!(a, c, "another seed should split differently");
}

#[test]
fn chunks_cover_the_buffer_exactly_within_bounds() {
    for seed in 0..50 {
        for len in [0, 1, 2, 9, 100, 4097] {
            let range = ChunkRange::new(2, 5).unwrap();
            let chunks = Fragmenter::new(plan(Chunks::Random(range), seed)).chunks(len);
            assert_eq!(chunks.iter().sum::<usize>(), len);
            // Every chunk but the last is within bounds; the last may be shorter.
            if let Some((_, init)) = chunks.split_last() {
                assert!(init.iter().all(|&n| (2..=5).contains(&n)), "{chunks:?}");
            }
        }
    }
}

#[test]
fn fixed_chunks_are_the_chunk_size_then_the_rest() {
    let chunks = Fragmenter::new(plan(Chunks::Fixed(3), 0)).chunks(10);
    assert_eq!(chunks, vec![3, 3, 3, 1]);
    assert_eq!(Fragmenter::new(plan(Chunks::Whole, 0)).chunks(10), vec![10]);
}

#[test]
fn bad_parameters_are_rejected() {
    assert_eq!("0-5".parse::<ChunkRange>(), Err(FragmentError::ZeroMin(0)));
    assert_eq!(
        "6-5".parse::<ChunkRange>(),
        Err(FragmentError::MinAboveMax { min: 6, max: 5 })
    );
    assert!(matches!(
        "5".parse::<ChunkRange>(),
        Err(FragmentError::BadRange(_))
    ));
    assert!(matches!(
        "a-b".parse::<ChunkRange>(),
        Err(FragmentError::BadRange(_))
    ));
    assert_eq!(
        "2-5".parse::<ChunkRange>(),
        Ok(ChunkRange { min: 2, max: 5 })
    );
}

/// A stream that records each write, and each pause as an empty entry.
struct Recorder(Vec<Vec<u8>>);
impl io::Write for Recorder {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.push(buf.to_vec());
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
impl io::Read for Recorder {
    fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
        Ok(0)
    }
}
impl Transport for Recorder {
    fn pause(&mut self, _: Duration) {
        self.0.push(Vec::new());
    }

    fn close_write(&mut self) -> io::Result<()> {
        Ok(())
    }

    fn abort(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn writes_each_chunk_and_reports_it() {
    let mut sink = Recorder(Vec::new());
    let mut seen = Vec::new();
    Fragmenter::new(plan(Chunks::Fixed(2), 0))
        .write(&mut sink, b"hello", |p| seen.push(p.to_vec()))
        .unwrap();
    assert_eq!(sink.0, vec![b"he".to_vec(), b"ll".to_vec(), b"o".to_vec()]);
    assert_eq!(seen, sink.0);
}

#[test]
fn a_burst_leaves_back_to_back_and_pauses_after_it() {
    let burst = FragmentPlan {
        delay: Duration::from_millis(80),
        burst: 2,
        ..plan(Chunks::Fixed(1), 0)
    };
    let mut sink = Recorder(Vec::new());
    Fragmenter::new(burst)
        .write(&mut sink, b"abc", |_| {})
        .unwrap();
    let shown: Vec<&str> = sink
        .0
        .iter()
        .map(|w| {
            if w.is_empty() {
                "pause"
            } else {
                std::str::from_utf8(w).unwrap()
            }
        })
        .collect();
    // Two chunks in a row, a pause; the last chunk ends its burst early.
    assert_eq!(shown, ["a", "b", "pause", "c", "pause"]);
    assert_eq!(
        burst.describe_in(Lang::En),
        "chunks of at most 1 byte, 80 ms pause after each 2 in a row"
    );
    let single = FragmentPlan { burst: 1, ..burst };
    assert_eq!(
        single.describe_in(Lang::En),
        "chunks of at most 1 byte, 80 ms pause after each"
    );
    let no_pause = FragmentPlan {
        burst: 0,
        delay: Duration::ZERO,
        ..burst
    };
    assert_eq!(no_pause.describe_in(Lang::En), "chunks of at most 1 byte");
}

/// A stream that keeps each write and pause, as [`Recorder`] does, and whose
/// first write is interrupted by a signal before it takes any byte.
struct Interrupted(Recorder, bool);
impl io::Write for Interrupted {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if std::mem::replace(&mut self.1, false) {
            return Err(io::ErrorKind::Interrupted.into());
        }
        self.0.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
impl io::Read for Interrupted {
    fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
        Ok(0)
    }
}
impl Transport for Interrupted {
    fn close_write(&mut self) -> io::Result<()> {
        Ok(())
    }

    fn abort(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_signal_before_a_write_takes_anything_is_asked_again() {
    let mut stream = Interrupted(Recorder(Vec::new()), true);
    let mut seen = Vec::new();
    Fragmenter::new(plan(Chunks::Whole, 0))
        .write(&mut stream, b"hi", |p| seen.push(p.to_vec()))
        .unwrap();
    assert_eq!(stream.0.0, [b"hi".to_vec()]);
    assert_eq!(seen, stream.0.0);
    // Any other failure is the write's error, said once.
    let mut failing =
        crate::transport::mock::ScriptedStream::new().failing_writes(io::ErrorKind::BrokenPipe);
    let err = Fragmenter::new(plan(Chunks::Whole, 0))
        .write(&mut failing, b"hi", |_| panic!("nothing was written"))
        .unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::BrokenPipe);
}

#[test]
fn a_short_write_is_reported_as_each_call_took_it() {
    let mut stream = crate::transport::mock::ScriptedStream::new().short_writes(2);
    let mut seen = Vec::new();
    Fragmenter::new(plan(Chunks::Fixed(3), 0))
        .write(&mut stream, b"abcdef", |p| seen.push(p.to_vec()))
        .unwrap();
    // Two chunks of three, each taken as two bytes and then one.
    let calls: Vec<&[u8]> = seen.iter().map(Vec::as_slice).collect();
    assert_eq!(calls, [&b"ab"[..], b"c", b"de", b"f"]);
    assert_eq!(stream.write_calls(), 4);
}

/// A stream that takes nothing: a write would never make progress.
struct Stuck;
impl io::Write for Stuck {
    fn write(&mut self, _: &[u8]) -> io::Result<usize> {
        Ok(0)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
impl io::Read for Stuck {
    fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
        Ok(0)
    }
}
impl Transport for Stuck {
    fn close_write(&mut self) -> io::Result<()> {
        Ok(())
    }

    fn abort(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_stream_that_takes_nothing_is_an_error_not_a_loop() {
    let err = Fragmenter::new(plan(Chunks::Whole, 0))
        .write(&mut Stuck, b"hi", |_| {})
        .unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::WriteZero);
}

#[test]
fn edges_pause_after_each_chunk_and_never_write_an_empty_one() {
    let shown = |len: usize| {
        let mut sink = Recorder(Vec::new());
        let edges = FragmentPlan {
            edges: 2,
            delay: Duration::from_millis(10),
            ..plan(Chunks::Fixed(3), 0)
        };
        Fragmenter::new(edges)
            .write(&mut sink, &vec![b'x'; len], |_| {})
            .unwrap();
        sink.0
            .iter()
            .map(|w| {
                if w.is_empty() {
                    "p".to_string()
                } else {
                    w.len().to_string()
                }
            })
            .collect::<Vec<_>>()
            .join(" ")
    };
    // Head and tail meet: no middle, so no pause for one.
    assert_eq!(shown(12), "3 p 3 p 3 p 3 p");
    assert_eq!(shown(7), "3 p 3 p 1 p");
    assert_eq!(shown(13), "3 p 3 p 1 p 3 p 3 p");
}
