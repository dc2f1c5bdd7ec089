"""The daemon: the crawler on APScheduler's clock and the feed server, in one process and one event loop.

One job per source, never two runs of the same source at once, jitter so sources do not
fire together. Each source's next due time is stored after every run, so a restarted
daemon resumes where it stopped instead of crawling everything at once.
"""

from __future__ import annotations

import logging
import random
import time
from datetime import UTC, datetime
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from feeds.server import build_server
from ingest.config import Settings
from ingest.crawl import Crawler
from ingest.fetch import Fetcher, FetchSettings
from ingest.pipeline import Pipeline
from storage.store import Store

log = logging.getLogger("newsdedup.daemon")

# How often the daemon looks for sources added, changed or removed with `newsdedup sources`.
SOURCE_SYNC_SECONDS = 30


class Daemon:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.store = Store(settings.db)
        self.pipeline = Pipeline(self.store, settings)
        self.crawler = Crawler(self.store, self.pipeline, settings)
        self.scheduler = AsyncIOScheduler(timezone=UTC)
        self._scheduled: dict[int, tuple[int, bool]] = {}   # source id -> (interval, enabled)
        self.fetcher: Fetcher | None = None

    async def run(self) -> None:
        """Serve feeds and crawl on schedule until SIGINT/SIGTERM; in-flight documents finish first."""
        server = build_server(self.settings.db, self.settings)
        async with Fetcher(FetchSettings.from_settings(self.settings)) as fetcher:
            self.fetcher = fetcher
            self.sync_jobs()
            self.scheduler.add_job(self.sync_jobs, IntervalTrigger(seconds=SOURCE_SYNC_SECONDS), id="sync-sources",
                                   max_instances=1, coalesce=True)
            self.scheduler.start()
            try:
                await server.serve()  # returns when uvicorn has handled SIGINT/SIGTERM
            finally:
                self.scheduler.shutdown(wait=False)
        self.store.close()

    def sync_jobs(self) -> None:
        """Make the scheduler's jobs match the sources table."""
        sources = {s["id"]: s for s in self.store.sources()}
        for source_id in list(self._scheduled):
            if source_id not in sources or not sources[source_id]["enabled"]:
                self.scheduler.remove_job(f"source-{source_id}")
                del self._scheduled[source_id]
        for source in sources.values():
            wanted = (source["interval_seconds"], bool(source["enabled"]))
            if not source["enabled"] or self._scheduled.get(source["id"]) == wanted:
                continue
            interval = source["interval_seconds"]
            self.scheduler.add_job(
                self.run_source, IntervalTrigger(seconds=interval, jitter=max(1, interval // 10)),
                args=[source["id"]], id=f"source-{source['id']}", replace_existing=True,
                max_instances=1, coalesce=True, misfire_grace_time=interval,
                next_run_time=self._first_run(source))
            self._scheduled[source["id"]] = wanted
            log.info("scheduled source %s %s every %ss", source["id"], source["url"], interval)

    def _first_run(self, source: dict[str, Any]) -> datetime:
        due = source["next_due"] or time.time()
        # A little jitter even for overdue sources, so a restart does not fire them all at once.
        return datetime.fromtimestamp(max(due, time.time()) + random.uniform(0, 5), tz=UTC)

    async def run_source(self, source_id: int) -> None:
        source = self.store.source(source_id)
        if source is None or not source["enabled"] or self.fetcher is None:
            return
        await self.crawler.run_source(self.fetcher, source)
