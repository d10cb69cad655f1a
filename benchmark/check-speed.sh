#!/usr/bin/env bash
# How long a full `tcp-boundary check` takes, of clients and of servers.
#
# Clients: a correct Python client (a recv loop until each echo is whole)
# with three messages of 13 B, 3 KB, 64 KiB and 1 MiB, and the same for a
# client that takes one recv per reply; then the correct one with one
# message of 1 MiB.
#
# Servers (`check --server`): two correct ones, our echo server
# (`echo-server {port} --clients 0`) and a Python line server
# (benchmark/servers/line_echo.py), each with one request of 300 bytes and
# one of 64 KiB, both a line; then a naive length-prefixed Python server
# (benchmark/servers/naive_frames.py: one recv taken for one frame, the
# connection closed on a short one) with one frame of 300 bytes: it fails, and the figure is how long the failing check
# takes to end.
#
# Prints each check's table (the time of every shape) and its wall time,
# beside issue 34's target where it sets one: a correct server's check
# under 3 s with the 300-byte request and under 10 s with the 64 KiB one, a
# correct client's under 5 s with one message of 1 MiB.
#
#   benchmark/check-speed.sh [PATH-TO-tcp-boundary]
#
# Given a path (target/release/tcp-boundary), echo-server is the one beside
# it (target/release/echo-server); given a name, both are found on PATH.
#
# Figures, not a test: run it on the machine you care about.
set -euo pipefail
bin=${1:-tcp-boundary}
here=$(dirname "$0")
case $bin in
*/*) echo_server=$(dirname "$bin")/echo-server ;;
*) echo_server=$(command -v echo-server) || {
    echo "echo-server is not on PATH (give the path of tcp-boundary to use the one beside it)" >&2
    exit 2
} ;;
esac
[ -x "$echo_server" ] || { echo "no echo-server at $echo_server" >&2; exit 2; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

# timed LABEL TARGET COMMAND…: the check's table, its last line (how many
# runs failed) and its wall time, with the target beside it when there is
# one (TARGET empty when not).
timed() {
    local label=$1 target=$2
    shift 2
    echo "== $label"
    local start end
    start=$(date +%s.%N)
    "$@" >"$dir/out" || true
    end=$(date +%s.%N)
    sed -n '/^ *shape /,/^$/p' "$dir/out"
    tail -n 1 "$dir/out"
    printf 'wall: %.2f s%s\n\n' "$(echo "$end - $start" | bc)" "${target:+ (target: under $target s)}"
}

# The interpreter itself, not a version manager's shim (pyenv's python3 is a
# script that runs a few hundred programs before Python starts, each exec and
# close of which stops check's tracer): what is timed is check, and Python.
python3=$(python3 -c 'import sys; print(sys.executable)')
"$python3" -c 'pass' # warm the interpreter's files
for client in correct naive; do
    for size in 13 3000 65536 1048576; do
        timed "$client client, three messages of $size bytes" "" \
            "$bin" check -- "$python3" "$here/clients/sized.py" '{addr}' "$size" "$client"
    done
done
timed "correct client, one message of 1048576 bytes" 5 \
    "$bin" check -- "$python3" "$here/clients/sized.py" '{addr}' 1048576 correct 1

# The requests, each a line: 299 bytes and "\n", 65535 bytes and "\n"; and
# a frame of 300 bytes, its 2-byte length (298) first.
python3 - "$dir" <<'PY'
import sys
d = sys.argv[1]
line = b"0123456789abcdef" * 4096
open(d + "/300.txt", "wb").write(line[:299] + b"\n")
open(d + "/65536.txt", "wb").write(line[:65535] + b"\n")
body = (b"a length field says how long the frame is; " * 7)[:298]
open(d + "/frame.bin", "wb").write(len(body).to_bytes(2, "big") + body)
PY

for request in 300 65536; do
    target=3
    [ "$request" = 65536 ] && target=10
    timed "echo-server, one request of $request bytes" "$target" \
        "$bin" check --server --requests "$dir/$request.txt" -- "$echo_server" '{port}' --clients 0
    timed "line_echo.py, one request of $request bytes" "$target" \
        "$bin" check --server --requests "$dir/$request.txt" -- "$python3" "$here/servers/line_echo.py" '{port}'
done
timed "naive length-prefixed server, one frame of 300 bytes (fails)" "" \
    "$bin" check --server --requests "$dir/frame.bin" -- "$python3" "$here/servers/naive_frames.py" '{port}'
