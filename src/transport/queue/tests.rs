use super::*;
use std::io::{Read, Write};
use std::net::TcpListener;

#[test]
fn the_peer_s_receive_queue_holds_what_it_has_not_read() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let mut ours = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (mut theirs, _) = listener.accept().unwrap();
    let mut probe = PeerQueue::of(&ours).unwrap();
    assert_eq!(probe.waiting().unwrap(), Some(0));
    ours.write_all(b"hello, class").unwrap();
    // Loopback delivers within the write, but give the kernel a moment.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while inq(&theirs).unwrap() < 12 && std::time::Instant::now() < deadline {
        std::thread::yield_now();
    }
    assert_eq!(inq(&theirs).unwrap(), 12);
    assert_eq!(probe.waiting().unwrap(), Some(12));
    let mut got = [0u8; 5];
    theirs.read_exact(&mut got).unwrap();
    assert_eq!(probe.waiting().unwrap(), Some(7));
    let said = probe.ask().unwrap().unwrap();
    assert_eq!((said.unread, said.received), (7, Some(12)));
    assert!(said.held, "the peer's socket is open");
    drop(theirs);
}

#[test]
fn a_wait_for_the_peer_to_read_ends_as_the_peer_does() {
    use std::time::{Duration, Instant};
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let mut ours = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (mut theirs, _) = listener.accept().unwrap();
    let mut probe = PeerQueue::of(&ours).unwrap();
    let never = || false;
    ours.write_all(b"hello").unwrap();
    // Not read: the wait runs out (or a stop ends it at once).
    let soon = Instant::now() + Duration::from_millis(30);
    let waited = probe
        .wait_read(&ours, 5, soon, WhileWriting::Return, &never)
        .unwrap();
    assert_eq!(waited, PeerRead::NotReading);
    let far = Instant::now() + Duration::from_secs(10);
    let stopped = probe
        .wait_read(&ours, 5, far, WhileWriting::Return, &|| true)
        .unwrap();
    assert_eq!(stopped, PeerRead::NotReading);
    // Read on another thread while we wait: the wait ends with it.
    let reader = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(20));
        let mut got = [0u8; 5];
        theirs.read_exact(&mut got).unwrap();
        theirs
    });
    assert_eq!(
        probe
            .wait_read(&ours, 5, far, WhileWriting::Return, &never)
            .unwrap(),
        PeerRead::Read
    );
    let theirs = reader.join().unwrap();
    // More written than has arrived is not read yet.
    let soon = Instant::now() + Duration::from_millis(30);
    let waited = probe
        .wait_read(&ours, 6, soon, WhileWriting::Return, &never)
        .unwrap();
    assert_eq!(waited, PeerRead::NotReading);
    // Closed with a reset: gone, once the kernel has let go of the
    // socket (a moment after the close, on a busy machine: a CI run saw
    // it still there, everything read).
    crate::transport::net::reset(theirs).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let soon = Instant::now() + Duration::from_millis(5);
        match probe
            .wait_read(&ours, 5, soon, WhileWriting::Return, &never)
            .unwrap()
        {
            PeerRead::Gone => break,
            PeerRead::Read if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(1))
            }
            other => panic!("a peer closed with a reset is still there: {other:?}"),
        }
    }
}

#[test]
fn a_peer_blocked_writing_to_us_is_said_so_or_waited_on_as_asked() {
    use std::time::{Duration, Instant};
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let mut ours = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (theirs, _) = listener.accept().unwrap();
    let mut probe = PeerQueue::of(&ours).unwrap();
    ours.write_all(b"hello").unwrap();
    // The peer writes more than the buffers between us hold, and we do
    // not read: its send queue keeps bytes unsent.
    let writer = std::thread::spawn(move || {
        let mut theirs = theirs;
        let _ = theirs.set_write_timeout(Some(Duration::from_secs(10)));
        let _ = theirs.write_all(&vec![b'x'; 8 << 20]);
        theirs
    });
    let far = Instant::now() + Duration::from_secs(10);
    let deadline = Instant::now() + Duration::from_secs(10);
    while probe.ask().unwrap().is_none_or(|p| p.unsent == 0) {
        assert!(Instant::now() < deadline, "the peer never had bytes unsent");
        std::thread::sleep(Duration::from_millis(1));
    }
    let never = || false;
    assert_eq!(
        probe
            .wait_read(&ours, 5, far, WhileWriting::Return, &never)
            .unwrap(),
        PeerRead::Writing
    );
    // Waited on instead: it never reads ours, so the wait runs out.
    let soon = Instant::now() + Duration::from_millis(30);
    assert_eq!(
        probe
            .wait_read(&ours, 5, soon, WhileWriting::WaitOn, &never)
            .unwrap(),
        PeerRead::NotReading
    );
    // Let the writer finish: read what it wrote, then it ends.
    ours.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut sink = [0u8; 1 << 16];
    let mut got = 0;
    while got < 8 << 20 {
        got += ours.read(&mut sink).unwrap();
    }
    drop(writer.join().unwrap());
}

#[test]
fn a_peer_that_closed_cleanly_no_longer_holds_its_socket_and_one_that_left_bytes_unread_is_gone() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let ours = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (theirs, _) = listener.accept().unwrap();
    let mut probe = PeerQueue::of(&ours).unwrap();
    // Half-closed: still held by its process, which may read on.
    theirs.shutdown(std::net::Shutdown::Write).unwrap();
    assert!(probe.ask().unwrap().unwrap().held);
    // Closed with nothing unread: the kernel keeps it a while (FIN_WAIT),
    // held by no process.
    drop(theirs);
    let said = probe.ask().unwrap();
    assert!(said.is_none_or(|p| !p.held), "{said:?}");

    // Closed with bytes unread: the kernel resets the connection and
    // forgets the socket at once.
    let mut ours = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (theirs, _) = listener.accept().unwrap();
    let mut probe = PeerQueue::of(&ours).unwrap();
    ours.write_all(b"never read").unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while inq(&theirs).unwrap() < 10 && std::time::Instant::now() < deadline {
        std::thread::yield_now();
    }
    drop(theirs);
    assert_eq!(probe.ask().unwrap(), None);
    let mut buf = [0u8; 4];
    let e = ours.read(&mut buf).unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::ConnectionReset);
}
