#!/usr/bin/env python3
"""Concurrent writers: throughput of 1, 2 and 4 `newsdedup replay` processes on one database,
and whether they decide as one writer would.

The lock makes writers serializable: their stories must equal, exactly, those of one writer fed
the documents in the order the writers committed them ("= serial"). Racing writers commit in
another order than a sorted replay, and stories are a streaming decision, so against the sorted
solo replay the agreement is given as a pairwise F1.

Each writer replays its share of the corpus (interleaved slices, so every story is touched by
every writer); the match-and-write step is serialised by the database's write lock, and each
writer catches its index up with the others' changes before it decides. Throughput is documents
per second of wall time for the whole set of processes (all start together).

    .venv/bin/python benchmarks/writers.py                 # wmt22-news, 1/2/4 writers
    .venv/bin/python benchmarks/writers.py --quick         # 300 documents, 1/2 writers (CI)
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from concurrent_replay import (  # noqa: E402
    COMMITTED_KEYS_SQL,
    ROOT,
    pairwise_f1,
    partition,
    replay_slices,
    serial_stories,
)

DEFAULT_CORPUS = ROOT.parent / "shared" / "bench" / "dedup" / "wmt22-news.jsonl"


def sqlite_rows(db: Path) -> list[tuple[str, str]]:
    return sqlite3.connect(db).execute("SELECT key, story_id FROM documents").fetchall()


def committed_keys(db: Path) -> list[str]:
    return [key for (key,) in sqlite3.connect(db).execute(COMMITTED_KEYS_SQL)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--docs", type=int, default=0, help="first N documents only (0: all)")
    parser.add_argument("--writers", type=int, action="append", help="writer counts (default 1, 2, 4)")
    parser.add_argument("--quick", action="store_true", help="300 documents, 1 and 2 writers (CI)")
    args = parser.parse_args()
    counts = args.writers or ([1, 2] if args.quick else [1, 2, 4])
    lines = args.corpus.read_text(encoding="utf-8").splitlines(keepends=True)
    if args.quick or args.docs:
        lines = lines[: args.docs or 300]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        settings = folder / "empty.toml"
        settings.write_text("")
        env = {**{k: v for k, v in os.environ.items() if not k.startswith("NEWSDEDUP_")},
               "NEWSDEDUP_CONFIG": str(settings)}
        reference: set[frozenset[str]] | None = None
        print(f"{len(lines)} documents of {args.corpus.name}; {os.cpu_count()} cores")
        print(f"{'writers':>7} {'wall s':>7} {'docs/s':>7} {'vs 1':>5}  {'= serial':>8}  F1 vs sorted solo")
        base = None
        for writers in counts:
            db = folder / f"writers-{writers}.db"
            seconds, _ = replay_slices(str(db), writers, lines, folder, env)
            stories = partition(sqlite_rows(db))
            reference = reference or stories
            base = base or seconds
            exact = "yes" if stories == serial_stories(committed_keys(db), lines, folder, env) else "NO"
            print(f"{writers:>7} {seconds:>7.1f} {len(lines) / seconds:>7.0f} {base / seconds:>5.2f}  {exact:>8}  "
                  f"{pairwise_f1(stories, reference):.3f}", flush=True)


if __name__ == "__main__":
    main()
