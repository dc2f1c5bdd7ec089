"""Successful fetches against the local news site: bodies, types, charsets, validators, redirects."""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import replace

import pytest

from ingest.errors import IngestError
from ingest.extract.encoding import decode
from ingest.fetch import FEED_TYPES, Fetcher, FetchSettings, fetch_once
from tests.site import NewsSite, content

pytestmark = pytest.mark.anyio


async def test_article_in_each_language(news_site: NewsSite, fast_settings: FetchSettings) -> None:
    async with Fetcher(fast_settings) as fetcher:
        for article in content.ARTICLES:
            result = await fetcher.fetch(news_site.url + article.path)
            assert result.status == 200 and not result.not_modified
            assert result.content_type == "text/html"
            assert result.charset == (article.charset if article.declare_in == "header" else None)
            text, _ = decode(result.body, http_charset=result.charset, html=True)
            assert article.title in text  # the page decodes to the right characters
            assert result.body_sha256 == hashlib.sha256(result.body).hexdigest()
            assert result.url == news_site.url + article.path


async def test_sends_user_agent_and_accept(news_site: NewsSite, fast_settings: FetchSettings) -> None:
    settings = replace(fast_settings, user_agent="newsdedup-test/9 (+https://example.org/contact)")
    async with Fetcher(settings) as fetcher:
        result = await fetcher.fetch(news_site.url + "/echo", accept=("application/json",))
    sent = json.loads(result.body)
    assert sent["user-agent"] == "newsdedup-test/9 (+https://example.org/contact)"
    assert sent["accept"].startswith("application/json")
    assert sent["accept-encoding"] == "gzip, deflate"


async def test_conditional_get_yields_not_modified(news_site: NewsSite, fast_settings: FetchSettings) -> None:
    async with Fetcher(fast_settings) as fetcher:
        first = await fetcher.fetch(news_site.url + "/feed.xml", accept=FEED_TYPES)
        assert first.etag == content.FEED_ETAG and first.last_modified == content.FEED_LAST_MODIFIED
        again = await fetcher.fetch(news_site.url + "/feed.xml", etag=first.etag,
                                    last_modified=first.last_modified, accept=FEED_TYPES)
        by_date = await fetcher.fetch(news_site.url + "/feed.xml", last_modified=first.last_modified,
                                      accept=FEED_TYPES)
    assert again.not_modified and again.status == 304 and again.body == b"" and again.body_sha256 is None
    assert again.etag == first.etag  # validators carried over for the caller to store
    assert by_date.not_modified
    assert again.unchanged_since(first.body_sha256)
    sent = news_site.state.requests_to("/feed.xml")[-2].headers
    assert sent["if-none-match"] == content.FEED_ETAG  # verbatim, quotes included


async def test_body_hash_tells_unchanged_when_validators_are_ignored(
        news_site: NewsSite, fast_settings: FetchSettings) -> None:
    url = news_site.url + "/conditional/ignores-validators"
    async with Fetcher(fast_settings) as fetcher:
        first = await fetcher.fetch(url, accept=FEED_TYPES)
        second = await fetcher.fetch(url, etag=first.etag, accept=FEED_TYPES)
    assert not second.not_modified and second.status == 200
    assert second.unchanged_since(first.body_sha256)
    assert not second.unchanged_since("0" * 64)


async def test_follows_redirects_and_reports_them(news_site: NewsSite, fast_settings: FetchSettings) -> None:
    async with Fetcher(fast_settings) as fetcher:
        result = await fetcher.fetch(news_site.url + "/fault/redirect-chain/3")
    assert result.url == news_site.url + content.ARTICLES[0].path
    assert result.requested_url == news_site.url + "/fault/redirect-chain/3"
    assert len(result.redirects) == 4


@pytest.mark.parametrize("path", ["/fault/gzipped", "/fault/deflated", "/fault/deflated?raw=1"])
async def test_decompresses_gzip_and_deflate(news_site: NewsSite, fast_settings: FetchSettings,
                                             path: str) -> None:
    async with Fetcher(fast_settings) as fetcher:
        result = await fetcher.fetch(news_site.url + path)
    assert content.ARTICLES[0].title.encode() in result.body


async def test_wrong_charset_is_reported_as_declared_and_left_to_decoding(
        news_site: NewsSite, fast_settings: FetchSettings) -> None:
    async with Fetcher(fast_settings) as fetcher:
        wrong = await fetcher.fetch(news_site.url + "/fault/wrong-charset")
        unknown = await fetcher.fetch(news_site.url + "/fault/unknown-charset")
    assert wrong.charset == "utf-8"  # the header lies; the fetcher reports, decoding recovers
    text, used = decode(wrong.body, http_charset=wrong.charset, html=True)
    assert content.ARTICLES[3].title in text and used != "utf-8"
    assert unknown.charset is None  # a label no codec knows is dropped rather than trusted


async def test_feed_types_accepted_and_sitemap_gzip_passes(news_site: NewsSite,
                                                           fast_settings: FetchSettings) -> None:
    from ingest.fetch import SITEMAP_TYPES
    async with Fetcher(fast_settings) as fetcher:
        atom = await fetcher.fetch(news_site.url + "/atom.xml", accept=FEED_TYPES)
        feed_json = await fetcher.fetch(news_site.url + "/feed.json", accept=FEED_TYPES)
        gz = await fetcher.fetch(news_site.url + "/sitemap-articles.xml.gz", accept=SITEMAP_TYPES)
    assert atom.content_type == "application/atom+xml"
    assert feed_json.content_type == "application/feed+json"
    assert gz.body[:2] == b"\x1f\x8b"  # handed over as the file it is; sources gunzip it


def test_sync_wrapper(news_site: NewsSite, fast_settings: FetchSettings) -> None:
    result = fetch_once(news_site.url + "/", fast_settings)
    assert result.status == 200 and b"Rhine Valley Courier" in result.body


async def test_logs_one_line_per_outcome(news_site: NewsSite, fast_settings: FetchSettings,
                                         caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="ingest.fetch")
    async with Fetcher(replace(fast_settings, respect_robots=False)) as fetcher:
        await fetcher.fetch(news_site.url + "/world/")
        with pytest.raises(IngestError):
            await fetcher.fetch(news_site.url + "/fault/status/404")
    lines = [r.getMessage() for r in caplog.records if r.name == "ingest.fetch"]
    assert len(lines) == 2
    assert lines[0].startswith("fetch ok") and "/world/" in lines[0]
    assert lines[1].startswith("fetch failed") and "not_found" in lines[1]
