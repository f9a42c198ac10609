"""The lifecycle both scripted model servers share: bind on loopback, serve in a thread, stop at once."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

from typing_extensions import Self

from claude_compat.testing._script import ScriptedModel
from letta_backend._process import StartStop


class QuietHTTPServer(ThreadingHTTPServer):
    """A threading HTTP server that knows its owner and stays silent when clients hang up."""

    daemon_threads = True
    allow_reuse_address = True
    owner: ScriptedServerBase
    stopping: threading.Event
    request_ids: Iterator[int]  # request-id headers, for servers whose API sends them

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Stay quiet: a client hanging up mid-reply is normal for a test server."""


class ClientGone(Exception):
    """The client closed the connection, or the server is stopping."""


def host_for_url(host: str) -> str:
    """A host as it goes in a URL (IPv6 in brackets)."""
    return f"[{host}]" if ":" in host else host


class ScriptedServerBase(StartStop):
    """Serve a ScriptedModel with ``handler`` in a background thread; ``start()`` / ``stop()``."""

    handler: ClassVar[type[BaseHTTPRequestHandler]]
    label: ClassVar[str]  # "scripted model server", for messages and the thread name

    def __init__(self, model: ScriptedModel | None = None, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.model = model if model is not None else ScriptedModel()
        self._host = host
        self._port = port
        self._httpd: QuietHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    def _root_url(self) -> str:
        if self._httpd is None:
            raise RuntimeError(f"the {self.label} is not running; call start() first")
        host, port = self._httpd.server_address[:2]
        return f"http://{host_for_url(str(host))}:{port}"

    def _configure(self, httpd: QuietHTTPServer) -> None:
        """Per-server state on the HTTP server (a hook for subclasses)."""

    def start(self) -> Self:
        """Bind and serve in a background thread; returns self."""
        if self._httpd is not None:
            raise RuntimeError(f"the {self.label} is already running")
        self._stopping.clear()
        httpd = QuietHTTPServer((self._host, self._port), self.handler)
        httpd.owner = self
        httpd.stopping = self._stopping
        self._configure(httpd)
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"{self.label.replace(' ', '-')}:{httpd.server_address[1]}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving at once: delayed replies in flight are dropped. Safe to call twice."""
        httpd, thread = self._httpd, self._thread
        if httpd is None:
            return
        self._stopping.set()
        httpd.shutdown()
        httpd.server_close()
        if thread is not None:
            thread.join()
        self._httpd = self._thread = None

    def __repr__(self) -> str:
        where = self._root_url() if self._httpd is not None else "stopped"
        return f"{type(self).__name__}({where}, model={self.model!r})"
