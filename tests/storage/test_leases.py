"""Source leases: several workers share the sources, none polls one another holds, a dead worker's
lease runs out. On each backend (SQLite file, PostgreSQL database)."""

from __future__ import annotations

import threading

from storage import open_database
from storage.factory import OpenDatabase
from storage.model import SourceLease

NOW = 1_000_000.0
LEASE = 300.0


def add_sources(db: OpenDatabase, n: int) -> list[int]:
    return [db.sources.add(f"https://example.org/{i}/feed", interval_seconds=900).id for i in range(n)]


def test_two_workers_get_different_due_sources(database: OpenDatabase) -> None:
    add_sources(database, 5)
    first = database.sources.lease_due("w1", NOW, 3, LEASE)
    second = database.sources.lease_due("w2", NOW, 3, LEASE)
    assert len(first) == 3 and len(second) == 2
    assert not {s.id for s in first} & {s.id for s in second}
    assert database.sources.lease_due("w3", NOW, 3, LEASE) == []


def test_only_due_enabled_unpaused_sources_are_leased(database: OpenDatabase) -> None:
    due, later, disabled, paused = add_sources(database, 4)
    database.sources.record_run(later, kind="feed", next_due=NOW + 60)
    database.sources.record_run(due, kind="feed", next_due=NOW - 60)
    database.sources.update(disabled, enabled=False)
    database.sources.pause(paused, "broken")
    assert [s.id for s in database.sources.lease_due("w1", NOW, 10, LEASE)] == [due]
    assert [s.id for s in database.sources.lease_due("w1", NOW + 61, 10, LEASE)] == [later]


def test_a_dead_workers_lease_runs_out_and_is_taken_over(database: OpenDatabase) -> None:
    (source,) = add_sources(database, 1)
    assert [s.id for s in database.sources.lease_due("dead", NOW, 10, LEASE)] == [source]
    assert database.sources.lease_due("alive", NOW + LEASE - 1, 10, LEASE) == []
    assert [s.id for s in database.sources.lease_due("alive", NOW + LEASE, 10, LEASE)] == [source]
    database.sources.release(source, "dead")  # too late: the lease is another's now
    assert database.sources.lease_due("third", NOW + LEASE + 1, 10, LEASE) == []


def test_a_released_source_is_due_again_at_its_next_run(database: OpenDatabase) -> None:
    (source,) = add_sources(database, 1)
    database.sources.lease_due("w1", NOW, 10, LEASE)
    database.sources.record_run(source, kind="feed", next_due=NOW + 900)
    database.sources.release(source, "w1")
    assert database.sources.lease_due("w2", NOW + 10, 10, LEASE) == []
    assert [s.id for s in database.sources.lease_due("w2", NOW + 900, 10, LEASE)] == [source]


def test_workers_leasing_at_once_never_share_a_source(database_url: str, database: OpenDatabase) -> None:
    add_sources(database, 60)
    leased: dict[str, list[int]] = {}

    def worker(name: str) -> None:
        with open_database(database_url) as db:
            got: list[int] = []
            for _ in range(30):
                got += [s.id for s in db.sources.lease_due(name, NOW, 1, LEASE)]
            leased[name] = got

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    every = [source for got in leased.values() for source in got]
    assert len(every) == len(set(every)) == 60


def test_one_source_is_taken_by_one_worker_and_not_after_its_run(database: OpenDatabase) -> None:
    (source,) = add_sources(database, 1)
    taken = database.sources.lease(source, "w1", NOW, LEASE)
    assert taken is not None and taken.id == source
    assert database.sources.lease(source, "w2", NOW, LEASE) is None          # held
    assert database.sources.lease(source, "w1", NOW, LEASE) is not None      # renewed by its holder
    database.sources.record_run(source, kind="feed", next_due=NOW + 900)
    database.sources.release(source, "w1")
    assert database.sources.lease(source, "w2", NOW + 1, LEASE) is None      # run already: not due
    assert database.sources.lease(source, "w2", NOW + 900, LEASE) is not None


def test_a_crawl_now_leases_a_source_due_or_not_but_never_a_held_one(database: OpenDatabase) -> None:
    """`newsdedup crawl` runs every source now (due_only=False), and still not one another holds."""
    later, held, paused = add_sources(database, 3)
    for source in (later, held):
        database.sources.record_run(source, kind="feed", next_due=NOW + 600)
    database.sources.pause(paused, "broken")
    assert database.sources.lease(held, "serve", NOW - 1000, LEASE, due_only=False) is not None
    assert database.sources.lease(later, "crawl", NOW, LEASE) is None                     # not due
    assert database.sources.lease(later, "crawl", NOW, LEASE, due_only=False) is not None
    assert database.sources.lease(held, "crawl", NOW - 999, LEASE, due_only=False) is None  # serve's
    assert database.sources.lease(paused, "crawl", NOW, LEASE, due_only=False) is None      # paused


def test_workers_taking_one_source_at_once_get_it_once(database_url: str, database: OpenDatabase) -> None:
    (source,) = add_sources(database, 1)
    winners: list[str] = []
    start = threading.Barrier(4)

    def worker(name: str) -> None:
        with open_database(database_url) as db:
            start.wait(30)
            if db.sources.lease(source, name, NOW, LEASE) is not None:
                winners.append(name)

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(winners) == 1


def test_a_dead_workers_lease_is_taken_over_at_once_by_name(database: OpenDatabase) -> None:
    (source,) = add_sources(database, 1)
    assert database.sources.lease(source, "host:1", NOW, LEASE) is not None
    assert database.sources.lease(source, "host:2", NOW + 1, LEASE) is None
    assert database.sources.lease(source, "host:2", NOW + 1, LEASE, take_from="host:3") is None  # not the holder
    assert database.sources.lease(source, "host:2", NOW + 1, LEASE, take_from="host:1") is not None
    assert database.sources.lease_holder(source, NOW + 2) == SourceLease("host:2", NOW + 1 + LEASE)


def test_a_lease_is_renewed_by_its_holder_only_due_or_not(database: OpenDatabase) -> None:
    (source,) = add_sources(database, 1)
    database.sources.lease(source, "w1", NOW, LEASE)
    database.sources.record_run(source, kind="feed", next_due=NOW + 900)  # the run ended: not due any more
    assert database.sources.renew(source, "w1", NOW + 200, LEASE)
    assert database.sources.lease_holder(source, NOW + LEASE + 1) == SourceLease("w1", NOW + 200 + LEASE)
    assert not database.sources.renew(source, "w2", NOW + 200, LEASE)
    database.sources.release(source, "w1")
    assert database.sources.lease_holder(source, NOW + 201) is None
    assert not database.sources.renew(source, "w1", NOW + 202, LEASE)  # released: nothing to renew


def test_an_expired_lease_has_no_holder(database: OpenDatabase) -> None:
    (source,) = add_sources(database, 1)
    assert database.sources.lease_holder(source, NOW) is None
    database.sources.lease(source, "w1", NOW, LEASE)
    assert database.sources.lease_holder(source, NOW + LEASE - 1) == SourceLease("w1", NOW + LEASE)
    assert database.sources.lease_holder(source, NOW + LEASE) is None


def test_host_starts_are_spaced_whoever_reserves_them(database: OpenDatabase) -> None:
    reserve = database.sources.reserve_host
    assert reserve("example.org", NOW, 1.0) == NOW
    assert reserve("example.org", NOW, 1.0) == NOW + 1          # another worker, the same moment: after it
    assert reserve("example.org", NOW + 0.5, 2.0) == NOW + 2    # its own (longer) spacing starts from there
    assert reserve("example.org", NOW + 10, 1.0) == NOW + 10    # long after: at once
    assert reserve("other.example", NOW, 1.0) == NOW            # per host


def test_workers_reserving_one_host_at_once_get_distinct_moments(database_url: str,
                                                                 database: OpenDatabase) -> None:
    starts: list[float] = []
    start = threading.Barrier(4)

    def worker() -> None:
        with open_database(database_url) as db:
            start.wait(30)
            for _ in range(5):
                starts.append(db.sources.reserve_host("example.org", NOW, 1.0))

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(starts) == [NOW + i for i in range(20)]
