"""The test news site as a Starlette app, with fault routes under /fault/.

Every request is recorded (arrival time, host, path, headers) so tests can check
politeness from the server's side of the wire.

Content:  /  (announces RSS, Atom, JSON feeds)   /robots.txt (Disallow /private/, Sitemap:)
          /feed.xml (ETag + Last-Modified, answers 304)   /atom.xml   /feed.json
          /sitemap.xml (index) -> /sitemap-news.xml (Google News), /sitemap-articles.xml.gz
          /world/ /de/politik/ /vi/thoi-su/ /ru/mir/ (sections)   articles: content.ARTICLES
          /tag/* /category/* /author/* /about ... (chrome pages)   /bare/ (no links at all)
          /slow?delay=S (tracks requests in flight)   /echo (request headers as JSON)
          /conditional/ignores-validators (200 every time)   /private/* (robots-disallowed)
Faults:   /fault/status/{code}   /fault/500 (always)   /fault/flaky?key=K&fail=N (N 500s, then 200)
          /fault/429 /fault/503 ?key=K&fail=N&after=S (Retry-After seconds)   /fault/429-date (HTTP-date)
          /fault/stall (no headers)   /fault/stall-body (headers, then silence)   /fault/drip (slow bytes)
          /fault/redirect-loop   /fault/redirect-chain/{n}   /fault/redirect?to=URL   /fault/no-location
          /fault/huge /fault/huge-declared (50 MB)   /fault/gzip-bomb (200 MB inflated)
          /fault/gzipped /fault/deflated[?raw=1] /fault/brotli   /fault/binary /fault/binary-as-html
          /fault/octet /fault/csv   /fault/wrong-charset /fault/unknown-charset   /fault/not-xml-feed
"""

from __future__ import annotations

import asyncio
import functools
import gzip
import threading
import time
import zlib
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from tests.site import content

HTML = "text/html; charset=utf-8"
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4"
       b"\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")
HUGE_BYTES = 50 * 1024 * 1024
BOMB_INFLATED_BYTES = 200 * 1024 * 1024


@dataclass(frozen=True)
class Hit:
    at: float                 # time.monotonic() on arrival (same clock as the tests)
    host: str                 # Host header, e.g. "127.0.0.1:40123"
    path: str
    query: str
    headers: dict[str, str]


@dataclass
class SiteState:
    crawl_delay: float | None = None
    robots_status: int = 200          # serve robots.txt with this status (500: "unreachable")
    hits: list[Hit] = field(default_factory=list)
    counters: Counter[str] = field(default_factory=Counter)
    in_flight: int = 0
    max_in_flight: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def requests_to(self, path: str) -> list[Hit]:
        with self.lock:
            return [h for h in self.hits if h.path == path]

    def requests_under(self, prefix: str) -> list[Hit]:
        with self.lock:
            return [h for h in self.hits if h.path.startswith(prefix)]

    def count(self, key: str) -> int:
        """How many times this key was seen before, then count this time."""
        with self.lock:
            seen = self.counters[key]
            self.counters[key] += 1
            return seen


class RecordHits:
    """ASGI middleware: note every request before the app sees it."""

    def __init__(self, app: ASGIApp, state: SiteState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
            hit = Hit(time.monotonic(), headers.get("host", ""), scope["path"],
                      scope.get("query_string", b"").decode("latin-1"), headers)
            with self.state.lock:
                self.state.hits.append(hit)
        await self.app(scope, receive, send)


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


@functools.cache
def _gzip_bomb() -> bytes:
    """200 MB of zeros in about 200 KB of gzip: one 8 MB member repeated (concatenated gzip
    members are one valid stream), so building it costs milliseconds, not seconds."""
    member = gzip.compress(bytes(8 * 1024 * 1024), compresslevel=9, mtime=0)
    return member * (BOMB_INFLATED_BYTES // (8 * 1024 * 1024))


async def _wait_or_disconnect(request: Request, seconds: float) -> None:
    """Sleep, but stop as soon as the client hangs up, so stalled handlers do not outlive tests."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if await request.is_disconnected():
            return
        await asyncio.sleep(0.05)


def build_app(state: SiteState) -> ASGIApp:
    async def home(request: Request) -> Response:
        return Response(content.home_html(_base(request)), media_type=HTML)

    async def robots(request: Request) -> Response:
        return PlainTextResponse(content.robots_txt(_base(request), state.crawl_delay),
                                 status_code=state.robots_status)

    async def article(request: Request) -> Response:
        page = content.ARTICLES_BY_PATH.get(request.url.path)
        if page is None:
            return Response(content.plain_page("Not found", _base(request)), 404, media_type=HTML)
        body = content.article_html(page, _base(request)).encode(page.charset, "xmlcharrefreplace")
        media_type = f"text/html; charset={page.charset}" if page.declare_in == "header" else "text/html"
        return Response(body, headers={"content-type": media_type})

    async def section(request: Request) -> Response:
        path = request.url.path
        if path not in content.SECTIONS:
            return Response(content.plain_page("Not found", _base(request)), 404, media_type=HTML)
        return Response(content.section_html(path, _base(request)), media_type=HTML)

    async def plain(request: Request) -> Response:
        return Response(content.plain_page(request.url.path, _base(request)), media_type=HTML)

    async def rss(request: Request) -> Response:
        # Conditional GET as a well-behaved server does it.
        validators = {"etag": content.FEED_ETAG, "last-modified": content.FEED_LAST_MODIFIED}
        if request.headers.get("if-none-match") == content.FEED_ETAG or (
                "if-none-match" not in request.headers
                and request.headers.get("if-modified-since") == content.FEED_LAST_MODIFIED):
            return Response(status_code=304, headers=validators)
        return Response(content.rss(_base(request)), media_type="application/rss+xml; charset=utf-8",
                        headers=validators)

    async def ignores_validators(request: Request) -> Response:
        return Response(content.rss(_base(request)), media_type="application/rss+xml",
                        headers={"etag": '"always-new"'})

    async def atom(request: Request) -> Response:
        return Response(content.atom(_base(request)), media_type="application/atom+xml")

    async def json_feed(request: Request) -> Response:
        return JSONResponse(content.json_feed(_base(request)), media_type="application/feed+json")

    async def sitemap_index(request: Request) -> Response:
        return Response(content.sitemap_index(_base(request)), media_type="application/xml")

    async def news_sitemap(request: Request) -> Response:
        return Response(content.news_sitemap(_base(request)), media_type="application/xml")

    async def sitemap_gz(request: Request) -> Response:
        return Response(content.article_sitemap_gz(_base(request)), media_type="application/gzip")

    async def slow(request: Request) -> Response:
        with state.lock:
            state.in_flight += 1
            state.max_in_flight = max(state.max_in_flight, state.in_flight)
        try:
            await asyncio.sleep(float(request.query_params.get("delay", "0.2")))
        finally:
            with state.lock:
                state.in_flight -= 1
        return PlainTextResponse("done")

    async def bare(request: Request) -> Response:
        return Response("<!DOCTYPE html><html><head><title>Bare</title></head><body><p>No links here.</p>"
                        "</body></html>", media_type=HTML)

    async def echo(request: Request) -> Response:
        return JSONResponse(dict(request.headers))

    # -- faults
    async def status(request: Request) -> Response:
        code = int(request.path_params["code"])
        return Response(content.plain_page(f"Error {code}", _base(request)), code, media_type=HTML)

    def _failing(code: int, date_header: bool = False):
        async def endpoint(request: Request) -> Response:
            """Fail the first `fail` requests of a `key` with `code`, then serve a page."""
            key = request.query_params.get("key", request.url.path)
            fail = int(request.query_params.get("fail", "1000000"))
            if state.count(key) < fail:
                headers = {}
                if "after" in request.query_params:
                    after = float(request.query_params["after"])
                    headers["retry-after"] = (
                        format_datetime(datetime.now(UTC) + timedelta(seconds=after), usegmt=True)
                        if date_header else str(int(after)))
                return PlainTextResponse(f"error {code}", code, headers=headers)
            return Response(content.plain_page("Recovered", _base(request)), media_type=HTML)
        return endpoint

    async def stall(request: Request) -> Response:
        await _wait_or_disconnect(request, 10)
        return PlainTextResponse("too late")

    async def stall_body(request: Request) -> Response:
        async def chunks() -> AsyncIterator[bytes]:
            yield b"<html><body>first bytes"
            await _wait_or_disconnect(request, 10)
            yield b"</body></html>"
        return StreamingResponse(chunks(), media_type=HTML)

    async def drip(request: Request) -> Response:
        async def chunks() -> AsyncIterator[bytes]:
            for _ in range(100):
                yield b"<p>drip</p>\n"
                await asyncio.sleep(0.2)
        return StreamingResponse(chunks(), media_type=HTML)

    async def redirect_loop(request: Request) -> Response:
        other = "/fault/redirect-loop-b" if request.url.path.endswith("loop") else "/fault/redirect-loop"
        return RedirectResponse(other, 302)

    async def redirect_chain(request: Request) -> Response:
        n = int(request.path_params["n"])
        target = f"/fault/redirect-chain/{n - 1}" if n > 0 else content.ARTICLES[0].path
        return RedirectResponse(target, 301)

    async def redirect_to(request: Request) -> Response:
        return RedirectResponse(request.query_params["to"], 302)

    async def no_location(request: Request) -> Response:
        return Response(status_code=302)

    async def huge(request: Request) -> Response:
        async def chunks() -> AsyncIterator[bytes]:
            block = b"<p>" + b"x" * (64 * 1024 - 7) + b"</p>\n"
            for _ in range(HUGE_BYTES // len(block)):
                yield block
        headers = {"content-length": str((HUGE_BYTES // (64 * 1024)) * 64 * 1024)} \
            if request.url.path.endswith("declared") else {}
        return StreamingResponse(chunks(), media_type=HTML, headers=headers)

    async def gzip_bomb(request: Request) -> Response:
        return Response(_gzip_bomb(), media_type=HTML, headers={"content-encoding": "gzip"})

    async def gzipped_page(request: Request) -> Response:
        page = content.article_html(content.ARTICLES[0], _base(request)).encode("utf-8")
        return Response(gzip.compress(page), media_type=HTML, headers={"content-encoding": "gzip"})

    async def deflated_page(request: Request) -> Response:
        page = content.article_html(content.ARTICLES[0], _base(request)).encode("utf-8")
        raw = request.query_params.get("raw") == "1"
        packer = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS if raw else zlib.MAX_WBITS)
        return Response(packer.compress(page) + packer.flush(), media_type=HTML,
                        headers={"content-encoding": "deflate"})

    async def brotli_claimed(request: Request) -> Response:
        return Response(b"\x0b\x02\x80hello\x03", media_type=HTML, headers={"content-encoding": "br"})

    async def binary(request: Request) -> Response:
        return Response(PNG, media_type="image/png")

    async def binary_as_html(request: Request) -> Response:
        return Response(PNG, media_type=HTML)

    async def octet(request: Request) -> Response:
        return Response(b"%PDF-1.4\n" + bytes(range(256)), media_type="application/octet-stream")

    async def csv(request: Request) -> Response:
        return Response("a,b\n1,2\n", media_type="text/csv")

    async def wrong_charset(request: Request) -> Response:
        page = content.ARTICLES[3]  # Russian, encoded windows-1251 but labelled UTF-8
        body = content.article_html(page, _base(request)).replace('<meta charset="windows-1251">', "")
        return Response(body.encode("windows-1251", "xmlcharrefreplace"),
                        headers={"content-type": "text/html; charset=utf-8"})

    async def unknown_charset(request: Request) -> Response:
        return Response(content.plain_page("Klingon", _base(request)).encode("utf-8"),
                        headers={"content-type": "text/html; charset=x-klingon"})

    async def not_xml_feed(request: Request) -> Response:
        return Response(content.plain_page("Oops, this is a page", _base(request)),
                        media_type="application/rss+xml")

    async def private(request: Request) -> Response:
        return Response(content.plain_page("Members only", _base(request)), media_type=HTML)

    routes = [
        Route("/", home),
        Route("/robots.txt", robots),
        Route("/feed.xml", rss),
        Route("/atom.xml", atom),
        Route("/feed.json", json_feed),
        Route("/sitemap.xml", sitemap_index),
        Route("/sitemap-news.xml", news_sitemap),
        Route("/sitemap-articles.xml.gz", sitemap_gz),
        Route("/slow", slow),
        Route("/echo", echo),
        Route("/bare/", bare),
        Route("/conditional/ignores-validators", ignores_validators),
        Route("/private/{rest:path}", private),
        Route("/fault/status/{code:int}", status),
        Route("/fault/500", _failing(500)),
        Route("/fault/flaky", _failing(500)),
        Route("/fault/503", _failing(503)),
        Route("/fault/429", _failing(429)),
        Route("/fault/429-date", _failing(429, date_header=True)),
        Route("/fault/stall", stall),
        Route("/fault/stall-body", stall_body),
        Route("/fault/drip", drip),
        Route("/fault/redirect-loop", redirect_loop),
        Route("/fault/redirect-loop-b", redirect_loop),
        Route("/fault/redirect-chain/{n:int}", redirect_chain),
        Route("/fault/redirect", redirect_to),
        Route("/fault/no-location", no_location),
        Route("/fault/huge", huge),
        Route("/fault/huge-declared", huge),
        Route("/fault/gzip-bomb", gzip_bomb),
        Route("/fault/gzipped", gzipped_page),
        Route("/fault/deflated", deflated_page),
        Route("/fault/brotli", brotli_claimed),
        Route("/fault/binary", binary),
        Route("/fault/binary-as-html", binary_as_html),
        Route("/fault/octet", octet),
        Route("/fault/csv", csv),
        Route("/fault/wrong-charset", wrong_charset),
        Route("/fault/unknown-charset", unknown_charset),
        Route("/fault/not-xml-feed", not_xml_feed),
        Route("/world/", section), Route("/de/politik/", section),
        Route("/vi/thoi-su/", section), Route("/ru/mir/", section),
        Route("/{path:path}", article),  # articles, tags, authors...: 404 unless an article
    ]
    for extra in ("/tag/{rest:path}", "/category/{rest:path}", "/author/{rest:path}", "/about", "/contact",
                  "/privacy-policy", "/login", "/search"):
        routes.insert(-1, Route(extra, plain))
    return RecordHits(Starlette(routes=routes), state)
