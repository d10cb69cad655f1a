# A line server for `check --server`: each line sent back as it came, once
# the whole line is in (a recv loop until "\n"), on a thread per connection.
# It listens on 127.0.0.1 at the port given (its first argument) until it is
# killed. Used by benchmark/check-speed.sh and tests/check_false_pass.rs.
import socket, sys, threading
srv = socket.create_server(("127.0.0.1", int(sys.argv[1])))
def serve(c):
    buf = b""
    with c:
        while True:
            d = c.recv(65536)
            if not d:
                return
            buf += d
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                c.sendall(line + b"\n")
while True:
    threading.Thread(target=serve, args=(srv.accept()[0],), daemon=True).start()
