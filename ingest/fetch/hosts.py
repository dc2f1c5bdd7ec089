"""Politeness per host: how many requests in flight, how far apart they start, when to back off.

The limits are per process. Several workers crawling one database (`newsdedup serve` on
PostgreSQL) would each keep their own delay and together start requests to a host closer
together than `per_host_delay`; given a `SharedStarts` (the app layer passes the database's,
as the fetcher knows nothing of storage), each start is also reserved there, so the spacing
holds across every worker. Concurrency stays per process (a few in flight per worker).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Protocol

import httpx

from ingest.errors import ErrorKind, IngestError


def host_key(url: httpx.URL) -> str:
    """Politeness is per host name: http and https (or any two ports) of one host share its limits."""
    return url.host


class SharedStarts(Protocol):
    """Request starts reserved across workers (the database's `Sources.reserve_host`)."""

    def __call__(self, host: str, earliest: float, spacing: float) -> float:
        """Reserve the first start to `host` at or after `earliest` (epoch seconds) that is
        `spacing` after every start any worker reserved before; return it (epoch seconds)."""
        ...


@dataclass
class _HostState:
    semaphore: asyncio.Semaphore
    next_start: float = 0.0           # monotonic time before which no request may start
    blocked_until: float = 0.0        # monotonic time the host asked us to wait until (Retry-After)
    crawl_delay: float = 0.0          # from robots.txt


class HostLimits:
    """Gate for request starts. Each start reserves the next free moment for its host, so
    queued requests leave at `delay` intervals in arrival order instead of all at once."""

    def __init__(self, *, concurrency: int, delay: float, max_wait: float,
                 shared: SharedStarts | None = None) -> None:
        self.concurrency = concurrency
        self.delay = delay
        self.max_wait = max_wait
        self.shared = shared
        self._hosts: dict[str, _HostState] = {}

    def _state(self, key: str) -> _HostState:
        state = self._hosts.get(key)
        if state is None:
            state = self._hosts[key] = _HostState(asyncio.Semaphore(self.concurrency))
        return state

    @asynccontextmanager
    async def slot(self, key: str, url: str) -> AsyncIterator[None]:
        """Hold one of the host's request slots, starting no sooner than politeness allows."""
        state = self._state(key)
        async with state.semaphore:
            now = time.monotonic()
            blocked = state.blocked_until - now
            if blocked > self.max_wait:
                raise IngestError(ErrorKind.TOO_MANY_REQUESTS, "fetch",
                                  f"{key} asked us to wait {blocked:.0f} s more (Retry-After) before {url}; "
                                  "try again later")
            start = max(now, state.next_start, state.blocked_until)
            spacing = max(self.delay, state.crawl_delay)
            if self.shared is not None and spacing > 0:
                # Other processes share the reservations, so they are in wall-clock time (workers
                # on several machines need synchronised clocks, NTP, for the spacing to hold).
                to_wall = time.time() - now
                start = max(start, self.shared(key, start + to_wall, spacing) - to_wall)
            state.next_start = start + spacing
            if start > now:
                await asyncio.sleep(start - now)
            yield

    def block(self, key: str, seconds: float) -> None:
        """The host said Retry-After: no request to it starts before then."""
        state = self._state(key)
        state.blocked_until = max(state.blocked_until, time.monotonic() + seconds)

    def set_crawl_delay(self, key: str, seconds: float) -> None:
        self._state(key).crawl_delay = seconds

    def blocked_for(self, key: str) -> float:
        """Seconds until the host accepts requests again (0 when it does now)."""
        state = self._hosts.get(key)
        return max(0.0, state.blocked_until - time.monotonic()) if state else 0.0
