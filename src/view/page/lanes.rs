//! The lanes of a page's sequence diagram: which client is drawn where.

use maud::{Markup, html};

use crate::event::{Event, Side};
use crate::lang::Lang;
use crate::tr;

/// The lanes of a sequence diagram: clients on the left, the server on the
/// right, room between them for the bands.
///
/// Idle lanes are folded: a client whose calls all come after another's
/// last call (five clients served in turn) is drawn in that client's lane,
/// so that the lanes are only as many as the clients alive at once and
/// their type stays large.
#[derive(Debug, Clone)]
pub struct Lanes {
    /// How many clients the run had.
    pub clients: usize,
    /// How many client lanes they are drawn in.
    pub lanes: usize,
    /// Client N's lane is `of[N - 1]`.
    of: Vec<usize>,
    /// The drawing's width: the pixels it takes beside the code at 1280 px,
    /// so that its type is drawn at the size asked.
    pub width: f64,
    /// The boxes' type size, in the drawing's units.
    pub font: f64,
    /// The language of the words in it.
    pub lang: Lang,
}

impl Lanes {
    const GAP: f64 = 8.0;

    /// Lanes for `clients` clients (at least one), each in a lane of its own.
    pub fn new(clients: usize, lang: Lang) -> Lanes {
        let clients = clients.max(1);
        Lanes::packed((0..clients).collect(), lang)
    }

    /// Lanes for the clients of `timeline`: a client whose first call comes
    /// after the last call of a lane's clients takes that lane.
    pub fn of_timeline(timeline: &[Event], clients: usize, lang: Lang) -> Lanes {
        let clients = clients.max(1);
        let mut span = vec![None::<(usize, usize)>; clients];
        for e in timeline {
            if let Side::Client(n) = e.side
                && (1..=clients).contains(&n)
            {
                let s = span[n - 1].get_or_insert((e.seq, e.seq));
                s.0 = s.0.min(e.seq);
                s.1 = s.1.max(e.seq);
            }
        }
        // Each lane's last call so far.
        let mut ends: Vec<usize> = Vec::new();
        let mut of = Vec::with_capacity(clients);
        for s in &span {
            let (first, last) = s.unwrap_or((usize::MAX, usize::MAX));
            match ends.iter().position(|&end| end < first) {
                Some(lane) if s.is_some() => {
                    ends[lane] = last;
                    of.push(lane);
                }
                _ => {
                    ends.push(last);
                    of.push(ends.len() - 1);
                }
            }
        }
        Lanes::packed(of, lang)
    }

    fn packed(of: Vec<usize>, lang: Lang) -> Lanes {
        let lanes = of.iter().max().map_or(1, |m| m + 1);
        Lanes {
            clients: of.len(),
            lanes,
            of,
            // The drawing as wide as its column at 1280 px (`.stage`, and
            // `.stage.many` for many lanes, beside a narrower column of
            // code): its units are pixels there.
            width: if lanes <= 2 { 752.0 } else { 852.0 },
            // Readable from the back of a room: no type under 18 px.
            font: if lanes <= 2 { 19.0 } else { 18.5 },
            lang,
        }
    }

    /// Whether more lanes than two, drawn beside a narrower column of code.
    pub fn many(&self) -> bool {
        self.lanes > 2
    }

    /// Client `n`'s lane.
    pub fn of_client(&self, n: usize) -> usize {
        self.of
            .get(n.saturating_sub(1))
            .copied()
            .unwrap_or(0)
            .min(self.lanes - 1)
    }

    /// Whether lane `i` holds several clients, whose boxes then say whose
    /// they are.
    pub fn shared(&self, i: usize) -> bool {
        self.of.iter().filter(|&&l| l == i).count() > 1
    }

    fn server_width(&self) -> f64 {
        match self.lanes {
            1 => 300.0,
            2 => 210.0,
            _ => 190.0,
        }
    }

    fn middle(&self) -> f64 {
        if self.lanes == 1 { 180.0 } else { 50.0 }
    }

    /// Lane `i`'s left edge and width (`lanes` is the server's lane).
    pub fn lane(&self, i: usize) -> (f64, f64) {
        let server = self.server_width();
        if i >= self.lanes {
            return (self.width - server, server);
        }
        let room = self.width - server - self.middle();
        let w = (room - Self::GAP * (self.lanes - 1) as f64) / self.lanes as f64;
        (i as f64 * (w + Self::GAP), w)
    }

    /// Lane `i`'s name: the server, the client, client 2, or the clients
    /// 1–5 that share it.
    pub fn name(&self, i: usize) -> String {
        if i >= self.lanes {
            return tr!(self.lang, "col-server");
        }
        if self.clients == 1 {
            return tr!(self.lang, "col-client");
        }
        let in_lane: Vec<usize> = (1..=self.clients)
            .filter(|&n| self.of_client(n) == i)
            .collect();
        match in_lane.as_slice() {
            [n] => tr!(self.lang, "who-client", n = *n),
            [first, .., last] if last - first + 1 == in_lane.len() => {
                tr!(
                    self.lang,
                    "page-lane-clients",
                    list = format!("{first}–{last}")
                )
            }
            all => tr!(
                self.lang,
                "page-lane-clients",
                list = all
                    .iter()
                    .map(usize::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }
}

/// The lanes' names over the diagram, in the bar that stays at the top of
/// the screen: each centred over its lane.
pub(super) fn lane_names(lanes: &Lanes) -> Markup {
    html! {
        div class=(if lanes.many() { "lanes many" } else { "lanes" }) aria-hidden="true" {
            div.names {
                @for i in 0..=lanes.lanes {
                    @let (x, w) = lanes.lane(i);
                    span.lane style=(format!("left: {:.2}%", 100.0 * (x + w / 2.0) / lanes.width)) { (lanes.name(i)) }
                }
            }
        }
    }
}
