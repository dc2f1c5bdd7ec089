"""Several `newsdedup replay` workers on one PostgreSQL database find the stories one SQLite replay
finds: the same partition of documents into stories, one change-log row per document.

Mirrors tests/pipeline/test_concurrent_writers.py (SQLite): the match-and-write step holds the
workers' advisory lock, and each worker first catches its index up with the change log.

Story assignment is a streaming decision, so what must hold whatever the interleaving is that
the workers' stories are those one writer finds when given the documents in the order the
workers committed them (the change log's): the workers are serialisable. With every worker on
the whole corpus, that order is the corpus's, and the stories are one SQLite replay's.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

import pytest

from tests.conftest import ROOT, SHARED
from tests.pipeline.test_concurrent_writers import MIN_PAIRWISE_F1, pairwise_f1

CORPUS = SHARED / "bench" / "dedup" / "wmt22-news.jsonl"
DOCUMENTS = 360  # several languages and stories; a few seconds per replay
REPLAY_TIMEOUT_SECONDS = 300


def replay_processes(db: str, *inputs: Path, order: str = "sorted") -> None:
    env = {**os.environ, "NEWSDEDUP_REPLAY_ORDER": order}
    procs = [subprocess.Popen([sys.executable, "-m", "newsdedup", "replay", str(path), "--db", db, "-q"],
                              cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for path in inputs]
    try:
        for proc in procs:
            _, err = proc.communicate(timeout=REPLAY_TIMEOUT_SECONDS)
            assert proc.returncode == 0, err
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def partition_of(rows: Iterable[tuple[str, str]]) -> set[frozenset[str]]:
    stories: dict[str, set[str]] = defaultdict(set)
    for key, story in rows:
        stories[story].add(key)
    return {frozenset(keys) for keys in stories.values()}


def postgres_partition(url: str) -> set[frozenset[str]]:
    import psycopg

    with psycopg.connect(url) as conn:
        return partition_of(conn.execute("SELECT key, story_id FROM documents").fetchall())


def postgres_one_row_per_document(url: str) -> bool:
    import psycopg

    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT count(*), (SELECT count(*) FROM documents), count(DISTINCT document_id) "
                           "FROM changes").fetchone()
    assert row is not None
    return tuple(row) == (DOCUMENTS, DOCUMENTS, DOCUMENTS)


def one_writer_in_commit_order(url: str, corpus: Path, folder: Path) -> set[frozenset[str]]:
    """The stories of one SQLite writer given the documents in the order the workers committed them."""
    import psycopg

    by_key = {json.loads(line)["id"]: line for line in corpus.read_text(encoding="utf-8").splitlines(keepends=True)}
    with psycopg.connect(url) as conn:
        keys = [r[0] for r in conn.execute("SELECT d.key FROM changes c JOIN documents d ON d.id = c.document_id "
                                           "WHERE c.kind <> 'changed' ORDER BY c.seq")]
    ordered = folder / "commit-order.jsonl"
    ordered.write_text("".join(by_key[key] for key in keys), encoding="utf-8")
    db = folder / "commit-order.db"
    replay_processes(str(db), ordered, order="input")
    return partition_of(sqlite3.connect(db).execute("SELECT key, story_id FROM documents"))


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    if not CORPUS.is_file():
        pytest.skip(f"{CORPUS} is not here")
    folder = tmp_path_factory.mktemp("workers")
    lines = CORPUS.read_text(encoding="utf-8").splitlines(keepends=True)[:DOCUMENTS]
    whole, first, second = folder / "all.jsonl", folder / "first.jsonl", folder / "second.jsonl"
    whole.write_text("".join(lines), encoding="utf-8")
    first.write_text("".join(lines[::2]), encoding="utf-8")   # interleaved halves: both touch every story
    second.write_text("".join(lines[1::2]), encoding="utf-8")
    return whole, first, second


@pytest.fixture(scope="module")
def sqlite_stories(corpus: tuple[Path, Path, Path], tmp_path_factory: pytest.TempPathFactory) -> set[frozenset[str]]:
    """The stories of one SQLite replay: what every set of workers must find."""
    db = tmp_path_factory.mktemp("single") / "one.db"
    replay_processes(str(db), corpus[0])
    stories = partition_of(sqlite3.connect(db).execute("SELECT key, story_id FROM documents"))
    assert len(stories) > 10 and sum(map(len, stories)) == DOCUMENTS
    return stories


def test_one_worker_on_postgresql_finds_sqlites_stories(corpus: tuple[Path, Path, Path],
                                                        sqlite_stories: set[frozenset[str]], postgres_url: str) -> None:
    replay_processes(postgres_url, corpus[0])
    assert postgres_partition(postgres_url) == sqlite_stories
    assert postgres_one_row_per_document(postgres_url)


@pytest.mark.parametrize("workers", [2, 4])
def test_workers_on_the_same_files_find_one_replays_stories(corpus: tuple[Path, Path, Path],
                                                            sqlite_stories: set[frozenset[str]], postgres_url: str,
                                                            workers: int, tmp_path: Path) -> None:
    replay_processes(postgres_url, *[corpus[0]] * workers)
    # Racing workers may commit a few documents out of the sorted order: the stories agree with
    # one sorted replay closely, and exactly with one writer fed the committed order.
    assert pairwise_f1(postgres_partition(postgres_url), sqlite_stories) >= MIN_PAIRWISE_F1
    assert postgres_one_row_per_document(postgres_url)
    assert postgres_partition(postgres_url) == one_writer_in_commit_order(postgres_url, corpus[0], tmp_path)


def test_workers_on_interleaved_halves_find_one_writers_stories(corpus: tuple[Path, Path, Path],
                                                                 postgres_url: str, tmp_path: Path) -> None:
    # Not always one file-order replay's stories: the halves interleave differently each run, and
    # arrival order decides a story now and then (so does tests/pipeline's SQLite version).
    replay_processes(postgres_url, corpus[1], corpus[2])
    assert postgres_one_row_per_document(postgres_url)
    assert postgres_partition(postgres_url) == one_writer_in_commit_order(postgres_url, corpus[0], tmp_path)


def test_a_second_replay_changes_nothing(corpus: tuple[Path, Path, Path], postgres_url: str) -> None:
    replay_processes(postgres_url, corpus[1])
    before = postgres_partition(postgres_url)
    replay_processes(postgres_url, corpus[1], corpus[1])
    assert postgres_partition(postgres_url) == before
