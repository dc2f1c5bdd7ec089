#!/usr/bin/env python3
"""Scale-out: documents per second of 1, 2 and 4 `newsdedup replay` workers on one PostgreSQL
database, beside one SQLite process, and whether the workers' stories are one writer's.

Story assignment is a streaming decision, so arrival order matters: workers on interleaved
slices give the documents another order than one process reading the corpus sorted. Two
columns: "= SQLite" (the same stories as the one SQLite replay), and "= serial" (the same stories
as one SQLite writer given the documents in the order the workers committed them, from the
change log: what must always hold, the workers being serialisable).

Each worker replays its share of the corpus (interleaved slices, so every story is touched by
every worker). The match-and-write step of all workers is serialised by one advisory lock, and
each worker catches its index up with the change log first; what runs in parallel is
everything before the lock (reading, extraction, language, fingerprints). Throughput is
documents per second of wall time for the whole set of processes, all started together.

The server is one of the benchmark's own (initdb in a temporary directory, as the tests do:
tests/postgres/server.py), fsync on and synchronous_commit off, which is what SQLite's WAL with
synchronous=NORMAL promises (a crash may lose the last commits, never corrupt); or give --db.

    .venv/bin/python benchmarks/scale_out.py             # wmt22-news, SQLite + 1/2/4 workers
    .venv/bin/python benchmarks/scale_out.py --quick     # 300 documents, SQLite + 1/2 workers (CI)
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
DEFAULT_CORPUS = ROOT.parent / "shared" / "bench" / "dedup" / "wmt22-news.jsonl"

from concurrent_replay import (  # noqa: E402
    COMMITTED_KEYS_SQL,
    partition,
    replay_slices,
    serial_stories,
)

from tests.postgres.server import Server, running, why_unavailable  # noqa: E402


def postgres_rows(url: str) -> list[tuple[str, str]]:
    import psycopg

    with psycopg.connect(url) as conn:
        return conn.execute("SELECT key, story_id FROM documents").fetchall()


def postgres_committed_keys(url: str) -> list[str]:
    import psycopg

    with psycopg.connect(url) as conn:
        return [r[0] for r in conn.execute(COMMITTED_KEYS_SQL)]


def measure(args: argparse.Namespace, lines: list[str], server: Server | None) -> None:
    counts = args.workers or ([1, 2] if args.quick else [1, 2, 4])
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        settings = folder / "empty.toml"
        settings.write_text("")
        env = {**{k: v for k, v in os.environ.items() if not k.startswith("NEWSDEDUP_")},
               "NEWSDEDUP_CONFIG": str(settings)}
        print(f"{len(lines)} documents of {args.corpus.name}; {os.cpu_count()} cores")
        print(f"{'backend':>10} {'workers':>7} {'wall s':>7} {'CPU s':>6} {'docs/s':>7} {'vs SQLite':>9}  "
              f"{'= SQLite':<10} = serial")
        sqlite_db = folder / "one.db"
        base, cpu = replay_slices(str(sqlite_db), 1, lines, folder, env)
        reference = partition(sqlite3.connect(sqlite_db).execute("SELECT key, story_id FROM documents"))
        print(f"{'sqlite':>10} {1:>7} {base:>7.1f} {cpu:>6.1f} {len(lines) / base:>7.1f} {1:>9.2f}  {'-':<10} -",
              flush=True)
        for workers in counts:
            if server is not None:
                url = server.create_database()
            else:  # a database of the user's: emptied before each run
                url = args.db
                _empty(url)
            seconds, cpu = replay_slices(url, workers, lines, folder, env)
            stories = partition(postgres_rows(url))
            serial = serial_stories(postgres_committed_keys(url), lines, folder, env)
            print(f"{'postgresql':>10} {workers:>7} {seconds:>7.1f} {cpu:>6.1f} {len(lines) / seconds:>7.1f} "
                  f"{base / seconds:>9.2f}  {_same(stories, reference):<10} {_same(stories, serial)}", flush=True)
            if server is not None:
                server.drop_database(url)


def _same(stories: set[frozenset[str]], reference: set[frozenset[str]]) -> str:
    return "yes" if stories == reference else f"NO ({len(stories ^ reference)} differ)"


def _empty(url: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--docs", type=int, default=0, help="first N documents only (0: all)")
    parser.add_argument("--workers", type=int, action="append", help="worker counts (default 1, 2, 4)")
    parser.add_argument("--db", help="a PostgreSQL database to use (EMPTIED before each run) instead of "
                                     "a server of the benchmark's own")
    parser.add_argument("--quick", action="store_true", help="300 documents, 1 and 2 workers (CI)")
    args = parser.parse_args()
    if not args.corpus.is_file():
        print(f"scale_out skipped: {args.corpus} is not here")
        return
    lines = args.corpus.read_text(encoding="utf-8").splitlines(keepends=True)
    if args.quick or args.docs:
        lines = lines[: args.docs or 300]
    if args.db:
        measure(args, lines, None)
        return
    reason = why_unavailable()
    if reason:
        print(f"scale_out skipped: {reason}")
        return
    with running(durable=True) as server:
        measure(args, lines, server)


if __name__ == "__main__":
    main()
