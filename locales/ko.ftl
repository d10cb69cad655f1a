# 수업 화면에 나오는 말, 한국어판. 아이디(`=` 왼쪽)는 en.ftl과 같습니다.
#
# 용어는 교재의 것을 씁니다: 에코 서버, 에코 클라이언트, 연결요청 대기 큐,
# 데이터의 경계, 조각, 바이트. 함수 이름(read, write, accept, close)과
# 읽기 방식 이름(naive, exact, line, length)은 코드에 나오는 그대로 둡니다.
#
# 자리표시자 뒤의 조사는 두 꼴을 함께 씁니다: 을(를), 이(가), 은(는), 와(과), (으)로.
# 말할 때 앞 낱말의 받침에 맞는 하나가 남습니다 (src/lang/josa.rs).

## 개수

bytes = { $n }바이트

## 타임라인(터미널): 호출 하나에 한 줄

col-client = 클라이언트
col-server = 서버
col-server-steps = 서버, [N] = 교재의 N단계
ev-connect = connect
ev-refused = connect: 거부됨
ev-connect-waits = connect… 기다림: 큐가 가득 참
ev-connect-retried = connect 반환 (SYN 재전송)
ev-socket = socket(): 소켓 생성
ev-bind = bind(): 주소 할당
ev-listen = listen(대기 큐 { $backlog })
ev-setup = socket, bind, listen({ $backlog })
ev-close-listener = close(server): 서버 소켓(리스닝 소켓) 닫음
ev-close-client = close(client)
ev-accept = accept: c{ $client }
ev-write = write { $n } B @{ $at }
# A read in two parts, the call and what it returned: a page hides the
# second until it is revealed.
ev-read-call = read({ $asked })
ev-read-result = → { $n } B @{ $at }
ev-queued = [큐 { $n }]
ev-queued-short = 큐{ $n }
ev-segments = { $n ->
    [0] [세그먼트 없음]
   *[other] [세그먼트 { $n }개]
}
ev-segments-held = [붙잡힘]
ev-segments-held-short = 붙잡힘
ev-segments-short = { $n ->
    [0] 0세그
   *[other] { $n }세그
}
legend-queued = 큐4: read가 시작될 때 수신 큐에 있던 4바이트
legend-segments = 2세그: write의 바이트가 나간 데이터 세그먼트 수 (붙잡힘: 아직 없음, 송신 큐에 붙잡혀 있음)
ev-eof-call = read
ev-eof-result = → 0 B: 스트림의 끝
ev-shutdown = shutdown(write): FIN
ev-pause = ({ $ms } ms 대기)
ev-pause-late = (늦게 읽음: { $ms } ms 기다림)
ev-close = close
ev-close-unread = close, 안 읽은 { $unread } B: RST
ev-cut = 설정대로 { $after } B 뒤 끊음 (FIN)
ev-reset = 설정대로 { $after } B 뒤 리셋 (RST)
ev-dropped = 끊음: { $secs }초 동안 조용함
ev-error = 오류: { $message }
ev-reply-ok = ✓ 응답 { $round }:
ev-reply-bad = ✗ 응답 { $round }:
note-stalled = ✗ 응답 { $round }: 영원히 기다리게 됨
note-no-reply = ! 응답 { $round }: { $why }
note-bad-reply = ✗ 응답 { $round }: { $why }
note-round-failed = ✗ { $round }회차: { $error }
ev-error-call = { $call } 오류: { $message }

## 소켓 호출이 실패한 까닭

err-refused = 연결 거부됨: 그 주소에서 listen 하는 곳이 없음
err-reset = 상대가 연결을 리셋함 (RST)
err-broken-pipe = EPIPE: 상대가 이미 연결을 닫음
err-aborted = 연결이 중단됨
err-timed-out = 시간 초과

## 응답의 결과

outcome-intact = 온전함
outcome-wrong = 틀린 응답
outcome-stalled = 영원히 기다리게 됨
outcome-closed-mid-message = 메시지 중간에 닫힘
outcome-closed = 상대가 연결을 닫음
outcome-loops-forever = read가 0을 반환: 영원히 반복하게 됨
outcome-overflows = 버퍼를 { $n }바이트 넘쳐 쓰게 됨
outcome-failed = { $error }

## 프록시의 줄

proxy-accepted = { $peer } 연결 수락
proxy-accept-failed = accept 실패 ×{ $count } ({ $secs }초 동안): { $error }
proxy-accept-error = accept 실패: { $error }
proxy-rows-dropped = 행 { $n }개를 빠뜨림: 콘솔이 따라오지 못함
proxy-loop = { $peer }의 연결을 거절함: 이 프록시 자신의 연결이 되돌아옴 (--to가 이 프록시로 이어짐)
proxy-no-thread = 거절함: 이 연결에 쓸 스레드를 시작할 수 없음 ({ $error })
proxy-full = 연결 거절 ×{ $count } ({ $secs }초 동안): 연결 { $max }개가 열려 있음 (--max-connections가 허용하는 최대)
proxy-no-memory = { $peer }의 연결을 거절함: 버퍼에 쓸 메모리가 없음
proxy-closed = 연결 닫힘
proxy-cut = 설정대로 { $n } 뒤 끊음
proxy-reset = 설정대로 { $n } 뒤 리셋
proxy-short-write = 커널이 { $of } 중 { $n }만 받음: 나머지는 다음 write로 보냄

## 스트림을 조각내고 쉬는 방식

plan-whole = 조각내지 않은 write
plan-fixed = 최대 { $n }씩의 조각
plan-random = { $range }바이트 사이의 무작위 조각
plan-pause = { $burst ->
    [1] , 조각마다 { $ms } ms 대기
   *[other] , 조각 { $burst }개마다 { $ms } ms 대기
}
plan-random-pause = { $burst ->
    [1] , 조각마다 0-{ $ms } ms 무작위로 대기
   *[other] , 조각 { $burst }개마다 0-{ $ms } ms 무작위로 대기
}
plan-seed = { " " }(시드 { $seed })

## 모양을 말로 (`Shape::describe`): 시나리오, 에코 서버, 프록시

shape-reads-late = 늦게 읽음: read 전마다 { $ms } ms 기다림
shape-cut-after = { $n }을(를) 보낸 뒤 연결을 닫음
shape-reset-after = { $n }을(를) 보낸 뒤 연결을 리셋함 (RST)
shape-stall = 응답마다 절반에서 멈춤: 앞 절반을 읽고 { $ms } ms 뒤에 나머지를 보냄
shape-split = 버퍼마다 { $n } 뒤에서 한 번 나눔
server-shaping = 모양: { $words }

## 시나리오의 대본 (`show`, 페이지)

step-send = { $client }번 클라이언트: { $messages } 보내고 응답을 읽음
step-write = { $client }번 클라이언트: { $messages } 씀 (응답은 나중에 읽음)
step-read = { $client }번 클라이언트: 받아야 할 응답을 읽음
step-pause = { $client }번 클라이언트: { $ms } ms 기다림
step-connect = { $client }번 클라이언트: 연결
step-connect-refused = { $client }번 클라이언트: 연결, 거부될 것을 예상
step-connect-waits = { $client }번 클라이언트: 연결, 대기 큐가 가득 차서 기다릴 것을 예상
step-quit = { $client }번 클라이언트: 종료

## 판정

verdict-intact = 온전함
verdict-broken = 깨짐
verdict-detected = 오류로 알아챔

## 시나리오가 응답 말고 확인하는 것

check-served-in-turn = 서버가 { $before }번 클라이언트의 연결을 닫은 뒤에야 { $client }번 클라이언트를 accept 함
check-could-not-connect = { $client }번 클라이언트 연결 실패: { $error }
check-refused = { $client }번 클라이언트 거부됨: 이제 아무도 listen하지 않음
check-not-refused-error = { $client }번 클라이언트는 거부되어야 했지만: { $error }
check-not-refused = { $client }번 클라이언트는 거부되어야 했지만 연결됨
check-connected-at-once = { $client }번 클라이언트는 곧바로 연결됨: 그 연결은 연결요청 대기 큐에서 기다림
check-waits = { $client }번 클라이언트의 connect는 기다림: 큐가 가득 차서 커널이 SYN을 버림
check-connect-retried = { $client }번 클라이언트의 connect는 { $secs }초 뒤에 돌아옴: 다시 보낸 SYN이 큐에서 자리를 얻음
check-not-waited = { $client }번 클라이언트는 가득 찬 큐 때문에 기다려야 했지만 곧바로 연결됨
check-waited = { $client }번 클라이언트는 곧바로 연결되어야 했지만 connect가 기다림: 연결요청 대기 큐가 가득 차 있었음
check-book-ended-status = 교재의 { $program } 종료: Q 입력이 아니라 종료 코드 { $code }
check-book-ended-signal = 교재의 { $program } 종료: 시그널 { $signal }
check-server-failed = 서버 실패: { $error }
buffer-size = { $who } { $name }: { $asked }바이트를 요청, 커널이 알려 준 값은 { $actual }바이트
buffer-size-own = { $name }: { $asked }바이트를 요청, 커널이 알려 준 값은 { $actual }바이트

## 시나리오의 설정 (`show`, `run`, 페이지)

server-cannot-run = 실행할 수 없음: { $error }
server-iterative = Iterative 에코 서버, 읽기 버퍼 { $buffer }바이트, { $clients ->
    [0] 클라이언트 수 제한 없음
   *[other] 클라이언트 { $clients }개를 처리
}
server-nodelay = TCP_NODELAY 켬: write마다 바로 전송
sndbuf-asked = SO_SNDBUF 요청: { $n }바이트
rcvbuf-asked = SO_RCVBUF 요청: { $n }바이트
client-buffer = 읽기 버퍼 { $n }바이트
client-book-c = 교재의 프로그램 book/echo_client.c를 컴파일해 추적하며 실행: 메시지마다 read(1023) 한 번
client-nodelay = TCP_NODELAY 켬
pauses-not-waited = (이 실행에서는 대기 시간을 실제로 흘려보내지 않습니다: 대기는 그동안 상대편이 먼저 움직인다는 뜻일 뿐입니다. 실제 시간대로 보려면 `run --pace`)

## `show`

show-script = 진행 순서
show-expected = 예상 판정
show-point-at = 짚어 줄 곳

## `run`: 회차별 응답, 판정

timeline-of = 타임라인, { $reader } 읽기 방식
timeline-of-book-c = 타임라인, 교재의 echo_client.c
server-book-c = 교재의 프로그램 book/echo_server.c를 컴파일해 추적하며 실행: read(1024) 한 번에 write 한 번, 클라이언트 다섯
note-book-server-loopback = bind(INADDR_ANY)를 127.0.0.1에만 묶어 둠
note-printed = 화면 출력: { $text }
note-typed = 키보드 입력: { $text }
note-book-server-waits = accept()에서 시나리오에 없는 다음 클라이언트를 기다림: 여기서 종료
console-of-book-c = echo_client의 터미널 화면 (메시지마다 입력해 주고 마지막에 Q):
console-of-book-server = echo_server가 화면에 출력한 내용:
step-keys = Enter: 다음 줄 · q: 끝내기
rounds-round = 회차
rounds-sent = 보낸 것
cell-ok = 정상
cell-stalled = 영원히 기다림
cell-stalled-short = 무한 대기
cell-stalled-shortest = 멈춤
cell-cut = 메시지 중간에 닫힘
cell-cut-short = 중간에 닫힘
cell-cut-shortest = 끊김
cell-closed = 닫힘
cell-loops = 무한 반복
cell-loops-short = 무한
cell-overflows = { $n }B 넘침
cell-overflows-short = 넘침
cell-error = 오류 (위 참고)
cell-error-short = 오류
rounds-waited = { $client }번 클라이언트는 { $round }번 응답을 { $ms } ms 기다렸습니다 (서버가 다른 클라이언트를 처리하는 중이었습니다)
verdicts-reader = 읽기 방식
verdicts-result = 결과
verdicts-predicted = 예상
verdicts-prediction = 일치
verdicts-held = 맞음
verdicts-failed = 틀림
summary = 요약
summary-as-expected = { $reader }: { $verdict }(예상대로)
summary-not-expected = { $reader }: { $verdict }(예상과 다름)
all-as-expected = 모든 판정이 예상대로입니다
not-all-as-expected = 예상과 다른 판정이 있습니다
wait-syn = { $client }번 클라이언트의 SYN을 커널이 다시 보낼 때까지 기다립니다 (약 1초)…
wait-pause = { $client }번 클라이언트가 { $ms } ms 쉬는 동안 기다립니다…
no-scenario = '{ $name }' 시나리오가 없습니다 (다음 중 하나를 쓰세요: { $names })

## 수업 페이지: 단계마다 한 문장

who-the-client = 클라이언트
who-client = { $n }번 클라이언트
page-lane-clients = 클라이언트 { $list }
who-the-server = 서버
who-server-connection = { $n }번 연결의 서버
part-all = { $m }번 메시지 전체
part-first = { $m }번 메시지의 첫 { $k }바이트
part-last = { $m }번 메시지의 마지막 { $k }바이트
part-byte = { $m }번 메시지의 { $at }번째 바이트
part-bytes = { $m }번 메시지의 { $from }-{ $to }번째 바이트
part-and = ,{ " " }
say-connect = { $who }이(가) connect합니다: connect()는 커널이 연결 설정(핸드셰이크)을 마치는 즉시 돌아옵니다. 서버가 accept()를 호출했는지와는 상관없습니다.
say-connect-waits = { $who }이(가) connect()를 호출하지만 서버의 연결요청 대기 큐가 가득 찼습니다: 커널이 연결 설정의 첫 패킷(SYN)을 버리므로 connect()는 돌아오지 않습니다. 거부된 것은 아닙니다: { $who }의 커널이 약 1초 뒤에 SYN을 다시 보내고, 그다음엔 2초 뒤, 4초 뒤…에 또 보냅니다.
say-connect-retried = 드디어 { $who }의 connect()가 돌아옵니다: 그사이 서버가 연결 하나를 accept 했으므로, 다시 보낸 SYN이 큐에서 자리를 얻었습니다.
say-socket = 교재의 1단계: 서버가 socket()으로 TCP 소켓을 만듭니다. 아직 주소는 없습니다.
say-bind = 2단계: bind()가 소켓에 주소를 할당합니다: 클라이언트가 연결해 올 IP 주소와 포트입니다.
say-listen = 3단계: listen()이 이 소켓을 연결요청 대기 상태로 만듭니다. 대기 큐의 크기(backlog)는 { $backlog }입니다. 이제부터 커널이 알아서 연결 설정을 마치고, 그 연결을 accept()를 위해 큐에 넣어 둡니다. 리눅스는 backlog보다 하나 많은 { $queue }개까지 넣어 둡니다. 그다음 4단계부터 6단계(accept, read/write, close)가 클라이언트마다 되풀이됩니다.
say-close-listener = 7단계: 서버가 클라이언트를 모두 처리하고 close(server)로 서버 소켓(리스닝 소켓)을 닫습니다. 큐에 남아 있던 연결은 리셋되고, 이제 connect 하는 클라이언트는 거부됩니다: 그 포트에서 더는 아무도 listen하지 않습니다.
say-refused = { $who }의 connect()가 거부됩니다: 커널이 리셋(RST)으로 답합니다.
say-accept = 서버의 accept()가 연결요청 대기 큐에서 기다리던 { $client }의 연결을 돌려줍니다.
say-write = { $who }이(가) write()를 한 번 호출해 { $n }을(를) 보냅니다: { $bytes }.
say-segments = { $n ->
    [0] 커널은 아직 이를 보내지 않았습니다.
   *[other] 커널은 이를 세그먼트 { $n }개로 보냈습니다(하나에 최대 { $mss }, 측정값).
}
say-unsent = { $n }은(는) 송신 큐에서 기다립니다: 받는 쪽의 수신 윈도우에 자리가 없습니다.
say-unsent-nagle = { $n }은(는) 송신 큐에서 기다립니다: 앞서 보낸 { $unacked }이(가) 아직 확인 응답을 받지 못해서, 네이글 알고리즘(TCP_NODELAY 없음)이 작은 write를 붙잡아 둡니다.
say-read = { $who }의 read({ $asked }) 호출이 지금까지 도착한 { $n }을(를) 돌려줍니다: { $bytes }.
say-read-asked = { $who }의 read({ $asked }) 호출이 요청한 만큼인 { $n }을(를) 돌려줍니다: { $bytes }.
say-queued-all = 호출 직전 커널의 수신 큐에는 { $held }이(가) 있었습니다: read가 그것을 모두 가져갔습니다.
say-queued-more = 호출 직전 커널의 수신 큐에는 { $held }이(가) 있었습니다: { $left }은(는) 다음 read를 위해 큐에 남습니다.
say-queued-less = 호출 직전 커널의 수신 큐에는 { $held }이(가) 있었습니다: read는 기다렸다가 그동안 도착한 것까지 가져갔습니다.
page-queued = 수신 큐 { $n } B
page-segments-held = 붙잡힘
page-segments = { $n ->
    [0] 세그먼트 없음
   *[other] 세그먼트 { $n }개
}
say-read-coalesced = 따로따로 호출한 write { $writes }번의 데이터가 read 한 번에 묶여서 도착했습니다.
say-read-naive = naive 클라이언트는 메시지마다 read를 한 번만 하고, 받은 것을 응답 전체로 여깁니다.
say-read-whole = 이제 { $reader } 읽기 방식이 응답 { $round } 전체를 가졌습니다.
say-read-again = { $reader } 읽기 방식은 아직 응답 전체를 받지 못했으므로 다시 read합니다.
say-eof = { $who }의 read()가 0을 돌려줍니다: 상대가 연결을 닫았으므로 더 올 데이터가 없습니다.
say-shutdown = { $who }이(가) 쓰기 쪽을 닫습니다(shutdown): FIN이 상대에게 더 보낼 데이터가 없음을 알립니다. 읽기는 계속할 수 있습니다.
say-pause-late = { $who }이(가) read 전에 { $ms } ms 기다립니다. 그동안 따로 보낸 데이터가 수신 버퍼에 쌓입니다.
say-pause-server = 서버가 다음 write 전에 { $ms } ms 대기합니다: 받는 쪽이 지금까지 도착한 것을 읽을 시간입니다.
say-pause = { $who }이(가) { $ms } ms 대기합니다.
say-close-server = 서버가 { $client }의 소켓을 닫고(close) 다시 accept()로 돌아갑니다.
say-close-server-last = 서버가 { $client }의 소켓을 닫습니다(close). 마지막 클라이언트였으므로 반복문이 끝나고, 다음은 close(server)입니다.
say-close = { $who }이(가) 소켓을 닫습니다(close).
say-close-unread = { $who }이(가) 읽지 않은 { $n }을(를) 남긴 채 소켓을 닫습니다: 커널은 FIN 대신 리셋(RST)으로 답합니다.
say-error = { $who }의 호출이 실패합니다: { $error }.
say-error-call = { $who }의 { $call }()이(가) 실패합니다({ $code }): { $why }.
say-book-loop-on-error = 이 서버는 여기서 연결을 닫지만, 교재의 루프는 닫지 않습니다: read()가 -1을 돌려주는데 -1은 0이 아니므로 while((strLen = read(...)) != 0)이(가) 계속 돌며 write()에 -1을 넘기고 다시 read()를 부릅니다.
say-why-broken-pipe = { $peer }이(가) 이미 연결을 닫았습니다
say-why-reset = { $peer }이(가) 연결을 리셋했습니다(RST)
say-why-refused = 그 주소에서 listen 하는 곳이 없습니다
say-peer-client = 클라이언트
say-cut = 서버가 설정대로 { $n }을(를) 에코한 뒤, 응답 중간에 연결을 끊습니다: 응답이 끝난 것처럼 FIN을 보냅니다.
say-reset = 서버가 설정대로 { $n }을(를) 에코한 뒤, 응답 중간에 연결을 끊습니다: 리셋(RST)을 보냅니다.
say-dropped = 서버가 { $who }의 연결을 끊습니다: { $secs }초 동안 아무것도 보내지 않았습니다.
say-reply-ok = { $round }번 응답은 맞습니다: { $reader } 읽기 방식이 보낸 { $n }을(를) 정확히 돌려받았습니다.
say-reply-bad = { $round }번 응답은 틀렸습니다: { $reader } 읽기 방식은 { $sent }({ $sent_n }) 대신 { $got }({ $got_n })을(를) 돌려받았습니다.
say-note = { $who }: { $text }.
say-stalled = { $who }: { $text }. 실제 프로그램이라면 여기서 read()에 막혀, 오지 않을 바이트를 계속 기다립니다. 수업을 이어 가도록 이 실행이 여기서 멈췄습니다.
page-diagram-label = { $reader } 읽기 방식 실행의 순서도: 호출마다 상자 하나, 시간은 아래로 흐릅니다
ribbon-up = { $client } → 서버: { $client }이(가) 쓴 대로(위 표시), 서버가 읽은 대로(아래 표시)의 바이트
ribbon-down = 서버 → { $client }: 서버가 쓴 대로(위 표시), { $client }이(가) 읽은 대로(아래 표시)의 에코
ribbon-label = { $caption }: { $n }, write { $writes }번, read { $reads }번
ribbon-message = { $m }번 메시지: { $n }
ribbon-mark-write = { $i }번 write
ribbon-mark-read = { $i }번 read
ribbon-mark-title = { $label }: { $seq }번째 사건, { $from }-{ $to }바이트

## 수업 페이지: 제목, 버튼, 표

page-nav = 수업
page-all-scenarios = 모든 시나리오
page-no-run = 실행 결과 없음
page-about = 시나리오
page-setup = 설정
page-script = 진행 순서
page-setup-script = 설정과 진행 순서
page-point-at = 교사용: 짚어 줄 곳
page-results = 결과
page-replies = 읽기 방식별 응답
page-verdicts = 판정
page-made-by = 만든 명령:
page-keys = 키 (프레젠터 리모컨도 됩니다): → Space PageDown 다음 단계, ← PageUp 이전, Home 처음, End 마지막.
page-reader = { $reader } 읽기 방식
page-first-step = 첫 단계
page-first = 처음
page-previous-step = 이전 단계
page-previous = 이전
page-next-step = 다음 단계
page-next = 다음
page-play = 재생
page-pause = 일시 정지
page-speed = 속도
page-slow = 느리게
page-normal = 보통
page-fast = 빠르게
page-step-label = 실행의 순간
# 페이지의 스크립트가 {n} 과 {last} 를 채웁니다 (Fluent 인자가 아닙니다).
page-diagram-caption = 시간은 아래로 흐릅니다. 상자 하나가 호출 하나이고, 띠는 각 write의 바이트가 어느 read로 들어갔는지 보여 줍니다. 색은 메시지를 나타냅니다 (표시:
page-tag-whole = 메시지 전체
page-tag-start = 메시지의 앞부분
page-tag-end = 메시지의 뒷부분
page-reader-naive = 메시지마다 read 한 번 (교재의 클라이언트)
page-reader-book-c = book/echo_client.c를 컴파일해 실행한 교재의 프로그램 그 자체: 클라이언트 쪽 상자 하나하나가 그 프로그램이 직접 한 호출이며, 차례가 올 때까지 붙잡아 둡니다 (naive처럼 메시지마다 read 한 번)
page-program-book-c = 교재의 echo_client.c
page-trace-book-c = book/echo_client.c를 컴파일해 추적하며 실행한 교재의 프로그램 그 자체: 클라이언트 쪽 상자 하나하나가 그 프로그램이 직접 한 호출
page-trace-lesson = 실행하면서 추적한 이 프로그램의 소켓 호출: read마다 요청한 크기와 받은 것, write마다 넘긴 것. 아래 키로 한 단계씩 넘겨 보세요.
page-console-book-c = echo_client의 터미널 화면 (메시지마다 입력해 주고 마지막에 Q)
page-console-book-server = echo_server가 화면에 출력한 내용 (메시지 끝에 NUL이 없어 printf는 버퍼에 남은 것까지 보여 줌)
page-reader-exact = 보낸 바이트 수만큼 올 때까지 read
page-reader-line = 줄바꿈(\n)이 올 때까지 read
page-reader-length = 4바이트 길이를 먼저, 그다음 그 길이만큼 read
page-reader-book = 교재의 해법: 보낸 만큼 올 때까지 read(BUF_SIZE - 1)
page-legend-at = 스트림에서 이 호출의 바이트가 시작하는 자리 (앞서 20바이트가 오감);
page-legend-header = length 읽기 방식이 주고받는 길이 머리말을 풀어 쓴 것: 뒤따르는 바이트가 6개.
page-bytes-in-order = 차례대로 본 바이트
page-round = { $client }번 클라이언트, { $round }회차
page-right = 맞음
page-wrong = 틀림: “{ $got }”
page-closed-mid-message = 오류: 메시지 중간에 닫힘
page-closed = 응답 전에 닫힘
page-error = 오류: { $error }
index-title = TCP에는 데이터의 경계가 없습니다
index-lesson = write() 한 번이 read() 한 번이 아닙니다. 아래의 각 페이지는 에코 서버와 클라이언트를 실제로 실행한 기록이며, 어느 write의 바이트가 어느 read로 들어갔는지 그림으로 보여 줍니다.
index-surprise = (예상과 다른 판정이 있음)
index-page-title = tcp-boundary · 수업
page-predict = 예측한 뒤 보기
page-predict-help = read의 결과를 다음 클릭까지 가려 둡니다. 학생들이 먼저 예측해 봅니다.
page-predict-ask = { $who }이(가) read({ $asked })을(를) 호출합니다. 무엇을 돌려받을까요? '다음'을 누르면 보입니다.
page-side = 수신 큐와 코드
page-queues = 커널의 큐 측정값 (read에서는 호출 직전)
page-queue-of = { $who }의 수신 큐
page-queue-server-on = { $n }번 클라이언트 연결의 서버 수신 큐
page-queue-waiting = { $n } 대기 중
page-queue-unmeasured = 아직 재지 않음
page-queue-closed = 닫힘
page-queue-discarded = 읽지 않은 { $n }을(를) 남기고 닫힘: 버려지고 상대에게 리셋(RST)을 보냄
page-queue-no-connection = 아직 없음
page-queue-syn-dropped = 없음: 대기 큐가 가득 차서 첫 패킷(SYN)이 버려졌습니다
page-queue-refused = 없음: 거부됨, 이제 listen하는 소켓이 없습니다
page-queue-connection-of = { $who }의 연결
page-send-queue-of = { $who }의 송신 큐
page-send-queue-server-on = { $n }번 클라이언트 연결의 서버 송신 큐
page-send-queue-waiting = 아직 못 보낸 { $unsent }, 모두 { $n } (나머지는 보냈고, 확인 응답이 올 때까지 사본을 둠)
page-queue-listen = 서버의 연결요청 대기 큐
page-queue-listen-waiting = accept()를 기다리는 연결 { $n }개, 자리 { $room }개
page-queue-listen-who = { $n }번 클라이언트
page-queue-listen-who-bytes = { $n }번 클라이언트(수신 큐에 이미 { $bytes })
page-queue-listen-closed = 닫힘: 더는 listen하지 않습니다
page-code-server = 교재의 서버, echo_server.c
page-code-client = 교재의 클라이언트, echo_client.c
page-code-loop = { $reader } 읽기 방식의 반복문 (교재의 C 코드 모양으로 옮겨 씀)
page-code-listen = 이 실행은 listen()에 대기 큐 크기 { $backlog }을(를) 줍니다. 교재의 코드는 { $book }입니다.

## 명령이 끝나면 하는 말

wrote-page = { $page }을(를) 만들었습니다
wrote-site = { $index }와(과) 시나리오 페이지 { $pages }개를 만들었습니다. 브라우저로 여세요
repeat-line = { $runs }번 실행: { $expected }번 예상대로, { $same }번 같은 타임라인
error-word = 오류


## `echo-server`: 서버 자신의 줄 (교재의 콘솔 출력은 교재 그대로)

console-cut = { $client }번 클라이언트({ $peer }): 설정대로 { $n } 뒤 연결을 끊음 (FIN)
console-reset = { $client }번 클라이언트({ $peer }): 설정대로 { $n } 뒤 연결을 리셋함 (RST)
console-idle = { $client }번 클라이언트({ $peer }): { $secs }초 동안 주고받은 것이 없어 연결을 끊음
console-failed = { $client }번 클라이언트({ $peer }): { $error }

## `check`: 여러 모양으로 나뉜 스트림 앞의 클라이언트

chk-checking = 검사 대상: { $command }
chk-against = 상대 서버: { $server }
chk-server-ours = tcp-boundary의 에코 서버 (앞에 스트림을 나누는 프록시)
chk-server-at = { $addr }의 서버 (앞에 스트림을 나누는 프록시)
chk-col-shape = 모양
chk-col-seed = 시드
chk-col-result = 결과
chk-col-time = 시간
chk-pass = ✓ 통과
chk-fail = ✗ 실패
chk-all-as-expected = 모든 모양에서 예상대로: 이 클라이언트는 메시지의 경계를 스스로 찾습니다
chk-failed = ✗ { $shape }: { $reason }
chk-failed-seed = ✗ { $shape } (시드 { $seed }): { $reason }
chk-shaped = 나뉜 모양: { $line }
chk-last-output = 클라이언트가 마지막으로 출력한 것:
chk-reproduce = 다시 해 보기: { $command }
chk-untraced = 참고: 클라이언트를 추적하지 않고(--untraced) 실행했으므로, 클라이언트가 소켓을 닫을 때 커널에 남겨 둔 읽지 않은 바이트는 세지 않았습니다(아직 전달 중이던 바이트만 셈)
chk-untraceable = 참고: 이 컴퓨터에서는 check가 클라이언트를 추적(ptrace)할 수 없어서, 클라이언트가 소켓을 닫을 때 커널에 남겨 둔 읽지 않은 바이트는 세지 않았습니다(아직 전달 중이던 바이트만 셈)
chk-broke = 실행 { $runs }번 중 { $n }번 실패
chk-hung = { $secs }초 동안 어느 쪽으로도 바이트가 오가지 않아 강제로 종료함 (멈춤). 아직 전달되지 않은 바이트: 서버 쪽 { $up }, 클라이언트 쪽 { $down }
chk-too-slow = 이 모양에서는 너무 느림: { $secs }초가 지나도록 바이트가 계속 오가며 끝나지 않음. 아직 전달되지 않은 바이트: 서버 쪽 { $up }, 클라이언트 쪽 { $down }
chk-never-connected = 클라이언트가 한 번도 연결하지 않음
chk-not-connected-yet = 클라이언트가 { $secs }초가 지나도록 연결하지 않아 강제로 종료함 (--timeout)
chk-sent-nothing = 클라이언트가 연결했지만 아무것도 보내지 않음
chk-blamed = 잘못 읽은 쪽: { $who }
chk-blame-client-ours = 클라이언트 (에코 서버는 모든 바이트를 읽음)
chk-blame-client = 클라이언트: 응답만 나눠도 깨짐
chk-blame-server = 서버: 요청만 나눠도 깨짐
chk-blame-both = 양쪽: 요청과 응답을 함께 나눌 때 깨짐
chk-reply-wrong = { $n }번째 응답: { $got } (보낸 메시지: { $want })
chk-stopped-at-cut = 틀린 응답 없음: 응답이 끊겼으니 { $n }번째 응답 뒤에서 멈춘 것이 맞음
chk-no-reply = { $n }번째 메시지 ({ $want })에 대한 응답이 없음
chk-invented = 응답이 끊겼는데도 모든 응답을 온전히 출력함: 없는 바이트를 지어내지 않고는 불가능
chk-all-replies = 응답 { $n }개가 모두 맞음
chk-exit-ok = 종료 코드 0
chk-unread = 응답 { $of }바이트 가운데 { $n }바이트를 읽지 않은 채 끝남
chk-exit-bad = 종료 코드 { $code } (0이어야 함)
chk-signalled = { $signal } 시그널로 종료됨
chk-exit-ok-cut = 응답이 중간에 끊겼는데도 종료 코드 0: 응답의 일부를 전체로 받아들임
chk-exit-noticed = 종료 코드 { $code }: 끊긴 것을 알아챔
chk-signalled-cut = { $signal } 시그널로 종료됨: 끊긴 응답을 받아들이지 않음
chk-sizes-more = { $sizes }+… (조각 { $n }개)
chk-shaped-up = 클라이언트 → 서버: { $read }바이트로 받아 { $written }바이트로 나눠 넘김
chk-shaped-down = 서버 → 클라이언트: { $read }바이트로 받아 { $written }바이트로 나눠 넘김
chk-shaped-reply = { $n }번째 응답({ $size }바이트)은 { $sizes }바이트로 나뉘어 클라이언트에 도착함
chk-shaped-reply-ended = { $n }번째 응답({ $size }바이트)은 { $sizes }바이트만 도착하고 연결이 닫힘

srv-against = 우리 클라이언트: 요청 { $n }개를 통째로 보낸 뒤 나눠서 보냄
srv-all-as-expected = 모든 모양에서 예상대로: 이 서버는 요청의 경계를 스스로 찾습니다
srv-same-replies = 통째로 보냈을 때와 같은 응답
srv-sweep-ok = 나눠 본 지점 모두에서 같은 응답: { $covered }
srv-split-broke = { $request }번째 요청을 { $at }바이트 뒤에서 나눔({ $marked }): { $why }; 나눠 본 지점: { $covered }, 그중 { $failed }곳에서 실패
srv-points-all = 전체 { $points }곳
srv-points-at = --at으로 고른 한 곳
srv-progress = 나누기: { $of }곳 중 { $done }곳
srv-points-some = { $points }곳 중 { $tried }곳 (처음과 끝 바이트, 구분 문자와 2의 거듭제곱 근처, 시드 { $seed }(으)로 뽑은 표본; 전부 보려면 --every-point)
srv-points-limit = { $points }곳 중 { $tried }곳 (실행 시간 제한 { $secs }초에 다다름)
srv-points-failed = { $points }곳 중 { $tried }곳 (처음 실패한 뒤로는 2초 동안만 더 셈)
srv-replies-vary = 요청을 통째로 보냈는데도 실행할 때마다 응답이 다름 ({ $n }번째 응답, { $from }-{ $to }바이트): 달라지는 부분은 --ignore REGEX로 빼세요
srv-reply-differs = { $n }번째 응답: { $got } (통째로 보냈을 때: { $want })
srv-no-reply = { $secs }초 안에 { $n }번째 응답이 오지 않음: { $want }바이트 중 { $got }바이트만 옴
srv-closed-mid-reply = 서버가 { $n }번째 응답의 { $want }바이트 중 { $got }바이트를 보내고 연결을 닫음
srv-io = 연결 실패: { $error }
srv-died = { $shape } 실행 중에 서버가 끝남: { $how }
srv-last-output = 서버가 마지막으로 출력한 것:
srv-died-after = { $sent } 뒤에 서버가 끝남: { $how }
srv-sent-split = { $request }번째 요청을 { $at }바이트 뒤에서 나눈 것({ $marked })
srv-sent-cut = 요청을 { $at }바이트 뒤에서 끊고 연결을 닫은 것
chk-split-broke = 응답마다 { $at }바이트 뒤에서 나눔: { $why }; 나누는 지점 { $points }곳 중 { $failed }곳에서 실패
chk-sweep-ok = 나누는 지점 { $points }곳 모두에서 응답을 온전히 받음
chk-sweep-none = 첫 응답이 { $n }바이트라 나눌 지점이 없음
chk-upstream-refused = 상대 서버가 프록시의 연결을 거부함: 더 이상 서비스하지 않음
proxy-listening = { $local }에서 기다리며 { $to }(으)로 전달함
proxy-down = 내려가는 쪽 (서버 → 클라이언트): { $words }
proxy-up = 올라가는 쪽 (클라이언트 → 서버): { $words }
proxy-as-read = 읽은 그대로 전달
proxy-left = 클라이언트 쪽 (cN: N번 클라이언트)
proxy-right = 서버 쪽 (sN: 그 서버 쪽 소켓)
proxy-stopped = 연결 { $n }개를 처리하고 프록시를 멈춤

trace-not-kept = 이 호출은 { $n }을(를) 옮겼고, 그중 앞의 { $kept }만 보여 줍니다
trace-tracing = 추적: { $command }
trace-against = 상대 서버: tcp-boundary의 에코 서버 { $addr }
trace-no-calls = TCP 소켓 호출이 하나도 없어서 보여 줄 것이 없습니다
trace-exited = 종료 상태 { $code }(으)로 끝났습니다
trace-signalled = { $signal }(으)로 강제 종료되었습니다
trace-limit = 제한 시간(--limit)이 지나도록 실행 중이어서 종료했습니다
chk-calls = 마지막 소켓 호출 (--trace):
trace-waiting = 끝날 때 아직 { $call }({ $asked }) 안에 있었음: 끝내 오지 않은 바이트를 기다리는 중
trace-peek = { $n }을(를) 들여다봄(MSG_PEEK): 큐에 그대로 남음: { $bytes }
trace-moved = { $call }이(가) { $n }을(를) 커널 안에서 옮김(프로그램을 거치지 않음): 바이트는 보이지 않음
trace-shut-read = shutdown(read): 더는 읽지 않겠다는 뜻(FIN은 보내지 않음)
trace-closed-at-exit = 프로세스가 끝나서 커널이 열려 있던 소켓을 닫음
trace-interrupted = trace가 중단되어 프로그램을 끝냈습니다
trace-thrown = { $n }을(를) 꺼내서 버림(MSG_TRUNC)
page-code-experiment-server = write(clientSock, chunk, n); /* 실험용: 교재 코드에는 없음 (메아리를 조각내어 보냄) */
page-code-experiment-client = write(sock, next, n); /* 실험용: 교재 코드에는 없음 (응답을 읽기 전에 한 번 더 보냄) */
chk-read-part = 이 read는 응답 { $reply }({ $of }바이트) 중 { $from }-{ $to }번째 바이트만 가져감
chk-read-across = 이 read는 응답 { $reply }부터 응답 { $replies }개에 걸친 바이트를 한꺼번에 가져감

## 시나리오에서 교재의 프로그램(`run --client book-c`, `--server book-c`): 맡을 수 없는 이유

book-c-client-buffer = { $name } 시나리오의 클라이언트는 { $n }바이트 버퍼로 읽지만, 교재의 echo_client.c는 { $book }바이트 버퍼로 읽습니다 (buffer_size)
book-c-client-sets = { $name } 시나리오의 클라이언트는 { $key } 설정을 쓰지만, 교재의 echo_client.c에는 그런 설정이 없습니다
book-c-clients = { $name } 시나리오에는 클라이언트가 여럿이지만, 교재의 echo_client.c는 연결 하나뿐입니다
book-c-after-quit = { $name } 시나리오의 클라이언트는 끝낸 뒤에도 계속하지만, 교재의 echo_client.c는 Q를 입력하면 끝납니다
book-c-not-a-line = { $name } 시나리오는 한 줄짜리 텍스트가 아닌 메시지를 보내지만, 교재의 echo_client.c는 보낼 내용을 fgets로 한 줄씩 읽습니다
book-c-too-long = { $name } 시나리오는 { $n }바이트짜리 메시지를 보내지만, 교재의 echo_client.c는 한 줄에서 최대 { $most }바이트만 읽습니다
book-c-quit = { $name } 시나리오가 보내는 메시지 { $q }: 교재의 echo_client.c는 이것을 끝내라는 뜻으로 받아들입니다
book-c-two-writes = { $name } 시나리오는 읽기 전에 메시지를 두 번 쓰지만, 교재의 echo_client.c는 한 번 쓰고 한 번 읽습니다
book-c-steps = { $name } 시나리오는 쓰기와 읽기를 서로 다른 단계에서 하지만, 교재의 echo_client.c는 쓸 때마다 바로 한 번 읽습니다
book-c-connect = { $name } 시나리오는 connect가 기다리거나 거절되기를 기대하지만, 교재의 echo_client.c는 바로 포기합니다 (connect () error!)
book-c-reader = --client book-c는 교재의 echo_client.c처럼 메시지마다 read를 한 번 합니다: --reader naive와 같습니다
book-c-switches = 주어진 조각내기 옵션은 서버의 읽기나 쓰기를 바꾸지만, 교재의 echo_server.c는 클라이언트가 쓰면 읽고, 읽은 것을 그대로 바로 돌려 씁니다
book-c-server-shapes = { $name } 시나리오의 서버는 읽기나 보내기를 바꿉니다(조각, 대기, 늦은 읽기, 끊기, TCP_NODELAY, 소켓 버퍼). 교재의 echo_server.c는 클라이언트가 쓰면 읽고, 읽은 것을 그대로 바로 돌려 씁니다
book-c-server-buffer = { $name } 시나리오의 서버는 { $n }바이트 버퍼로 읽지만, 교재의 echo_server.c는 { $book }바이트 버퍼로 읽습니다 (buffer_size)
book-c-server-backlog = backlog가 다릅니다: { $name } 시나리오의 서버는 backlog { $n }, 교재의 echo_server.c는 listen(servSock, { $book }) (backlog)
book-c-server-clients = { $name } 시나리오의 서버는 { $clients ->
    [0] 클라이언트 수에 제한이 없지만
   *[other] 클라이언트 { $clients }개를 처리하지만
}, 교재의 echo_server.c는 { $book }개를 처리하고 끝납니다 (clients)
