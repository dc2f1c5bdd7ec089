"""WebSub publishing: tell the hub which feeds changed, so subscribers need not poll.

The server watches the change log rather than being called by the pipeline, so it announces
changes whoever wrote them: the scheduler in the same process, or a `replay` in another.
Each changed feed (the live Atom and JSON feeds, and the per-language and per-source feeds
the new changes touch) is announced with the de facto publish request, a form POST of
hub.mode=publish and hub.url=<topic>, one topic per request since not every hub takes several.
A failed announcement is retried at the next poll. At start the live feeds are announced
once, since the hub may have missed what was written while the server was down.
"""

from __future__ import annotations

import asyncio
import logging

import anyio.to_thread
import httpx

from feeds.metrics import WEBSUB_NOTIFICATIONS
from storage.reader import ThreadReaders

log = logging.getLogger("newsdedup.websub")


class Publisher:
    def __init__(self, readers: ThreadReaders, hub: str, base_url: str, interval: float) -> None:
        self.readers = readers
        self.hub = hub
        self.base_url = base_url
        self.interval = interval
        self.announced: int | None = None   # the head already announced; None until the first look

    def _scan(self) -> tuple[int, set[str], set[int]]:
        reader = self.readers.get()
        with reader.snapshot():
            if self.announced is None:
                return reader.head_seq(), set(), set()
            return reader.scopes_changed_after(self.announced)

    def topics(self, languages: set[str], sources: set[int]) -> list[str]:
        base = self.base_url
        return ([f"{base}/feed.atom", f"{base}/feed.json"] + [f"{base}/lang/{lang}.atom" for lang in sorted(languages)]
                + [f"{base}/source/{source}.atom" for source in sorted(sources)])

    async def check(self, client: httpx.AsyncClient) -> bool:
        """Announce changes since the last check; True when there was something to announce."""
        head, languages, sources = await anyio.to_thread.run_sync(self._scan)
        if self.announced is None:
            # The hub may have missed changes written while this server was down; announcing the
            # live feeds once at start costs it a fetch and loses subscribers nothing.
            if head and not all([await self.publish(client, topic) for topic in self.topics(set(), set())]):
                return False  # the hub is unreachable: try again at the next poll
            self.announced = head
            return bool(head)
        if head <= self.announced:
            return False
        ok = True
        for topic in self.topics(languages, sources):
            ok = await self.publish(client, topic) and ok
        if ok:
            self.announced = head
        return True

    async def publish(self, client: httpx.AsyncClient, topic: str) -> bool:
        try:
            response = await client.post(self.hub, data={"hub.mode": "publish", "hub.url": topic})
        except httpx.HTTPError as exc:
            log.warning("WebSub hub %s unreachable: %s", self.hub, exc)
            WEBSUB_NOTIFICATIONS.labels("error").inc()
            return False
        if response.is_success:
            WEBSUB_NOTIFICATIONS.labels("ok").inc()
            return True
        log.warning("WebSub hub %s answered %s for %s", self.hub, response.status_code, topic)
        WEBSUB_NOTIFICATIONS.labels("rejected").inc()
        return False

    async def run(self) -> None:
        """Poll the change log until cancelled."""
        async with httpx.AsyncClient(timeout=httpx.Timeout(10.0), follow_redirects=False) as client:
            while True:
                try:
                    await self.check(client)
                except Exception:  # a broken database or hub must not end the server
                    log.exception("WebSub check failed")
                await asyncio.sleep(self.interval)
