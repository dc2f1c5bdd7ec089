"""Finding feeds and sitemaps, and telling a document's kind."""

from __future__ import annotations

import pytest

from ingest.errors import ErrorKind, IngestError
from ingest.fetch import Fetcher, FetchSettings
from ingest.sources import (
    SourceKind,
    common_feed_urls,
    detect_kind,
    discover_feeds,
    probe_site,
    sitemaps_from_robots,
)
from tests.site import NewsSite, content

pytestmark = pytest.mark.anyio


def test_link_tags_then_feedish_anchors() -> None:
    base = "https://example.org/"
    html = content.home_html("https://example.org")
    feeds = discover_feeds(html, base)
    assert [(f.url, f.type) for f in feeds] == [
        ("https://example.org/feed.xml", "application/rss+xml"),
        ("https://example.org/atom.xml", "application/atom+xml"),
        ("https://example.org/feed.json", "application/feed+json"),
    ]
    assert feeds[0].title == "Courier RSS"
    page = """<html><head><link rel="alternate" type="application/json" href="/wp-json/wp/v2/posts/1">
    <link rel="stylesheet" href="/style.css"></head><body>
    <a href="/category/news/feed/">Category feed</a><a href="https://other.org/rss.xml">Theirs</a>
    <a href="/2024/05/14/a-feed-story">Story</a></body></html>"""
    assert [f.url for f in discover_feeds(page, base)] == ["https://example.org/category/news/feed/"]


def test_feedish_anchors_the_strained_parse_must_still_see() -> None:
    # Anchors whose href cannot name a feed are not built (discovery._feed_page_parts):
    # what urlsplit and re.IGNORECASE make of an href must not be lost ("ſ" is an "s" to the
    # pattern, a newline is dropped), nor an href that resolves into a feedish base path.
    page = """<html><body><a href="/r&#383;&#383;">long s</a><a href="/fe\ned">newline</a>
    <a href="?page=2">query only</a><a href="/news/">News</a><a href="atom.xml">Atom <b>feed</b></a></body></html>"""
    assert [(f.url, f.title) for f in discover_feeds(page, "https://example.org/")] == [
        ("https://example.org/rſſ", "long s"), ("https://example.org/feed", "newline"),
        ("https://example.org/atom.xml", "Atom feed")]
    assert [f.url for f in discover_feeds(page, "https://example.org/feed/")] == [
        "https://example.org/rſſ", "https://example.org/feed", "https://example.org/feed/?page=2",
        "https://example.org/feed/atom.xml"]


def test_common_paths_and_robots_sitemaps() -> None:
    urls = common_feed_urls("https://example.org/some/page?x=1")
    assert urls[:3] == ["https://example.org/feed", "https://example.org/rss", "https://example.org/rss.xml"]
    assert "https://example.org/atom.xml" in urls and "https://example.org/index.xml" in urls
    robots = "User-agent: *\nDisallow:\nSitemap: https://example.org/s1.xml\nsitemap:/s2.xml.gz\n# Sitemap: x\n"
    assert sitemaps_from_robots(robots, "https://example.org/") == ["https://example.org/s1.xml",
                                                                   "https://example.org/s2.xml.gz"]


@pytest.mark.parametrize(("body", "content_type", "kind"), [
    (content.rss("https://e.org").encode(), "application/rss+xml", SourceKind.FEED),
    (content.atom("https://e.org").encode(), None, SourceKind.FEED),
    (b'{"version": "https://jsonfeed.org/version/1.1", "items": []}', "application/json", SourceKind.FEED),
    (b'<?xml version="1.0"?><?xml-stylesheet href="s.xsl"?><!-- hi --><rdf:RDF xmlns:rdf="x"/>', None,
     SourceKind.FEED),
    (content.sitemap_index("https://e.org").encode(), "text/xml", SourceKind.SITEMAP),
    (content.news_sitemap("https://e.org").encode(), None, SourceKind.SITEMAP),
    (content.article_sitemap_gz("https://e.org"), "application/gzip", SourceKind.SITEMAP),
    (b"https://e.org/a\nhttps://e.org/b\n", "text/plain", SourceKind.SITEMAP),
    (content.home_html("https://e.org").encode(), "text/html", SourceKind.HTML),
    (b"\xef\xbb\xbf  <!-- x --><HTML><body>hi", None, SourceKind.HTML),
    (b'<?xml version="1.0"?><!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0//EN" "x.dtd">'
     b'<html xmlns="http://www.w3.org/1999/xhtml"/>', None, SourceKind.HTML),
    (b"<div>fragment</div>", "text/html", SourceKind.HTML),
    (b'<?xml version="1.0"?><opml version="2.0"><body/></opml>', None, SourceKind.OPML),
])
def test_detect_kind(body: bytes, content_type: str | None, kind: SourceKind) -> None:
    assert detect_kind(body, content_type=content_type) == kind


@pytest.mark.parametrize(("body", "error"), [
    (b"a,b\n1,2\n", ErrorKind.UNSUPPORTED),
    (b'{"hello": "world"}', ErrorKind.UNSUPPORTED),
    (b"<svg xmlns='http://www.w3.org/2000/svg'/>", ErrorKind.UNSUPPORTED),
    (b"\x00\x01\x02binary", ErrorKind.BINARY),
    (b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03" + b"\xff" * 9, ErrorKind.MALFORMED),
])
def test_detect_kind_refuses(body: bytes, error: ErrorKind) -> None:
    with pytest.raises(IngestError) as caught:
        detect_kind(body)
    assert caught.value.kind == error


async def test_probe_site_with_announced_feeds(news_site: NewsSite, fast_settings: FetchSettings) -> None:
    async with Fetcher(fast_settings) as fetcher:
        found = await probe_site(fetcher, news_site.url)
    assert [f.url for f in found.feeds] == [news_site.url + p for p in ("/feed.xml", "/atom.xml", "/feed.json")]
    assert found.sitemaps == [news_site.url + "/sitemap.xml"]


async def test_probe_site_falls_back_to_common_paths(news_site: NewsSite, fast_settings: FetchSettings) -> None:
    # A page that announces no feed: the common paths are tried in order until one is a feed.
    async with Fetcher(fast_settings) as fetcher:
        found = await probe_site(fetcher, news_site.url + "/bare/")
    assert [f.url for f in found.feeds] == [news_site.url + "/atom.xml"]
    assert [e.kind for e in found.errors] == [ErrorKind.NOT_FOUND] * 3  # /feed, /rss, /rss.xml
    assert found.sitemaps == [news_site.url + "/sitemap.xml"]
