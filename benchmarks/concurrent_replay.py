"""What the concurrent-writer benchmarks share: parallel replays of interleaved slices, stories as
partitions of document keys, and one writer's stories for the order other writers committed in.

Used by `writers.py` (SQLite) and `scale_out.py` (PostgreSQL workers); not run on its own.
"""

from __future__ import annotations

import itertools
import json
import resource
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# The documents in the order writers committed them: the change log's first row for each.
COMMITTED_KEYS_SQL = ("SELECT d.key FROM changes c JOIN documents d ON d.id = c.document_id "
                      "WHERE c.kind <> 'changed' ORDER BY c.seq")


def partition(rows: Iterable[tuple[str, str]]) -> set[frozenset[str]]:
    """(document key, story id) rows as a set of stories, each the set of its documents' keys."""
    stories: dict[str, set[str]] = defaultdict(set)
    for key, story in rows:
        stories[story].add(key)
    return {frozenset(keys) for keys in stories.values()}


def pairwise_f1(predicted: set[frozenset[str]], gold: set[frozenset[str]]) -> float:
    def pairs(stories: set[frozenset[str]]) -> set[tuple[str, str]]:
        return {pair for story in stories for pair in itertools.combinations(sorted(story), 2)}

    p, g = pairs(predicted), pairs(gold)
    return 2 * len(p & g) / (len(p) + len(g)) if p or g else 1.0


def replay_slices(db: str, workers: int, lines: list[str], folder: Path, env: dict[str, str]
                  ) -> tuple[float, float]:
    """Wall seconds for `workers` replay processes, started together, each on its interleaved
    slice of `lines` (so every story is touched by every worker), and the CPU seconds they used."""
    parts = []
    for i in range(workers):
        part = folder / f"part-{workers}-{i}-{time.monotonic_ns()}.jsonl"
        part.write_text("".join(lines[i::workers]), encoding="utf-8")
        parts.append(part)
    cpu_before = _children_cpu()
    started = time.perf_counter()
    procs = [subprocess.Popen([sys.executable, "-m", "newsdedup", "replay", str(p), "--db", db, "-q"],
                              cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
             for p in parts]
    for proc in procs:
        _, err = proc.communicate()
        if proc.returncode != 0:
            raise SystemExit(f"a writer failed: {err}")
    return time.perf_counter() - started, _children_cpu() - cpu_before


def serial_stories(committed_keys: list[str], lines: list[str], folder: Path, env: dict[str, str]
                   ) -> set[frozenset[str]]:
    """The stories of one SQLite writer fed the documents in `committed_keys`' order: what
    serialised writers must have found."""
    import sqlite3

    by_key = {json.loads(line)["id"]: line for line in lines}
    db = folder / f"serial-{time.monotonic_ns()}.db"
    replay_slices(str(db), 1, [by_key[key] for key in committed_keys], folder,
                  {**env, "NEWSDEDUP_REPLAY_ORDER": "input"})
    return partition(sqlite3.connect(db).execute("SELECT key, story_id FROM documents"))


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime
