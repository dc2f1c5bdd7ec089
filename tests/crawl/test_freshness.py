"""Crawl freshness: every edit seen, every failure retried, no source can stall a run.

A living site on 127.0.0.1 whose articles change between crawls; time is driven by an injected
clock (revisits and retries are due by it), not by sleeping.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from ingest.crawl import Crawler, SourceRun
from ingest.fetch import FetchSettings
from ingest.pipeline import Pipeline
from newsdedup.config import Settings
from storage import FrontierState, Store
from tests.conftest import run_cli
from tests.crawl.living_site import LivingSite, paragraphs

HOUR = 3600.0


class Clocked:
    """A store, a pipeline and a crawler on one database, with a clock the test moves."""

    def __init__(self, db: Path, fetch: FetchSettings, **flat: object) -> None:
        self.now = 1_800_000_000.0
        self.settings = Settings(db=str(db), allow_private_addresses=True, **flat)
        self.store = Store(str(db))
        self.pipeline = Pipeline(self.store, self.settings.matching, clock=lambda: self.now)
        self.crawler = Crawler(self.store, self.pipeline, self.settings.crawl, fetch, clock=lambda: self.now)

    def run(self) -> SourceRun:
        runs = asyncio.run(self.crawler.run_sources(self.store.sources.all(enabled_only=True)))
        assert len(runs) == 1
        return runs[0]

    def later(self, seconds: float) -> SourceRun:
        self.now += seconds
        return self.run()

    def changed(self) -> dict[str, int]:
        """How many `changed` change-log rows each document key has."""
        rows = self.store.conn.all("SELECT d.key, count(*) FROM changes c JOIN documents d ON d.id = c.document_id "
                                   "WHERE c.kind = 'changed' GROUP BY d.key")
        return {str(key).rsplit("/", 1)[-1]: int(n) for key, n in rows}


@pytest.fixture
def site() -> Iterator[LivingSite]:
    with LivingSite() as living:
        yield living


@pytest.fixture
def crawl(site: LivingSite, db_path: Path, fast_settings: FetchSettings) -> Iterator[Clocked]:
    clocked = Clocked(db_path, fast_settings)
    clocked.store.sources.add(site.feed_url, interval_seconds=600)
    yield clocked
    clocked.store.close()


def test_the_listing_is_revalidated_on_every_run_though_an_article_is_broken(site: LivingSite,
                                                                            crawl: Clocked) -> None:
    site.state.articles["story-3"].broken = True
    first = crawl.run()
    assert first.errors["server_error"] == 1 and first.news == 11
    crawl.later(60)
    crawl.later(60)
    assert site.state.conditional("/feed.xml") == [False, True, True]
    assert site.state.count("/feed.xml", 304) == 2


def test_each_edit_reaches_the_change_log_once(site: LivingSite, crawl: Clocked) -> None:
    crawl.run()
    articles = site.state.articles
    articles["story-1"].paragraphs = paragraphs(101)                       # body only
    articles["story-2"].paragraphs = paragraphs(102)                       # body and a moved pubDate
    articles["story-2"].published += timedelta(hours=2)
    articles["story-3"].paragraphs = paragraphs(103)                       # body and an Atom updated
    articles["story-3"].updated = articles["story-3"].published + timedelta(hours=1)
    soon = crawl.later(60)
    # The listing says 2 and 3 changed: fetched at once. 1 waits for its first revisit.
    assert crawl.changed() == {"story-2": 1, "story-3": 1}
    assert soon.outcomes["changed"] == 2
    revisit = crawl.later(HOUR)
    assert crawl.changed() == {"story-1": 1, "story-2": 1, "story-3": 1}
    assert revisit.revisits >= 10 and revisit.outcomes["changed"] == 1
    # Revisits are cheap: the unchanged articles answered 304.
    assert site.state.count("/news/story-5", 304) == 1
    # Nothing changes again: the edits are one revision each, never a new story.
    crawl.later(6 * HOUR)
    crawl.later(3 * 86400)
    assert crawl.changed() == {"story-1": 1, "story-2": 1, "story-3": 1}
    assert crawl.store.documents.counts().documents == 12
    # After the last revisit, an article is re-checked only when its listing changes.
    hits = site.state.count("/news/story-7")
    crawl.later(7 * 86400)
    assert site.state.count("/news/story-7") == hits


def test_a_broken_article_is_retried_on_its_schedule_then_given_up(site: LivingSite, db_path: Path,
                                                                   fast_settings: FetchSettings) -> None:
    site.state.articles["story-4"].broken = True
    crawl = Clocked(db_path, fast_settings, retry_after=600.0, retry_attempts=3)
    crawl.store.sources.add(site.feed_url, interval_seconds=600)
    crawl.run()
    assert site.state.count("/news/story-4") == 1
    crawl.later(60)                        # not due yet
    assert site.state.count("/news/story-4") == 1
    crawl.later(600)                       # due: the second attempt (the listing answered 304)
    assert site.state.count("/news/story-4") == 2
    crawl.later(1200)                      # the backoff doubled: the third and last attempt
    assert site.state.count("/news/story-4") == 3
    entry = crawl.store.sources.frontier_entry(site.url + "/news/story-4")
    assert entry is not None and entry.state is FrontierState.GIVEN_UP
    assert entry.last_error_kind == "server_error" and "gave up after 3 failed attempts" in (entry.last_error or "")
    crawl.later(86400)
    assert site.state.count("/news/story-4") == 3
    crawl.store.close()


def test_drip_links_cannot_hold_a_run(site: LivingSite, db_path: Path, fast_settings: FetchSettings) -> None:
    for i in range(3):
        site.add(f"drip-{i}", seed=50 + i, drip=True)
    fetch = dataclasses.replace(fast_settings, read_timeout=5.0, total_timeout=30.0, deadline=3.0,
                                per_host_concurrency=4)
    crawl = Clocked(db_path, fetch, source_run_budget=30.0)
    crawl.store.sources.add(site.feed_url, interval_seconds=600)
    started = time.monotonic()
    run = crawl.run()
    assert time.monotonic() - started < 20
    assert run.news == 12 and run.errors["timeout"] == 3
    crawl.store.close()


def test_a_run_over_its_budget_leaves_the_rest_for_the_next(site: LivingSite, db_path: Path,
                                                             fast_settings: FetchSettings) -> None:
    for i in range(4):
        site.add(f"drip-{i}", seed=60 + i, drip=True)
    fetch = dataclasses.replace(fast_settings, read_timeout=5.0, total_timeout=30.0, deadline=2.0,
                                per_host_concurrency=1)
    crawl = Clocked(db_path, fetch, source_run_budget=3.0)
    crawl.store.sources.add(site.feed_url, interval_seconds=600)
    first = crawl.run()
    assert first.deferred > 0 and first.seconds < 10
    for _ in range(8):
        crawl.later(60)
    assert crawl.store.documents.counts().documents == 12  # every good article, in later runs


def test_a_10_mb_robots_txt_is_read_from_its_first_500_kib(site: LivingSite, crawl: Clocked) -> None:
    site.state.robots = "User-agent: *\nDisallow: /news/story-0\n" + "# filler line\n" * 800_000
    run = crawl.run()
    assert run.news == 11 and run.errors["robots_disallowed"] == 1


def test_a_source_learns_its_title_from_its_feed(site: LivingSite, crawl: Clocked) -> None:
    crawl.run()
    source = crawl.store.sources.get(site.feed_url)
    assert source is not None and source.title == "Living News"


def test_a_source_failing_for_long_is_paused_and_can_be_resumed(site: LivingSite, db_path: Path,
                                                                fast_settings: FetchSettings) -> None:
    crawl = Clocked(db_path, fast_settings, pause_failing_source_after=86400.0)
    source = crawl.store.sources.add(site.url + "/missing-feed.xml", interval_seconds=600)
    for _ in range(3):
        crawl.later(12 * HOUR)
    paused = crawl.store.sources.get(source.id)
    assert paused is not None and paused.consecutive_failures == 3 and paused.paused_reason
    assert "sources resume" in paused.paused_reason
    assert crawl.store.sources.all(enabled_only=True) == []
    crawl.store.close()
    listed = run_cli("sources", "list", "--db", str(db_path))
    assert "paused" in listed.output
    resumed = run_cli("sources", "resume", str(source.id), "--db", str(db_path))
    assert resumed.exit_code == 0, resumed.output
    store = Store(str(db_path))
    again = store.sources.get(source.id)
    assert again is not None and again.paused_reason is None and again.consecutive_failures == 0
    store.close()
