"""The hot path: the most polled documents answered from memory, without the framework or the database.

Feed readers poll /feed.atom and /feed.json, and apps the first page of /api/stories, far more
often than anything changes. The server renders each once per change-log head and keeps the
bytes (`FeedService.rendered`); `HotPath`, an ASGI middleware in front of the Starlette app,
answers a plain GET for one of them straight from that rendering, with header lists prepared
once per rendering, a 304 when the client's validators match (the body untouched), while the
head was read less than `head_check_interval` seconds ago (`HeadMemo`).

Everything else goes on to the app: other paths, other methods, a query string, a rendering
made at another head than the one last read, and every request once the last read is older
than the interval. The app reads the head (one indexed query, in its thread pool), renders
again when it moved, and so refreshes what this path serves. A new change therefore reaches
the hot documents within `head_check_interval` seconds, and each process holds only a memo of
what the database said: feed servers stay stateless, any number of them.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass

from starlette.types import ASGIApp, Receive, Scope, Send

from feeds.http import RenderCache, gzip_accepted, is_not_modified, validator_headers
from feeds.metrics import LATENCY, REQUESTS
from feeds.render import Rendered

# Prepared responses kept (one per hot document and base URL); a Host header makes a base URL,
# so the number is bounded like the render cache, oldest dropped first.
MAX_PREPARED = 64

Headers = list[tuple[bytes, bytes]]


class HeadMemo:
    """The change log's head as last read in this process, and when (time.monotonic())."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._last: tuple[int, float] = (0, float("-inf"))  # one tuple: read and replaced atomically
        self._lock = threading.Lock()

    def record(self, head: int, read_at: float) -> None:
        """`head` was read in a snapshot begun at `read_at` or later; a later read is never overwritten."""
        with self._lock:
            if read_at >= self._last[1]:
                self._last = (head, read_at)

    def fresh(self) -> int | None:
        """The head, if read less than `interval` seconds ago; None: read it again."""
        head, read_at = self._last
        return head if time.monotonic() - read_at < self.interval else None


@dataclass(frozen=True)
class HotRoute:
    """One document the hot path serves: its route name (metrics), render-cache key and headers."""

    name: str
    key: Callable[[str], Hashable]                   # the render-cache key for a base URL
    cache_control: str
    extra_headers: Callable[[str], dict[str, str]]   # for a base URL (WebSub links name it)


@dataclass(frozen=True)
class Prepared:
    """The ASGI header lists of one rendering: [plain, gzip] for the 200 and for the 304."""

    rendered: Rendered
    full: tuple[Headers, Headers]
    not_modified: tuple[Headers, Headers]


def prepare(rendered: Rendered, route: HotRoute, base: str) -> Prepared:
    """The same headers feeds.http.respond gives, as bytes, for both encodings."""
    full: list[Headers] = []
    not_modified: list[Headers] = []
    extra = route.extra_headers(base)
    for use_gzip in (False, True):
        shared = [(name.lower().encode("latin-1"), value.encode("latin-1"))
                  for name, value in validator_headers(rendered, use_gzip, route.cache_control, extra).items()]
        body = rendered.gzipped if use_gzip else rendered.body
        content = [(b"content-length", str(len(body)).encode("latin-1")),
                   (b"content-type", rendered.media_type.encode("latin-1"))]
        full.append(content + shared + ([(b"content-encoding", b"gzip")] if use_gzip else []))
        not_modified.append(shared)
    return Prepared(rendered, (full[0], full[1]), (not_modified[0], not_modified[1]))


class HotPath:
    """ASGI middleware: GET of a hot path, at a fresh head, answered from the render cache."""

    def __init__(self, app: ASGIApp, *, routes: dict[str, HotRoute], cache: RenderCache, memo: HeadMemo,
                 base_url: Callable[[str, str], str]) -> None:
        self.app = app
        self.routes = routes
        self.cache = cache
        self.memo = memo
        self.base_url = base_url      # (scheme, Host header) -> base URL, as the app makes it
        self._prepared: dict[Hashable, Prepared] = {}   # touched only on the event loop's thread
        # The metric children this path counts into, looked up once (labels() costs more than inc()).
        self._requests = {(route.name, status): REQUESTS.labels(route.name, str(status))
                          for route in routes.values() for status in (200, 304)}
        self._latency = {route.name: LATENCY.labels(route.name) for route in routes.values()}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET" or scope["query_string"]:
            await self.app(scope, receive, send)
            return
        route = self.routes.get(scope["path"])
        head = self.memo.fresh() if route is not None else None
        if route is None or head is None:
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        host = accept_encoding = ""
        if_none_match: str | None = None
        if_modified_since: str | None = None
        for name, value in scope["headers"]:
            if name == b"host":
                host = value.decode("latin-1")
            elif name == b"accept-encoding":
                accept_encoding = value.decode("latin-1")
            elif name == b"if-none-match":
                if_none_match = value.decode("latin-1")
            elif name == b"if-modified-since":
                if_modified_since = value.decode("latin-1")
        base = self.base_url(scope["scheme"], host)
        key = route.key(base)
        rendered = self.cache.get(key)
        if rendered is None or rendered.head != head:
            await self.app(scope, receive, send)  # the app renders at the head and refreshes the cache
            return
        prepared = self._prepared.get(key)
        if prepared is None or prepared.rendered is not rendered:
            prepared = self._prepare(key, rendered, route, base)
        use_gzip = gzip_accepted(accept_encoding)
        if is_not_modified(if_none_match, if_modified_since, rendered):
            status, headers, body = 304, prepared.not_modified[use_gzip], b""
        else:
            status, headers = 200, prepared.full[use_gzip]
            body = rendered.gzipped if use_gzip else rendered.body
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
        self._requests[route.name, status].inc()
        self._latency[route.name].observe(time.perf_counter() - started)

    def _prepare(self, key: Hashable, rendered: Rendered, route: HotRoute, base: str) -> Prepared:
        prepared = prepare(rendered, route, base)
        self._prepared.pop(key, None)
        while len(self._prepared) >= MAX_PREPARED:
            del self._prepared[next(iter(self._prepared))]
        self._prepared[key] = prepared
        return prepared
