"""The crawler against a real local news site: feeds, sitemaps and sections through the shared pipeline."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path

import pytest

from ingest.crawl import Crawler
from ingest.fetch import FetchSettings
from ingest.pipeline import Pipeline
from newsdedup.config import Settings
from storage import Store
from tests.site.server import NewsSite


def crawl(db_path: Path, fetch_settings: FetchSettings, urls: list[str]) -> list:
    store = Store(str(db_path))
    settings = Settings(db=str(db_path), allow_private_addresses=True)
    for url in urls:
        store.sources.add(url, interval_seconds=60)
    runs = asyncio.run(Crawler(store, Pipeline(store, settings.matching), settings.crawl, fetch_settings).run_sources(
        store.sources.all(enabled_only=True)))
    store.close()
    return runs


def test_feed_articles_in_four_languages_become_two_stories(news_site: NewsSite, db_path: Path,
                                                           fast_settings: FetchSettings) -> None:
    runs = crawl(db_path, fast_settings, [news_site.url + "/feed.xml"])
    assert [r.error for r in runs] == [None]
    assert runs[0].kind == "feed" and sum(runs[0].outcomes.values()) == 5
    db = sqlite3.connect(db_path)
    stories = db.execute("SELECT story_id, group_concat(lang) FROM documents GROUP BY story_id").fetchall()
    assert sorted(len(langs.split(",")) for _, langs in stories) == [1, 4]
    assert db.execute("SELECT count(*) FROM documents WHERE source_id IS NULL").fetchone()[0] == 0


def test_a_second_crawl_revalidates_and_stores_nothing_twice(news_site: NewsSite, db_path: Path,
                                                            fast_settings: FetchSettings) -> None:
    crawl(db_path, fast_settings, [news_site.url + "/feed.xml"])
    changes = sqlite3.connect(db_path).execute("SELECT count(*) FROM changes").fetchone()[0]
    again = crawl(db_path, fast_settings, [news_site.url + "/feed.xml"])
    assert sum(again[0].outcomes.values()) == 0
    assert sqlite3.connect(db_path).execute("SELECT count(*) FROM changes").fetchone()[0] == changes


def test_sitemaps_and_sections_reach_the_same_articles_once(news_site: NewsSite, db_path: Path,
                                                           fast_settings: FetchSettings) -> None:
    runs = crawl(db_path, fast_settings, [news_site.url + "/sitemap.xml", news_site.url + "/world/",
                                          news_site.url + "/atom.xml"])
    assert all(r.error is None for r in runs), [r.line() for r in runs]
    db = sqlite3.connect(db_path)
    assert db.execute("SELECT count(DISTINCT key) FROM documents").fetchone()[0] == \
        db.execute("SELECT count(*) FROM documents").fetchone()[0] == 5


def test_each_fault_is_recorded_against_its_source_and_others_go_on(news_site: NewsSite, db_path: Path,
                                                                   fast_settings: FetchSettings) -> None:
    faults = {"/fault/500": "server_error", "/fault/not-xml-feed": "unsupported",
              "/fault/redirect-loop": "too_many_redirects", "/fault/status/404": "not_found",
              "/fault/binary": "binary", "/private/feed.xml": "robots_disallowed"}
    runs = crawl(db_path, fast_settings, [news_site.url + path for path in faults] + [news_site.url + "/feed.xml"])
    by_url = {r.url.removeprefix(news_site.url): r for r in runs}
    assert by_url["/feed.xml"].error is None and sum(by_url["/feed.xml"].outcomes.values()) == 5
    for path, kind in faults.items():
        assert by_url[path].error is not None and by_url[path].error.kind.value in (kind, "malformed"), path
    db = sqlite3.connect(db_path)
    recorded = dict(db.execute("SELECT url, last_error_kind FROM sources"))
    assert all(recorded[news_site.url + path] for path in faults)
    assert recorded[news_site.url + "/feed.xml"] is None


def test_a_home_page_is_probed_for_its_feeds(news_site: NewsSite, db_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.conftest import run_cli

    monkeypatch.setenv("NEWSDEDUP_ALLOW_PRIVATE_ADDRESSES", "1")
    result = run_cli("sources", "add", "--discover", news_site.url + "/", "--db", str(db_path))
    assert result.exit_code == 0, result.output
    added = [line.split()[2] for line in result.output.splitlines()]
    assert news_site.url + "/feed.xml" in added
    listed = run_cli("sources", "list", "--db", str(db_path), "--format", "jsonl").output
    assert news_site.url + "/feed.xml" in listed


def test_a_listing_longer_than_the_per_run_cap_is_finished_by_the_next_runs(news_site: NewsSite, db_path: Path,
                                                                           fast_settings: FetchSettings) -> None:
    store = Store(str(db_path))
    settings = Settings(db=str(db_path), allow_private_addresses=True, max_articles_per_run=2)
    store.sources.add(news_site.url + "/feed.xml", interval_seconds=60)
    crawler = Crawler(store, Pipeline(store, settings.matching), settings.crawl, fast_settings)
    stored = []
    for _ in range(3):
        runs = asyncio.run(crawler.run_sources(store.sources.all(enabled_only=True)))
        stored.append(sum(runs[0].outcomes.values()))
    assert stored == [2, 2, 1]
    assert store.documents.counts().documents == 5
    store.close()


def test_opml_export_then_import_round_trips_and_keeps_existing_sources(tmp_path: Path, db_path: Path) -> None:
    from tests.conftest import run_cli

    run_cli("sources", "add", "https://example.org/feed.xml", "--interval", "600", "--lang", "vi", "--disabled",
            "--db", str(db_path))
    run_cli("sources", "add", "https://example.net/rss", "--title", "Example Net", "--db", str(db_path))
    opml = tmp_path / "subscriptions.opml"
    opml.write_bytes(run_cli("sources", "export", "--db", str(db_path)).stdout_bytes)
    other = tmp_path / "other.db"
    assert "imported 2 new sources" in run_cli("sources", "import", str(opml), "--db", str(other)).output
    listed = [json.loads(line) for line in run_cli("sources", "list", "--db", str(other), "--format", "jsonl")
              .output.splitlines()]
    first = next(s for s in listed if s["url"] == "https://example.org/feed.xml")
    assert (first["interval_seconds"], first["lang"], first["enabled"]) == (600, "vi", 0)
    assert any(s["title"] == "Example Net" and s["enabled"] for s in listed)
    again = run_cli("sources", "import", str(opml), "--db", str(db_path)).output
    assert "imported 0 new sources (2 already present)" in again
    assert '"interval_seconds": 600' in run_cli("sources", "list", "--db", str(db_path), "--format", "jsonl").output


def test_adding_an_existing_source_changes_only_the_options_given(db_path: Path) -> None:
    from tests.conftest import run_cli

    run_cli("sources", "add", "https://example.org/feed.xml", "--interval", "600", "--disabled", "--db", str(db_path))
    output = run_cli("sources", "add", "https://example.org/feed.xml", "--title", "Example",
                     "--db", str(db_path)).output
    assert "every 600s (updated, disabled)" in output
    listed = json.loads(run_cli("sources", "list", "--db", str(db_path), "--format", "jsonl").output)
    assert (listed["title"], listed["interval_seconds"], listed["enabled"]) == ("Example", 600, 0)
    assert run_cli("sources", "add", "https://example.org/x", "--lang", "not a code", "--db", str(db_path)
                   ).exit_code == 2
