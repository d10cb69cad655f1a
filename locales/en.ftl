# The lesson's words in English: the fallback for every message.
#
# Each message has an id (left of `=`) that the code names, and may take
# arguments (`{ $n }`). A number argument picks a plural form:
#   { $n -> [one] 1 byte *[other] { $n } bytes }
# An argument that is a count of bytes is given already said (`13 bytes`,
# `13바이트`), from the message `bytes`.
# The Korean catalogue, ko.ftl, has the same ids (a test holds them alike).

## Counts

bytes = { $n ->
    [one] 1 byte
   *[other] { $n } bytes
}

## The timeline (terminal): one row per call

col-client = client
col-server = server
col-server-steps = server, [N] = step N in the chapter
ev-connect = connect
ev-refused = connect: refused
ev-connect-waits = connect… waits: queue full
ev-connect-retried = connect returns (SYN resent)
ev-socket = socket()
ev-bind = bind()
ev-listen = listen(backlog { $backlog })
ev-setup = socket, bind, listen({ $backlog })
ev-close-listener = close(server): listener closed
ev-close-client = close(client)
ev-accept = accept: c{ $client }
ev-write = write { $n } B @{ $at }
# A read in two parts, the call and what it returned: a page hides the
# second until it is revealed.
ev-read-call = read({ $asked })
ev-read-result = → { $n } B @{ $at }
ev-queued = [queued { $n }]
ev-queued-short = q{ $n }
ev-segments = { $n ->
    [0] [no segment]
    [one] [1 segment]
   *[other] [{ $n } segments]
}
ev-segments-held = [held back]
ev-segments-held-short = held
ev-segments-short = { $n ->
    [0] 0seg
   *[other] { $n }seg
}
legend-queued = q4: 4 bytes in the reader's receive queue as its read began
legend-segments = 2seg: the data segments a write's bytes left in (held: none yet, held back in its send queue)
ev-eof-call = read
ev-eof-result = → 0 B: end of stream
ev-shutdown = shutdown(write): FIN
ev-pause = (pause { $ms } ms)
ev-pause-late = (reads late: waits { $ms } ms)
ev-close = close
ev-close-unread = close, { $unread } B unread: RST
ev-cut = cut (FIN) after { $after } B, as configured
ev-reset = reset (RST) after { $after } B, as configured
ev-dropped = dropped: idle { $secs } s
ev-error = error: { $message }
ev-reply-ok = ✓ reply { $round }:
ev-reply-bad = ✗ reply { $round }:
note-stalled = ✗ reply { $round }: would wait forever
note-no-reply = ! reply { $round }: { $why }
note-bad-reply = ✗ reply { $round }: { $why }
note-round-failed = ✗ round { $round }: { $error }
ev-error-call = { $call } failed: { $message }

## What went wrong in a socket call

err-refused = connection refused: nothing listens there
err-reset = the peer reset the connection (RST)
err-broken-pipe = broken pipe: the peer had closed
err-aborted = connection aborted
err-timed-out = timed out

## How a reply turned out

outcome-intact = intact
outcome-wrong = wrong reply
outcome-stalled = would wait forever
outcome-closed-mid-message = peer closed mid-message
outcome-closed = peer closed the connection
outcome-loops-forever = read returned 0: would loop forever
outcome-overflows = would overflow the buffer by { $n ->
    [one] 1 byte
   *[other] { $n } bytes
}
outcome-failed = { $error }

## The proxy's own rows

proxy-accepted = accepted { $peer }
proxy-accept-failed = accept failed ×{ $count } in { $secs } s: { $error }
proxy-accept-error = accept failed: { $error }
proxy-rows-dropped = { $n } rows left out: the console did not keep up
proxy-loop = refused a connection from { $peer }: it is this proxy's own, come back (--to leads to this proxy)
proxy-no-thread = refused: no thread could be started for it ({ $error })
proxy-full = refused ×{ $count } in { $secs } s: { $max } connections open, the most --max-connections allows
proxy-no-memory = refused a connection from { $peer }: no memory for its buffers
proxy-closed = connection closed
proxy-cut = closed after { $n }, as configured
proxy-reset = reset after { $n }, as configured
proxy-short-write = the kernel took { $n } of the { $of }; the rest goes in the next write

## How a stream is split and paced

plan-whole = whole writes
plan-fixed = chunks of at most { $n }
plan-random = random chunks of { $range } bytes
plan-pause = { $burst ->
    [1] , { $ms } ms pause after each
   *[other] , { $ms } ms pause after each { $burst } in a row
}
plan-random-pause = { $burst ->
    [1] , a random pause of 0-{ $ms } ms after each
   *[other] , a random pause of 0-{ $ms } ms after each { $burst } in a row
}
plan-seed = { " " }(seed { $seed })

## A shape in words (`Shape::describe`): scenarios, the echo server, the proxy

shape-reads-late = reads late: waits { $ms } ms before each read
shape-cut-after = closes the connection after { $n }
shape-reset-after = resets the connection (RST) after { $n }
shape-stall = each reply held back half way: the rest { $ms } ms after the first half is read
shape-split = each buffer split once after { $n }
server-shaping = shaping: { $words }

## A scenario's script (`show`, pages)

step-send = client { $client } sends { $messages } and reads the replies
step-write = client { $client } writes { $messages } (replies read later)
step-read = client { $client } reads the replies it is owed
step-pause = client { $client } waits { $ms } ms
step-connect = client { $client } connects
step-connect-refused = client { $client } connects, expecting to be refused
step-connect-waits = client { $client } connects, expecting to wait: the listen queue is full
step-quit = client { $client } quits

## Verdicts

verdict-intact = intact
verdict-broken = broken
verdict-detected = detected

## What a scenario checks besides the replies

check-served-in-turn = client { $client } was accepted only after the server closed client { $before }
check-could-not-connect = client { $client } could not connect: { $error }
check-refused = client { $client } was refused: nothing listens any more
check-not-refused-error = client { $client } should have been refused, but: { $error }
check-not-refused = client { $client } should have been refused, but it connected
check-connected-at-once = client { $client } connected at once: its connection waits in the listen queue
check-waits = client { $client }'s connect waits: the queue is full, so the kernel dropped its SYN
check-connect-retried = client { $client }'s connect returned after { $secs } s, when a resent SYN found room in the queue
check-not-waited = client { $client } should have waited on a full queue, but connected at once
check-waited = client { $client } should have connected at once, but its connect waited: the listen queue was full
check-book-ended-status = the book's { $program } ended with status { $code }, not by Q
check-book-ended-signal = the book's { $program } was ended by signal { $signal }
check-server-failed = the server failed: { $error }
buffer-size = { $who } { $name }: asked for { $asked } bytes, the kernel reports { $actual }
buffer-size-own = { $name }: asked for { $asked } bytes, the kernel reports { $actual }

## A scenario's set-up (`show`, `run`, pages)

server-cannot-run = cannot run: { $error }
server-iterative = iterative echo server, read buffer { $buffer } bytes, { $clients ->
    [0] serves any number of clients
    [one] serves 1 client
   *[other] serves { $clients } clients
}
server-nodelay = TCP_NODELAY on: each write leaves at once
sndbuf-asked = SO_SNDBUF asked: { $n } bytes
rcvbuf-asked = SO_RCVBUF asked: { $n } bytes
client-buffer = read buffer { $n } bytes
client-book-c = the book's program, compiled from book/echo_client.c, run traced: one read(1023) a message
client-nodelay = TCP_NODELAY on
pauses-not-waited = (the pauses are not waited here: at each one the conductor lets the other side run, which is all a pause is for; `run --pace` waits them)

## `show`

show-script = script
show-expected = expected
show-point-at = what to point at

## `run`: the rounds side by side, the verdicts

timeline-of = timeline, { $reader } reader
timeline-of-book-c = timeline, the book's echo_client.c
server-book-c = the book's program, compiled from book/echo_server.c, run traced: one read(1024) and its write at a time, five clients
note-book-server-loopback = bind(INADDR_ANY) held to 127.0.0.1, loopback only
note-printed = prints: { $text }
note-typed = is typed: { $text }
note-book-server-waits = waits in accept() for a client the script does not bring: ended here
console-of-book-c = echo_client's terminal (each message typed for it, then Q):
console-of-book-server = what echo_server printed:
step-keys = Enter: next row · q: quit
rounds-round = round
rounds-sent = sent
cell-ok = ok
cell-stalled = would wait forever
cell-stalled-short = waits forever
cell-stalled-shortest = stalls
cell-cut = closed mid-message
cell-cut-short = closed mid-msg
cell-cut-shortest = cut
cell-closed = closed
cell-loops = loops forever
cell-loops-short = loops
cell-overflows = overflows by { $n }
cell-overflows-short = overflows
cell-error = error (see above)
cell-error-short = error
rounds-waited = client { $client } waited { $ms } ms for reply { $round } (the server was busy with another client)
verdicts-reader = reader
verdicts-result = result
verdicts-predicted = predicted
verdicts-prediction = prediction
verdicts-held = held
verdicts-failed = failed
summary = summary
summary-as-expected = { $reader }={ $verdict }
summary-not-expected = { $reader }={ $verdict }
all-as-expected = every verdict as expected
not-all-as-expected = some verdicts were not as expected
wait-syn = waiting for the kernel to resend c{ $client }'s SYN (about 1 s)…
wait-pause = waiting while c{ $client } pauses { $ms } ms…
no-scenario = no scenario named '{ $name }' (try one of: { $names })

## The lesson pages: one sentence per step

who-the-client = the client
who-client = client { $n }
page-lane-clients = clients { $list }
who-the-server = the server
who-server-connection = the server (connection { $n })
part-all = all of message { $m }
part-first = { $k ->
    [one] the first byte of message { $m }
   *[other] the first { $k } bytes of message { $m }
}
part-last = { $k ->
    [one] the last byte of message { $m }
   *[other] the last { $k } bytes of message { $m }
}
part-byte = byte { $at } of message { $m }
part-bytes = bytes { $from }-{ $to } of message { $m }
part-and = { " " }and{ " " }
say-connect = { $who } connects: connect() returns as soon as the kernel has completed the handshake, whether or not the server has called accept() yet.
say-connect-waits = { $who } calls connect(), but the server's listen queue is full: the kernel drops the handshake's first packet (SYN), and connect() does not return. It is not refused: { $who }'s kernel sends the SYN again about a second later, then after 2 s more, 4 s more…
say-connect-retried = { $who }'s connect() returns at last: the server has accepted a connection since, so a resent SYN found room in the queue.
say-socket = Step 1 of the chapter: the server creates a TCP socket with socket(). It has no address yet.
say-bind = Step 2: bind() gives the socket its address: the IP address and port clients will connect to.
say-listen = Step 3: listen() makes it a listening socket with a backlog of { $backlog }. From now on the kernel completes handshakes by itself and queues the connections for accept(): Linux queues { $queue }, one more than the backlog. Steps 4 to 6 (accept, read/write, close) then repeat for each client.
say-close-listener = Step 7: the server has served all its clients and closes its listening socket with close(server). Connections still in its queue are reset, and a client that connects now is refused: nothing listens on the port any more.
say-refused = { $who }'s connect() is refused: the kernel answers with a reset (RST).
say-accept = The server's accept() returns { $client }'s connection, which was waiting in the listen queue.
say-write = { $who } calls write() once with { $n }: { $bytes }.
say-segments = { $n ->
    [0] Its kernel has not sent them yet.
    [one] Its kernel sent them in one segment (of at most { $mss }), as measured.
   *[other] Its kernel sent them in { $n } segments (of at most { $mss } each), as measured.
}
say-unsent = { $n } wait unsent in its send queue: the reader's receive window has no room for them yet.
say-unsent-nagle = { $n } wait unsent in its send queue: Nagle's algorithm (no TCP_NODELAY) holds a small write while { $unacked } sent earlier are not yet acknowledged.
say-read = { $who }'s read({ $asked }) returns the { $n } that have arrived: { $bytes }.
say-read-asked = { $who }'s read({ $asked }) returns { $n }, as many as it asked for: { $bytes }.
say-queued-all = Just before the call, the kernel's receive queue held { $held }: the read took all of it.
say-queued-more = Just before the call, the kernel's receive queue held { $held }: { $left } stay there for the next read.
say-queued-less = Just before the call, the kernel's receive queue held { $held }: the read waited, and took what arrived meanwhile too.
page-queued = queued { $n } B
page-segments-held = held back
page-segments = { $n ->
    [0] no segment
    [one] 1 segment
   *[other] { $n } segments
}
say-read-coalesced = { $writes } separate writes arrive as one read.
say-read-naive = The naive client does one read per message and takes them as the whole reply.
say-read-whole = The { $reader } reader now has the whole of reply { $round }.
say-read-again = The { $reader } reader does not have a whole reply yet: it reads again.
say-eof = { $who }'s read() returns 0: the other side has closed; no more bytes will come.
say-shutdown = { $who } shuts down its writing side: a FIN tells the peer no more bytes will come; it can still read.
say-pause-late = { $who } waits { $ms } ms before reading, so separate writes pile up in its receive buffer.
say-pause-server = The server pauses { $ms } ms before its next write: time for the reader to read what has arrived so far.
say-pause = { $who } pauses { $ms } ms.
say-close-server = The server closes { $client }'s socket, then goes back to accept().
say-close-server-last = The server closes { $client }'s socket. That was its last client: its loop ends, and close(server) comes next.
say-close = { $who } closes its socket.
say-close-unread = { $who } closes its socket with { $n } it never read: the kernel answers with a reset (RST) instead of a FIN.
say-error = { $who }'s call fails: { $error }.
say-error-call = { $who }'s { $call }() fails ({ $code }): { $why }.
say-book-loop-on-error = Here this server closes the connection; the book's loop would not: its read() returns -1, which is not 0, so while((strLen = read(...)) != 0) goes on, calling write() with -1 and read() again.
say-why-broken-pipe = { $peer } had already closed the connection
say-why-reset = { $peer } reset the connection (RST)
say-why-refused = nothing listens at that address
say-peer-client = the client
say-cut = The server hangs up after echoing { $n }, in the middle of a reply, as configured: a FIN, as if the reply had ended.
say-reset = The server hangs up after echoing { $n }, in the middle of a reply, as configured: a reset (RST).
say-dropped = The server drops { $who }: it sent nothing for { $secs } s.
say-reply-ok = Reply { $round } is right: the { $reader } reader returned exactly the { $n } that were sent.
say-reply-bad = Reply { $round } is wrong: the { $reader } reader returned { $got } ({ $got_n }) for { $sent } ({ $sent_n }).
say-note = { $who }: { $text }.
say-stalled = { $who }: { $text }. The real program would block in read() here, waiting for bytes that never come; the run stopped it here so that the lesson goes on.
page-diagram-label = Sequence diagram of the { $reader } reader's run: one box per call, time going down
ribbon-up = { $client } → server: the bytes as { $client } wrote them (marked above) and as the server read them (marked below)
ribbon-down = server → { $client }: the echo as the server wrote it (marked above) and as { $client } read it (marked below)
ribbon-label = { $caption }: { $n } in { $writes } writes and { $reads } reads
ribbon-message = message { $m }: { $n }
ribbon-mark-write = write { $i }
ribbon-mark-read = read { $i }
ribbon-mark-title = { $label }: event { $seq }, bytes { $from }-{ $to }

## The lesson pages: headings, controls, tables

page-nav = lesson
page-all-scenarios = all scenarios
page-no-run = no run
page-about = the scenario
page-setup = Set-up
page-script = Script
page-setup-script = Set-up and script
page-point-at = For the teacher: what to point at
page-results = results
page-replies = Replies, reader by reader
page-verdicts = Verdicts
page-made-by = Made by
page-keys = Keys (a clicker's too): → Space PageDown next step, ← PageUp previous, Home first, End last.
page-reader = The { $reader } reader
page-first-step = first step
page-first = First
page-previous-step = previous step
page-previous = Previous
page-next-step = next step
page-next = Next
page-play = Play
page-pause = Pause
page-speed = speed
page-slow = slow
page-normal = normal
page-fast = fast
page-step-label = moment in the run
# The stepping script fills in {n} and {last} (not Fluent's arguments).
page-diagram-caption = Time goes down. Each box is one call; the bands carry each write's bytes to the read that got them, coloured by message (tags:
page-tag-whole = a whole message
page-tag-start = its start
page-tag-end = its end
page-reader-naive = one read per message, as the book's client
page-reader-book-c = the book's program itself, compiled from book/echo_client.c and run: each box on the client's side is one of its own calls, held until its turn (one read per message, as naive)
page-program-book-c = The book's echo_client.c
page-trace-book-c = the book's program itself, compiled from book/echo_client.c and run traced: each box on the client's side is one of its own calls
page-trace-lesson = Its socket calls, traced as it ran: each read with the size it asked for and what it got, each write with what it gave. Step through them with the keys below.
page-console-book-c = echo_client's terminal (each message typed for it, then Q)
page-console-book-server = What echo_server printed (its message is not ended by a NUL: printf shows what its buffer held)
page-reader-exact = reads until as many bytes as were sent
page-reader-line = reads through the next newline (\n)
page-reader-length = a 4-byte length first, then that many bytes
page-reader-book = the book's fix: read(BUF_SIZE - 1) until as many bytes as were sent
page-legend-at = where the call's bytes start in the stream (20 bytes came before them);
page-legend-header = a length header the length reader sends and reads, decoded: 6 bytes follow.
page-bytes-in-order = The bytes in order
page-round = client { $client }, #{ $round }
page-right = right
page-wrong = wrong: “{ $got }”
page-closed-mid-message = error: peer closed mid-message
page-closed = closed before the reply
page-error = error: { $error }
index-title = TCP has no message boundaries
index-lesson = One write() is not one read(). Each page below is a real run of an echo server and a client, drawn so you can see which write's bytes went into which read.
index-surprise = (a verdict was not as predicted)
index-page-title = tcp-boundary · the lesson
page-predict = Predict, then reveal
page-predict-help = Each read's result stays hidden until the next click, so the class can guess first.
page-predict-ask = { $who } calls read({ $asked }). What will it return? Next shows it.
page-side = the receive queues and the code
page-queues = The kernel's queues, as measured (at a read: just before it)
page-queue-of = { $who }'s receive queue
page-queue-server-on = the server's receive queue for client { $n }
page-queue-waiting = { $n } waiting
page-queue-unmeasured = not measured yet
page-queue-closed = closed
page-queue-discarded = closed with { $n } unread: discarded, and a reset (RST) sent to the peer
page-queue-no-connection = no connection yet
page-queue-syn-dropped = no connection: its first packet (SYN) was dropped, the listen queue being full
page-queue-refused = no connection: refused, nothing listens any more
page-queue-connection-of = { $who }'s connection
page-send-queue-of = { $who }'s send queue
page-send-queue-server-on = the server's send queue for client { $n }
page-send-queue-waiting = { $unsent } not sent yet, { $n } in all (the rest sent, kept until acknowledged)
page-queue-listen = the server's listen queue
page-queue-listen-waiting = { $n } waiting for accept(), room for { $room }
page-queue-listen-who = client { $n }
page-queue-listen-who-bytes = client { $n } ({ $bytes } already in its receive queue)
page-queue-listen-closed = closed: nothing listens any more
page-code-server = The book's server, echo_server.c
page-code-client = The book's client, echo_client.c
page-code-loop = The { $reader } reader's loop, written in the book's style of C
page-code-listen = This run calls listen() with a queue of { $backlog }; the book's code asks for { $book }.

## What the commands say when they are done

wrote-page = wrote { $page }
wrote-site = wrote { $index } and { $pages } scenario pages; open it in a browser
repeat-line = { $runs } runs: { $expected } as expected, { $same } with the same timeline
error-word = error


## `echo-server`: its own lines (the book's console text stays the book's)

console-cut = client { $client } ({ $peer }): cut after { $n }, as configured
console-reset = client { $client } ({ $peer }): reset after { $n }, as configured
console-idle = client { $client } ({ $peer }): sent or read nothing for { $secs } s, dropped
console-failed = client { $client } ({ $peer }): { $error }

## `check`: a client under every shape

chk-checking = checking: { $command }
chk-against = against:  { $server }
chk-server-ours = tcp-boundary's echo server, through a shaping proxy
chk-server-at = the server at { $addr }, through a shaping proxy
chk-col-shape = shape
chk-col-seed = seed
chk-col-result = result
chk-col-time = time
chk-pass = ✓ pass
chk-fail = ✗ FAIL
chk-all-as-expected = every shape as expected: the client frames its messages
chk-failed = ✗ { $shape }: { $reason }
chk-failed-seed = ✗ { $shape } (seed { $seed }): { $reason }
chk-shaped = shaped: { $line }
chk-last-output = the client's last output:
chk-reproduce = reproduce: { $command }
chk-untraced = note: the client ran untraced (--untraced), so bytes it left unread in its kernel when it closed are not counted (only those still on their way)
chk-untraceable = note: this machine does not let check trace the client, so bytes it left unread in its kernel when it closed are not counted (only those still on their way)
chk-broke = { $n } of { $runs } runs failed
chk-hung = nothing moved either way for { $secs } s while it ran: killed (a hang); not yet delivered: { $up } to the server, { $down } to the client
chk-too-slow = too slow for this shape: still running after { $secs } s, bytes still moving; not yet delivered: { $up } to the server, { $down } to the client
chk-never-connected = the client never connected
chk-not-connected-yet = the client had not connected after { $secs } s (--timeout): killed
chk-sent-nothing = the client connected but sent nothing
chk-blamed = whose reads broke: { $who }
chk-blame-client-ours = the client's (the echo server reads every byte)
chk-blame-client = the client's: replies shaped alone break it
chk-blame-server = the server's: requests shaped alone break it
chk-blame-both = both: requests and replies shaped together break it
chk-reply-wrong = reply { $n } was { $got }, not the message { $want }
chk-stopped-at-cut = no wrong reply; stopped after reply { $n }, as it must when the reply is cut
chk-no-reply = no reply to message { $n } ({ $want })
chk-invented = printed every reply whole though the reply was cut: impossible unless it invented bytes
chk-all-replies = { $n ->
    [one] the reply right
   *[other] all { $n } replies right
}
chk-exit-ok = exit status 0
chk-unread = ended with { $n } of { $of } reply bytes never read
chk-exit-bad = exit status { $code } (0 expected)
chk-signalled = killed by { $signal }
chk-exit-ok-cut = exit status 0 though the reply was cut mid-way: it took part of a reply for the whole
chk-exit-noticed = exit status { $code }: it noticed the cut
chk-signalled-cut = ended by { $signal }: it did not take the cut reply
chk-sizes-more = { $sizes }+… ({ $n } chunks)
chk-shaped-up = client → server: the client's bytes read as { $read }, passed on as { $written }
chk-shaped-down = server → client: the server's bytes read as { $read }, passed on as { $written }
chk-shaped-reply = reply { $n } ({ $size ->
    [one] 1 byte
   *[other] { $size } bytes
}) reached the client as { $sizes } bytes
chk-shaped-reply-ended = reply { $n } ({ $size ->
    [one] 1 byte
   *[other] { $size } bytes
}) reached the client as { $sizes } bytes, then the connection ended

srv-against = { $n ->
    [one] our client, sending 1 request whole, then shaped
   *[other] our client, sending { $n } requests whole, then shaped
}
srv-all-as-expected = every shape as expected: the server frames its requests
srv-same-replies = the same replies as the requests sent whole
srv-sweep-ok = the same replies at every split point tried: { $covered }
srv-split-broke = request { $request } split after byte { $at } ({ $marked }): { $why }; split points tried: { $covered }, { $failed } of them fail
srv-points-all = all { $points }
srv-points-at = the one asked for (--at)
srv-progress = split: { $done } of { $of } points
srv-points-some = { $tried } of { $points } (the first and last bytes, around delimiters and powers of two, and a sample of seed { $seed }; --every-point for all)
srv-points-limit = { $tried } of { $points } (the run limit of { $secs } s reached)
srv-points-failed = { $tried } of { $points } (the sweep counts on for 2 s after its first failure)
srv-replies-vary = replies vary between runs (reply { $n }, bytes { $from }-{ $to }) though the requests were sent whole: use --ignore REGEX for the part that varies
srv-reply-differs = reply { $n } was { $got }, not { $want } as when sent whole
srv-no-reply = no reply { $n } within { $secs } s: { $got } of its { $want } bytes came
srv-closed-mid-reply = the server closed the connection { $got } bytes into reply { $n } (of { $want })
srv-io = the connection failed: { $error }
srv-died = the server { $how } during the { $shape } run
srv-last-output = the server's last output:
srv-died-after = the server { $how } after { $sent }
srv-sent-split = request { $request } split after byte { $at } ({ $marked })
srv-sent-cut = a request cut after byte { $at } and closed
chk-split-broke = each reply split after byte { $at }: { $why }; { $failed } of { $points } split points fail
chk-sweep-ok = every reply whole at each of { $points } split points
chk-sweep-none = a first reply of { $n } bytes has no byte to split after
chk-upstream-refused = the upstream server refused the proxy's connection: it is not serving any more
proxy-listening = listening on { $local }, forwarding to { $to }
proxy-down = downstream (server → client): { $words }
proxy-up = upstream (client → server): { $words }
proxy-as-read = passed on as read
proxy-left = client side (cN: client N)
proxy-right = server side (sN: its server end)
proxy-stopped = { $n ->
    [one] proxy stopped after 1 connection
   *[other] proxy stopped after { $n } connections
}

trace-not-kept = the call moved { $n }; its first { $kept } are shown
trace-tracing = tracing: { $command }
trace-against = against: tcp-boundary's echo server at { $addr }
trace-no-calls = it made no call on a TCP socket: nothing to show
trace-exited = it exited with status { $code }
trace-signalled = it was killed by { $signal }
trace-limit = it was still running at its limit (--limit): ended
chk-calls = its last socket calls (--trace):
trace-waiting = still in { $call }({ $asked }) when it ended: waiting for bytes that never came
trace-peek = peeked at { $n } (MSG_PEEK), left in the queue: { $bytes }
trace-moved = { $call } moved { $n } by the kernel, not through the program: its bytes are not shown
trace-shut-read = shutdown(read): it will read no more (no FIN is sent)
trace-closed-at-exit = its process ended: the kernel closes what it left open
trace-interrupted = trace was interrupted: the program was ended
trace-thrown = took { $n } and threw them away (MSG_TRUNC)
page-code-experiment-server = write(clientSock, chunk, n); /* experiment, not in the book: the echo in chunks */
page-code-experiment-client = write(sock, next, n); /* experiment, not in the book: written before the reply is read */
chk-read-part = that read took bytes { $from }-{ $to } of reply { $reply }, which has { $of }
chk-read-across = that read took parts of { $replies } replies at once, from reply { $reply } on

## The book's own programs in a scenario (`run --client book-c`, `--server book-c`): why one cannot play it

book-c-client-buffer = { $name }'s client reads with a buffer of { $n } bytes; the book's echo_client.c reads into one of { $book } (buffer_size)
book-c-client-sets = { $name }'s client sets { $key }, which the book's echo_client.c does not do
book-c-clients = { $name } has more than one client; the book's echo_client.c is one connection
book-c-after-quit = { $name }'s client goes on after it quits; the book's echo_client.c ends when it is typed Q
book-c-not-a-line = { $name } sends a message that is not one line of text; the book's echo_client.c reads what it sends with fgets, a line at a time
book-c-too-long = { $name } sends a message of { $n } bytes; the book's echo_client.c reads at most { $most } of a line
book-c-quit = { $name } sends { $q }, which the book's echo_client.c takes as quit
book-c-two-writes = { $name } writes two messages before it reads; the book's echo_client.c writes one and reads once
book-c-steps = { $name } writes and reads in steps of their own; the book's echo_client.c reads once right after each write
book-c-connect = { $name } expects a connect to wait or be refused; the book's echo_client.c gives up at once (connect () error!)
book-c-reader = --client book-c reads as the book's echo_client.c does, one read a message: that is --reader naive
book-c-switches = the shaping switches shape the server's reads or writes; the book's echo_server.c reads when a client writes and writes back what each read returned, at once
book-c-server-shapes = { $name }'s server shapes what it reads or sends (its chunks, pauses, late reads, cuts, TCP_NODELAY or socket buffers); the book's echo_server.c reads when a client writes and writes back what each read returned, at once
book-c-server-buffer = { $name }'s server reads with a buffer of { $n } bytes; the book's echo_server.c reads into one of { $book } (buffer_size)
book-c-server-backlog = { $name }'s server listens with a backlog of { $n }; the book's echo_server.c calls listen(servSock, { $book }) (backlog)
book-c-server-clients = { $name }'s server serves { $clients ->
    [0] any number of clients
   *[other] { $clients } clients
}; the book's echo_server.c serves { $book }, then exits (clients)
