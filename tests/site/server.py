"""Run the test news site on 127.0.0.1 in a background thread (uvicorn, a real socket)."""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType
from typing import Self

import uvicorn
from starlette.types import ASGIApp

from tests.site.app import SiteState, build_app


class AppServer:
    """An ASGI app under uvicorn on 127.0.0.1 (a real socket), in a background thread."""

    def __init__(self, app: ASGIApp, *, lifespan: str = "on", name: str = "app-server") -> None:
        # IPPROTO_TCP explicitly: with proto 0 asyncio never sets TCP_NODELAY, and every
        # keep-alive response then waits ~40 ms for delayed ACKs.
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind(("127.0.0.1", 0))
        self.port: int = self._socket.getsockname()[1]
        config = uvicorn.Config(app, log_level="warning", lifespan=lifespan, timeout_graceful_shutdown=1,
                                access_log=False)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self._socket]},
                                        name=f"{name}-{self.port}", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Self:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the server did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=5)
        self._socket.close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


class NewsSite(AppServer):
    """A live test site. `url` answers as 127.0.0.1; `localhost_url` is the same server by name."""

    def __init__(self, *, crawl_delay: float | None = None, robots_status: int = 200) -> None:
        self.state = SiteState(crawl_delay=crawl_delay, robots_status=robots_status)
        super().__init__(build_app(self.state), lifespan="off", name="news-site")

    @property
    def localhost_url(self) -> str:
        return f"http://localhost:{self.port}"

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"
