#!/usr/bin/env bash
# How long a full `tcp-boundary check` takes: a correct Python client (a recv
# loop until each echo is whole) with messages of 13 B, 3 KB, 64 KiB and
# 1 MiB, and the same for a client that takes one recv per reply. Prints each
# check's table (the time of every shape) and its wall time.
#
#   benchmark/check-speed.sh [PATH-TO-tcp-boundary]
#
# Figures, not a test: run it on the machine you care about.
set -euo pipefail
bin=${1:-tcp-boundary}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

cat >"$dir/correct.py" <<'PY'
import socket, sys
host, port = sys.argv[1].rsplit(":", 1)
size = int(sys.argv[2])
s = socket.create_connection((host, int(port)))
for i in range(3):
    m = (b"%d" % i) * (size - 1) + b"\n"
    s.sendall(m)
    got = b""
    while len(got) < len(m):
        c = s.recv(65536)
        if not c:
            sys.exit("the server closed mid-reply")
        got += c
    if got != m:
        sys.exit("wrong reply")
PY
sed 's/^    while len(got) < len(m):$/    if True:/' "$dir/correct.py" >"$dir/naive.py"

python3 -c 'pass' # warm the interpreter's files
for client in correct naive; do
    for size in 13 3000 65536 1048576; do
        echo "== $client client, messages of $size bytes"
        start=$(date +%s.%N)
        "$bin" check -- python3 "$dir/$client.py" '{addr}' "$size" | sed -n '/shape/,/^$/p' || true
        end=$(date +%s.%N)
        printf 'wall: %.2f s\n\n' "$(echo "$end - $start" | bc)"
    done
done
