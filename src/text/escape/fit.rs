//! Escaped bytes fitted to a width: whole when they fit, else their start
//! and their end around `…`; the headers of a length-prefixed stream shown
//! as `⟨13⟩`.

use super::for_each_unit;

/// The units of `bytes` as (bytes stood for, display text).
fn units(bytes: &[u8]) -> Vec<(usize, String)> {
    let mut units = Vec::new();
    for_each_unit(bytes, |u| units.push((u.len(), u.to_text())));
    units
}

/// A space at either end shown as `␣`: a reply of one space must not look
/// empty, nor a reply ending in one look like it ends before it.
fn with_edges(mut units: Vec<(usize, String)>) -> Vec<(usize, String)> {
    let last = units.len().saturating_sub(1);
    for i in [0, last] {
        if let Some(u) = units.get_mut(i).filter(|u| u.1 == " ") {
            u.1 = "␣".into();
        }
    }
    units
}

/// `bytes` escaped to fit `max` columns: whole if they fit, else their start
/// and their end with `…` between. Only the bytes near either end are looked
/// at, so showing a 64 KiB read costs no more than showing a short one.
/// Spaces at either end are shown as `␣`.
pub fn escape_fit(bytes: &[u8], max: usize) -> String {
    // Every unit takes at least one column and stands for at most a few
    // bytes (a character and its marks): this much of either end is enough.
    let window = 16 * (max + 1);
    if bytes.len() <= 2 * window {
        return fit_units(&with_edges(units(bytes)), max);
    }
    // The tail starts at the start of a character, so it is split as a whole
    // decoding would split it.
    let mut from = bytes.len() - window;
    while from > bytes.len() - window - 3 && (bytes[from] & 0xc0) == 0x80 {
        from -= 1;
    }
    let mut all = units(&bytes[..window]);
    // Never shown: `fit` elides the middle of anything this long.
    all.push((from - window, "…".into()));
    all.extend(units(&bytes[from..]));
    fit_units(&with_edges(all), max)
}

/// `units` (each the bytes it stands for and its display text) fitted to
/// `max` columns as [`escape_fit`] does.
pub fn fit_units(units: &[(usize, String)], max: usize) -> String {
    fit(units.len(), |i| units[i].1.clone(), max)
}

/// The `n` units `show(i)` gives, whole if they fit in `max` columns, else the
/// first and the last ones with `…` between. At most `max` units from each end
/// are looked at: every unit takes at least one column.
fn fit(n: usize, show: impl Fn(usize) -> String, max: usize) -> String {
    let width = |u: &str| unicode_width::UnicodeWidthStr::width(u);
    let mut full = String::new();
    let mut used = 0;
    for i in 0..n.min(max + 1) {
        let u = show(i);
        used += width(&u);
        full.push_str(&u);
    }
    if used <= max && n <= max {
        return full;
    }
    if max == 0 {
        return String::new();
    }
    let room = max - 1; // for the `…`
    let (mut head, mut tail) = (Vec::new(), Vec::new());
    let (mut head_w, mut tail_w) = (0, 0);
    let (mut i, mut j) = (0, n);
    // Take from the front and the back in turn, so both ends show.
    loop {
        let mut moved = false;
        if i < j {
            let u = show(i);
            if head_w + tail_w + width(&u) <= room && head_w <= tail_w {
                head_w += width(&u);
                head.push(u);
                i += 1;
                moved = true;
            }
        }
        if i < j {
            let u = show(j - 1);
            if head_w + tail_w + width(&u) <= room && tail_w < head_w {
                tail_w += width(&u);
                tail.push(u);
                j -= 1;
                moved = true;
            }
        }
        if !moved {
            break;
        }
    }
    tail.reverse();
    format!("{}…{}", head.concat(), tail.concat())
}

/// A header in a stream, as [`units_with_headers`] shows it: its size, and
/// the length it says (the format is the reader's, given by the caller).
#[derive(Debug, Clone, Copy)]
pub struct Header {
    /// How many bytes a header takes.
    pub size: usize,
    /// The length a header (exactly `size` bytes) says.
    pub length: fn(&[u8]) -> u64,
}

/// `bytes` as display units (each the bytes it stands for and its text),
/// with the headers of a length-prefixed stream decoded: `starts` are the
/// stream offsets where headers begin, `at` the offset of `bytes[0]`. A
/// header wholly inside `bytes` shows as `⟨13⟩`; one split by the edge of a
/// read shows as its raw bytes, as the reader saw them.
pub fn units_with_headers(
    bytes: &[u8],
    at: u64,
    starts: &[u64],
    header: Header,
) -> Vec<(usize, String)> {
    let mut units = Vec::new();
    // The bytes between headers, shown as text; each whole header decoded.
    let mut from = 0;
    let mut i = 0;
    while i < bytes.len() {
        if starts.contains(&(at + i as u64))
            && let Some(h) = bytes.get(i..i + header.size)
        {
            units.extend(self::units(&bytes[from..i]));
            units.push((header.size, format!("⟨{}⟩", (header.length)(h))));
            i += header.size;
            from = i;
            continue;
        }
        i += 1;
    }
    units.extend(self::units(&bytes[from..]));
    with_edges(units)
}
