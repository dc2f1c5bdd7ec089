"""Run the test news site on 127.0.0.1 in a background thread (uvicorn, a real socket)."""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType

import uvicorn

from tests.site.app import SiteState, build_app


class NewsSite:
    """A live test site. `url` answers as 127.0.0.1; `localhost_url` is the same server by name."""

    def __init__(self, *, crawl_delay: float | None = None, robots_status: int = 200) -> None:
        self.state = SiteState(crawl_delay=crawl_delay, robots_status=robots_status)
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind(("127.0.0.1", 0))
        self.port: int = self._socket.getsockname()[1]
        config = uvicorn.Config(build_app(self.state), log_level="warning", lifespan="off",
                                timeout_graceful_shutdown=1, access_log=False)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self._socket]},
                                        name=f"news-site-{self.port}", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def localhost_url(self) -> str:
        return f"http://localhost:{self.port}"

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> NewsSite:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the test news site did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=5)
        self._socket.close()

    def __enter__(self) -> NewsSite:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
