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
import itertools
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = ROOT.parent / "shared" / "bench" / "dedup" / "wmt22-news.jsonl"


def partition(db: Path) -> set[frozenset[str]]:
    stories: dict[str, set[str]] = defaultdict(set)
    for key, story in sqlite3.connect(db).execute("SELECT key, story_id FROM documents"):
        stories[story].add(key)
    return {frozenset(keys) for keys in stories.values()}


def pairwise_f1(predicted: set[frozenset[str]], gold: set[frozenset[str]]) -> float:
    def pairs(stories: set[frozenset[str]]) -> set[tuple[str, str]]:
        return {pair for story in stories for pair in itertools.combinations(sorted(story), 2)}

    p, g = pairs(predicted), pairs(gold)
    return 2 * len(p & g) / (len(p) + len(g)) if p or g else 1.0


def serial(db: Path, lines: list[str], folder: Path, env: dict[str, str]) -> set[frozenset[str]]:
    """The stories of one writer fed the documents in the order `db`'s writers committed them."""
    by_key = {json.loads(line)["id"]: line for line in lines}
    keys = [k for (k,) in sqlite3.connect(db).execute(
        "SELECT d.key FROM changes c JOIN documents d ON d.id = c.document_id WHERE c.kind != 'changed' "
        "ORDER BY c.seq")]
    ordered = folder / f"serial-{db.stem}.jsonl"
    ordered.write_text("".join(by_key[k] for k in keys), encoding="utf-8")
    reference = folder / f"serial-{db.stem}.db"
    subprocess.run([sys.executable, "-m", "newsdedup", "replay", str(ordered), "--db", str(reference), "-q"],
                   cwd=ROOT, env={**env, "NEWSDEDUP_REPLAY_ORDER": "input"}, check=True, capture_output=True)
    return partition(reference)


def run(writers: int, lines: list[str], folder: Path, env: dict[str, str]) -> tuple[float, Path]:
    db = folder / f"writers-{writers}.db"
    parts = []
    for i in range(writers):
        part = folder / f"part-{writers}-{i}.jsonl"
        part.write_text("".join(lines[i::writers]), encoding="utf-8")
        parts.append(part)
    started = time.perf_counter()
    procs = [subprocess.Popen([sys.executable, "-m", "newsdedup", "replay", str(p), "--db", str(db), "-q"],
                              cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
             for p in parts]
    for proc in procs:
        _, err = proc.communicate()
        if proc.returncode != 0:
            raise SystemExit(f"a writer failed: {err}")
    return time.perf_counter() - started, db


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
            seconds, db = run(writers, lines, folder, env)
            stories = partition(db)
            reference = reference or stories
            base = base or seconds
            exact = "yes" if stories == serial(db, lines, folder, env) else "NO"
            print(f"{writers:>7} {seconds:>7.1f} {len(lines) / seconds:>7.0f} {base / seconds:>5.2f}  {exact:>8}  "
                  f"{pairwise_f1(stories, reference):.3f}", flush=True)


if __name__ == "__main__":
    main()
