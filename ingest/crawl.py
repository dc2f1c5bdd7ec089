"""The crawler: fetch a source, find its articles, fetch those that are new or changed, ingest them.

Everything after fetching is the same `Pipeline.ingest` that `replay` uses. What the crawler
must remember between runs is in the database, never in the need to re-read a listing:

- a listing's validators (ETag, Last-Modified) are saved after every read, so the next poll
  is a conditional GET whatever happened to its articles;
- the frontier remembers each article: one that failed transiently is retried on its own
  schedule (backoff, then given up with its reason); one that was stored is re-checked with a
  conditional GET on the revisit schedule (1 h, 6 h, 1 d, 3 d by default), and at once when its
  listing item changes (pubDate, updated, title or guid); what did not fit in a run (the
  per-run cap, the run's time budget) waits there for the next run;
- a URL's fetch state is saved only after its document is stored, so a crawl killed at any
  moment refetches at most what was in flight, and the pipeline's key-and-hash check keeps
  that from storing anything twice.

Articles of one source are fetched concurrently up to the per-host limit; every fetch has a
total deadline and every run a time budget, so no source can stall a run. After each run the
source's next due time is stored, with its adaptive interval: halved when the run stored
something new, doubled when it found nothing new or failed again (backoff), within
[min_interval, max_interval]. A source whose listing has failed for `pause_failing_source_after` is paused
with its reason. Counts go to the Prometheus metrics of ingest.metrics.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from ingest import metrics
from ingest.errors import ErrorKind, IngestError
from ingest.fetch import FEED_TYPES, HTML_TYPES, SITEMAP_TYPES, Fetcher, FetchResult, FetchSettings
from ingest.pipeline import Pipeline
from ingest.readers import RawDocument
from ingest.settings import CrawlSettings, durations
from ingest.sources import ArticleLink, SourceKind, detect_kind, discover_article_links, parse_feed, parse_sitemap
from storage import ChangeKind, FrontierEntry, FrontierState, Source
from storage.clock import parse_utc
from storage.interfaces import Database

log = logging.getLogger("newsdedup.crawl")

# Media types only a feed is served as (plain XML could be a sitemap too).
_FEED_ONLY_TYPES = ("application/rss+xml", "application/atom+xml", "application/feed+json", "application/rdf+xml")
# Article failures that may pass: the article is tried again on the retry schedule.
_TRANSIENT = {ErrorKind.TIMEOUT, ErrorKind.CONNECTION, ErrorKind.SERVER_ERROR, ErrorKind.TOO_MANY_REQUESTS,
              ErrorKind.INTERNAL}
# Outcomes that mean the source had news: every change kind.
NEWS = tuple(kind.value for kind in ChangeKind)


@dataclass
class SourceRun:
    """What one run of one source did, for logs, metrics and the CLI."""

    source_id: int
    url: str
    kind: str | None = None
    links: int = 0
    skipped: int = 0                      # already stored and not changed in the listing
    revisits: int = 0                     # stored articles re-checked on their schedule
    retried: int = 0                      # articles tried again after an earlier transient failure
    deferred: int = 0                     # left for the next run (per-run cap or time budget)
    outcomes: Counter[str] = field(default_factory=Counter)   # created / version / ... per document
    errors: Counter[str] = field(default_factory=Counter)     # error kind -> count
    error: IngestError | None = None      # the source itself could not be read
    seconds: float = 0.0
    interrupted: bool = False             # stopped early by a shutdown; nothing recorded, due again
    interval: int | None = None           # seconds until the next run, as scheduled after this one

    @property
    def news(self) -> int:
        return sum(self.outcomes[k] for k in NEWS)

    def line(self) -> str:
        if self.interrupted:
            return (f"source {self.source_id} {self.url}: interrupted by shutdown after "
                    f"{sum(self.outcomes.values())} documents ({self.seconds:.1f}s); due again at restart")
        if self.error:
            return f"source {self.source_id} {self.url}: failed: {self.error.kind.value}: {self.error.message}"
        stored = ", ".join(f"{n} {k}" for k, n in sorted(self.outcomes.items())) or "nothing new"
        errors = ", ".join(f"{n} {k}" for k, n in sorted(self.errors.items()))
        extra = "".join(f", {n} {what}" for n, what in ((self.revisits, "revisited"), (self.retried, "retried"),
                                                          (self.deferred, "left for the next run")) if n)
        return (f"source {self.source_id} {self.url}: {self.kind or 'unchanged'}, {self.links} links, "
                f"{self.skipped} known{extra}; {stored}" + (f"; errors: {errors}" if errors else "")
                + f" ({self.seconds:.1f}s)")


@dataclass(frozen=True)
class _Work:
    """One article to fetch in a run: from the listing, or due in the frontier."""

    url: str
    link: ArticleLink | None          # the listing's item (None: due from the frontier alone)
    entry: FrontierEntry | None       # what the frontier knew of it before this run


class Crawler:
    def __init__(self, store: Database, pipeline: Pipeline, settings: CrawlSettings,
                 fetch_settings: FetchSettings, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.pipeline = pipeline
        self.settings = settings
        self.fetch_settings = fetch_settings
        self.clock = clock      # wall time for schedules (revisits, retries, due times); tests drive it
        self.revisit_after = durations(settings.revisit_schedule)
        self.stopping = False   # set by a shutdown: runs stop after the document in hand

    def stop(self) -> None:
        """Let running source runs finish the document in hand, then stop; start no new ones."""
        self.stopping = True

    async def run_sources(self, sources: Iterable[Source]) -> list[SourceRun]:
        """Run every source once, concurrently; the fetcher keeps each host's limits."""
        async with Fetcher(self.fetch_settings) as fetcher:
            return list(await asyncio.gather(*(self.run_source(fetcher, s) for s in sources)))

    async def run_source(self, fetcher: Fetcher, source: Source) -> SourceRun:
        run = SourceRun(source.id, source.url)
        started = time.monotonic()
        feed_title: str | None = None
        try:
            links, listing, feed_title = await self._links(fetcher, source, run)
            work = self._plan(source, links, run)  # (in the frontier first, so a kill forgets nothing)
            if listing is not None:
                self._remember(listing)  # the next poll is conditional, whatever its articles do
            await self._fetch_all(fetcher, source, work, run, deadline=started + self.settings.source_run_budget)
        except IngestError as exc:
            run.error = exc
            metrics.ERRORS.labels(exc.kind.value).inc()
            self.pipeline.record_failure(source.url, exc, source_id=source.id)
        run.seconds = time.monotonic() - started
        if run.interrupted:
            metrics.SOURCE_RUNS.labels("interrupted").inc()
            log.info(run.line())
            return run
        run.interval = self.next_interval(source, run)
        self.store.sources.record_run(
            source.id, kind=run.kind, next_due=self.clock() + run.interval, poll_interval=run.interval,
            error_kind=run.error.kind.value if run.error else None, error=run.error.message if run.error else None,
            title=feed_title, at=self.clock())
        metrics.SOURCE_RUNS.labels("error" if run.error else "ok").inc()
        if run.error is None:
            metrics.LAST_SUCCESS.labels(str(source.id)).set(time.time())
            metrics.SOURCE_FAILURES.labels(str(source.id)).set(0)
        else:
            self._pause_if_failing_too_long(source)
        log.info(run.line())
        return run

    def _pause_if_failing_too_long(self, source: Source) -> None:
        updated = self.store.sources.get(source.id)
        if updated is None:
            return
        metrics.SOURCE_FAILURES.labels(str(source.id)).set(updated.consecutive_failures)
        limit = self.settings.pause_failing_source_after
        if not limit or updated.failing_since is None:
            return
        failing_for = self.clock() - parse_utc(updated.failing_since).timestamp()
        if failing_for >= limit:
            reason = (f"paused: its listing failed {updated.consecutive_failures} times in a row over "
                      f"{failing_for / 3600:.0f} h (last: {updated.last_error_kind}: {updated.last_error}); "
                      f"fix it and run: newsdedup sources resume {source.id}")
            self.store.sources.pause(source.id, reason)
            log.warning("source %s %s %s", source.id, source.url, reason)

    def next_interval(self, source: Source, run: SourceRun) -> int:
        """Seconds until the source's next run: adaptive within bounds, or its configured interval."""
        configured = source.interval_seconds
        if not self.settings.adaptive_intervals:
            return configured
        current = source.current_interval
        if run.error is None and run.news:
            current //= 2
        elif run.error is None and not run.errors:
            current *= 2  # nothing new
        elif run.error is not None and source.consecutive_failures >= 1:
            current *= 2  # the listing failed again: back off (a single failure keeps the interval)
        low = min(configured, self.settings.min_interval)
        high = max(configured, self.settings.max_interval)
        return max(low, min(high, current))

    # -- what to fetch

    def _plan(self, source: Source, links: list[ArticleLink], run: SourceRun) -> list[_Work]:
        """The run's articles: listed ones that are new or changed in the listing, then the
        frontier's due retries and revisits; the per-run cap's overflow is left in the frontier."""
        now = self.clock()
        sources = self.store.sources
        work: dict[str, _Work] = {}
        for link in links:
            if link.url in work:
                continue
            entry = sources.frontier_entry(link.url)
            if entry is None and sources.fetch_state(link.url) is not None:
                # Stored before the frontier existed: remember it as it is listed now.
                sources.save_frontier(FrontierEntry(link.url, source.id, FrontierState.DONE, 0, None, now,
                                                    link.listed_as()))
                run.skipped += 1
                continue
            changed = entry is not None and entry.listed_as is not None and entry.listed_as != link.listed_as()
            if entry is None:  # new: remembered as due before anything else happens
                entry = FrontierEntry(link.url, source.id, FrontierState.RETRY, 0, now, now, link.listed_as())
                sources.save_frontier(entry)
            elif changed and entry.state is FrontierState.GIVEN_UP:  # changed at the source: a fresh try
                entry = replace(entry, state=FrontierState.RETRY, attempts=0, next_at=now)
                sources.save_frontier(entry)
            elif changed and entry.state is not FrontierState.RETRY:  # edited at the source: re-check now
                entry = replace(entry, state=FrontierState.REVISIT, next_at=now)
                sources.save_frontier(entry)
            elif not (changed or (entry.state is FrontierState.RETRY and entry.attempts == 0)):
                run.skipped += 1
                continue
            work[link.url] = _Work(link.url, link, entry)
        for entry in sources.frontier_due(source.id, now, self.settings.max_articles_per_run):
            work.setdefault(entry.url, _Work(entry.url, None, entry))
        planned = list(work.values())
        cap = self.settings.max_articles_per_run
        for item in planned[cap:]:
            self._defer(source, item, run)
        return planned[:cap]

    def _defer(self, source: Source, item: _Work, run: SourceRun) -> None:
        """Leave an article for the next run, due at once (a known one keeps its own schedule)."""
        run.deferred += 1
        if item.entry is None:
            self.store.sources.save_frontier(FrontierEntry(
                item.url, source.id, FrontierState.RETRY, 0, self.clock(), self.clock(),
                item.link.listed_as() if item.link else None))

    async def _fetch_all(self, fetcher: Fetcher, source: Source, work: list[_Work], run: SourceRun,
                         deadline: float) -> None:
        """Fetch the run's articles, a few at a time (the fetcher keeps the per-host limit), within
        the run's time budget: what has not started by the deadline waits for the next run."""
        slots = asyncio.Semaphore(max(1, self.fetch_settings.per_host_concurrency))

        async def one(item: _Work) -> None:
            async with slots:
                if self.stopping:  # a shutdown: what has not started waits in the frontier
                    run.interrupted = True
                    self._defer(source, item, run)
                    return
                if time.monotonic() >= deadline:
                    self._defer(source, item, run)
                    return
                await self._article(fetcher, source, item, run)

        tasks = [asyncio.ensure_future(one(item)) for item in work]
        try:
            await asyncio.wait_for(asyncio.gather(*tasks), timeout=max(0.0, deadline - time.monotonic())
                                   + self.fetch_settings.deadline)
        except TimeoutError:  # a fetch outlived even its own deadline: leave it for the next run
            log.warning("source %s: run budget exceeded; the rest waits for the next run", source.id)

    # -- one article

    async def _article(self, fetcher: Fetcher, source: Source, item: _Work, run: SourceRun) -> None:
        """Fetch and ingest one article, and remember in the frontier what comes next for it."""
        entry = item.entry
        revisit = entry is not None and entry.state in (FrontierState.REVISIT, FrontierState.DONE)
        if entry is not None and entry.state is FrontierState.RETRY and entry.attempts > 0:
            run.retried += 1
        if revisit:
            run.revisits += 1
        listed_as = item.link.listed_as() if item.link else (entry.listed_as if entry else None)
        try:
            result = await self._fetch(fetcher, item.url, HTML_TYPES)
            if result is None:
                run.skipped += 1
                if revisit:
                    metrics.REVISITS.labels("not_modified").inc()
                self._stored(source, item, listed_as)
                return
            raw = RawDocument(key=item.url, origin=item.url, kind="html", body=result.body, url=result.url,
                              lang=(item.link.lang if item.link else None) or source.lang, headers=result.headers,
                              published=item.link.published.isoformat() if item.link and item.link.published
                              else None, source_id=source.id)
            outcome = self.pipeline.ingest(raw)
            run.outcomes[outcome.label] += 1
            metrics.DOCUMENTS.labels(outcome.label).inc()
            if revisit:
                metrics.REVISITS.labels("changed" if outcome.kind is ChangeKind.CHANGED else "unchanged").inc()
            if outcome.kind is ChangeKind.CREATED:
                metrics.STORIES.inc()
            self._remember(result)
            self._stored(source, item, listed_as)
        except IngestError as exc:
            run.errors[exc.kind.value] += 1
            metrics.ERRORS.labels(exc.kind.value).inc()
            if revisit:
                metrics.REVISITS.labels("failed").inc()
            self.pipeline.record_failure(item.url, exc, source_id=source.id)
            self._failed(source, item, listed_as, exc)

    def _stored(self, source: Source, item: _Work, listed_as: str | None) -> None:
        """The article is stored as its server has it: plan its next revisit."""
        now = self.clock()
        entry = item.entry
        first_seen = entry.first_seen if entry and entry.state is not FrontierState.RETRY else now
        made = entry.attempts + 1 if entry and entry.state is FrontierState.REVISIT else 0
        # The next revisit still ahead of us (a late run skips the ones it missed).
        ahead = [i for i, after in enumerate(self.revisit_after) if i >= made and first_seen + after > now]
        state, next_at, attempts = ((FrontierState.REVISIT, first_seen + self.revisit_after[ahead[0]], ahead[0])
                                    if ahead else (FrontierState.DONE, None, made))
        self.store.sources.save_frontier(FrontierEntry(item.url, source.id, state, attempts, next_at, first_seen,
                                                       listed_as))

    def _failed(self, source: Source, item: _Work, listed_as: str | None, exc: IngestError) -> None:
        """A transient failure is tried again with backoff, until it has failed too often; any
        other failure is given up at once. Either way the reason is kept."""
        now = self.clock()
        entry = item.entry
        if entry is not None and entry.state in (FrontierState.REVISIT, FrontierState.DONE):
            # A stored article that failed a revisit keeps its stored text and its schedule.
            self._stored(source, item, listed_as)
            return
        attempts = (entry.attempts if entry and entry.state is FrontierState.RETRY else 0) + 1
        first_seen = entry.first_seen if entry else now
        if exc.kind in _TRANSIENT and attempts < self.settings.retry_attempts:
            delay = min(self.settings.retry_max_delay, self.settings.retry_after * 2 ** (attempts - 1))
            updated = FrontierEntry(item.url, source.id, FrontierState.RETRY, attempts, now + delay, first_seen,
                                    listed_as, exc.kind.value, exc.message)
            metrics.RETRIES.labels("scheduled").inc()
        else:
            reason = (f"gave up after {attempts} failed attempts: {exc.message}" if exc.kind in _TRANSIENT
                      else exc.message)
            updated = FrontierEntry(item.url, source.id, FrontierState.GIVEN_UP, attempts, None, first_seen,
                                    listed_as, exc.kind.value, reason)
            if exc.kind in _TRANSIENT:
                metrics.RETRIES.labels("given_up").inc()
        self.store.sources.save_frontier(updated)

    # -- listings

    async def _links(self, fetcher: Fetcher, source: Source,
                     run: SourceRun) -> tuple[list[ArticleLink], FetchResult | None, str | None]:
        """The source's article links, its fetch result (to remember) and a feed's own title."""
        result = await self._fetch(fetcher, source.url, FEED_TYPES + SITEMAP_TYPES + HTML_TYPES)
        if result is None:
            return [], None, None  # not modified since the last run
        kind = detect_kind(result.body, content_type=result.content_type, url=result.url)
        if result.content_type in _FEED_ONLY_TYPES and kind is not SourceKind.FEED:
            raise IngestError(ErrorKind.MALFORMED, "sources",
                              f"{result.url} says it is a feed ({result.content_type}) but holds {kind.value}; "
                              "is the feed URL still right?")
        run.kind = kind.value
        title = None
        if kind is SourceKind.FEED:
            parsed = parse_feed(result.body, url=result.url, content_type=result.content_type)
            links, title = parsed.links, parsed.title
        elif kind is SourceKind.SITEMAP:
            links = await self._sitemap_links(fetcher, result)
        elif kind is SourceKind.HTML:
            links = discover_article_links(result.body, result.url, charset=result.charset)
        else:
            raise IngestError(ErrorKind.UNSUPPORTED, "sources",
                              f"{result.url} is neither a feed, a sitemap nor an HTML page")
        run.links = len(links)
        return links, result, title

    async def _sitemap_links(self, fetcher: Fetcher, result: FetchResult) -> list[ArticleLink]:
        sitemap = parse_sitemap(result.body, url=result.url)
        links = list(sitemap.links)
        for child in sitemap.sitemaps[:self.settings.max_child_sitemaps]:
            try:
                child_result = await self._fetch(fetcher, child, SITEMAP_TYPES, force=True)
            except IngestError as exc:
                log.warning("sitemap %s: %s", child, exc)
                continue
            if child_result is not None:
                links.extend(parse_sitemap(child_result.body, url=child_result.url).links)
        # Newest first: a run that stops at the per-run cap keeps the freshest news.
        links.sort(key=lambda link: link.published or link.updated or datetime.min.replace(tzinfo=UTC),
                   reverse=True)
        return links

    async def _fetch(self, fetcher: Fetcher, url: str, accept: tuple[str, ...],
                     force: bool = False) -> FetchResult | None:
        """The fetch result, or None when the URL has not changed since its last fetch."""
        state = None if force else self.store.sources.fetch_state(url)
        try:
            result = await fetcher.fetch(url, etag=state.etag if state else None,
                                         last_modified=state.last_modified if state else None, accept=accept)
        except IngestError as exc:
            metrics.FETCHES.labels(exc.kind.value).inc()
            raise
        metrics.FETCHES.labels("not_modified" if result.not_modified else "ok").inc()
        metrics.FETCHED_BYTES.inc(len(result.body))
        if state and result.unchanged_since(state.body_sha256):
            self._remember(result)
            return None
        return result

    def _remember(self, result: FetchResult) -> None:
        self.store.sources.save_fetch_state(result.requested_url, etag=result.etag, last_modified=result.last_modified,
                                    body_sha256=result.body_sha256, status=result.status)


