"""Politeness measured on the server side: request starts per host, concurrency, Retry-After, backoff."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from pathlib import Path

import pytest

from ingest.errors import ErrorKind, IngestError
from ingest.fetch import Fetcher, FetchSettings
from storage import Store
from tests.site import Hit, NewsSite

pytestmark = pytest.mark.anyio
SLACK = 0.05  # scheduling jitter between the client's sleep and the server's clock reading (2 busy cores)


def _gaps(hits: list[Hit]) -> list[float]:
    times = sorted(h.at for h in hits)
    return [b - a for a, b in zip(times, times[1:], strict=False)]


def _hits(site: NewsSite, since: float, prefix: str = "/", host: str | None = None) -> list[Hit]:
    return [h for h in site.state.requests_under(prefix) if h.at >= since and (host is None or h.host == host)]


async def test_minimum_delay_between_requests_to_a_host(news_site: NewsSite,
                                                        fast_settings: FetchSettings) -> None:
    settings = replace(fast_settings, per_host_delay=0.25, per_host_concurrency=2)
    since = time.monotonic()
    async with Fetcher(settings) as fetcher:
        await asyncio.gather(*(fetcher.fetch(f"{news_site.url}/tag/delay-{i}") for i in range(4)))
    hits = _hits(news_site, since, host=news_site.host)
    assert len(hits) == 5  # robots.txt, then the four pages
    assert min(_gaps(hits)) >= 0.25 - SLACK


async def test_the_delay_holds_across_fetchers_that_share_their_starts(news_site: NewsSite,
                                                                      fast_settings: FetchSettings,
                                                                      tmp_path: Path) -> None:
    # Two workers' fetchers (each with its own per-process limits) reserving starts in one database.
    settings = replace(fast_settings, per_host_delay=0.25, per_host_concurrency=2, respect_robots=False)
    since = time.monotonic()
    with Store(str(tmp_path / "shared.db")) as store:
        async with Fetcher(settings, shared_starts=store.sources.reserve_host) as one, \
                Fetcher(settings, shared_starts=store.sources.reserve_host) as two:
            await asyncio.gather(*(fetcher.fetch(f"{news_site.url}/tag/shared-{i}-{n}")
                                   for i, fetcher in enumerate((one, two)) for n in range(3)))
    hits = _hits(news_site, since, "/tag/shared-", host=news_site.host)
    assert len(hits) == 6 and min(_gaps(hits)) >= 0.25 - SLACK


async def test_concurrency_limit_per_host(news_site: NewsSite, fast_settings: FetchSettings) -> None:
    settings = replace(fast_settings, per_host_concurrency=2, respect_robots=False)
    news_site.state.max_in_flight = 0
    started = time.monotonic()
    async with Fetcher(settings) as fetcher:
        await asyncio.gather(*(fetcher.fetch(f"{news_site.url}/slow?delay=0.25&i={i}", accept=("text/plain",))
                               for i in range(6)))
    assert news_site.state.max_in_flight == 2
    assert time.monotonic() - started >= 3 * 0.25 - SLACK  # six requests, two at a time


async def test_hosts_are_limited_independently(news_site: NewsSite, other_site: NewsSite,
                                               fast_settings: FetchSettings) -> None:
    settings = replace(fast_settings, per_host_delay=0.3, respect_robots=False)
    since = time.monotonic()
    async with Fetcher(settings) as fetcher:
        # Two host names (the second site is reached as "localhost"), so two politeness queues.
        urls = [f"{base}/tag/hosts-{i}" for base in (news_site.url, other_site.localhost_url) for i in range(3)]
        await asyncio.gather(*(fetcher.fetch(url) for url in urls))
    elapsed = time.monotonic() - since
    for site in (news_site, other_site):
        hits = _hits(site, since, "/tag/hosts-")
        assert len(hits) == 3 and min(_gaps(hits)) >= 0.3 - SLACK
    assert elapsed < 2 * 0.6  # the two hosts' queues ran side by side, not one after the other


async def test_crawl_delay_from_robots_is_honoured(fast_settings: FetchSettings) -> None:
    with NewsSite(crawl_delay=0.3) as site:
        since = time.monotonic()
        async with Fetcher(fast_settings) as fetcher:  # per_host_delay is 0: only Crawl-delay spaces them
            await asyncio.gather(*(fetcher.fetch(f"{site.url}/tag/crawl-{i}") for i in range(3)))
        pages = _hits(site, since, "/tag/crawl-")
    assert len(pages) == 3 and min(_gaps(pages)) >= 0.3 - SLACK


@pytest.mark.parametrize(("path", "after"), [
    ("/fault/429", 1), ("/fault/503", 1), ("/fault/429-date", 2),
])
async def test_retry_after_is_honoured(news_site: NewsSite, fast_settings: FetchSettings, path: str,
                                       after: int) -> None:
    key = f"retry-after-{path}-{time.monotonic()}"
    since = time.monotonic()
    async with Fetcher(replace(fast_settings, retries=1)) as fetcher:
        result = await fetcher.fetch(f"{news_site.url}{path}?key={key}&fail=1&after={after}")
    assert result.status == 200 and result.attempts == 2
    hits = _hits(news_site, since, path)
    assert len(hits) == 2
    # An HTTP-date has whole seconds: "now + 2 s" may mean anything over 1 s from now.
    assert _gaps(hits)[0] >= (after - 1 if "date" in path else after) - SLACK


async def test_long_retry_after_fails_fast_and_blocks_the_host(news_site: NewsSite,
                                                               fast_settings: FetchSettings) -> None:
    key = f"long-{time.monotonic()}"
    since = time.monotonic()
    async with Fetcher(replace(fast_settings, retries=3, respect_robots=False)) as fetcher:
        with pytest.raises(IngestError) as first:
            await fetcher.fetch(f"{news_site.url}/fault/429?key={key}&fail=1&after=60")
        assert first.value.kind == ErrorKind.TOO_MANY_REQUESTS and "60 s" in first.value.message
        assert 55 < fetcher.retry_after(news_site.url + "/") <= 60
        with pytest.raises(IngestError) as second:  # another page of the same host: not even sent
            await fetcher.fetch(f"{news_site.url}/tag/blocked")
        assert second.value.kind == ErrorKind.TOO_MANY_REQUESTS
    assert time.monotonic() - since < 1
    assert len(_hits(news_site, since)) == 1


async def test_server_errors_are_retried_with_backoff(news_site: NewsSite,
                                                      fast_settings: FetchSettings) -> None:
    key = f"flaky-{time.monotonic()}"
    since = time.monotonic()
    settings = replace(fast_settings, retries=2, backoff_base=0.2, backoff_max=1.0)
    async with Fetcher(settings) as fetcher:
        result = await fetcher.fetch(f"{news_site.url}/fault/flaky?key={key}&fail=2")
    assert result.attempts == 3
    gaps = _gaps(_hits(news_site, since, "/fault/flaky"))
    # Equal jitter: retry n waits between half and all of base * 2**n.
    assert gaps[0] >= 0.1 - SLACK and gaps[1] >= 0.2 - SLACK


async def test_retries_give_up_with_the_last_error(news_site: NewsSite, fast_settings: FetchSettings) -> None:
    since = time.monotonic()
    async with Fetcher(replace(fast_settings, retries=2, respect_robots=False)) as fetcher:
        with pytest.raises(IngestError) as caught:
            await fetcher.fetch(f"{news_site.url}/fault/500?key=give-up-{since}")
        assert caught.value.kind == ErrorKind.SERVER_ERROR and "gave up after 3 attempts" in caught.value.message
        with pytest.raises(IngestError) as not_found:
            await fetcher.fetch(f"{news_site.url}/fault/status/404")
        assert not_found.value.kind == ErrorKind.NOT_FOUND
    assert len(_hits(news_site, since, "/fault/500")) == 3
    assert len(_hits(news_site, since, "/fault/status/404")) == 1  # a 404 is not retried


async def test_timeouts_are_retried(news_site: NewsSite, fast_settings: FetchSettings) -> None:
    since = time.monotonic()
    settings = replace(fast_settings, retries=1, read_timeout=0.4, respect_robots=False)
    async with Fetcher(settings) as fetcher:
        with pytest.raises(IngestError) as caught:
            await fetcher.fetch(f"{news_site.url}/fault/stall")
    assert caught.value.kind == ErrorKind.TIMEOUT
    assert len(_hits(news_site, since, "/fault/stall")) == 2
