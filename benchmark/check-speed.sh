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
here=$(dirname "$0")

python3 -c 'pass' # warm the interpreter's files
for client in correct naive; do
    for size in 13 3000 65536 1048576; do
        echo "== $client client, messages of $size bytes"
        start=$(date +%s.%N)
        "$bin" check -- python3 "$here/clients/sized.py" '{addr}' "$size" "$client" | sed -n '/shape/,/^$/p' || true
        end=$(date +%s.%N)
        printf 'wall: %.2f s\n\n' "$(echo "$end - $start" | bc)"
    done
done
