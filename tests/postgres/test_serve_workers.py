"""Two `newsdedup serve` workers on one PostgreSQL database share the crawl of the local news site:
each source is run by one worker at a time (its lease), each article is stored once, the
per-host delay holds across both workers, and a worker killed mid-run loses nothing.

The site's request log is the judge: a listing fetched once was run once, and the arrival times
of every request show how far apart the two workers together started them.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from newsdedup.leases import lease_host
from storage import open_database
from tests.daemon.test_daemon import ARTICLES, DaemonProcess
from tests.site import content
from tests.site.server import NewsSite

# Every listing of the site, each a source: they all list the same few articles.
LISTINGS = ("/feed.xml", "/atom.xml", "/feed.json", "/sitemap.xml", *content.SECTIONS)
PER_HOST_DELAY = 0.2
# The politeness check counts request starts in windows of this many delays: without the shared
# reservations, two workers start about twice as many as the delay allows ...
RATE_WINDOW_DELAYS = 10
# ... with it, at most one per delay, and one more at the window's edge, and these few more: a
# request a worker sent late (its loop busy extracting a document as its moment came, on two
# busy cores) arrives in the next window (and the site records arrivals late when it is busy).
LATE_STARTS = 2
CRAWL_TIMEOUT_SECONDS = 60


@pytest.fixture
def site() -> Iterator[NewsSite]:
    with NewsSite() as s:
        yield s


def add_listings(url: str, site: NewsSite) -> dict[str, int]:
    with open_database(url) as db:
        return {path: db.sources.add(site.url + path, interval_seconds=600).id for path in LISTINGS}


def rows(url: str, sql: str) -> list[tuple]:
    import psycopg

    with psycopg.connect(url) as conn:
        return [tuple(row) for row in conn.execute(sql).fetchall()]


def crawled(url: str) -> bool:
    """Every source has run to its end and given its lease back."""
    return rows(url, "SELECT count(*) FROM sources WHERE last_success IS NULL OR leased_by IS NOT NULL") == [(0,)]


def assert_stored_once(url: str) -> None:
    assert rows(url, "SELECT count(*), count(DISTINCT key) FROM documents") == [(ARTICLES, ARTICLES)]
    assert rows(url, "SELECT count(*), count(DISTINCT document_id) FROM changes") == [(ARTICLES, ARTICLES)]


def runs_of(log: Path) -> list[int]:
    """The source ids of the runs a worker's log reports (one line per run, ingest.crawl)."""
    return [int(n) for n in re.findall(r"newsdedup\.crawl source (\d+) ", log.read_text())]


def tried(log: Path, source_id: int) -> bool:
    """Whether a worker ran the source, or found it leased to (or run by) another worker."""
    return re.search(rf"newsdedup\.crawl source {source_id} |newsdedup\.daemon source {source_id}: "
                     r"(being run by|run by another worker)", log.read_text()) is not None


def wait_all(condition: Callable[[], bool], workers: list[DaemonProcess]) -> None:
    """Until `condition`, every worker alive meanwhile."""
    deadline = time.monotonic() + CRAWL_TIMEOUT_SECONDS
    while not condition():
        for worker in workers:
            assert worker.process.poll() is None, f"a worker died:\n{worker.log.read_text()[-3000:]}"
        assert time.monotonic() < deadline, "timed out:\n" + "\n".join(w.log.read_text()[-2000:] for w in workers)
        time.sleep(0.1)


def test_two_workers_run_each_source_once_and_store_each_article_once(postgres_url: str, site: NewsSite,
                                                                       tmp_path: Path) -> None:
    ids = add_listings(postgres_url, site)
    since = time.monotonic()
    workers = [DaemonProcess(postgres_url, tmp_path / f"worker-{n}.log", "--log-level", "debug",
                             per_host_delay=str(PER_HOST_DELAY)) for n in (1, 2)]
    try:
        wait_all(lambda: crawled(postgres_url), workers)
        # Both workers have tried every source (each schedules all of them): one ran it, the
        # other found it leased or already run, and looks again later, not now.
        wait_all(lambda: all(tried(w.log, i) for w in workers for i in ids.values()), workers)
    finally:
        for worker in workers:
            worker.stop()
    runs = [runs_of(w.log) for w in workers]
    assert sorted(runs[0] + runs[1]) == sorted(ids.values())  # each source run once, by one worker
    for path in LISTINGS:
        assert len(site.state.requests_to(path)) == 1, path
    assert_stored_once(postgres_url)
    # The per-host delay held across the two workers together, not only within each: at most one
    # request start per delay in any window, give or take a few late ones (a single gap may be
    # short, when the request before it was sent late).
    starts = sorted(hit.at for hit in site.state.hits if hit.at >= since)
    window = RATE_WINDOW_DELAYS * PER_HOST_DELAY
    most = max(sum(1 for t in starts if first <= t < first + window) for first in starts)
    gaps = [round(b - a, 3) for a, b in zip(starts, starts[1:], strict=False)]
    assert most <= RATE_WINDOW_DELAYS + 1 + LATE_STARTS, (most, gaps)


def test_a_worker_killed_mid_run_loses_nothing_and_doubles_nothing(postgres_url: str, site: NewsSite,
                                                                    tmp_path: Path) -> None:
    add_listings(postgres_url, site)
    # Slow enough (the delay is shared by the workers: about three requests a second in all) that
    # the kill lands while the workers are mid-run.
    workers = {n: DaemonProcess(postgres_url, tmp_path / f"worker-{n}.log", per_host_delay="0.3") for n in (1, 2)}
    try:
        def someone_mid_run() -> bool:
            return bool(rows(postgres_url, "SELECT 1 FROM documents LIMIT 1")) and bool(
                rows(postgres_url, "SELECT 1 FROM sources WHERE leased_by IS NOT NULL LIMIT 1"))

        wait_all(someone_mid_run, list(workers.values()))
        holder = rows(postgres_url, "SELECT leased_by FROM sources WHERE leased_by IS NOT NULL LIMIT 1")[0][0]
        host, pid = holder.rsplit(":", 1)
        assert host == lease_host()
        victim = next(n for n, w in workers.items() if w.process.pid == int(pid))
        workers[victim].kill()  # SIGKILL: its leases stay in the table, held by a pid that is gone
        assert rows(postgres_url, f"SELECT count(*) FROM sources WHERE leased_by = '{holder}'")[0][0] >= 1
        # Its restart (a new pid, the same host) takes the dead one's sources over at once.
        workers[victim] = DaemonProcess(postgres_url, tmp_path / f"worker-{victim}.log", per_host_delay="0.1")
        wait_all(lambda: crawled(postgres_url), list(workers.values()))
    finally:
        for worker in workers.values():
            worker.stop()
    assert any(f"taking over from {holder}" in w.log.read_text() for w in workers.values())
    assert_stored_once(postgres_url)
