"""Serve a WSGI app on a loopback port from a background thread (threaded werkzeug server).

Used by `python -m sandbox …`, by the test fixtures that start the emulators in-process, and by the
demo. `Service` is what each emulator's `cli.build(args)` returns: the app, a banner to print at start,
and `close()` (persist state, stop background threads).
"""

from __future__ import annotations

import logging
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Self

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server


@dataclass
class Service:
    app: Callable
    banner: Callable[[str], str] = field(default=lambda url: url)  # given the base URL, what to print
    close: Callable[[], None] = field(default=lambda: None)


class Startable(ABC):
    """Something started and stopped by hand or as `with thing as t:`, which starts it and stops it on
    the way out."""

    @abstractmethod
    def start(self) -> Self: ...

    @abstractmethod
    def stop(self) -> None: ...

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs) -> None:  # one line per request drowns the demo's report
        pass


class ServerThread(Startable):
    def __init__(self, app: Callable, host: str = "127.0.0.1", port: int = 0, *, quiet: bool = True):
        self.server: BaseWSGIServer = make_server(
            host, port, app, threaded=True, request_handler=_QuietHandler if quiet else WSGIRequestHandler
        )
        self.host = host
        self.port = self.server.server_port
        self._thread = threading.Thread(
            target=self.server.serve_forever, name=f"serve-{self.port}", daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> ServerThread:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=10)


logging.getLogger("werkzeug").setLevel(logging.WARNING)
