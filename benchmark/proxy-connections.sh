#!/usr/bin/env bash
# What idle connections cost the proxy: N connections (10,000 by default)
# opened through `tcp-boundary proxy --quiet` on loopback and held open, each
# echoed once, then the proxy's resident memory (VmRSS), its peak (VmHWM),
# its address space (VmSize) and its threads, from /proc.
#
#   benchmark/proxy-connections.sh [DIR-WITH-BINARIES] [N]   (default: target/release 10000)
#
# The proxy holds two descriptors a connection, the server and the client one
# each: the script raises its own limit on descriptors (ulimit -n, inherited
# by the three) to what N needs, and says so if it cannot. The server and the
# client are a few lines of Python on one thread each (selectors). The kernel
# bounds it too: two threads a connection, four memory maps a thread, within
# vm.max_map_count (65,530 by default: the proxy holds at most 7,679
# connections, and says so at start).
# Figures, not a test: run it on the machine you care about.
set -euo pipefail
bin=${1:-target/release}
n=${2:-10000}
need=$((2 * n + 64))
if [ "$(ulimit -n)" -lt "$need" ] && ! ulimit -n "$need" 2>/dev/null; then
    # Raising the hard limit needs CAP_SYS_RESOURCE: without it, as many
    # connections as the hard limit allows.
    hard=$(ulimit -Hn)
    ulimit -n "$hard"
    n=$(( (hard - 64) / 2 ))
    echo "the hard limit on descriptors is $hard (raising it needs CAP_SYS_RESOURCE): $n connections" >&2
fi
dir=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; rm -rf "$dir"' EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# The server: echoes every connection, all on one thread.
echo_port=$(free_port)
python3 -c '
import selectors, socket, sys
sel = selectors.DefaultSelector()
srv = socket.create_server(("127.0.0.1", int(sys.argv[1])), backlog=4096)
srv.setblocking(False)
sel.register(srv, selectors.EVENT_READ)
while True:
    for key, _ in sel.select():
        if key.fileobj is srv:
            c, _ = srv.accept()
            c.setblocking(False)
            sel.register(c, selectors.EVENT_READ)
        else:
            try:
                data = key.fileobj.recv(65536)
            except OSError:
                data = b""
            if data:
                key.fileobj.send(data)
            else:
                sel.unregister(key.fileobj)
                key.fileobj.close()
' "$echo_port" &
pids+=($!)
proxy_port=$(free_port)
"$bin/tcp-boundary" proxy --listen "$proxy_port" --to "127.0.0.1:$echo_port" --quiet \
    --max-connections "$n" >/dev/null 2>"$dir/proxy.err" &
proxy=$!
pids+=($proxy)
sleep 1

status() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$proxy/status"; }
printf 'proxy at start: VmRSS %s KiB, VmSize %s KiB\n' "$(status VmRSS)" "$(status VmSize)"

# The client: opens N connections, sends a line on each and reads it back,
# then holds them all open until told to let go (its standard input ends).
mkfifo "$dir/go"
python3 -c '
import socket, sys, time
n, port = int(sys.argv[1]), int(sys.argv[2])
held, echoed, started = [], 0, time.monotonic()
for i in range(n):
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    s.sendall(b"hi\n")
    if s.recv(3) == b"hi\n":
        echoed += 1
    held.append(s)
print(f"{n} connections open, {echoed} echoed, in {time.monotonic() - started:.1f} s", flush=True)
sys.stdin.read()
' "$n" "$proxy_port" <"$dir/go" &
client=$!
pids+=($client)
exec 3>"$dir/go"
# Wait until the proxy holds every connection (two descriptors each).
for _ in $(seq 600); do
    fds=$(ls "/proc/$proxy/fd" | wc -l)
    [ "$fds" -ge $((2 * n)) ] && break
    kill -0 "$client" 2>/dev/null || break
    sleep 0.5
done
sleep 1
if ! kill -0 "$proxy" 2>/dev/null; then
    echo "the proxy ended:" >&2
    tail -3 "$dir/proxy.err" >&2
    exit 1
fi
printf 'proxy with %s connections: VmRSS %s KiB (%s KiB a connection), VmHWM %s KiB, VmSize %s KiB, %s threads, %s descriptors\n' \
    "$n" "$(status VmRSS)" "$(( $(status VmRSS) / n ))" "$(status VmHWM)" "$(status VmSize)" "$(status Threads)" "$(ls "/proc/$proxy/fd" | wc -l)"
exec 3>&-
wait "$client" || true
said=$(grep -v '^downstream\|^upstream\|^listening' "$dir/proxy.err" | sort | uniq -c | sort -rn | head -5 || true)
[ -z "$said" ] || printf 'the proxy said:\n%s\n' "$said"
