#!/usr/bin/env python3
"""One clustering across workers (issue #14): an in-memory candidate index caught up from the
change log, or one LSH index shared in Redis through datasketch's storage layer?

Both designs still serialise the story decision (one clustering needs one order of decisions);
what differs is what each decision pays for its candidates:

- in memory (the chosen design): `BandCandidates` insert + query, plus the catch-up read of the
  change another worker committed (`documents.changes_since(seq)`, one change; on SQLite and,
  where PostgreSQL is installed, on a private PostgreSQL server: the backend several workers
  share); every worker indexes every document, and loads the window's signatures when it starts;
- Redis: `LshCandidates` with `storage_config={"type": "redis", ...}` insert + query, one round
  trip per band and per command datasketch sends (no pipelining); a worker starts with nothing
  to load.

The signatures are real: the corpus is replayed with `newsdedup replay` into a temporary SQLite
database and read back as a worker reads them. Documents are streamed in stored order, each
queried against the ones before it, then inserted, as the pipeline does; the candidate sets of
both indexes (and of datasketch in memory) must be the same for every document. Redis is a
private `redis-server` on 127.0.0.1 (no persistence), stopped at the end.

    .venv/bin/python benchmarks/matching/redis_index.py           # wmt22-news, 1,553 documents
    .venv/bin/python benchmarks/matching/redis_index.py --quick   # 300 documents, seconds (CI)
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
DEFAULT_CORPUS = ROOT.parent / "shared" / "bench" / "dedup" / "wmt22-news.jsonl"

from ingest.matching import MatchSettings  # noqa: E402
from ingest.matching.candidates import BandCandidates, CandidateIndex, LshCandidates  # noqa: E402
from ingest.matching.fingerprint import minhash_from_bytes  # noqa: E402
from ingest.matching.index import StoryIndex  # noqa: E402
from ingest.matching.minhash import Signature  # noqa: E402
from storage import open_database  # noqa: E402
from tests.postgres.server import running, why_unavailable  # noqa: E402


@dataclass(frozen=True)
class Doc:
    document_id: int
    lexical: Signature
    anchor_view: Signature | None   # None: too few anchors, not in the anchor view


@dataclass
class StreamResult:
    insert_us: list[float]
    query_us: list[float]
    found: list[frozenset[int]]     # each document's candidates, queried before its insert


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def redis_server(folder: Path) -> Iterator[int]:
    """A private redis-server on a free port, no persistence; its port. Stopped on exit."""
    port = free_port()
    proc = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", str(folder)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        import redis

        client = redis.Redis(host="127.0.0.1", port=port)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"redis-server did not start on port {port}") from None
                time.sleep(0.05)
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def replay(lines: list[str], folder: Path) -> Path:
    """The corpus replayed into a new SQLite database, with the default settings."""
    corpus, db, settings = folder / "corpus.jsonl", folder / "replay.db", folder / "empty.toml"
    corpus.write_text("".join(lines), encoding="utf-8")
    settings.write_text("")
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("NEWSDEDUP_")},
           "NEWSDEDUP_CONFIG": str(settings)}
    subprocess.run([sys.executable, "-m", "newsdedup", "replay", str(corpus), "--db", str(db), "-q"],
                   cwd=ROOT, env=env, check=True)
    return db


def read_docs(db: Path, settings: MatchSettings) -> list[Doc]:
    """Every stored signature, as a worker's start reads them."""
    with open_database(str(db), must_exist=True) as store:
        return [Doc(sig.document_id, minhash_from_bytes(sig.lexical),
                    # The anchor view's rule of StoryIndex: too few anchors would collide with every
                    # other such document.
                    minhash_from_bytes(sig.anchor_minhash)
                    if len(frozenset(sig.anchors)) >= settings.min_shared_anchors else None)
                for sig in store.documents.signatures_since(0)]


def stream(index: CandidateIndex, docs: list[Doc]) -> StreamResult:
    """Each document queried against the ones before it, then inserted: µs of each call."""
    result = StreamResult([], [], [])
    clock = time.perf_counter_ns
    for doc in docs:
        started = clock()
        found = frozenset(index.query(doc.lexical, doc.anchor_view))
        queried = clock()
        index.insert(doc.document_id, doc.lexical, doc.anchor_view)
        result.query_us.append((queried - started) / 1000)
        result.insert_us.append((clock() - queried) / 1000)
        result.found.append(found)
    return result


def catch_up_read_us(db: str, repeats: int) -> tuple[float, float]:
    """µs of `changes_since` returning one change (what a worker reads when another worker
    committed one document since its last decision) and returning none (nobody else wrote)."""
    with open_database(db, must_exist=True) as store:
        head = store.documents.head_seq()
        timings: dict[int, list[float]] = {1: [], 0: []}
        for _ in range(repeats):
            for behind in (1, 0):
                started = time.perf_counter_ns()
                changes = store.documents.changes_since(head - behind)
                timings[behind].append((time.perf_counter_ns() - started) / 1000)
                assert len(changes) == behind
        return statistics.median(timings[1]), statistics.median(timings[0])


def postgres_catch_up_read_us(db: Path, folder: Path, repeats: int) -> tuple[float, float] | None:
    """`catch_up_read_us` on a private PostgreSQL server holding the same rows (migrate-db), or
    None where PostgreSQL is not installed."""
    if why_unavailable() is not None:
        return None
    with running(durable=True) as server:
        url = server.create_database()
        env = {**{k: v for k, v in os.environ.items() if not k.startswith("NEWSDEDUP_")},
               "NEWSDEDUP_CONFIG": str(folder / "empty.toml")}
        subprocess.run([sys.executable, "-m", "newsdedup", "migrate-db", "--db", str(db), "--to", url],
                       cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
        return catch_up_read_us(url, repeats)


def traced(make: Callable[[], Any]) -> tuple[Any, float, int]:
    """What `make()` returns, its seconds (measured without tracing) and the bytes it holds after
    (Python and numpy allocations, through tracemalloc; a second run, traced)."""
    started = time.perf_counter()
    make()
    seconds = time.perf_counter() - started
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    made = make()
    after = tracemalloc.take_snapshot()
    tracemalloc.stop()
    held = sum(stat.size_diff for stat in after.compare_to(before, "filename"))
    return made, seconds, held


def load_candidates(db: Path, settings: MatchSettings, index: CandidateIndex) -> CandidateIndex:
    """A worker's start, candidate index only: read and decode the window's signatures, insert
    each."""
    for doc in read_docs(db, settings):
        index.insert(doc.document_id, doc.lexical, doc.anchor_view)
    return index


def story_index_start(db: Path, settings: MatchSettings) -> StoryIndex:
    """A worker's whole start today (Pipeline._load_index): the candidate index and what the
    decision verifies candidates with (their signatures, anchors, stories, the IDF counts)."""
    index = StoryIndex(settings)
    with open_database(str(db), must_exist=True) as store:
        index.load(store.documents.signatures_since(0), store.documents.anchor_document_frequencies())
    return index


def redis_commands(port: int) -> dict[str, int]:
    """Calls per command so far: each is one round trip, datasketch sends them one by one."""
    import redis

    stats = redis.Redis(host="127.0.0.1", port=port).info("commandstats")
    return {name.removeprefix("cmdstat_"): int(value["calls"]) for name, value in stats.items()}


def redis_used_memory(port: int) -> int:
    import redis

    return int(redis.Redis(host="127.0.0.1", port=port).info("memory")["used_memory"])


def mean(values: list[float]) -> float:
    return statistics.fmean(values) if values else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--docs", type=int, default=0, help="the first N documents (0: all)")
    parser.add_argument("--quick", action="store_true", help="300 documents, a few seconds (CI)")
    args = parser.parse_args()
    if shutil.which("redis-server") is None:
        raise SystemExit("needs redis-server (apt-get install redis-server)")
    lines = args.corpus.read_text(encoding="utf-8").splitlines(keepends=True)
    limit = 300 if args.quick else args.docs
    if limit:
        lines = lines[:limit]
    settings = MatchSettings()

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        db = replay(lines, folder)
        docs = read_docs(db, settings)
        n = len(docs)
        anchored = sum(doc.anchor_view is not None for doc in docs)
        print(f"{n} documents of {args.corpus.name} ({anchored} in the anchor view); {os.cpu_count()} cores")

        band = stream(BandCandidates(settings), docs)
        dict_lsh = stream(LshCandidates(settings), docs)
        repeats = 50 if args.quick else 500
        one_change_us, no_change_us = catch_up_read_us(str(db), repeats)
        pg_reads = postgres_catch_up_read_us(db, folder, repeats)
        _, band_start_s, band_bytes = traced(lambda: load_candidates(db, settings, BandCandidates(settings)))
        _, full_start_s, full_bytes = traced(lambda: story_index_start(db, settings))
        _, dict_start_s, dict_bytes = traced(lambda: load_candidates(db, settings, LshCandidates(settings)))

        with redis_server(folder) as port:
            config: dict[str, Any] = {"type": "redis", "redis": {"host": "127.0.0.1", "port": port},
                                      "basename": b"newsdedup"}  # one name: what every worker would share
            memory_before, commands_before = redis_used_memory(port), redis_commands(port)
            redis_run = stream(LshCandidates(settings, config), docs)
            commands = {name: calls - commands_before.get(name, 0) for name, calls in redis_commands(port).items()}
            redis_bytes = redis_used_memory(port) - memory_before
            # A second worker's start: it attaches to the index the first one filled.
            started = time.perf_counter()
            joined = LshCandidates(settings, config)
            redis_start_s = time.perf_counter() - started
            assert joined.query(docs[-1].lexical, docs[-1].anchor_view) == redis_run.found[-1] | {docs[-1].document_id}
        query_trips = commands.get("smembers", 0)
        insert_trips = sum(commands.get(name, 0) for name in ("hset", "rpush", "sadd"))

    def agree(other: StreamResult) -> str:
        same = sum(a == b for a, b in zip(band.found, other.found, strict=True))
        return f"{same}/{n}"

    total_candidates = sum(len(found) for found in band.found)
    print(f"candidates per document: {total_candidates / n:.1f} (BandCandidates)")
    print(f"catch-up read (changes_since), SQLite: {one_change_us:.0f} µs for one change, {no_change_us:.0f} µs "
          "for none; PostgreSQL: " + (f"{pg_reads[0]:.0f} µs for one change, {pg_reads[1]:.0f} µs for none"
                                      if pg_reads else "not installed, not measured"))
    pg_one = f" (PostgreSQL {pg_reads[0]:.0f})" if pg_reads else ""
    print()
    print("| index | insert µs/doc (p50) | query µs/doc (p50) | catch-up read µs/doc | round trips/doc "
          "(insert + query) | worker start | memory | candidates = BandCandidates |")
    print("|---|---|---|---|---|---|---|---|")
    print(f"| BandCandidates in memory + catch-up (chosen) | {mean(band.insert_us):.0f} "
          f"({statistics.median(band.insert_us):.0f}) | {mean(band.query_us):.0f} "
          f"({statistics.median(band.query_us):.0f}) | {one_change_us:.0f}{pg_one} | 0 + 0 (1 SQL read) | "
          f"{band_start_s:.2f} s for {n} signatures ({full_start_s:.2f} s for the whole StoryIndex) | "
          f"{band_bytes / 1e6:.1f} MB per worker ({full_bytes / 1e6:.1f} MB the whole StoryIndex) | - |")
    print(f"| datasketch MinHashLSH in memory (dict) | {mean(dict_lsh.insert_us):.0f} "
          f"({statistics.median(dict_lsh.insert_us):.0f}) | {mean(dict_lsh.query_us):.0f} "
          f"({statistics.median(dict_lsh.query_us):.0f}) | - | 0 + 0 | {dict_start_s:.2f} s | "
          f"{dict_bytes / 1e6:.1f} MB per worker | "
          f"{agree(dict_lsh)} |")
    print(f"| datasketch MinHashLSH in Redis (shared) | {mean(redis_run.insert_us):.0f} "
          f"({statistics.median(redis_run.insert_us):.0f}) | {mean(redis_run.query_us):.0f} "
          f"({statistics.median(redis_run.query_us):.0f}) | - | {insert_trips / n:.0f} + {query_trips / n:.0f} | "
          f"{redis_start_s * 1000:.1f} ms (attach) | {redis_bytes / 1e6:.1f} MB in Redis, once | "
          f"{agree(redis_run)} |")
    per_trip = (sum(redis_run.insert_us) + sum(redis_run.query_us)) / max(1, insert_trips + query_trips)
    # The catch-up read several workers pay is PostgreSQL's, where it was measured.
    in_memory = mean(band.insert_us) + mean(band.query_us) + (pg_reads[0] if pg_reads else one_change_us)
    shared = mean(redis_run.insert_us) + mean(redis_run.query_us)
    print()
    print(f"per decision: in memory + catch-up {in_memory:.0f} µs, Redis {shared:.0f} µs "
          f"({shared / in_memory:.1f}×); {per_trip:.0f} µs per Redis round trip on 127.0.0.1")
    if agree(redis_run) != f"{n}/{n}" or agree(dict_lsh) != f"{n}/{n}":
        raise SystemExit("the candidate sets differ")


if __name__ == "__main__":
    main()
