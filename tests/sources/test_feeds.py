"""Feeds to article links: RSS, Atom, JSON Feed, served by the test site and hand-made edge cases."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ingest.errors import ErrorKind, IngestError
from ingest.fetch import FEED_TYPES, Fetcher, FetchSettings
from ingest.sources import parse_feed
from tests.site import NewsSite, content

pytestmark = pytest.mark.anyio
EXPECTED = {a.path: a for a in content.ARTICLES}


@pytest.mark.parametrize("path", ["/feed.xml", "/atom.xml", "/feed.json"])
async def test_site_feeds(news_site: NewsSite, fast_settings: FetchSettings, path: str) -> None:
    async with Fetcher(fast_settings) as fetcher:
        result = await fetcher.fetch(news_site.url + path, accept=FEED_TYPES)
    feed = parse_feed(result.body, url=result.url, content_type=result.headers.get("content-type"))
    assert feed.title == "Rhine Valley Courier"
    assert [link.url for link in feed.links] == [news_site.url + a.path for a in content.ARTICLES]
    for link in feed.links:
        article = EXPECTED[link.url.removeprefix(news_site.url)]
        assert link.title == article.title
        assert link.published == article.published
        assert link.lang == article.lang


def test_relative_links_resolve_against_the_feed_url() -> None:
    rss = (b'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><link>/</link>'
           b"<item><title>A</title><link>/news/2024/05/a-story-here</link></item>"
           b"<item><title>No link</title></item>"
           b"<item><title>Mail</title><link>mailto:x@example.org</link></item>"
           b"</channel></rss>")
    feed = parse_feed(rss, url="https://example.org/rss")
    assert [link.url for link in feed.links] == ["https://example.org/news/2024/05/a-story-here"]
    assert feed.home_url == "https://example.org/"


def test_guid_permalink_and_dates_without_zone() -> None:
    rss = (b'<rss version="2.0"><channel><title>T</title><language>de-DE</language>'
           b'<item><guid isPermaLink="true">https://example.org/2024/05/14/guid-only-story</guid>'
           b"<pubDate>Tue, 14 May 2024 09:30:00 +0200</pubDate></item></channel></rss>")
    feed = parse_feed(rss, url="https://example.org/rss")
    (link,) = feed.links
    assert link.url == "https://example.org/2024/05/14/guid-only-story"
    assert link.published == datetime(2024, 5, 14, 7, 30, tzinfo=UTC)
    assert link.lang == "de" and feed.lang == "de"


def test_rss1_rdf() -> None:
    rdf = (b'<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
           b'xmlns="http://purl.org/rss/1.0/"><channel rdf:about="https://example.org/"><title>R</title>'
           b'<link>https://example.org/</link></channel><item rdf:about="https://example.org/a/12345">'
           b"<title>A</title><link>https://example.org/a/12345</link></item></rdf:RDF>")
    assert [link.url for link in parse_feed(rdf).links] == ["https://example.org/a/12345"]


async def test_feed_that_is_not_xml(news_site: NewsSite, fast_settings: FetchSettings) -> None:
    async with Fetcher(fast_settings) as fetcher:
        result = await fetcher.fetch(news_site.url + "/fault/not-xml-feed", accept=FEED_TYPES)
    with pytest.raises(IngestError) as caught:
        parse_feed(result.body, url=result.url, content_type=result.headers.get("content-type"))
    assert caught.value.kind == ErrorKind.MALFORMED and caught.value.stage == "sources"
    assert "not a feed" in caught.value.message


@pytest.mark.parametrize("body", [
    b"",
    b"just text",
    b"{not json",
    b'{"version": "1", "items": []}',
    b"<?xml version='1.0'?><urlset/>",
])
def test_not_feeds(body: bytes) -> None:
    with pytest.raises(IngestError) as caught:
        parse_feed(body, url="https://example.org/feed")
    assert caught.value.kind == ErrorKind.MALFORMED


def test_entity_expansion_is_refused() -> None:
    laughs = (b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
              b'<rss version="2.0"><channel><title>&b;</title></channel></rss>')
    with pytest.raises(IngestError) as caught:
        parse_feed(laughs)
    assert caught.value.kind == ErrorKind.MALFORMED and "entities" in caught.value.message


def test_slightly_broken_feed_still_yields_links() -> None:
    # An unescaped & in a title: not well-formed, but feedparser's loose parser copes.
    rss = (b'<rss version="2.0"><channel><title>Tom & Jerry</title><item><title>A & B</title>'
           b"<link>https://example.org/2024/05/14/a-and-b</link></item></channel></rss>")
    feed = parse_feed(rss)
    assert [link.url for link in feed.links] == ["https://example.org/2024/05/14/a-and-b"]
