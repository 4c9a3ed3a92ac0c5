"""A tiny HTTP file server on 127.0.0.1 for download tests (never the real network)."""

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FileServer:
    """Serve ``files`` ({url path: bytes}) on 127.0.0.1 in a background thread.

    Attributes (may be changed between requests):
        range_support: honour ``Range: bytes=N-`` with 206 replies (else always 200, whole file).
        truncate_after: if set, announce the full Content-Length but send only this many bytes
            of the body, then close the connection.
        requests: list of ``(path, range header or None)`` received.
        bytes_sent: total body bytes sent.
    """

    def __init__(self, files, range_support=True, truncate_after=None):
        self.files = dict(files)
        self.range_support = range_support
        self.truncate_after = truncate_after
        self.requests = []
        self.bytes_sent = 0
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def log_message(self, *args):  # keep test output quiet
                pass

            def do_GET(self):
                range_header = self.headers.get("Range")
                owner.requests.append((self.path, range_header))
                body = owner.files.get(self.path)
                if body is None:
                    self.send_error(404)
                    return
                start = 0
                if range_header and owner.range_support:
                    start = int(range_header.split("=")[1].rstrip("-"))
                    if start >= len(body):
                        self.send_response(416)
                        self.send_header("Content-Range", f"bytes */{len(body)}")
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                        return
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
                else:
                    self.send_response(200)
                payload = body[start:]
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                if owner.truncate_after is not None:
                    payload = payload[: owner.truncate_after]
                owner.bytes_sent += len(payload)  # before writing: the client may finish first
                self.wfile.write(payload)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


def closed_port_url():
    """A URL on 127.0.0.1 where nothing listens (connections are refused at once)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"
