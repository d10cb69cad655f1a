//! Which split points the split shape tries: every one of a short request,
//! a chosen set of a long one, so that the sweep ends in seconds whatever
//! the request, and says how much of it was covered.
//!
//! A server's framing breaks where its parser looks: at the first bytes (a
//! header, a length field), at the last (the end of a line, of a body), at a
//! delimiter, and at the powers of two a buffer or a length field is made of.
//! Those are tried for sure; a seeded sample covers the rest.

use rand::SeedableRng;
use rand::rngs::ChaCha8Rng;
use rand::seq::IndexedRandom;

/// A request this long or shorter is split at every byte.
pub const EVERY_POINT_UP_TO: usize = 512;
/// Of a longer request, every point this close to its start or its end.
pub const EDGE: usize = 64;
/// Of a longer request, at most this many points around its delimiters
/// (`\n`, `\r\n`, space): the first and the last half of them.
pub const DELIMITER_POINTS: usize = 256;
/// Of a longer request, this many more points drawn at random (seeded).
pub const SAMPLED: usize = 64;

/// The split points of the sweep: `(request, byte)` pairs, a split after
/// `byte` bytes of request `request` (from 0), in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Points {
    /// The points to try.
    pub chosen: Vec<(usize, usize)>,
    /// How many split points the requests have in all.
    pub total: usize,
    /// The seed of the sample; `None` when every point is tried.
    pub seed: Option<u64>,
}

/// The points of `requests`: all of them with `every`, else as the module
/// says, the sample drawn with `seed`.
pub fn choose(requests: &[Vec<u8>], every: bool, seed: u64) -> Points {
    let total = requests.iter().map(|r| r.len().saturating_sub(1)).sum();
    let mut chosen = Vec::new();
    let mut sampled = false;
    for (r, request) in requests.iter().enumerate() {
        let len = request.len();
        if every || len <= EVERY_POINT_UP_TO {
            chosen.extend((1..len).map(|k| (r, k)));
            continue;
        }
        sampled = true;
        let mut mine = vec![false; len];
        let mut take = |k: usize| {
            if (1..len).contains(&k) {
                mine[k] = true;
            }
        };
        // The edges: a header, a length field, the last bytes.
        (1..=EDGE).for_each(&mut take);
        (len - EDGE..len).for_each(&mut take);
        // Around each delimiter: just before it, and just after it.
        let delimiters: Vec<usize> = request
            .iter()
            .enumerate()
            .filter(|(_, b)| matches!(b, b'\n' | b'\r' | b' '))
            .map(|(i, _)| i)
            .collect();
        let half = DELIMITER_POINTS / 4;
        let around = match delimiters.len() > 2 * half {
            true => [&delimiters[..half], &delimiters[delimiters.len() - half..]].concat(),
            false => delimiters,
        };
        for i in around {
            take(i);
            take(i + 1);
        }
        // Where a power of two falls: a buffer's size, a length's width.
        let mut power = 2;
        while power < len {
            for k in [power - 1, power, power + 1] {
                take(k);
            }
            power *= 2;
        }
        // A sample of the rest, the same for the same seed.
        let mut rng = ChaCha8Rng::seed_from_u64(seed.wrapping_add(r as u64));
        let rest: Vec<usize> = (1..len).filter(|&k| !mine[k]).collect();
        let sample: Vec<usize> = rest
            .sample(&mut rng, SAMPLED.min(rest.len()))
            .copied()
            .collect();
        for k in sample {
            mine[k] = true;
        }
        chosen.extend((1..len).filter(|&k| mine[k]).map(|k| (r, k)));
    }
    Points {
        chosen,
        total,
        seed: sampled.then_some(seed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_request_is_split_at_every_byte() {
        let p = choose(&[b"hello\n".to_vec(), b"ab".to_vec()], false, 1);
        assert_eq!(
            p.chosen,
            vec![(0, 1), (0, 2), (0, 3), (0, 4), (0, 5), (1, 1)]
        );
        assert_eq!((p.total, p.seed), (6, None));
    }

    #[test]
    fn a_long_request_is_split_at_its_edges_delimiters_powers_and_a_sample() {
        let mut request = vec![b'x'; 10_000];
        request[5000] = b'\n';
        request[7000] = b' ';
        let p = choose(&[request.clone()], false, 7);
        let ks: Vec<usize> = p.chosen.iter().map(|&(_, k)| k).collect();
        assert_eq!(p.total, 9999);
        assert_eq!(p.seed, Some(7));
        for k in (1..=64).chain(9936..10_000) {
            assert!(ks.contains(&k), "edge {k}");
        }
        for k in [
            5000, 5001, 7000, 7001, 255, 256, 257, 4095, 4096, 4097, 8191, 8192, 8193,
        ] {
            assert!(ks.contains(&k), "{k}");
        }
        // Each point once, in order, and a bounded number of them.
        assert!(ks.windows(2).all(|w| w[0] < w[1]));
        // 128 at the edges, 4 around the delimiters, 3 at each power of two
        // from 128 to 8192 (those below are at the edge already) and 65.
        let fixed = 128 + 4 + 3 * 7 + 1;
        assert_eq!(ks.len(), fixed + SAMPLED, "{ks:?}");
        // The same seed draws the same sample; another seed another one.
        assert_eq!(choose(&[request.clone()], false, 7), p);
        assert_ne!(choose(&[request.clone()], false, 8).chosen, p.chosen);
        // Every point when asked.
        assert_eq!(choose(&[request], true, 7).chosen.len(), 9999);
    }

    #[test]
    fn a_text_full_of_spaces_has_a_bounded_set_of_points() {
        let request: Vec<u8> = b"word ".repeat(13_000);
        let p = choose(&[request], false, 1);
        assert!(p.chosen.len() <= 2 * EDGE + DELIMITER_POINTS + 3 * 17 + SAMPLED);
    }
}
