#!/usr/bin/env bash
# What tracing costs a program: a Python client's round trips (13 bytes,
# 2,000 of them) against our echo server, untraced, then traced as `check`
# traces a client (a stop at each close) and as `trace` and `check --trace`
# record one (two stops at each socket call); and a whole `check --shape
# whole` of a client of three 64 KiB messages, untraced, traced and
# recorded; and a scenario's run with ours and with the book's own programs
# held at each socket call (`run classic --client book-c`).
#
#   benchmark/trace-cost.sh [PATH-TO-tcp-boundary]
#
# Given a path (target/release/tcp-boundary), echo-server is the one beside
# it; given a name, both are found on PATH. Figures, not a test.
set -euo pipefail
bin=${1:-tcp-boundary}
here=$(dirname "$0")
case $bin in
*/*) echo_server=$(dirname "$bin")/echo-server ;;
*) echo_server=$(command -v echo-server) ;;
esac
python3=$(python3 -c 'import sys; print(sys.executable)')
n=2000

echo "== $n round trips of 13 bytes"
"$echo_server" 0 --clients 0 --quiet >/dev/null 2>"${TMPDIR:-/tmp}/trace-cost-server.txt" &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 50); do
    port=$(sed -n 's/^listening on 127.0.0.1:\([0-9]*\).*/\1/p' "${TMPDIR:-/tmp}/trace-cost-server.txt")
    [ -n "$port" ] && break
    sleep 0.1
done
echo "untraced: $("$python3" "$here/clients/round_trips.py" "127.0.0.1:$port" $n 2>&1)"
echo "recorded (tcp-boundary trace): $("$bin" trace --clients 0 --json -- "$python3" "$here/clients/round_trips.py" '{addr}' $n 2>&1 >/dev/null)"

echo "== check --shape whole, three messages of 64 KiB"
for how in --untraced "" --trace; do
    start=$(date +%s.%N)
    "$bin" check --shape whole $how -- "$python3" "$here/clients/sized.py" '{addr}' 65536 >/dev/null
    end=$(date +%s.%N)
    printf '%-10s %.3f s\n' "${how:-traced}" "$(echo "$end - $start" | bc)"
done

echo "== a scenario's run, ours and the book's programs held (run classic, 50 runs)"
for how in "--reader naive" "--client book-c" "--server book-c --reader naive" "--client book-c --server book-c"; do
    start=$(date +%s.%N)
    # shellcheck disable=SC2086
    "$bin" run classic $how --repeat 50 >/dev/null
    end=$(date +%s.%N)
    printf '%-34s %.1f ms a run\n' "$how" "$(echo "($end - $start) * 1000 / 50" | bc -l)"
done
