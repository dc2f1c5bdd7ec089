"""The HTTP server: feeds, archives, the home page, stored documents, health and metrics.

    app = create_app("newsdedup.db", feed_settings)      # a Starlette app (ASGI)
    server = build_server("newsdedup.db", feed_settings) # a uvicorn.Server on host:port; .run() blocks

It only reads the database (one query-only connection per worker thread; WAL lets the
pipeline write meanwhile, from this process or another). Each resource is rendered once per
state of the change log and cached; a request for an unchanged resource costs one indexed
`max(seq)` query, and a 304 when the client sends its ETag. The main feeds and the first page
of /api/stories skip even that: feeds.hot answers them from memory while the head was read
less than `head_check_interval` seconds ago. Full archive pages never change, so they are
rendered once and served with an immutable Cache-Control.

uvicorn runs it with httptools' parser and uvloop's event loop (several times the throughput
of the pure-Python h11 and asyncio ones, see benchmarks/feeds/), closing slow clients'
connections (feeds.slow_clients), with no access log unless `access_log` is on.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import AsyncIterator, Callable, Hashable
from contextlib import asynccontextmanager
from typing import Any

import uvicorn
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from feeds import render, views
from feeds.hot import HeadMemo, HotPath, HotRoute
from feeds.http import IMMUTABLE, RenderCache, respond
from feeds.metrics import CHANGE_LOG_HEAD, LATENCY, REGISTRY, RENDERS, REQUESTS
from feeds.render import Rendered
from feeds.settings import FeedSettings
from feeds.slow_clients import with_header_timeout
from feeds.websub import Publisher
from storage import StorageError
from storage.reader import FeedReader, ThreadReaders

log = logging.getLogger("newsdedup.feeds")

# BCP 47 as far as a path segment needs: a primary language subtag and optional subtags.
_LANGUAGE = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8}){0,4}")
# A Host header good enough to build links from; anything else falls back to the settings.
_HOST = re.compile(r"[A-Za-z0-9.\-]+(:[0-9]{1,5})?|\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?")
MAX_LIMIT = 200
# Two overlapping pages: one story, several versions.
FAVICON = (b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect x="1" y="1" width="10" height="12" '
           b'fill="#8ab"/><rect x="5" y="3" width="10" height="12" fill="#2a7"/></svg>')
MAX_PAGE = 1_000_000
MAX_QUERY_CHARS = 200
# Story ids as the pipeline makes them ("s" and 16 hex digits) and as tests and older tools did.
_STORY_ID = re.compile(r"[A-Za-z0-9._~-]{1,100}")
SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff"}
HTML_POLICY = {"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'",
               "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}


class FeedService:
    """The request handlers, sharing the settings, the per-thread readers and the render cache."""

    def __init__(self, db_path: str, fs: FeedSettings) -> None:
        self.fs = fs
        self.readers = ThreadReaders(db_path)
        self.cache = RenderCache()
        self.head_memo = HeadMemo(fs.head_check_interval)
        self.live_cache_control = f"public, max-age={fs.max_age}"

    # -- helpers

    def base_url(self, request: Request) -> str:
        return self.base_url_for(request.url.scheme, request.headers.get("host", ""))

    def base_url_for(self, scheme: str, host: str) -> str:
        """The base URL of links: the configured one, else the request's scheme and Host header."""
        if self.fs.base_url:
            return self.fs.base_url
        if not _HOST.fullmatch(host):
            return self.fs.public_base_url()
        return f"{scheme}://{host}"

    def rendered(self, key: Hashable, kind: str,
                 build: Callable[[FeedReader, int], Rendered | None]) -> Rendered:
        """The cached rendering of `key` if the change log has not moved since, else a new one."""
        hit = self.cache.get(key)
        if hit is not None and hit.immutable:
            return hit
        reader = self.readers.get()
        read_at = time.monotonic()  # before the snapshot begins: the head is at least this fresh
        with reader.snapshot():
            head = reader.head_seq()
            self.head_memo.record(head, read_at)
            if hit is not None and hit.head == head:
                return hit
            fresh = build(reader, head)
        if fresh is None:
            raise HTTPException(404)
        RENDERS.labels(kind).inc()
        self.cache.put(key, fresh)
        return fresh

    @staticmethod
    def limit(request: Request, default: int) -> int:
        raw = request.query_params.get("limit")
        if raw is None:
            return default
        if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
            raise HTTPException(400, f"limit must be a whole number from 1 to {MAX_LIMIT}")
        return int(raw)

    def feed_headers(self, request: Request, path: str) -> dict[str, str]:
        return self.feed_headers_for(self.base_url(request), path)

    def feed_headers_for(self, base: str, path: str) -> dict[str, str]:
        """WebSub discovery (Link headers, as the WebSub spec prefers) when a hub is configured."""
        if not self.fs.websub_hub:
            return dict(SECURITY_HEADERS)
        return {**SECURITY_HEADERS, "Link": f'<{self.fs.websub_hub}>; rel="hub", <{base}{path}>; rel="self"'}

    # -- the render-cache keys of the documents feeds.hot also serves

    @staticmethod
    def atom_key(base: str) -> Hashable:
        return ("live.atom", base)

    @staticmethod
    def json_key(base: str) -> Hashable:
        return ("live.json", base)

    def api_stories_key(self, base: str, query: str | None = None, per_page: int | None = None, page: int = 1,
                        lang: str | None = None, source_id: int | None = None) -> Hashable:
        """/api/stories with these parameters; the defaults are the first page, as a bare GET asks for it."""
        per_page = per_page if per_page is not None else self.api_per_page
        return ("api-stories", base, query, per_page, page, lang, source_id)

    @property
    def api_per_page(self) -> int:
        return min(self.fs.stories, 30)

    def hot_routes(self) -> dict[str, HotRoute]:
        """What feeds.hot serves from memory, by path: the same keys and headers as the routes below."""
        return {
            "/feed.atom": HotRoute("feed_atom", self.atom_key, self.live_cache_control,
                                   lambda base: self.feed_headers_for(base, "/feed.atom")),
            "/feed.json": HotRoute("feed_json", self.json_key, self.live_cache_control,
                                   lambda base: self.feed_headers_for(base, "/feed.json")),
            "/api/stories": HotRoute("api_stories", self.api_stories_key, self.live_cache_control,
                                     lambda base: dict(SECURITY_HEADERS)),
        }

    # -- routes (plain functions: Starlette runs them in its thread pool, where SQLite may block)

    def feed_atom(self, request: Request) -> Response:
        base = self.base_url(request)
        rendered = self.rendered(self.atom_key(base), "live",
                                 lambda reader, head: render.live_atom(reader, head, self.fs, base))
        return respond(request, rendered, self.live_cache_control, self.feed_headers(request, "/feed.atom"))

    def feed_json(self, request: Request) -> Response:
        base = self.base_url(request)
        rendered = self.rendered(self.json_key(base), "json",
                                 lambda reader, head: render.live_json(reader, head, self.fs, base))
        return respond(request, rendered, self.live_cache_control, self.feed_headers(request, "/feed.json"))

    def archive(self, request: Request) -> Response:
        page: int = request.path_params["page"]
        base = self.base_url(request)
        try:
            rendered = self.rendered(("archive", page, base), "archive",
                                     lambda reader, head: render.archive_atom(reader, head, self.fs, base, page))
        except HTTPException:
            # The page after the last full one is still open: its changes are in the live feed.
            reader = self.readers.get()
            if page >= 1 and page == views.full_pages(reader.head_seq(), self.fs.page_size) + 1:
                return RedirectResponse("/feed.atom", status_code=307, headers={"Cache-Control": "no-cache"})
            raise
        return respond(request, rendered, IMMUTABLE, self.feed_headers(request, f"/archive/{page}.atom"))

    def language(self, request: Request) -> Response:
        lang: str = request.path_params["lang"]
        if not _LANGUAGE.fullmatch(lang):
            raise HTTPException(400, "not a language code")
        lang = lang.lower()
        limit = self.limit(request, self.fs.stories)
        base = self.base_url(request)
        rendered = self.rendered(("lang", lang, limit, base), "language",
                                 lambda reader, head: render.language_atom(reader, head, self.fs, base, lang, limit))
        return respond(request, rendered, self.live_cache_control, self.feed_headers(request, f"/lang/{lang}.atom"))

    def source(self, request: Request) -> Response:
        source_id: int = request.path_params["source_id"]
        limit = self.limit(request, self.fs.stories)
        base = self.base_url(request)
        rendered = self.rendered(
            ("source", source_id, limit, base), "source",
            lambda reader, head: render.source_atom(reader, head, self.fs, base, source_id, limit))
        return respond(request, rendered, self.live_cache_control,
                       self.feed_headers(request, f"/source/{source_id}.atom"))

    @staticmethod
    def page_number(request: Request) -> int:
        raw = request.query_params.get("page", "1")
        if not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE:
            raise HTTPException(400, f"page must be a whole number from 1 to {MAX_PAGE}")
        return int(raw)

    @staticmethod
    def filters(request: Request) -> tuple[str | None, int | None]:
        """The language and source a story list is narrowed to (empty: any)."""
        lang = request.query_params.get("lang") or None
        if lang is not None and not _LANGUAGE.fullmatch(lang):
            raise HTTPException(400, "lang must be a language code such as en or zh-Hans")
        source = request.query_params.get("source") or None
        if source is not None and (not source.isdigit() or int(source) >= 2**63):
            raise HTTPException(400, "source must be a source id (see newsdedup sources list)")
        return (lang.lower() if lang else None), (int(source) if source is not None else None)

    @staticmethod
    def search_query(request: Request) -> str:
        query = " ".join(request.query_params.get("q", "").split())
        if len(query) > MAX_QUERY_CHARS:
            raise HTTPException(400, f"the search is longer than {MAX_QUERY_CHARS} characters")
        return query

    def home(self, request: Request) -> Response:
        per_page = self.limit(request, min(self.fs.stories, 30))
        page = self.page_number(request)
        lang, source_id = self.filters(request)
        rendered = self.rendered(("home", per_page, page, lang, source_id), "home",
                                 lambda reader, head: render.home(reader, head, self.fs, per_page, page, lang,
                                                                  source_id))
        return respond(request, rendered, self.live_cache_control, HTML_POLICY)

    def search(self, request: Request) -> Response:
        query = self.search_query(request)
        per_page = self.limit(request, min(self.fs.stories, 30))
        page = self.page_number(request)
        lang, _ = self.filters(request)
        rendered = self.rendered(("search", query, per_page, page, lang), "search",
                                 lambda reader, head: render.search(reader, head, query, page, per_page, lang))
        return respond(request, rendered, self.live_cache_control, HTML_POLICY)

    def story(self, request: Request) -> Response:
        story_id = self.story_id(request)
        rendered = self.rendered(("story", story_id), "story",
                                 lambda reader, head: render.story(reader, head, story_id))
        return respond(request, rendered, self.live_cache_control, HTML_POLICY)

    @staticmethod
    def story_id(request: Request) -> str:
        story_id: str = request.path_params["story_id"]
        if not _STORY_ID.fullmatch(story_id):
            raise HTTPException(404)
        return story_id

    def api_stories(self, request: Request) -> Response:
        query = self.search_query(request) or None
        per_page = self.limit(request, self.api_per_page)
        page = self.page_number(request)
        lang, source_id = self.filters(request)
        base = self.base_url(request)
        rendered = self.rendered(
            self.api_stories_key(base, query, per_page, page, lang, source_id), "api",
            lambda reader, head: render.api_stories(reader, head, base, page, per_page, lang, source_id, query))
        return respond(request, rendered, self.live_cache_control, SECURITY_HEADERS)

    def api_story(self, request: Request) -> Response:
        story_id = self.story_id(request)
        base = self.base_url(request)
        rendered = self.rendered(("api-story", base, story_id), "api",
                                 lambda reader, head: render.api_story(reader, head, base, story_id))
        return respond(request, rendered, self.live_cache_control, SECURITY_HEADERS)

    def document(self, request: Request) -> Response:
        document_id: int = request.path_params["document_id"]
        rendered = self.rendered(("document", document_id), "document",
                                 lambda reader, head: render.document(reader, head, document_id))
        return respond(request, rendered, self.live_cache_control, HTML_POLICY)

    def favicon(self, request: Request) -> Response:
        # Browsers ask for an icon on every page; a 404 there is a console error on each.
        return Response(FAVICON, media_type="image/svg+xml",
                        headers={"Cache-Control": "public, max-age=86400", **SECURITY_HEADERS})

    def healthz(self, request: Request) -> Response:
        # Live (this answers) and ready (the database reads); 503 tells a balancer to wait.
        try:
            head = self.readers.get().ping()
        except StorageError as exc:
            return JSONResponse({"status": "unavailable", "database": str(exc)}, status_code=503,
                                headers={"Cache-Control": "no-store"})
        return JSONResponse({"status": "ok", "changes": head}, headers={"Cache-Control": "no-store"})

    def metrics(self, request: Request) -> Response:
        try:
            CHANGE_LOG_HEAD.set(self.readers.get().head_seq())
        except StorageError:
            pass  # /healthz reports the database; metrics still answer
        return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST,
                        headers={"Cache-Control": "no-store"})


class MetricsMiddleware:
    """Counts and times every request by route name (unmatched paths share one label)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def record_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, record_status)
        finally:
            # Starlette's router fills in the scope it was given, so the matched route is visible here.
            endpoint = scope.get("endpoint")
            route = getattr(endpoint, "__name__", "unmatched")
            REQUESTS.labels(route, str(status)).inc()
            LATENCY.labels(route).observe(time.perf_counter() - started)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return PlainTextResponse(f"{exc.status_code} {exc.detail}\n", status_code=exc.status_code,
                             headers={"Cache-Control": "no-cache", **SECURITY_HEADERS})


async def _database_error(request: Request, exc: Exception) -> Response:
    log.warning("database error on %s: %s", request.url.path, exc)
    return PlainTextResponse("503 database unavailable\n", status_code=503,
                             headers={"Retry-After": "5", "Cache-Control": "no-store"})


async def _internal_error(request: Request, exc: Exception) -> Response:
    log.exception("error on %s", request.url.path, exc_info=exc)
    return PlainTextResponse("500 internal error\n", status_code=500, headers={"Cache-Control": "no-store"})


def create_app(db_path: str, fs: FeedSettings | None = None) -> Starlette:
    """The Starlette app serving the feeds of the database at `db_path`.

    The database must exist (the pipeline creates it); until it does, feeds answer 503 and
    /healthz says why.
    """
    fs = fs or FeedSettings()
    service = FeedService(db_path, fs)
    routes = [
        Route("/", service.home, name="home"),
        Route("/feed.atom", service.feed_atom, name="feed_atom"),
        Route("/feed.json", service.feed_json, name="feed_json"),
        Route("/archive/{page:int}.atom", service.archive, name="archive"),
        Route("/lang/{lang}.atom", service.language, name="language"),
        Route("/source/{source_id:int}.atom", service.source, name="source"),
        Route("/documents/{document_id:int}", service.document, name="document"),
        Route("/stories/{story_id}", service.story, name="story"),
        Route("/search", service.search, name="search"),
        Route("/api/stories", service.api_stories, name="api_stories"),
        Route("/api/stories/{story_id}", service.api_story, name="api_story"),
        Route("/favicon.svg", service.favicon, name="favicon"),
        Route("/favicon.ico", service.favicon, name="favicon_ico"),
        Route("/healthz", service.healthz, name="healthz"),
        Route("/metrics", service.metrics, name="metrics"),
    ]

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        task = None
        if fs.websub_hub:
            publisher = Publisher(service.readers, fs.websub_hub, fs.public_base_url(), fs.websub_poll_seconds)
            app.state.publisher = publisher
            task = asyncio.create_task(publisher.run())
        try:
            yield
        finally:
            if task is not None:
                task.cancel()
            service.readers.close()

    app = Starlette(routes=routes, lifespan=lifespan, exception_handlers={
        HTTPException: _http_error, StorageError: _database_error, Exception: _internal_error,
    })
    app.add_middleware(MetricsMiddleware)
    # Outermost of ours (added last): what it answers skips routing, the thread pool and the database.
    app.add_middleware(HotPath, routes=service.hot_routes(), cache=service.cache, memo=service.head_memo,
                       base_url=service.base_url_for)
    app.state.service = service
    return app


def build_server(db_path: str, fs: FeedSettings | None = None, **config: Any) -> uvicorn.Server:
    """A uvicorn server for the app on fs.host:port (default 127.0.0.1:8080); `.run()` blocks."""
    fs = fs or FeedSettings()
    # uvicorn's own logging setup is off (log_config None): its records go through the process's
    # handlers (plain or JSON lines, see newsdedup.cli), its access log only when `access_log` is on.
    # httptools' parser with the header timeout; loop "auto" is uvloop where it is installed (not on Windows).
    options: dict[str, Any] = {"host": fs.host, "port": fs.port, "log_config": None, "access_log": fs.access_log,
                               "lifespan": "on", "timeout_graceful_shutdown": 5, "loop": "auto",
                               "http": with_header_timeout(fs.header_timeout, "httptools"),
                               "timeout_keep_alive": fs.keep_alive_timeout, **config}
    return uvicorn.Server(uvicorn.Config(create_app(db_path, fs), **options))

