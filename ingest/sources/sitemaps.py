"""Sitemaps (sitemaps.org), sitemap indexes, Google News sitemaps, text and gzip sitemaps."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from lxml import etree

from ingest.errors import ErrorKind, IngestError
from ingest.fetch.body import decompress
from ingest.sources.links import ArticleLink, absolute_url, language_hint, parse_datetime
from ingest.sources.safexml import local_name, parse_xml

STAGE = "sources"
GZIP_MAGIC = b"\x1f\x8b"
# The protocol's own cap on an uncompressed sitemap.
MAX_SITEMAP_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True)
class ParsedSitemap:
    kind: Literal["urlset", "index"]
    links: list[ArticleLink] = field(default_factory=list)   # pages, for a urlset
    sitemaps: list[str] = field(default_factory=list)        # child sitemaps, for an index


def parse_sitemap(body: bytes, *, url: str | None = None, max_bytes: int = MAX_SITEMAP_BYTES) -> ParsedSitemap:
    """Pages or child sitemaps listed in `body`.

    Accepts XML urlsets (with Google News `<news:news>` titles, dates and languages),
    sitemap indexes, plain-text sitemaps (one URL a line) and any of them gzipped.
    Raises IngestError(MALFORMED / TOO_LARGE).
    """
    if body.startswith(GZIP_MAGIC):
        body = decompress(body, "gzip", max_bytes, stage=STAGE)
    if not body.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        return _parse_text(body, url)
    root = parse_xml(body, STAGE, "sitemap")
    kind = local_name(root)
    if kind == "sitemapindex":
        children = [absolute_url(_text(el, "loc"), url) for el in root.iterfind("{*}sitemap")]
        return ParsedSitemap("index", sitemaps=_unique(c for c in children if c))
    if kind == "urlset":
        links: dict[str, ArticleLink] = {}
        for element in root.iterfind("{*}url"):
            link = _url_entry(element, url)
            if link is not None and link.url not in links:
                links[link.url] = link
        return ParsedSitemap("urlset", links=list(links.values()))
    raise IngestError(ErrorKind.MALFORMED, STAGE,
                      f"{url or 'the document'} is XML with root <{kind}>, not a sitemap "
                      "(<urlset> or <sitemapindex>); is it a feed?")


def _url_entry(element: etree._Element, base: str | None) -> ArticleLink | None:
    loc = absolute_url(_text(element, "loc"), base)
    if loc is None:
        return None
    news = element.find("{*}news")
    if news is None:
        return ArticleLink(loc, updated=parse_datetime(_text(element, "lastmod")))
    publication = news.find("{*}publication")
    return ArticleLink(
        loc,
        title=_text(news, "title"),
        published=parse_datetime(_text(news, "publication_date")),
        updated=parse_datetime(_text(element, "lastmod")),
        lang=language_hint(_text(publication, "language")) if publication is not None else None,
    )


def _text(element: etree._Element, name: str) -> str | None:
    child = element.find("{*}" + name)
    if child is None or child.text is None:
        return None
    return " ".join(child.text.split()) or None


def _parse_text(body: bytes, base: str | None) -> ParsedSitemap:
    text = body.decode("utf-8", errors="replace")
    urls = [absolute_url(line, base) for line in text.splitlines() if line.strip()]
    if not urls or any(u is None for u in urls[:5]):
        raise IngestError(ErrorKind.MALFORMED, STAGE,
                          f"{base or 'the document'} is neither an XML sitemap nor a list of URLs")
    return ParsedSitemap("urlset", links=[ArticleLink(u) for u in _unique(u for u in urls if u)])


def _unique(urls: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(urls))
