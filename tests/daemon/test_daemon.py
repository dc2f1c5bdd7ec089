"""`newsdedup serve` as a real process against the local news site: SIGKILL mid-crawl and restart,
SIGTERM, persisted schedules, and the crawl metrics on /metrics.

Each test starts its own NewsSite (so the site's request log is the test's alone) and runs
`python -m ingest serve` with a temp database, a free port and a per-host delay that keeps
a crawl going for a few seconds, long enough to interrupt it mid-way.
"""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from newsdedup.leases import lease_host
from storage import Store
from tests.site import content
from tests.site.server import NewsSite

ARTICLES = len(content.ARTICLES)  # the feed lists every article of the site
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def site() -> Iterator[NewsSite]:
    with NewsSite() as s:
        yield s


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class DaemonProcess:
    """`newsdedup serve` on `db` (an SQLite file, or a postgresql:// URL), logging to `log`;
    `args`: more command-line options; `settings`: NEWSDEDUP_* settings."""

    def __init__(self, db: Path | str, log: Path, *args: str, **settings: str) -> None:
        self.port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSDEDUP_")}
        empty = log.parent / "empty-settings.toml"  # no developer's newsdedup.toml leaks in
        empty.touch()
        env.update(NEWSDEDUP_ALLOW_PRIVATE_ADDRESSES="1", NEWSDEDUP_CONFIG=str(empty),
                   **{f"NEWSDEDUP_{k.upper()}": v for k, v in settings.items()})
        self.log = log
        with log.open("a") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "newsdedup", "serve", "--db", str(db), "--port", str(self.port), *args],
                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def get(self, path: str) -> httpx.Response:
        return httpx.get(self.url + path, timeout=5)

    def wait_ready(self) -> None:
        def ready() -> bool:
            try:
                return self.get("/healthz").status_code == 200
            except httpx.HTTPError:
                return False
        wait_for(ready, 20, self)

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.kill()


def wait_for(condition: Callable[[], bool], seconds: float, daemon: DaemonProcess) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert daemon.process.poll() is None, f"the daemon died:\n{daemon.log.read_text()[-3000:]}"
        assert time.monotonic() < deadline, f"timed out:\n{daemon.log.read_text()[-3000:]}"
        time.sleep(0.05)


def query(db: Path, sql: str) -> list[tuple]:
    try:
        with sqlite3.connect(db, timeout=5) as conn:
            return conn.execute(sql).fetchall()
    except sqlite3.OperationalError:  # not created yet
        return []


def documents(db: Path) -> int:
    rows = query(db, "SELECT count(*) FROM documents")
    return rows[0][0] if rows else 0


def article_hits(site: NewsSite) -> dict[str, int]:
    return {a.path: len(site.state.requests_to(a.path)) for a in content.ARTICLES}


def assert_stored_once(db: Path) -> None:
    assert query(db, "SELECT count(*), count(DISTINCT key) FROM documents") == [(ARTICLES, ARTICLES)]
    per_document = query(db, "SELECT d.id, count(c.seq) FROM documents d LEFT JOIN changes c "
                             "ON c.document_id = d.id GROUP BY d.id")
    assert sorted(n for _, n in per_document) == [1] * ARTICLES


def add_feed(db: Path, site: NewsSite, interval: int = 600) -> None:
    store = Store(str(db))
    store.sources.add(site.url + "/feed.xml", interval_seconds=interval)
    store.close()


def test_sigkill_mid_crawl_then_restart_stores_every_article_once_and_resumes(site: NewsSite,
                                                                           tmp_path: Path) -> None:
    db, log = tmp_path / "news.db", tmp_path / "daemon.log"
    add_feed(db, site)
    first = DaemonProcess(db, log, per_host_delay="0.4")
    try:
        wait_for(lambda: documents(db) >= 2, 30, first)
        first.kill()  # SIGKILL: no cleanup of any kind
    finally:
        first.stop()
    stored_before = documents(db)
    assert 2 <= stored_before < ARTICLES, "the kill should land mid-crawl"
    assert query(db, "SELECT next_due FROM sources") == [(None,)]  # the run never finished
    hits_before = article_hits(site)

    second = DaemonProcess(db, log, per_host_delay="0.1")
    try:
        wait_for(lambda: query(db, "SELECT last_success IS NOT NULL FROM sources") == [(1,)], 30, second)
        assert_stored_once(db)
        # What was stored before the kill was not fetched again; at most the article in flight was.
        hits = article_hits(site)
        refetched = [path for path in hits if hits[path] > 1]
        assert len(refetched) <= 1, hits
        assert sum(hits.values()) - sum(hits_before.values()) <= ARTICLES - stored_before + 1
        (next_due, poll_interval), = query(db, "SELECT next_due, poll_interval FROM sources")
        assert next_due > time.time() + 250 and poll_interval == 300  # news: 600 s halved, min_interval 300
        second.wait_ready()
        metrics = second.get("/metrics").text
        assert 'newsdedup_crawl_documents_total{outcome="created"}' in metrics
        assert 'newsdedup_crawl_fetches_total{outcome="ok"}' in metrics
        assert 'newsdedup_source_last_success_timestamp_seconds{source="1"}' in metrics
        assert 'newsdedup_crawl_queue_jobs{state="running"} 0.0' in metrics
        assert "newsdedup_stories 2.0" in metrics  # one story in four languages, and another
        second.kill()
    finally:
        second.stop()

    # A third start finds the source not due: it serves, and fetches nothing.
    feed_hits = len(site.state.requests_to("/feed.xml"))
    third = DaemonProcess(db, log, per_host_delay="0.1")
    try:
        third.wait_ready()
        time.sleep(6)  # longer than the start-up spread of overdue sources
        assert len(site.state.requests_to("/feed.xml")) == feed_hits
        metrics = third.get("/metrics").text
        assert 'newsdedup_source_last_success_timestamp_seconds{source="1"}' in metrics  # restored from the db
    finally:
        third.stop()
    assert_stored_once(db)


def test_sigterm_finishes_the_document_in_hand_and_exits_zero(site: NewsSite, tmp_path: Path) -> None:
    db, log = tmp_path / "news.db", tmp_path / "daemon.log"
    add_feed(db, site)
    # One article at a time, so that "the document in hand" is one document.
    daemon = DaemonProcess(db, log, per_host_delay="0.5", per_host_concurrency="1")
    try:
        wait_for(lambda: documents(db) >= 1, 30, daemon)
        daemon.wait_ready()
        assert 'newsdedup_crawl_queue_jobs{state="running"} 1.0' in daemon.get("/metrics").text
        daemon.process.send_signal(signal.SIGTERM)
        started = time.monotonic()
        assert daemon.process.wait(15) == 0
        assert time.monotonic() - started < 5  # the document in hand, not the whole source
    finally:
        daemon.stop()
    text = log.read_text()
    assert "interrupted by shutdown" in text and "Traceback" not in text
    stored = documents(db)
    assert 1 <= stored < ARTICLES
    # Interrupted: nothing recorded, so the source is due at once when the daemon starts again.
    assert query(db, "SELECT next_due, last_run FROM sources") == [(None, None)]

    again = DaemonProcess(db, log, per_host_delay="0.05")
    try:
        wait_for(lambda: query(db, "SELECT last_success IS NOT NULL FROM sources") == [(1,)], 30, again)
        again.process.send_signal(signal.SIGTERM)
        assert again.process.wait(15) == 0
    finally:
        again.stop()
    assert_stored_once(db)


def test_a_lease_left_by_a_dead_process_of_this_host_is_taken_over_at_once(site: NewsSite, tmp_path: Path) -> None:
    """After a SIGKILL the sources the dead daemon held are still leased to it (HOSTNAME:PID) for
    minutes; a daemon of the same host (and PID namespace) sees that pid is gone and takes them at once. A lease of
    another host cannot be checked: it is waited for, to its end."""
    db, log = tmp_path / "news.db", tmp_path / "daemon.log"
    store = Store(str(db))
    dead_here = store.sources.add(site.url + "/feed.xml", interval_seconds=30).id
    elsewhere = store.sources.add(site.url + "/atom.xml", interval_seconds=30).id
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    assert store.sources.lease(dead_here, f"{lease_host()}:{gone.pid}", time.time(), 3600)
    foreign_ends = time.monotonic() + 3  # a few seconds, so that the test sees it end (the site's clock)
    assert store.sources.lease(elsewhere, "other-host.example:1234", time.time(), 3)
    store.close()

    daemon = DaemonProcess(db, log, per_host_delay="0.05")
    try:
        wait_for(lambda: query(db, "SELECT count(*) FROM sources WHERE last_success IS NOT NULL "
                                   "AND leased_by IS NULL") == [(2,)], 30, daemon)
    finally:
        daemon.stop()
    # Within the wait above (seconds), not at the end of the dead process's hour-long lease.
    assert f"taking over from {lease_host()}:{gone.pid}" in log.read_text()
    # The other host's source was not polled while its lease held.
    assert min(hit.at for hit in site.state.requests_to("/atom.xml")) >= foreign_ends
    assert_stored_once(db)
