"""Sitemaps: index, Google News, gzip, text, and hostile input."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime

import pytest

from ingest.errors import ErrorKind, IngestError
from ingest.fetch import SITEMAP_TYPES, Fetcher, FetchSettings
from ingest.sources import parse_sitemap
from tests.site import NewsSite, content

pytestmark = pytest.mark.anyio
NS = b'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'


async def test_site_sitemaps_from_index_down(news_site: NewsSite, fast_settings: FetchSettings) -> None:
    async with Fetcher(fast_settings) as fetcher:
        index = await fetcher.fetch(news_site.url + "/sitemap.xml", accept=SITEMAP_TYPES)
        parsed = parse_sitemap(index.body, url=index.url)
        assert parsed.kind == "index"
        assert parsed.sitemaps == [news_site.url + "/sitemap-news.xml",
                                   news_site.url + "/sitemap-articles.xml.gz"]
        news_result = await fetcher.fetch(parsed.sitemaps[0], accept=SITEMAP_TYPES)
        gz_result = await fetcher.fetch(parsed.sitemaps[1], accept=SITEMAP_TYPES)
    news = parse_sitemap(news_result.body, url=news_result.url)
    plain = parse_sitemap(gz_result.body, url=gz_result.url)
    expected = [news_site.url + a.path for a in content.ARTICLES]
    assert [link.url for link in news.links] == expected == [link.url for link in plain.links]
    for link, article in zip(news.links, content.ARTICLES, strict=True):
        assert (link.title, link.published, link.lang) == (article.title, article.published, article.lang)
    assert plain.links[0].updated == datetime(2024, 5, 14, tzinfo=UTC) and plain.links[0].title is None


def test_namespace_less_and_relative_and_duplicate_urls() -> None:
    xml = (b"<urlset><url><loc> https://example.org/a-long-article-slug </loc></url>"
           b"<url><loc>/relative/path-to-story</loc></url>"
           b"<url><loc>https://example.org/a-long-article-slug</loc></url>"
           b"<url><loc>javascript:alert(1)</loc></url><url></url></urlset>")
    parsed = parse_sitemap(xml, url="https://example.org/sitemap.xml")
    assert [link.url for link in parsed.links] == ["https://example.org/a-long-article-slug",
                                                   "https://example.org/relative/path-to-story"]


def test_unescaped_ampersand_is_recovered() -> None:
    xml = b"<urlset " + NS + b"><url><loc>https://example.org/story?id=1&ref=home</loc></url></urlset>"
    assert parse_sitemap(xml).links[0].url.startswith("https://example.org/story?id=1")


def test_text_sitemap() -> None:
    parsed = parse_sitemap(b"https://example.org/a\nhttps://example.org/b\n\n")
    assert [link.url for link in parsed.links] == ["https://example.org/a", "https://example.org/b"]


def test_gzip_text_and_xml() -> None:
    xml = b"<urlset " + NS + b"><url><loc>https://example.org/x</loc></url></urlset>"
    assert parse_sitemap(gzip.compress(xml)).links[0].url == "https://example.org/x"


def test_gzip_bomb_sitemap_is_too_large() -> None:
    with pytest.raises(IngestError) as caught:
        parse_sitemap(gzip.compress(b"<urlset>" + b" " * 5_000_000), max_bytes=1_000_000)
    assert caught.value.kind == ErrorKind.TOO_LARGE


@pytest.mark.parametrize("body", [
    b"<rss version='2.0'><channel/></rss>",       # a feed, not a sitemap
    b"<urlset><url><loc>https://a/</loc>",        # truncated beyond recovery? still yields, see below
    b"<<<>>>",
    b"not a url\nnor this",
])
def test_not_sitemaps(body: bytes) -> None:
    if body.startswith(b"<urlset"):
        assert parse_sitemap(body).links[0].url == "https://a/"  # truncated but recoverable
        return
    with pytest.raises(IngestError) as caught:
        parse_sitemap(body)
    assert caught.value.kind == ErrorKind.MALFORMED


def test_entities_and_external_dtds_are_refused() -> None:
    laughs = (b'<?xml version="1.0"?><!DOCTYPE urlset [<!ENTITY a "aaaaaaaaaaaaaaaa">'
              b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><urlset><url><loc>https://e.org/&b;</loc></url></urlset>')
    xxe = (b'<?xml version="1.0"?><!DOCTYPE urlset [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
           b"<urlset><url><loc>https://e.org/&x;</loc></url></urlset>")
    for body in (laughs, xxe):
        with pytest.raises(IngestError) as caught:
            parse_sitemap(body)
        assert caught.value.kind == ErrorKind.MALFORMED
    external = (b'<?xml version="1.0"?><!DOCTYPE urlset SYSTEM "http://127.0.0.1:9/evil.dtd">'
                b"<urlset><url><loc>https://e.org/a</loc></url></urlset>")
    assert parse_sitemap(external).links[0].url == "https://e.org/a"  # the DTD is never fetched
