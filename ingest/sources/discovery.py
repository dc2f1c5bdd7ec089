"""Finding a site's feeds and sitemaps from its home page and robots.txt."""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

from ingest.sources.links import FeedLink, absolute_url
from ingest.sources.pages import parse_html, same_site

# Not plain application/json: WordPress announces its REST API with it.
FEED_LINK_TYPES = ("application/rss+xml", "application/atom+xml", "application/feed+json",
                   "application/rdf+xml")
# Where feeds live when a page does not say (WordPress, Ghost, Hugo, Jekyll, generic CMSes), likeliest first.
COMMON_FEED_PATHS = ("/feed", "/rss", "/rss.xml", "/atom.xml", "/feed.xml", "/index.xml", "/feed/atom",
                     "/feeds/posts/default", "/index.rss")
COMMON_SITEMAP_PATHS = ("/sitemap.xml", "/sitemap_index.xml", "/news-sitemap.xml", "/sitemap-news.xml")
_FEEDISH_HREF = re.compile(r"(/feed/?|/rss/?|/atom/?|\.rss|[/._-](rss|atom|feed)\.xml|/feeds?/[^/]*)$",
                           re.IGNORECASE)
_SITEMAP_LINE = re.compile(r"^\s*sitemap\s*:\s*(\S+)", re.IGNORECASE | re.MULTILINE)


def discover_feeds(html: str | bytes, base_url: str, *, charset: str | None = None) -> list[FeedLink]:
    """Feeds the page announces: `<link rel="alternate">` with a feed type first, then same-site
    `<a>` links whose URL looks like a feed (/feed, /rss.xml, ...). Order kept, duplicates dropped."""
    root = parse_html(html, charset)
    if root is None:
        return []
    found: dict[str, FeedLink] = {}
    for link in root.iter("link"):
        rel = set((link.get("rel") or "").lower().split())
        media_type = (link.get("type") or "").split(";")[0].strip().lower()
        if "alternate" not in rel or media_type not in FEED_LINK_TYPES:
            continue
        url = absolute_url(link.get("href"), base_url)
        if url and url not in found:
            found[url] = FeedLink(url, title=_clean(link.get("title")), type=media_type)
    for anchor in root.iter("a"):
        url = absolute_url(anchor.get("href"), base_url)
        if url and url not in found and same_site(url, base_url) and _FEEDISH_HREF.search(urlsplit(url).path):
            found[url] = FeedLink(url, title=_clean(anchor.text_content()))
    return list(found.values())


def common_feed_urls(site_url: str) -> list[str]:
    """URLs to probe for a feed when the home page announces none."""
    return [_at_origin(site_url, path) for path in COMMON_FEED_PATHS]


def common_sitemap_urls(site_url: str) -> list[str]:
    return [_at_origin(site_url, path) for path in COMMON_SITEMAP_PATHS]


def sitemaps_from_robots(robots_txt: str, base_url: str) -> list[str]:
    """The `Sitemap:` URLs of a robots.txt, in file order."""
    urls = (absolute_url(m.group(1), base_url) for m in _SITEMAP_LINE.finditer(robots_txt))
    return list(dict.fromkeys(u for u in urls if u))


def robots_url(site_url: str) -> str:
    return _at_origin(site_url, "/robots.txt")


def _at_origin(url: str, path: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def _clean(text: str | None) -> str | None:
    return (" ".join(text.split()) or None) if text else None
