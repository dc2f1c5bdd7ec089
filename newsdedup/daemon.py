"""The daemon: the crawler on APScheduler's clock and the feed server, in one process.

The crawler runs on the main thread's event loop; the feed server runs its own event loop
in a second thread, with its own read-only database connections, so a document being
ingested (synchronous SQLite work, ~10 ms) never delays a feed response.

The composition root: it wires the crawler (ingest), the database (storage) and the HTTP
server (feeds), and registers the crawl metrics on the registry /metrics serves.

Scheduling. Each source has one job, due at the source's stored `next_due` (plus a little
jitter, so sources do not fire together); when a run ends the crawler stores the next due
time (adaptive interval, see ingest.crawl) and the daemon schedules the source's next run
at it. So a restarted daemon resumes where it stopped instead of crawling everything at
once, and a source never has two runs at once. At most `max_concurrent_sources` runs go at
a time; the others wait for a slot ("due" in the queue metric). Sources added, changed or
removed with `newsdedup sources` are picked up every SOURCE_SYNC_SECONDS.

Several workers. Every `serve` on one database (PostgreSQL, for several) schedules every
source, and a run starts only once its worker holds the source's lease (`Sources.lease`):
the first worker due takes it, the others find it held (or run already) and look again at
the lease's end (or the source's next due time). So no source is polled twice at once, and
the sources spread over the workers. A run renews its lease while it lasts and gives it back
when it ends; a worker that dies leaves its leases to run out (LEASE_BUDGET_FACTOR times the
run budget), after which another worker takes its sources over, where the dead one stopped.
A lease left by a dead process of this same host (a restart after SIGKILL: a new pid) is
taken over at once. On PostgreSQL the per-host delay is shared too: every request start to a
host is reserved in the database (`Sources.reserve_host`), so the workers together keep it.

Shutdown. On SIGTERM or SIGINT no new run starts, and running runs
finish the document in hand and stop (their source stays due, so a restart resumes it);
after `shutdown_timeout` seconds, or a second signal, what is left is cancelled between
two writes. Then the HTTP server stops, and the process exits with status 0. A SIGKILL at any moment loses nothing
stored: each document is one transaction and fetch states are saved after it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import signal
import threading
import time
from datetime import UTC, datetime
from types import FrameType
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from feeds.metrics import REGISTRY
from feeds.server import build_server
from ingest import metrics
from ingest.crawl import Crawler
from ingest.fetch import Fetcher
from ingest.pipeline import Pipeline
from newsdedup.config import Settings
from newsdedup.leases import LEASE_BUDGET_FACTOR, keep_lease, lease_or_holder, release, worker_id
from storage import Source, StorageError, StorageReadOnly, open_database
from storage.clock import parse_utc
from storage.factory import is_postgres_url

log = logging.getLogger("newsdedup.daemon")

# How often the daemon looks for sources added, changed or removed with `newsdedup sources`.
SOURCE_SYNC_SECONDS = 30
# Overdue sources start within this many seconds of a (re)start, spread at random.
STARTUP_SPREAD_SECONDS = 5.0
# Jitter added to each next run: a tenth of the interval, at most this much.
MAX_JITTER_SECONDS = 60.0
# A source that could be neither leased nor found held (released that very moment) is tried
# again this much later, not at once, so that no race can make a worker spin on it.
LEASE_RETRY_SECONDS = 1.0


class JsonLogFormatter(logging.Formatter):
    """One JSON object per log record and line: time (RFC 3339 UTC), level, logger, message (and the
    exception, when there is one). For journald, Docker and log shippers (`--log-format json`)."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


class Daemon:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        try:
            self.store = open_database(settings.storage.db)
        except StorageReadOnly:
            # Feeds need only reads: serve them, and say why nothing is crawled.
            log.warning("%s is read-only: serving its feeds without crawling (make it writable to crawl)",
                        settings.storage.db)
            self.read_only = True
            return
        self.read_only = False
        if not self.store.sources.all(enabled_only=True):
            log.info("no sources to crawl yet: serving what the database holds. Add one with "
                     "'newsdedup sources add --discover https://example.org/' (picked up within %d s), or "
                     "replay saved files with 'newsdedup replay PATH'", SOURCE_SYNC_SECONDS)
        self.pipeline = Pipeline(self.store, settings.matching)
        self.crawler = Crawler(self.store, self.pipeline, settings.crawl, settings.fetch)
        self.scheduler = AsyncIOScheduler(timezone=UTC)
        self.fetcher: Fetcher | None = None
        self.worker = worker_id()
        self.lease_seconds = LEASE_BUDGET_FACTOR * settings.crawl.source_run_budget
        self._known: dict[int, int] = {}        # source id -> configured interval, as last synced
        self._running_ids: set[int] = set()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._slots: asyncio.Semaphore | None = None
        self._due = 0
        self._draining = False
        self._forced = False
        self._server: Any = None
        self._stop: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    # -- lifecycle

    async def run(self) -> None:
        """Serve feeds and crawl on schedule until SIGINT/SIGTERM; in-flight documents finish first."""
        self._loop = asyncio.get_running_loop()
        self._slots = asyncio.Semaphore(max(1, self.settings.daemon.max_concurrent_sources))
        self._server = build_server(self.settings.storage.db, self.settings.feeds)
        self._stop = asyncio.Event()
        previous = self._install_signal_handlers()
        server_thread = threading.Thread(target=self._server.run, name="feed-server", daemon=True)
        server_thread.start()
        if self.read_only:
            try:
                await self._wait_for_server(server_thread)
                await self._stop.wait()
            finally:
                self._server.should_exit = True
                await asyncio.to_thread(server_thread.join, 10)
                for sig, handler in previous.items():
                    signal.signal(sig, handler)
            return
        metrics.register(REGISTRY)
        self._init_gauges()
        try:
            await self._wait_for_server(server_thread)
            # PostgreSQL is how several workers share a database: there each request start is
            # reserved in it, so the per-host delay holds for all of them together. On SQLite the
            # daemon is the one crawler of its file; its own limits suffice, with no extra writes.
            shared = self.store.sources.reserve_host if is_postgres_url(self.settings.storage.db) else None
            async with Fetcher(self.settings.fetch, shared_starts=shared) as fetcher:
                self.fetcher = fetcher
                await self.sync_jobs()
                self.scheduler.add_job(self.sync_jobs, IntervalTrigger(seconds=SOURCE_SYNC_SECONDS),
                                       id="sync-sources", max_instances=1, coalesce=True)
                self.scheduler.start()
                try:
                    await self._stop.wait()
                finally:
                    await self.drain()
        finally:
            self._server.should_exit = True
            await asyncio.to_thread(server_thread.join, 10)
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            self.store.close()
        log.info("stopped")

    async def _wait_for_server(self, thread: threading.Thread) -> None:
        """Until the feed server listens; an error if it cannot (the port is taken, say)."""
        while not self._server.started:
            if not thread.is_alive():
                feeds = self.settings.feeds
                raise RuntimeError(f"the feed server did not start on {feeds.host}:{feeds.port}; "
                                   "is the port in use? (see the log above, or set --port)")
            await asyncio.sleep(0.05)

    async def drain(self) -> None:
        """Start nothing new; let running source runs finish their document in hand, bounded."""
        self._draining = True
        self.crawler.stop()
        if self.scheduler.running:
            self.scheduler.pause()   # fires no more jobs; shutdown() would cancel the running ones
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.settings.daemon.shutdown_timeout
        pending = {t for t in self._tasks if not t.done()}
        if pending:
            log.info("shutting down: waiting up to %.0f s for %d source run(s) to finish the document in hand",
                     self.settings.daemon.shutdown_timeout, len(pending))
        while pending and not self._forced and loop.time() < deadline:
            _, pending = await asyncio.wait(pending, timeout=min(0.2, max(0.0, deadline - loop.time())))
        if pending:
            log.warning("shutting down: cancelling %d source run(s) that did not finish in time", len(pending))
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)

    def _install_signal_handlers(self) -> dict[int, Any]:
        """The first signal starts the shutdown; while draining, a second cancels what is left.
        (uvicorn, in its own thread, installs none.)"""
        if threading.current_thread() is not threading.main_thread():
            return {}
        return {sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        if self._draining:
            if self._forced:
                return
            self._forced = True
            log.warning("second signal: cancelling running source runs now")

    def _init_gauges(self) -> None:
        metrics.STORIES.set(self.store.documents.counts().stories)
        metrics.QUEUE.labels("due").set(0)
        metrics.QUEUE.labels("running").set(0)
        for source in self.store.sources.all():
            if source.last_success:
                metrics.LAST_SUCCESS.labels(str(source.id)).set(parse_utc(source.last_success).timestamp())

    # -- scheduling

    async def sync_jobs(self) -> None:
        """Make the scheduler's jobs match the sources table (a coroutine: it runs on the loop, like the
        crawler, so the store's connection is only ever used from one thread)."""
        if self._draining:
            return
        sources = {s.id: s for s in self.store.sources.all(enabled_only=True)}
        for source_id in list(self._known):
            if source_id not in sources:
                job = self.scheduler.get_job(f"source-{source_id}")
                if job is not None:
                    job.remove()
                del self._known[source_id]
                try:
                    metrics.LAST_SUCCESS.remove(str(source_id))
                except KeyError:
                    pass
                log.info("unscheduled source %s", source_id)
        for source in sources.values():
            changed = self._known.get(source.id) != source.interval_seconds
            missing = source.id not in self._running_ids and self.scheduler.get_job(f"source-{source.id}") is None
            if changed or missing:
                self._known[source.id] = source.interval_seconds
                if source.id not in self._running_ids:
                    self._schedule(source.id, self._first_run(source))
                log.info("scheduled source %s %s every %ss (now %ss)", source.id, source.url,
                         source.interval_seconds, source.current_interval)

    def _first_run(self, source: Source) -> float:
        due = source.next_due or time.time()
        # A little spread even for overdue sources, so a restart does not fire them all at once.
        return max(due, time.time()) + random.uniform(0, STARTUP_SPREAD_SECONDS)

    def _schedule(self, source_id: int, when: float) -> None:
        self.scheduler.add_job(self.run_source, DateTrigger(run_date=datetime.fromtimestamp(when, tz=UTC)),
                               args=[source_id], id=f"source-{source_id}", replace_existing=True,
                               max_instances=1, coalesce=True, misfire_grace_time=None)

    def _schedule_next(self, source_id: int) -> None:
        source = self.store.sources.get(source_id)
        if source is None or not source.enabled or self._draining:
            return
        interval = source.current_interval
        due = source.next_due or time.time() + interval
        self._schedule(source_id, due + _jitter(interval))

    # -- leases

    def _take(self, source_id: int) -> Source | None:
        """The source, leased to this worker for its run; or None, and its run is rescheduled:
        another worker holds it (look again when that lease ends, should the holder die) or has
        run it meanwhile (look again at its next due time)."""
        sources = self.store.sources
        now = time.time()
        source, holder = lease_or_holder(sources, source_id, self.worker, now, self.lease_seconds)
        if source is not None:
            return source
        current = sources.get(source_id)
        if current is None or not current.enabled or current.paused_reason is not None:
            return None  # removed, disabled or paused meanwhile: sync_jobs drops its job
        if holder is not None:
            when, why = holder.until, f"being run by {holder.worker}"
        else:
            when, why = current.next_due or now, "run by another worker meanwhile"
        when = max(when, now + LEASE_RETRY_SECONDS) + _jitter(current.current_interval)
        log.debug("source %s: %s; looking again at %s", source_id, why,
                  datetime.fromtimestamp(when, tz=UTC).isoformat(timespec="seconds"))
        self._schedule(source_id, when)
        return None

    async def _keep_lease(self, source_id: int) -> None:
        """Renew this worker's lease of a running source until cancelled (when the run ends)."""
        await keep_lease(self.store.sources, source_id, self.worker, self.lease_seconds)

    def _release(self, source_id: int) -> None:
        release(self.store.sources, source_id, self.worker, self.lease_seconds)

    def _update_queue(self) -> None:
        metrics.QUEUE.labels("due").set(self._due)
        metrics.QUEUE.labels("running").set(len(self._running_ids))

    async def run_source(self, source_id: int) -> None:
        """One run of one source, when a slot is free; then the source's next run is scheduled."""
        task = asyncio.current_task()
        assert task is not None and self._slots is not None
        if self._draining or source_id in self._running_ids:
            return
        self._tasks.add(task)
        self._due += 1
        self._update_queue()
        acquired = False
        try:
            await self._slots.acquire()
            acquired = True
            self._due -= 1
            if self._draining or self.fetcher is None:
                return
            try:
                source = self._take(source_id)
            except StorageError as exc:  # the database is unreachable: said once, tried again later
                log.error("source %s: not run: %s", source_id, exc.message)
                self._schedule(source_id, time.time() + self.settings.crawl.min_interval)
                return
            if source is None:
                return
            self._running_ids.add(source_id)
            self._update_queue()
            retry_at: float | None = None
            renewals = asyncio.create_task(self._keep_lease(source_id))
            try:
                run = await self.crawler.run_source(self.fetcher, source)
            except asyncio.CancelledError:
                raise
            except StorageError as exc:  # disk full, database locked too long...: said once, retried later
                log.error("source %s: the run stopped: %s", source_id, exc.message)
                run, retry_at = None, time.time() + source.current_interval
            except Exception:  # a bug: log it, keep the source on its schedule
                log.exception("source %s: the run failed", source_id)
                self.store.sources.record_run(source_id, kind=None, next_due=time.time() + source.interval_seconds,
                                              error_kind="internal", error="the run failed; see the daemon's log")
                run = None
            finally:
                renewals.cancel()
                self._release(source_id)  # after the run is recorded: due to any worker at its next time
                self._running_ids.discard(source_id)
            if retry_at is not None:  # the store failed: do not ask it when the source is due
                self._schedule(source_id, retry_at)
            elif run is None or not run.interrupted:
                self._schedule_next(source_id)
        finally:
            if acquired:
                self._slots.release()
            else:
                self._due -= 1
            self._tasks.discard(task)
            self._update_queue()


def _jitter(interval: float) -> float:
    """A little random delay for a next run, so that sources (and workers) do not fire together."""
    return random.uniform(0, min(interval / 10, MAX_JITTER_SECONDS))
