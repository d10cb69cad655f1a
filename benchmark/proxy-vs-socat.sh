#!/usr/bin/env bash
# The proxy beside socat, measured side by side in one run: round trips of a
# 16-byte message and throughput (tcp-boundary bench), through
#   - nothing (the echo server itself),
#   - socat (TCP-LISTEN … TCP:…, 64 KiB buffer),
#   - tcp-boundary proxy --quiet,
#   - tcp-boundary proxy with its full log written to a file.
# The echo server is a few lines of Python reading 1 MiB at a time, fast
# enough that the front is what is measured.
#
#   benchmark/proxy-vs-socat.sh [DIR-WITH-BINARIES]   (default: target/release)
#
# Figures, not a test: run it on the machine you care about.
set -euo pipefail
bin=${1:-target/release}
command -v socat >/dev/null || { echo "socat is needed (Debian: apt-get install socat)" >&2; exit 2; }
dir=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; rm -rf "$dir"' EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

echo_port=$(free_port)
python3 -c '
import socket, sys, threading
srv = socket.create_server(("127.0.0.1", int(sys.argv[1])))
def echo(c):
    with c:
        while data := c.recv(1 << 20):
            c.sendall(data)
while True:
    threading.Thread(target=echo, args=(srv.accept()[0],), daemon=True).start()
' "$echo_port" &
pids+=($!)
socat_port=$(free_port)
socat -b 65536 "TCP-LISTEN:$socat_port,reuseaddr,fork,bind=127.0.0.1" "TCP:127.0.0.1:$echo_port" &
pids+=($!)
quiet_port=$(free_port)
"$bin/tcp-boundary" proxy --listen "$quiet_port" --to "127.0.0.1:$echo_port" --quiet >/dev/null 2>&1 &
pids+=($!)
logged_port=$(free_port)
"$bin/tcp-boundary" proxy --listen "$logged_port" --to "127.0.0.1:$echo_port" >"$dir/log" 2>/dev/null &
pids+=($!)
sleep 1

for mode in rtt throughput; do
    for front in "direct:$echo_port" "socat:$socat_port" "proxy --quiet:$quiet_port" "proxy, log to a file:$logged_port"; do
        name=${front%:*}
        port=${front##*:}
        printf '%-22s %-10s ' "$name" "$mode"
        "$bin/tcp-boundary" bench "$mode" --addr "127.0.0.1:$port" --json \
            | python3 -c 'import json,sys; s=json.load(sys.stdin)["server"]; print("round trip p50 %.1f us, p99 %.1f us" % (s["p50_us"], s["p99_us"]) if "p50_us" in s else "%.0f MB/s" % s["mb_per_s"])'
    done
done
echo "log: $(wc -l <"$dir/log") rows"
