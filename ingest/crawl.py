"""The crawler: fetch a source, find its articles, fetch those that are new or changed, ingest them.

Everything after fetching is the same `Pipeline.ingest` that `replay` uses. A URL's fetch
state (validators, body hash) is saved only after its document is stored, and a source's
own state (its feed's ETag) only after every article it listed was handled, so a crawl
killed at any moment refetches at most what was in flight (the source answers 200 again,
not 304), and the pipeline's key-and-hash check keeps that from storing anything twice.

After each run the source's next due time is stored, with its adaptive interval: halved
when the run stored something new, doubled when it found nothing new, kept after an error,
within [min_interval, max_interval] (widened to include the source's own interval).
Counts go to the Prometheus metrics of ingest.metrics.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from ingest import metrics
from ingest.errors import ErrorKind, IngestError
from ingest.fetch import FEED_TYPES, HTML_TYPES, SITEMAP_TYPES, Fetcher, FetchResult, FetchSettings
from ingest.pipeline import Pipeline
from ingest.readers import RawDocument
from ingest.settings import CrawlSettings
from ingest.sources import ArticleLink, SourceKind, detect_kind, discover_article_links, parse_feed, parse_sitemap
from storage import ChangeKind, Source
from storage.clock import parse_utc
from storage.interfaces import Database

log = logging.getLogger("newsdedup.crawl")

# Media types only a feed is served as (plain XML could be a sitemap too).
_FEED_ONLY_TYPES = ("application/rss+xml", "application/atom+xml", "application/feed+json", "application/rdf+xml")
# Article failures that may pass: the source's state is not saved, so the next run lists them again.
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
    skipped: int = 0                      # already stored and not updated since
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
        return (f"source {self.source_id} {self.url}: {self.kind or 'unchanged'}, {self.links} links, "
                f"{self.skipped} known; {stored}" + (f"; errors: {errors}" if errors else "")
                + f" ({self.seconds:.1f}s)")


class Crawler:
    def __init__(self, store: Database, pipeline: Pipeline, settings: CrawlSettings,
                 fetch_settings: FetchSettings) -> None:
        self.store = store
        self.pipeline = pipeline
        self.settings = settings
        self.fetch_settings = fetch_settings
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
        listing: FetchResult | None = None
        transient = False
        try:
            links, listing = await self._links(fetcher, source, run)
            fetched = 0
            for link in links:
                if self.stopping:
                    run.interrupted = True
                    break
                if fetched >= self.settings.max_articles_per_run:
                    # The rest waits for the next run: the listing is not remembered, so it is read
                    # again rather than answered with a 304, and what is stored now is skipped then.
                    transient = True
                    break
                known = run.skipped
                transient |= await self._article(fetcher, source, link, run)
                fetched += run.skipped == known
        except IngestError as exc:
            run.error = exc
            metrics.ERRORS.labels(exc.kind.value).inc()
            self.pipeline.record_failure(source.url, exc, source_id=source.id)
        run.seconds = time.monotonic() - started
        if run.interrupted:
            metrics.SOURCE_RUNS.labels("interrupted").inc()
            log.info(run.line())
            return run
        if listing is not None and not transient:
            self._remember(listing)  # every article it lists is stored (or failed for good)
        run.interval = self.next_interval(source, run)
        self.store.sources.record_run(
            source.id, kind=run.kind, next_due=time.time() + run.interval, poll_interval=run.interval,
            error_kind=run.error.kind.value if run.error else None, error=run.error.message if run.error else None)
        metrics.SOURCE_RUNS.labels("error" if run.error else "ok").inc()
        if run.error is None:
            metrics.LAST_SUCCESS.labels(str(source.id)).set(time.time())
        log.info(run.line())
        return run

    def next_interval(self, source: Source, run: SourceRun) -> int:
        """Seconds until the source's next run: adaptive within bounds, or its configured interval."""
        configured = source.interval_seconds
        if not self.settings.adaptive_intervals:
            return configured
        current = source.current_interval
        if run.error is None and run.news:
            current //= 2
        elif run.error is None and not run.errors:
            current *= 2
        low = min(configured, self.settings.min_interval)
        high = max(configured, self.settings.max_interval)
        return max(low, min(high, current))

    async def _links(self, fetcher: Fetcher, source: Source,
                     run: SourceRun) -> tuple[list[ArticleLink], FetchResult | None]:
        """The source's article links, and its fetch result to remember once they are handled."""
        result = await self._fetch(fetcher, source.url, FEED_TYPES + SITEMAP_TYPES + HTML_TYPES)
        if result is None:
            return [], None  # not modified since the last run
        kind = detect_kind(result.body, content_type=result.content_type, url=result.url)
        if result.content_type in _FEED_ONLY_TYPES and kind is not SourceKind.FEED:
            raise IngestError(ErrorKind.MALFORMED, "sources",
                              f"{result.url} says it is a feed ({result.content_type}) but holds {kind.value}; "
                              "is the feed URL still right?")
        run.kind = kind.value
        if kind is SourceKind.FEED:
            links = parse_feed(result.body, url=result.url, content_type=result.content_type).links
        elif kind is SourceKind.SITEMAP:
            links = await self._sitemap_links(fetcher, result)
        elif kind is SourceKind.HTML:
            links = discover_article_links(result.body, result.url, charset=result.charset)
        else:
            raise IngestError(ErrorKind.UNSUPPORTED, "sources",
                              f"{result.url} is neither a feed, a sitemap nor an HTML page")
        run.links = len(links)
        return links, result

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

    async def _article(self, fetcher: Fetcher, source: Source, link: ArticleLink, run: SourceRun) -> bool:
        """Fetch and ingest one article; True when it failed in a way the next run may not."""
        state = self.store.sources.fetch_state(link.url)
        if state and not _updated_since(link, state.fetched_at):
            run.skipped += 1
            return False
        try:
            result = await self._fetch(fetcher, link.url, HTML_TYPES)
            if result is None:
                run.skipped += 1
                return False
            raw = RawDocument(key=link.url, origin=link.url, kind="html", body=result.body, url=result.url,
                              lang=link.lang or source.lang, headers=result.headers,
                              published=link.published.isoformat() if link.published else None,
                              source_id=source.id)
            outcome = self.pipeline.ingest(raw)
            run.outcomes[outcome.label] += 1
            metrics.DOCUMENTS.labels(outcome.label).inc()
            if outcome.kind is ChangeKind.CREATED:
                metrics.STORIES.inc()
            self._remember(result)
        except IngestError as exc:
            run.errors[exc.kind.value] += 1
            metrics.ERRORS.labels(exc.kind.value).inc()
            self.pipeline.record_failure(link.url, exc, source_id=source.id)
            return exc.kind in _TRANSIENT
        return False

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


def _updated_since(link: ArticleLink, fetched_at: str) -> bool:
    """True when the source says the article changed after we last fetched it."""
    changed = link.updated or None
    if changed is None:
        return False
    last = parse_utc(fetched_at)
    return changed > last
