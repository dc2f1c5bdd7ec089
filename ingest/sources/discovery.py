"""Finding a site's feeds and sitemaps from its home page and robots.txt."""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import urlsplit, urlunsplit

from ingest.sources.links import FeedLink, absolute_url
from ingest.sources.pages import ElementStrainer, attribute, parse_page, same_site

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
_FEED_WORDS = ("rss", "atom", "feed")  # every pattern of _FEEDISH_HREF holds one
_URL_CONTROL_CHARACTERS = str.maketrans("", "", "\t\r\n")  # urlsplit() drops them


def _feed_page_parts(base_url: str) -> ElementStrainer:
    """<link> elements, and the <a> elements that may link to a feed, with their text.

    A resolved URL's path is made of segments of the href and of the base URL, and every
    pattern of _FEEDISH_HREF lies within one segment: unless the href or the base path holds
    "rss", "atom" or "feed", the link cannot look like a feed, and its anchor is not built.
    """
    base_may_be_feedish = _mentions_feed(urlsplit(base_url).path)

    def keep(name: str, attrs: Mapping[str, str]) -> bool:
        return name == "link" or (name == "a" and (base_may_be_feedish or _mentions_feed(attrs.get("href") or "")))

    return ElementStrainer(keep, text_in=frozenset({"a"}))


def _mentions_feed(url: str) -> bool:
    lowered = url.translate(_URL_CONTROL_CHARACTERS).casefold()  # casefold: re.IGNORECASE matches "ſ" to "s"
    return any(word in lowered for word in _FEED_WORDS)


def discover_feeds(html: str | bytes, base_url: str, *, charset: str | None = None) -> list[FeedLink]:
    """Feeds the page announces: `<link rel="alternate">` with a feed type first, then same-site
    `<a>` links whose URL looks like a feed (/feed, /rss.xml, ...). Order kept, duplicates dropped."""
    soup = parse_page(html, _feed_page_parts(base_url), charset)
    if soup is None:
        return []
    found: dict[str, FeedLink] = {}
    for link in soup.find_all("link"):
        rel = set(attribute(link, "rel").lower().split())
        media_type = attribute(link, "type").split(";")[0].strip().lower()
        if "alternate" not in rel or media_type not in FEED_LINK_TYPES:
            continue
        url = absolute_url(attribute(link, "href"), base_url)
        if url and url not in found:
            found[url] = FeedLink(url, title=_clean(attribute(link, "title")), type=media_type)
    for anchor in soup.find_all("a"):
        url = absolute_url(attribute(anchor, "href"), base_url)
        if url and url not in found and same_site(url, base_url) and _FEEDISH_HREF.search(urlsplit(url).path):
            found[url] = FeedLink(url, title=_clean(anchor.get_text()))
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
