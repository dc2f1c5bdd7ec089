"""Pytest fixtures for the test news site; a conftest.py imports them with
`from tests.site.fixtures import *`."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ingest.fetch import FetchSettings
from tests.site.server import NewsSite

__all__ = ["anyio_backend", "fast_settings", "news_site", "other_site"]


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"  # the fetcher uses asyncio primitives


@pytest.fixture(scope="session")
def news_site() -> Iterator[NewsSite]:
    with NewsSite() as site:
        yield site


@pytest.fixture(scope="session")
def other_site() -> Iterator[NewsSite]:
    """A second host (another port), for politeness across hosts."""
    with NewsSite() as site:
        yield site


@pytest.fixture
def fast_settings() -> FetchSettings:
    """Loopback allowed (the site is on 127.0.0.1), short timeouts, no politeness delay, no retries."""
    return FetchSettings(allow_private_addresses=True, connect_timeout=2.0, read_timeout=1.0,
                         total_timeout=5.0, max_bytes=1_000_000, per_host_delay=0.0, retries=0,
                         backoff_base=0.05, backoff_max=0.2, max_retry_after=5.0)
