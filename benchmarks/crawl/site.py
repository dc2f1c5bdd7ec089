#!/usr/bin/env python3
"""A generated news site for the crawl benchmark, on 127.0.0.1 (a separate process, so its CPU is not counted).

    python benchmarks/crawl/site.py --articles 2000 --feeds 500 --port 8765

/sitemap.xml          every article (one urlset; lastmod descending)
/a/{i}.html           article i: a distinct text of 350-550 words in en, de, fr, es, vi or ru (i mod 6),
                      with names and numbers, inside page furniture (navigation, cookie banner,
                      related links, comments teaser, footer), about 6-9 KB of HTML
/feed/{i}.xml         an RSS feed listing article i, with an ETag; answers 304 to If-None-Match
/robots.txt           allows everything
Texts are built from wordfreq's frequent words with a seeded generator: the same i gives the same page.
Prints "ready PORT" once it listens.
"""

from __future__ import annotations

import argparse
import functools
import random
import socket
import sys
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from html import escape

import uvicorn
import wordfreq
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

LANGS = ("en", "de", "fr", "es", "vi", "ru")
EPOCH = datetime(2024, 5, 1, tzinfo=UTC)
NAMES = ("Keller", "Nguyen", "Ivanova", "Dupont", "García", "Okafor", "Tanaka", "Lindqvist", "Rossi", "Haddad",
         "Schmidt", "Moreau", "Petrov", "Fernández", "Tran", "Kowalski", "Novak", "Silva", "Jensen", "Müller")
PLACES = ("Mainz", "Hanoi", "Kazan", "Lyon", "Sevilla", "Lagos", "Osaka", "Uppsala", "Torino", "Beirut",
          "Gdansk", "Porto", "Aarhus", "Brno", "Da Nang", "Samara", "Nantes", "Bilbao", "Graz", "Tartu")
ORGS = ("UNESCO", "NATO", "WHO", "IMF", "OECD", "EBRD", "FIFA", "ESA", "IAEA", "WTO")


@functools.cache
def vocabulary(lang: str) -> tuple[str, ...]:
    return tuple(w for w in wordfreq.top_n_list(lang, 4000)[30:] if w.isalpha())


@functools.cache
def article(i: int) -> tuple[str, str, list[str], datetime]:
    rnd = random.Random(i)
    lang = LANGS[i % len(LANGS)]
    words = vocabulary(lang)
    published = EPOCH + timedelta(minutes=7 * i)

    def sentence() -> str:
        parts = rnd.choices(words, k=rnd.randint(9, 18))
        parts.insert(rnd.randrange(len(parts)), rnd.choice(NAMES))
        if rnd.random() < 0.5:
            parts.insert(rnd.randrange(len(parts)), str(rnd.randint(2, 9999)))
        if rnd.random() < 0.3:
            parts.insert(rnd.randrange(len(parts)), rnd.choice(ORGS))
        return " ".join(parts).capitalize() + "."

    paragraphs = [" ".join(sentence() for _ in range(rnd.randint(3, 5))) for _ in range(rnd.randint(6, 8))]
    title = f"{rnd.choice(PLACES)}: " + " ".join(rnd.choices(words, k=6)).capitalize() + f" {rnd.choice(NAMES)}"
    return lang, title, paragraphs, published


def article_html(i: int, n: int) -> str:
    lang, title, paragraphs, published = article(i)
    related = "".join(f'<li><a href="/a/{(i + k * 37) % n}.html">{escape(article((i + k * 37) % n)[1])}</a></li>'
                      for k in range(1, 6))
    body = "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    return f"""<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8"><title>{escape(title)} | Courier</title>
<meta property="og:title" content="{escape(title)}"><meta property="article:published_time"
content="{published.isoformat()}"><link rel="canonical" href="/a/{i}.html"></head><body>
<div class="cookie-banner">We use cookies to improve your experience. <button>Accept all</button>
<button>Settings</button></div>
<header class="site-header"><a href="/" class="logo">Continental Courier</a><nav><a href="/world/">World</a>
<a href="/business/">Business</a><a href="/sport/">Sport</a><a href="/culture/">Culture</a>
<a href="/login">Log in</a><a href="/subscribe">Subscribe</a></nav></header>
<main><article><h1>{escape(title)}</h1><div class="byline">By {NAMES[i % len(NAMES)]} · <time
datetime="{published.isoformat()}">{published:%d %B %Y}</time></div>{body}
<figure><img src="/img/{i}.jpg" alt=""><figcaption>Photo: Courier archive</figcaption></figure>
<div class="share">Share: <a href="#">Facebook</a> <a href="#">X</a> <a href="#">Email</a></div>
<div class="comments">Comments (0) — <a href="/login">log in to comment</a></div></article>
<aside><h2>See more</h2><ul>{related}</ul></aside></main>
<footer><nav><a href="/about">About us</a> | <a href="/contact">Contact</a> | <a href="/privacy-policy">Privacy</a>
</nav><p>© 2024 Continental Courier. All rights reserved.</p></footer></body></html>"""


def sitemap(n: int) -> str:
    urls = "".join(f"<url><loc>{{base}}/a/{i}.html</loc><lastmod>{article(i)[3].isoformat()}</lastmod></url>"
                   for i in reversed(range(n)))
    return ('<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            + urls + "</urlset>")


def feed(i: int, base: str) -> str:
    lang, title, paragraphs, published = article(i)
    return f"""<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Feed {i}</title>
<link>{base}/</link><description>One of many feeds</description><item><title>{escape(title)}</title>
<link>{base}/a/{i}.html</link><guid>{base}/a/{i}.html</guid><pubDate>{format_datetime(published, usegmt=True)}</pubDate>
<description>{escape(paragraphs[0][:200])}</description></item></channel></rss>"""


def build_app(articles: int, feeds: int) -> Starlette:
    sitemap_template = sitemap(articles)

    def base(request: Request) -> str:
        return str(request.base_url).rstrip("/")

    async def robots(request: Request) -> Response:
        return PlainTextResponse("User-agent: *\nAllow: /\n")

    async def sitemap_xml(request: Request) -> Response:
        return Response(sitemap_template.replace("{base}", base(request)), media_type="application/xml")

    async def page(request: Request) -> Response:
        i = request.path_params["i"]
        if not 0 <= i < articles:
            return PlainTextResponse("not found", 404)
        return Response(article_html(i, articles), media_type="text/html; charset=utf-8")

    async def feed_xml(request: Request) -> Response:
        i = request.path_params["i"]
        if not 0 <= i < feeds:
            return PlainTextResponse("not found", 404)
        etag = f'"feed-{i}-v1"'
        if request.headers.get("if-none-match") == etag:
            return Response(status_code=304, headers={"etag": etag})
        return Response(feed(i % articles, base(request)), media_type="application/rss+xml", headers={"etag": etag})

    return Starlette(routes=[Route("/robots.txt", robots), Route("/sitemap.xml", sitemap_xml),
                             Route("/a/{i:int}.html", page), Route("/feed/{i:int}.xml", feed_xml)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--feeds", type=int, default=500)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    app = build_app(args.articles, args.feeds)
    # proto=IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY on accepted sockets only then; without it Nagle
    # holds the body behind the headers until the client's delayed ACK, 40 ms per response.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", args.port))
    print(f"ready {sock.getsockname()[1]}", flush=True)
    sys.stdout.flush()
    uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False)).run(sockets=[sock])


if __name__ == "__main__":
    main()
