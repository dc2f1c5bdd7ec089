"""Safe by default: private addresses refused at every hop, robots.txt obeyed."""

from __future__ import annotations

import time
from dataclasses import replace

import pytest

from ingest.errors import ErrorKind, IngestError
from ingest.fetch import Fetcher, FetchSettings
from tests.site import NewsSite

pytestmark = pytest.mark.anyio


async def _error(url: str, settings: FetchSettings) -> IngestError:
    async with Fetcher(settings) as fetcher:
        with pytest.raises(IngestError) as caught:
            await fetcher.fetch(url)
    return caught.value


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "2130706433", "[::ffff:127.0.0.1]", "0x7f.1"])
async def test_loopback_refused_by_default(news_site: NewsSite, fast_settings: FetchSettings,
                                           host: str) -> None:
    since = time.monotonic()
    error = await _error(f"http://{host}:{news_site.port}/", replace(fast_settings, allow_private_addresses=False))
    assert error.kind == ErrorKind.PRIVATE_ADDRESS, error
    assert "allow_private_addresses" in error.message
    assert [h for h in news_site.state.hits if h.at >= since] == []  # not even robots.txt was asked


def test_default_settings_refuse_private_addresses() -> None:
    assert FetchSettings().allow_private_addresses is False


@pytest.mark.parametrize("target", [
    "http://169.254.169.254/latest/meta-data/",  # cloud metadata, the classic SSRF target
    "http://10.1.2.3/",
    "http://127.0.0.2:9/",
    "http://[::1]:9/",
])
async def test_redirect_to_private_address_refused(news_site: NewsSite, fast_settings: FetchSettings,
                                                   target: str) -> None:
    # Only the site's own address is let through, so the first hop works and the second must not.
    settings = replace(fast_settings, allow_private_addresses=False, private_address_allowlist=("127.0.0.1/32",))
    async with Fetcher(settings) as fetcher:
        ok = await fetcher.fetch(news_site.url + "/")
        assert ok.status == 200
        with pytest.raises(IngestError) as caught:
            await fetcher.fetch(f"{news_site.url}/fault/redirect?to={target}")
    assert caught.value.kind == ErrorKind.PRIVATE_ADDRESS, caught.value


async def test_robots_disallow_for_our_agent(news_site: NewsSite, fast_settings: FetchSettings) -> None:
    settings = replace(fast_settings, user_agent="BadBot/1.0 (+https://example.org)")
    error = await _error(news_site.url + "/world/", settings)
    assert error.kind == ErrorKind.ROBOTS_DISALLOWED and "robots.txt disallows" in error.message


async def test_robots_can_be_ignored_when_told(news_site: NewsSite, fast_settings: FetchSettings) -> None:
    async with Fetcher(replace(fast_settings, respect_robots=False)) as fetcher:
        result = await fetcher.fetch(news_site.url + "/private/members.html")
    assert result.status == 200


async def test_robots_is_fetched_once_per_origin(fast_settings: FetchSettings) -> None:
    with NewsSite() as site:
        async with Fetcher(fast_settings) as fetcher:
            for path in ("/", "/world/", "/about"):
                await fetcher.fetch(site.url + path)
        assert len(site.state.requests_to("/robots.txt")) == 1


async def test_unreachable_robots_disallows_the_site(fast_settings: FetchSettings) -> None:
    with NewsSite(robots_status=500) as site:
        error = await _error(site.url + "/world/", fast_settings)
    assert error.kind == ErrorKind.ROBOTS_DISALLOWED and "unreachable" in error.message


async def test_missing_robots_allows_everything(fast_settings: FetchSettings) -> None:
    with NewsSite(robots_status=404) as site:
        async with Fetcher(fast_settings) as fetcher:
            result = await fetcher.fetch(site.url + "/private/members.html")
    assert result.status == 200
