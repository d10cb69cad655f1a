# A naive length-prefixed server for `check --server`: each recv is taken
# for one frame (a 2-byte big-endian length, then the body) and answered with
# the body upper-cased behind its length; a recv shorter than its length says
# is taken for a broken client and the connection closed. The message-boundary
# bug on the server's side. Used by benchmark/check-speed.sh and
# tests/check_false_pass.rs.
import socket, sys, threading
srv = socket.create_server(("127.0.0.1", int(sys.argv[1])))
def serve(c):
    with c:
        while True:
            d = c.recv(65536)
            if not d:
                return
            n = int.from_bytes(d[:2], "big")
            body = d[2:2 + n]
            if len(d) < 2 or len(body) < n:
                return
            c.sendall(n.to_bytes(2, "big") + body.upper())
while True:
    threading.Thread(target=serve, args=(srv.accept()[0],), daemon=True).start()
