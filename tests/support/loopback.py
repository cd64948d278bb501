"""A JSON REST API on a loopback port, standing in for a cloud endpoint (the real thing is the Azure cloud)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class JsonApi(BaseHTTPRequestHandler):
    """Subclasses answer with `reply`; each served copy records the requests it was sent in `seen`."""

    seen: list[tuple[str, dict[str, str]]]

    def reply(self, status: int, body: dict) -> None:
        raw = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def log_message(self, *args) -> None:
        pass


@contextmanager
def serve(base: type[JsonApi], **attributes: Any) -> Iterator[tuple[str, Any]]:
    """A loopback server answering with a fresh subclass of `base` (its own `seen`, and `attributes`): its URL
    and that class."""
    handler = type("Handler", (base,), {"seen": [], **attributes})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", handler
    finally:
        server.shutdown()
        server.server_close()
