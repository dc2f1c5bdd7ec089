"""robots.txt per origin (RFC 9309), parsed by protego and cached.

A missing robots.txt (4xx) allows everything; one that cannot be fetched (5xx, 429,
network failure) disallows everything until it can, as the RFC asks.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import httpx
from protego import Protego


@dataclass
class RobotsRules:
    parser: Protego | None            # None: no rules (allow all) or unreachable (see disallow_all)
    disallow_all: bool
    expires: float                    # monotonic time after which the file is fetched again
    reason: str                       # for messages: "robots.txt", "robots.txt unreachable: ..."
    sitemaps: list[str] = field(default_factory=list)

    def allows(self, url: str, token: str) -> bool:
        if self.disallow_all:
            return False
        return self.parser is None or self.parser.can_fetch(url, token)

    def crawl_delay(self, token: str) -> float | None:
        return self.parser.crawl_delay(token) if self.parser is not None else None

    @classmethod
    def parse(cls, text: str, ttl: float) -> RobotsRules:
        parser = Protego.parse(text)
        return cls(parser, False, time.monotonic() + ttl, "robots.txt", list(parser.sitemaps))

    @classmethod
    def allow_all(cls, reason: str, ttl: float) -> RobotsRules:
        return cls(None, False, time.monotonic() + ttl, reason)

    @classmethod
    def unreachable(cls, reason: str, ttl: float) -> RobotsRules:
        return cls(None, True, time.monotonic() + ttl, reason)


def origin_of(url: httpx.URL) -> str:
    port = f":{url.port}" if url.port else ""
    return f"{url.scheme}://{url.host}{port}"


class RobotsCache:
    """One RobotsRules per origin; concurrent fetches to a new origin wait for a single download."""

    def __init__(self, loader: Callable[[str], Awaitable[RobotsRules]]) -> None:
        self._loader = loader
        self._rules: dict[str, RobotsRules] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def rules_for(self, url: httpx.URL) -> RobotsRules:
        origin = origin_of(url)
        rules = self._rules.get(origin)
        if rules is not None and rules.expires > time.monotonic():
            return rules
        lock = self._locks.setdefault(origin, asyncio.Lock())
        async with lock:
            rules = self._rules.get(origin)
            if rules is None or rules.expires <= time.monotonic():
                rules = self._rules[origin] = await self._loader(f"{origin}/robots.txt")
        return rules
