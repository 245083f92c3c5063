"""A small HTTP proxy that injects faults at the wire, in front of CKAN or moto's S3 server.

Rules match on method + path substring and fire a limited number of times:
``status`` (answer 500/503/400… without forwarding), ``timeout`` (hold the connection, never answer),
``lost`` (forward the request, then answer 503 — the server did the work but the client never hears).
"""

from __future__ import annotations

import http.client
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlparse

HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "te", "trailer"}


@dataclass
class Fault:
    """One fault rule."""

    method: str | None = None
    """HTTP method to match (None: any)."""
    path: str = ""
    """Substring of the request path to match ('' matches all)."""
    action: str = "status"
    """'status', 'timeout', 'lost' or 'corrupt' (the upstream answer with one body byte changed)."""
    status: int = 503
    """Status answered for 'status' and 'lost'."""
    times: int = 1
    """How many matching requests this rule hits before it is spent."""
    skip: int = 0
    """How many matching requests pass untouched before the rule starts firing."""
    fired: int = 0

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method == method) and self.path in path


@dataclass
class FaultProxy:
    target: str
    faults: list[Fault] = field(default_factory=list)
    log: list[tuple[str, str, int]] = field(default_factory=list)

    def start(self) -> "FaultProxy":
        proxy = self
        t = urlparse(self.target)
        self._host, self._port = t.hostname, t.port or 80
        self._lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet
                pass

            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                    body = self._read_chunked()
                rule = proxy._pick(self.command, self.path)
                if rule and rule.action == "timeout":
                    proxy.log.append((self.command, self.path, -1))
                    time.sleep(60)
                    self.close_connection = True
                    return
                if rule and rule.action == "status":
                    proxy.log.append((self.command, self.path, rule.status))
                    return self._answer(rule.status, b'{"success": false, "error": {"message": "injected fault"}}', {"Content-Type": "application/json"})
                status, headers, data = proxy._forward(self.command, self.path, self.headers, body)
                if rule and rule.action == "lost":
                    proxy.log.append((self.command, self.path, rule.status))
                    return self._answer(rule.status, b"<Error><Code>ServiceUnavailable</Code></Error>", {"Content-Type": "application/xml"})
                if rule and rule.action == "corrupt" and data:
                    data = bytes([data[0] ^ 1]) + data[1:]
                proxy.log.append((self.command, self.path, status))
                self._answer(status, data, headers)

            def _read_chunked(self) -> bytes:
                out = b""
                while True:
                    size = int(self.rfile.readline().strip(), 16)
                    if size == 0:
                        self.rfile.readline()
                        return out
                    out += self.rfile.read(size)
                    self.rfile.readline()

            def _answer(self, status, data, headers):
                self.send_response(status)
                for k, v in headers.items():
                    if k.lower() not in HOP and k.lower() != "content-length":
                        self.send_header(k, v)
                upstream_len = next((v for k, v in headers.items() if k.lower() == "content-length"), None)
                self.send_header("Content-Length", upstream_len if self.command == "HEAD" and upstream_len else str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def _pick(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for rule in self.faults:
                if rule.matches(method, path):
                    if rule.skip > 0:
                        rule.skip -= 1
                        continue
                    if rule.fired < rule.times:
                        rule.fired += 1
                        return rule
        return None

    def _forward(self, method, path, headers, body):
        conn = http.client.HTTPConnection(self._host, self._port, timeout=120)
        fwd = {k: v for k, v in headers.items() if k.lower() not in HOP}
        fwd["Content-Length"] = str(len(body))
        conn.request(method, path, body=body, headers=fwd)
        r = conn.getresponse()
        data = r.read()
        out = {k: v for k, v in r.getheaders()}
        conn.close()
        return r.status, out, data

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
