# A client of N round trips (its second argument) of a 13-byte line, each
# echo read until it is whole; prints how long the round trips took, in
# microseconds each, on standard error. Used by benchmark/trace-cost.sh.
import socket, sys, time
host, port = sys.argv[1].rsplit(":", 1)
n = int(sys.argv[2])
s = socket.create_connection((host, int(port)))
m = b"hello, class\n"
start = time.perf_counter()
for _ in range(n):
    s.sendall(m)
    got = b""
    while len(got) < len(m):
        got += s.recv(4096)
took = time.perf_counter() - start
print("%.1f us a round trip" % (took / n * 1e6), file=sys.stderr)
