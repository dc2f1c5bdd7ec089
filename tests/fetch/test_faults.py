"""Every fault the test site can serve ends in the right ErrorKind, quickly."""

from __future__ import annotations

import socket
import time
from dataclasses import replace

import pytest

from ingest.errors import ErrorKind, IngestError
from ingest.fetch import HTML_TYPES, Fetcher, FetchSettings
from tests.site import NewsSite

pytestmark = pytest.mark.anyio


async def _kind_of(url: str, settings: FetchSettings, accept: tuple[str, ...] = HTML_TYPES) -> IngestError:
    async with Fetcher(settings) as fetcher:
        with pytest.raises(IngestError) as caught:
            await fetcher.fetch(url, accept=accept)
    error = caught.value
    assert error.stage == "fetch" and str(error).startswith("fetch: ")
    return error


@pytest.mark.parametrize(("path", "kind"), [
    ("/fault/status/404", ErrorKind.NOT_FOUND),
    ("/fault/status/410", ErrorKind.GONE),
    ("/fault/status/403", ErrorKind.FORBIDDEN),
    ("/fault/status/401", ErrorKind.FORBIDDEN),
    ("/fault/status/418", ErrorKind.CLIENT_ERROR),
    ("/fault/500", ErrorKind.SERVER_ERROR),
    ("/fault/status/502", ErrorKind.SERVER_ERROR),
    ("/fault/429", ErrorKind.TOO_MANY_REQUESTS),
    ("/fault/redirect-loop", ErrorKind.TOO_MANY_REDIRECTS),
    ("/fault/redirect-chain/9", ErrorKind.TOO_MANY_REDIRECTS),
    ("/fault/no-location", ErrorKind.MALFORMED),
    ("/fault/redirect?to=ftp://example.org/file", ErrorKind.UNSUPPORTED),
    ("/fault/huge", ErrorKind.TOO_LARGE),
    ("/fault/huge-declared", ErrorKind.TOO_LARGE),
    ("/fault/gzip-bomb", ErrorKind.TOO_LARGE),
    ("/fault/binary", ErrorKind.BINARY),
    ("/fault/binary-as-html", ErrorKind.BINARY),
    ("/fault/octet", ErrorKind.BINARY),
    ("/fault/csv", ErrorKind.UNSUPPORTED),
    ("/fault/brotli", ErrorKind.UNSUPPORTED),
    ("/private/members.html", ErrorKind.ROBOTS_DISALLOWED),
])
async def test_fault_maps_to_kind(news_site: NewsSite, fast_settings: FetchSettings, path: str,
                                  kind: ErrorKind) -> None:
    error = await _kind_of(news_site.url + path, fast_settings)
    assert error.kind == kind, error
    assert news_site.url in error.message  # the message names what failed


async def test_gzip_bomb_is_stopped_early(news_site: NewsSite, fast_settings: FetchSettings) -> None:
    started = time.monotonic()
    error = await _kind_of(news_site.url + "/fault/gzip-bomb", fast_settings)
    assert error.kind == ErrorKind.TOO_LARGE and "decompressed" in error.message
    assert time.monotonic() - started < 5


async def test_huge_body_is_cut_while_streaming(news_site: NewsSite, fast_settings: FetchSettings) -> None:
    error = await _kind_of(news_site.url + "/fault/huge", fast_settings)
    assert "streaming" in error.message  # not refused by a declared length: there is none
    async with Fetcher(fast_settings) as fetcher:  # a per-fetch cap overrides the settings
        with pytest.raises(IngestError) as caught:
            await fetcher.fetch(news_site.url + "/", max_bytes=100)
        assert caught.value.kind == ErrorKind.TOO_LARGE


async def test_stalled_server_times_out_on_read(news_site: NewsSite, fast_settings: FetchSettings) -> None:
    for path in ("/fault/stall", "/fault/stall-body"):
        started = time.monotonic()
        error = await _kind_of(news_site.url + path, fast_settings)
        assert error.kind == ErrorKind.TIMEOUT and "read timeout" in error.message
        assert time.monotonic() - started < 3


async def test_dripping_server_hits_the_total_timeout(news_site: NewsSite, fast_settings: FetchSettings) -> None:
    settings = replace(fast_settings, total_timeout=1.0)  # each drip beats the read timeout
    started = time.monotonic()
    error = await _kind_of(news_site.url + "/fault/drip", settings)
    assert error.kind == ErrorKind.TIMEOUT and "total_timeout" in error.message
    assert time.monotonic() - started < 3


async def test_connection_refused(fast_settings: FetchSettings) -> None:
    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    error = await _kind_of(f"http://127.0.0.1:{port}/", replace(fast_settings, respect_robots=False))
    assert error.kind == ErrorKind.CONNECTION


async def test_unresolvable_host(fast_settings: FetchSettings) -> None:
    error = await _kind_of("http://no-such-host.invalid/", replace(fast_settings, respect_robots=False))
    assert error.kind == ErrorKind.CONNECTION and "resolve" in error.message


@pytest.mark.parametrize(("url", "kind"), [
    ("ftp://example.org/feed", ErrorKind.UNSUPPORTED),
    ("file:///etc/passwd", ErrorKind.UNSUPPORTED),
    ("not a url", ErrorKind.UNSUPPORTED),
    ("http://", ErrorKind.MALFORMED),
])
async def test_bad_urls(url: str, kind: ErrorKind, fast_settings: FetchSettings) -> None:
    assert (await _kind_of(url, fast_settings)).kind == kind


async def test_tls_failure_is_tls(fast_settings: FetchSettings, news_site: NewsSite) -> None:
    # An https URL against the plain-HTTP site: the handshake fails.
    url = f"https://127.0.0.1:{news_site.port}/"
    error = await _kind_of(url, replace(fast_settings, respect_robots=False))
    assert error.kind == ErrorKind.TLS, error
