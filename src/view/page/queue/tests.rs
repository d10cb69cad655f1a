use super::*;
use crate::event::measure::Ends;

fn ev(seq: usize, side: Side, what: What) -> Event {
    Event { seq, side, what }
}

fn q(recv_q: u64, send_q: u64, unsent: u64) -> Option<Queues> {
    Some(Queues {
        recv_q,
        send_q,
        unsent,
    })
}

fn m(seq: usize, client: Option<Queues>, server: Option<Queues>) -> Measure {
    Measure {
        seq,
        connection: Some(1),
        ends: Ends { client, server },
        listen: Some(ListenQueue {
            waiting: 0,
            backlog: 5,
        }),
        waiting: Vec::new(),
        segments: None,
        before: None,
    }
}

fn w(at: u64, b: &[u8]) -> What {
    What::Write {
        at,
        bytes: b.to_vec(),
    }
}

#[test]
fn two_writes_fill_the_queue_and_one_read_drains_it() {
    let timeline = vec![
        ev(1, Side::Client(1), What::Connect),
        ev(2, Side::Server, What::Accept { client: 1 }),
        ev(3, Side::Client(1), w(0, b"hello\n")),
        ev(4, Side::Client(1), w(6, b"world\n")),
        ev(
            5,
            Side::Server,
            What::Read {
                asked: 1024,
                at: 0,
                queued: Some(12),
                bytes: b"hello\nworld\n".to_vec(),
            },
        ),
        ev(6, Side::Client(1), What::Close { unread: 3 }),
    ];
    let measures = vec![
        m(1, q(0, 0, 0), q(0, 0, 0)),
        m(2, q(0, 0, 0), q(0, 0, 0)),
        m(3, q(0, 0, 0), q(6, 0, 0)),
        m(4, q(0, 0, 0), q(12, 0, 0)),
        m(5, q(0, 0, 0), q(0, 0, 0)),
        m(6, None, q(0, 0, 0)),
    ];
    let flow = Flow::of(&timeline, |_| vec![6, 6]);
    let steps = steps(&timeline, &measures, &flow, 1, Lang::En);
    let server = |n: usize| &steps[n - 1].bars[1];
    assert_eq!(server(1).value, Some(0));
    assert_eq!(server(3).value, Some(6));
    // As measured after the second write: both messages' colours, apart.
    assert_eq!(server(4).value, Some(12));
    assert_eq!(
        server(4).blocks,
        vec![Block(6, 0, Kind::Held), Block(6, 1, Kind::Held)]
    );
    // The read: the kernel's 12 bytes, all taken.
    assert_eq!(server(5).value, Some(12));
    assert!(server(5).blocks.iter().all(|p| p.2 == Kind::Taken));
    assert_eq!(server(5).blocks.iter().map(|p| p.0).sum::<u64>(), 12);
    // The client's queue: nothing echoed yet; once the client has
    // closed, no queue, and what it held discarded.
    assert_eq!(steps[4].bars[0].value, Some(0));
    assert_eq!(steps[5].bars[0].value, None);
    assert_eq!(
        steps[5].bars[0].said,
        "closed with 3 bytes unread: discarded, and a reset (RST) sent to the peer"
    );
    // One client: no listen queue drawn, no send queue (nothing unsent).
    assert!(steps.iter().all(|s| s.bars.len() == 2));
}

#[test]
fn bytes_held_back_in_a_send_queue_are_drawn_there_apart_from_the_copies() {
    let timeline = vec![
        ev(1, Side::Client(1), What::Connect),
        ev(2, Side::Server, What::Accept { client: 1 }),
        ev(3, Side::Server, w(0, &[b'x'; 100])),
    ];
    // 40 arrived (20 of them not yet acknowledged), 60 not sent.
    let measures = vec![
        m(1, q(0, 0, 0), q(0, 0, 0)),
        m(2, q(0, 0, 0), q(0, 0, 0)),
        m(3, q(40, 0, 0), q(0, 80, 60)),
    ];
    let flow = Flow::of(&timeline, |_| vec![100]);
    let steps = steps(&timeline, &measures, &flow, 1, Lang::En);
    assert_eq!(steps[1].bars.len(), 2);
    let bars = &steps[2].bars;
    assert_eq!(bars[0].value, Some(40));
    let send = &bars[2];
    assert_eq!(send.queue, "server_send");
    assert_eq!(send.value, Some(80));
    assert_eq!(
        send.blocks,
        vec![Block(20, 0, Kind::Copy), Block(60, 0, Kind::Unsent)]
    );
    assert_eq!(
        send.said,
        "60 bytes not sent yet, 80 bytes in all (the rest sent, kept until acknowledged)"
    );
}

#[test]
fn a_client_with_no_connection_has_no_queue_and_the_listen_queue_says_who_waits() {
    let timeline = vec![
        ev(1, Side::Client(1), What::Connect),
        ev(2, Side::Client(2), What::Connect),
        ev(3, Side::Client(3), What::ConnectWaits),
    ];
    let listen = |waiting| {
        Some(ListenQueue {
            waiting,
            backlog: 1,
        })
    };
    let unaccepted = |clients: &[usize]| {
        clients
            .iter()
            .map(|&client| Unaccepted {
                client,
                recv_q: Some(if client == 2 { 14 } else { 0 }),
            })
            .collect::<Vec<_>>()
    };
    let measures = vec![
        Measure {
            listen: listen(1),
            waiting: unaccepted(&[1]),
            ..m(1, q(0, 0, 0), q(0, 0, 0))
        },
        Measure {
            connection: Some(2),
            listen: listen(2),
            waiting: unaccepted(&[1, 2]),
            ..m(2, q(0, 0, 0), q(14, 0, 0))
        },
        Measure {
            connection: None,
            ends: Ends::default(),
            listen: listen(2),
            waiting: unaccepted(&[1, 2]),
            segments: None,
            before: None,
            seq: 3,
        },
    ];
    let flow = Flow::of(&timeline, |_| Vec::new());
    let steps = steps(&timeline, &measures, &flow, 3, Lang::En);
    let bars = &steps[2].bars;
    assert_eq!(steps[2].connection, 3);
    assert_eq!(bars.len(), 2, "{bars:?}");
    assert_eq!(bars[0].label, "client 3's connection");
    assert_eq!(bars[0].value, None);
    assert_eq!(
        bars[0].said,
        "no connection: its first packet (SYN) was dropped, the listen queue being full"
    );
    let listen = &bars[1];
    assert_eq!(listen.queue, "listen");
    assert_eq!(listen.value, Some(2));
    assert_eq!(
        listen.blocks,
        vec![Block(1, -1, Kind::Waiting), Block(1, -1, Kind::Waiting)]
    );
    assert_eq!(
        listen.said,
        "2 waiting for accept(), room for 2: client 1, client 2 (14 bytes already in its receive queue)"
    );
}

#[test]
fn a_queue_of_many_messages_is_drawn_in_a_few_blocks() {
    let stream = Stream {
        client: 1,
        direction: Direction::Up,
        writes: Vec::new(),
        reads: Vec::new(),
        messages: (0..30).map(|i| i * 2..i * 2 + 2).collect(),
    };
    let mut out = Vec::new();
    blocks(&stream, 0..60, Kind::Held, &mut out);
    assert_eq!(out.len(), MOST_BLOCKS);
    assert_eq!(out.iter().map(|p| p.0).sum::<u64>(), 60);
    assert_eq!(out[MOST_BLOCKS - 1].1, -1);
}
