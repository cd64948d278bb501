"""Serving the dashboard on 127.0.0.1: a threaded WSGI server (werkzeug, which Dash already brings)."""

from __future__ import annotations

import logging
import threading

import dash
from werkzeug.serving import BaseWSGIServer, make_server

HOST = "127.0.0.1"


class DashboardServer:
    """The app on http://127.0.0.1:<port>/ (port 0: any free port); in the foreground or in a thread."""

    def __init__(self, app: dash.Dash, port: int = 8050, host: str = HOST):
        if host != HOST:
            raise ValueError(f"the dashboard is served on {HOST} only, not {host}")
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
        self._server: BaseWSGIServer = make_server(host, port, app.server, threaded=True)
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return self._server.server_port

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}/"

    def serve_forever(self) -> None:
        self._server.serve_forever()

    def start(self) -> DashboardServer:
        self._thread = threading.Thread(target=self._server.serve_forever, name="dashboard", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def __enter__(self) -> DashboardServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
