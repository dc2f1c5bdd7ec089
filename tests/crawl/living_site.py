"""A news site whose articles change: edits, moved pubDates, Atom updates, broken and slow links.

Every response is honest HTTP: ETags and Last-Modified from the content, 304 for a matching
conditional GET. Tests edit `site.articles` between crawls and read `site.hits` afterwards.
"""

from __future__ import annotations

import asyncio
import hashlib
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from tests.site.server import AppServer

WORDS = ("harbour council ferry budget bridge river school festival museum railway energy market "
         "hospital court weather airport police election minister storm").split()
START = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


@dataclass
class LivingArticle:
    slug: str
    title: str
    paragraphs: list[str]
    published: datetime
    updated: datetime | None = None     # shown as <atom:updated> in the RSS item when set
    broken: bool = False                # answers 500, always
    drip: bool = False                  # sends one byte a second, for ever

    def html(self) -> str:
        body = "".join(f"<p>{p}</p>" for p in self.paragraphs)
        return (f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{self.title}</title></head>"
                f"<body><nav><a href='/'>Home</a></nav><article><h1>{self.title}</h1>{body}</article>"
                "<footer>© Living News</footer></body></html>")


def paragraphs(seed: int, count: int = 4) -> list[str]:
    out = []
    for p in range(count):
        words = [WORDS[(seed * 31 + p * 7 + i * 3) % len(WORDS)] for i in range(40)]
        out.append(f"Report {seed}-{p} from Town{seed} by Agency{seed % 5}: " + " ".join(words) + ".")
    return out


@dataclass
class LivingState:
    articles: dict[str, LivingArticle] = field(default_factory=dict)
    robots: str = "User-agent: *\nAllow: /\n"
    hits: list[tuple[str, int, bool]] = field(default_factory=list)  # (path, status, conditional)
    sent_bytes: dict[str, int] = field(default_factory=dict)         # path -> body bytes sent
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, path: str, status: int | None = None) -> int:
        with self.lock:
            return sum(1 for p, s, _ in self.hits if p == path and (status is None or s == status))

    def conditional(self, path: str) -> list[bool]:
        with self.lock:
            return [c for p, _, c in self.hits if p == path]


def _conditional(request: Request, body: bytes, modified: datetime) -> tuple[Response | None, dict[str, str]]:
    etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
    last_modified = format_datetime(modified.astimezone(UTC), usegmt=True)
    headers = {"etag": etag, "last-modified": last_modified}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers), headers
    return None, headers


def build_app(state: LivingState) -> Starlette:
    def record(request: Request, status: int, size: int = 0) -> None:
        conditional = "if-none-match" in request.headers or "if-modified-since" in request.headers
        with state.lock:
            state.hits.append((request.url.path, status, conditional))
            state.sent_bytes[request.url.path] = state.sent_bytes.get(request.url.path, 0) + size

    async def rss(request: Request) -> Response:
        base = f"{request.url.scheme}://{request.url.netloc}"
        items = []
        for a in state.articles.values():
            updated = f"<atom:updated>{a.updated.isoformat()}</atom:updated>" if a.updated else ""
            items.append(f"<item><title>{a.title}</title><link>{base}/news/{a.slug}</link>"
                         f"<guid isPermaLink='false'>{a.slug}</guid>"
                         f"<pubDate>{format_datetime(a.published, usegmt=True)}</pubDate>{updated}</item>")
        body = ("<?xml version='1.0' encoding='utf-8'?><rss version='2.0' xmlns:atom='http://www.w3.org/2005/Atom'>"
                f"<channel><title>Living News</title><link>{base}/</link>{''.join(items)}</channel></rss>"
                ).encode()
        newest = max((a.updated or a.published for a in state.articles.values()), default=START)
        not_modified, headers = _conditional(request, body, newest)
        if not_modified is not None:
            record(request, 304)
            return not_modified
        record(request, 200, len(body))
        return Response(body, media_type="application/rss+xml; charset=utf-8", headers=headers)

    async def article(request: Request) -> Response:
        a = state.articles.get(request.path_params["slug"])
        if a is None:
            record(request, 404)
            return PlainTextResponse("not found", 404)
        if a.broken:
            record(request, 500)
            return PlainTextResponse("broken", 500)
        if a.drip:
            record(request, 200)

            async def drip() -> AsyncIterator[bytes]:
                yield b"<!doctype html><html><body><p>"
                while True:
                    await asyncio.sleep(1)
                    yield b"x"

            return StreamingResponse(drip(), media_type="text/html")
        body = a.html().encode()
        not_modified, headers = _conditional(request, body, a.updated or a.published)
        if not_modified is not None:
            record(request, 304)
            return not_modified
        record(request, 200, len(body))
        return Response(body, media_type="text/html; charset=utf-8", headers=headers)

    async def robots(request: Request) -> Response:
        record(request, 200)
        return PlainTextResponse(state.robots)

    return Starlette(routes=[Route("/feed.xml", rss), Route("/news/{slug}", article),
                             Route("/robots.txt", robots)])


class LivingSite(AppServer):
    def __init__(self, articles: int = 12) -> None:
        self.state = LivingState()
        for i in range(articles):
            slug = f"story-{i}"
            self.state.articles[slug] = LivingArticle(slug, f"Story number {i} about Town{i}", paragraphs(i),
                                                      START + timedelta(minutes=i))
        super().__init__(build_app(self.state), name="living-site")

    @property
    def feed_url(self) -> str:
        return self.url + "/feed.xml"

    def add(self, slug: str, *, seed: int, **flags: bool) -> LivingArticle:
        article = LivingArticle(slug, f"Story {slug} about Town{seed}", paragraphs(seed), START, **flags)
        self.state.articles[slug] = article
        return article
