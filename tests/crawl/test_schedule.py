"""Adaptive intervals, the crawl metrics, and a run stopped mid-way, against the real local news site."""

from __future__ import annotations

import asyncio
import dataclasses
import sqlite3
from pathlib import Path

from prometheus_client import CollectorRegistry

from ingest import metrics
from ingest.crawl import Crawler, SourceRun
from ingest.fetch import Fetcher, FetchSettings
from ingest.pipeline import Pipeline
from newsdedup.config import Settings
from storage import Store
from tests.site import content
from tests.site.server import NewsSite


def run_once(db_path: Path, settings: Settings, fetch_settings: FetchSettings, url: str,
             interval: int = 600) -> SourceRun:
    store = Store(str(db_path))
    source = store.sources.add(url, interval_seconds=interval)
    crawler = Crawler(store, Pipeline(store, settings.matching), settings.crawl, fetch_settings)
    runs = asyncio.run(crawler.run_sources([source]))
    store.close()
    return runs[0]


def stored_source(db_path: Path) -> tuple:
    return sqlite3.connect(db_path).execute("SELECT interval_seconds, poll_interval, next_due FROM sources").fetchone()


def test_busy_sources_are_polled_more_often_and_quiet_ones_less_within_bounds(
        news_site: NewsSite, db_path: Path, fast_settings: FetchSettings) -> None:
    settings = Settings(db=str(db_path), allow_private_addresses=True, min_interval=200, max_interval=1000)
    first = run_once(db_path, settings, fast_settings, news_site.url + "/feed.xml")
    assert first.news == len(content.ARTICLES) and first.interval == 300      # news: 600 halved
    assert stored_source(db_path)[:2] == (600, 300)
    intervals = [run_once(db_path, settings, fast_settings, news_site.url + "/feed.xml").interval
                 for _ in range(3)]
    assert intervals == [600, 1000, 1000]                                      # 304s: doubled, capped
    # Changing the configured interval starts over from it.
    run_once(db_path, settings, fast_settings, news_site.url + "/feed.xml", interval=900)
    assert stored_source(db_path)[:2] == (900, 1000)
    fixed = settings.replace(adaptive_intervals=False)
    assert run_once(db_path, fixed, fast_settings, news_site.url + "/feed.xml", interval=900).interval == 900


def test_a_failing_source_keeps_its_interval(news_site: NewsSite, db_path: Path,
                                             fast_settings: FetchSettings) -> None:
    settings = Settings(db=str(db_path), allow_private_addresses=True)
    run = run_once(db_path, settings, fast_settings, news_site.url + "/fault/status/404")
    assert run.error is not None and run.interval == 600
    assert stored_source(db_path)[1] == 600


def test_crawl_metrics_count_fetches_bytes_documents_and_errors(news_site: NewsSite, db_path: Path,
                                                               fast_settings: FetchSettings) -> None:
    registry = CollectorRegistry()
    metrics.register(registry)
    metrics.register(registry)  # idempotent

    def value(name: str, **labels: str) -> float:
        return registry.get_sample_value(name, labels) or 0.0

    before = {"ok": value("newsdedup_crawl_fetches_total", outcome="ok"),
              "304": value("newsdedup_crawl_fetches_total", outcome="not_modified"),
              "bytes": value("newsdedup_crawl_fetched_bytes_total"),
              "created": value("newsdedup_crawl_documents_total", outcome="created"),
              "translation": value("newsdedup_crawl_documents_total", outcome="translation"),
              "404": value("newsdedup_crawl_errors_total", kind="not_found")}
    settings = Settings(db=str(db_path), allow_private_addresses=True)
    run_once(db_path, settings, fast_settings, news_site.url + "/feed.xml")
    run_once(db_path, settings, fast_settings, news_site.url + "/feed.xml")
    run_once(db_path, settings, fast_settings, news_site.url + "/fault/status/404")
    # robots.txt is the fetcher's own request: the feed and its five articles, then one 304
    assert value("newsdedup_crawl_fetches_total", outcome="ok") - before["ok"] == 1 + len(content.ARTICLES)
    assert value("newsdedup_crawl_fetches_total", outcome="not_modified") - before["304"] == 1
    assert value("newsdedup_crawl_fetched_bytes_total") - before["bytes"] > 5 * 1000
    assert value("newsdedup_crawl_documents_total", outcome="created") - before["created"] == 2
    assert value("newsdedup_crawl_documents_total", outcome="translation") - before["translation"] == 3
    assert value("newsdedup_crawl_errors_total", kind="not_found") - before["404"] == 1
    assert value("newsdedup_source_last_success_timestamp_seconds", source="1") > 0


def test_a_run_stopped_mid_way_records_nothing_and_the_next_run_fetches_only_the_rest(
        db_path: Path, fast_settings: FetchSettings) -> None:
    settings = Settings(db=str(db_path), allow_private_addresses=True)
    slow = dataclasses.replace(fast_settings, per_host_delay=0.3)
    with NewsSite() as site:
        store = Store(str(db_path))
        source = store.sources.add(site.url + "/feed.xml", interval_seconds=600)
        crawler = Crawler(store, Pipeline(store, settings.matching), settings.crawl, slow)

        async def stop_after_two() -> SourceRun:
            async with Fetcher(slow) as fetcher:
                task = asyncio.create_task(crawler.run_source(fetcher, source))
                while store.documents.counts().documents < 2:
                    await asyncio.sleep(0.02)
                crawler.stop()
                return await task

        run = asyncio.run(stop_after_two())
        assert run.interrupted and 2 <= sum(run.outcomes.values()) < len(content.ARTICLES)
        # The feed's validators are saved (the next poll is a conditional GET, answered 304), the
        # articles the run did not reach wait in the frontier, and the source stays due ...
        assert store.sources.fetch_state(site.url + "/feed.xml") is not None
        assert store.sources.frontier_counts(source.id).get("retry", 0) == len(content.ARTICLES) - sum(
            run.outcomes.values())
        assert stored_source(db_path)[2] is None
        first_hits = {a.path: len(site.state.requests_to(a.path)) for a in content.ARTICLES}
        store.close()
        again = run_once(db_path, settings, fast_settings, site.url + "/feed.xml")
        # ... and fetches only the articles the stopped run did not reach.
        assert again.news == len(content.ARTICLES) - sum(run.outcomes.values())
        hits = {a.path: len(site.state.requests_to(a.path)) for a in content.ARTICLES}
        assert all(n == 1 for n in hits.values()), (first_hits, hits)
    db = sqlite3.connect(db_path)
    assert db.execute("SELECT count(*), count(DISTINCT key) FROM documents").fetchone() == (5, 5)
