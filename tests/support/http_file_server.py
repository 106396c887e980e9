#!/usr/bin/env python3
"""A real HTTP server for the revocation tests (tests/support/revocation_servers.hpp).

    http_file_server.py DIRECTORY PORT_FILE

Serves the files of DIRECTORY on 127.0.0.1 at an ephemeral port, which it writes to PORT_FILE
once it listens. GET answers with the file at the path (404 when there is none); POST reads
the request body and answers like GET, so that a file can stand in for an OCSP responder's
canned answer. Stopped with SIGTERM.
"""
import functools
import http.server
import os
import signal
import sys


class Handler(http.server.SimpleHTTPRequestHandler):
    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0") or "0")
        self.rfile.read(min(length, 1 << 20))
        self.do_GET()

    def log_message(self, format, *args):
        sys.stderr.write("http_file_server: " + (format % args) + "\n")


def main():
    directory, port_file = sys.argv[1], sys.argv[2]
    handler = functools.partial(Handler, directory=directory)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    temporary = port_file + ".tmp"
    with open(temporary, "w") as out:
        out.write(str(server.server_address[1]))
    os.rename(temporary, port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
