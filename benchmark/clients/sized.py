# A client of three messages of SIZE bytes each (its second argument), for
# `check`: each echo read until it is whole. With a third argument `naive`,
# each echo is taken from one recv, the message-boundary bug (`correct`:
# not). A fourth says how many messages, when not three.
# Used by benchmark/check-speed.sh and tests/check.rs.
import socket, sys
host, port = sys.argv[1].rsplit(":", 1)
size = int(sys.argv[2])
naive = sys.argv[3:4] == ["naive"]
count = int(sys.argv[4]) if len(sys.argv) > 4 else 3
s = socket.create_connection((host, int(port)))
for i in range(count):
    m = (b"%d" % i) * (size - 1) + b"\n"
    s.sendall(m)
    got = b""
    while len(got) < len(m):
        c = s.recv(65536)
        if not c:
            sys.exit("the server closed mid-reply")
        got += c
        if naive:
            break
    if got != m:
        sys.exit("wrong reply")
