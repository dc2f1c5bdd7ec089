"""Any number of writer processes on one database give the stories one writer gives.

The match-and-write step holds the database's write lock, and each writer first catches its
index up with what the others committed (the change log, by sequence number).
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

from tests.conftest import ROOT, SHARED

CORPUS = SHARED / "bench" / "dedup" / "wmt22-news.jsonl"
DOCUMENTS = 360  # several languages and stories; a few seconds per replay


def replay_processes(db: Path, *inputs: Path) -> None:
    procs = [subprocess.Popen([sys.executable, "-m", "newsdedup", "replay", str(path), "--db", str(db), "-q"],
                              cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for path in inputs]
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err


def partition(db: Path) -> set[frozenset[str]]:
    stories: dict[str, set[str]] = defaultdict(set)
    for key, story in sqlite3.connect(db).execute("SELECT key, story_id FROM documents"):
        stories[story].add(key)
    return {frozenset(keys) for keys in stories.values()}


def one_row_per_document(db: Path) -> bool:
    rows, documents, distinct = sqlite3.connect(db).execute(
        "SELECT count(*), (SELECT count(*) FROM documents), count(DISTINCT document_id) FROM changes").fetchone()
    return rows == documents == distinct == DOCUMENTS


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    if not CORPUS.is_file():
        pytest.skip(f"{CORPUS} is not here")
    folder = tmp_path_factory.mktemp("concurrent")
    lines = CORPUS.read_text(encoding="utf-8").splitlines(keepends=True)[:DOCUMENTS]
    whole, first, second = folder / "all.jsonl", folder / "first.jsonl", folder / "second.jsonl"
    whole.write_text("".join(lines), encoding="utf-8")
    first.write_text("".join(lines[::2]), encoding="utf-8")   # interleaved halves: both touch every story
    second.write_text("".join(lines[1::2]), encoding="utf-8")
    return whole, first, second


@pytest.fixture(scope="module")
def single(corpus: tuple[Path, Path, Path], tmp_path_factory: pytest.TempPathFactory) -> set[frozenset[str]]:
    db = tmp_path_factory.mktemp("single") / "one.db"
    replay_processes(db, corpus[0])
    assert json.dumps(sorted(map(sorted, partition(db))))  # stories exist
    return partition(db)


@pytest.mark.parametrize("writers", [2, 4])
def test_writers_on_the_same_files_give_one_writers_stories(corpus: tuple[Path, Path, Path],
                                                           single: set[frozenset[str]], tmp_path: Path,
                                                           writers: int) -> None:
    db = tmp_path / "many.db"
    replay_processes(db, *[corpus[0]] * writers)
    assert partition(db) == single
    assert one_row_per_document(db)


def test_writers_on_disjoint_halves_give_one_writers_stories(corpus: tuple[Path, Path, Path],
                                                            single: set[frozenset[str]], tmp_path: Path) -> None:
    db = tmp_path / "halves.db"
    replay_processes(db, corpus[1], corpus[2])
    assert partition(db) == single
    assert one_row_per_document(db)


def test_a_replay_beside_a_crawling_daemon_gives_a_solo_replays_stories(corpus: tuple[Path, Path, Path],
                                                                         single: set[frozenset[str]],
                                                                         tmp_path: Path) -> None:
    """The usual way to use the tool: `serve` crawls while `replay` fills the same database."""
    from tests.daemon.test_daemon import DaemonProcess, wait_for
    from tests.site import content
    from tests.site.server import NewsSite

    db, log = tmp_path / "shared.db", tmp_path / "daemon.log"
    with NewsSite() as site:
        subprocess.run([sys.executable, "-m", "newsdedup", "sources", "add", site.url + "/feed.xml", "--db", str(db)],
                       cwd=ROOT, check=True, capture_output=True)
        daemon = DaemonProcess(db, log, per_host_delay="0.3")
        try:
            replay_processes(db, corpus[0])
            crawled = f"SELECT count(*) FROM documents WHERE key LIKE '{site.url}%'"
            wait_for(lambda: sqlite3.connect(db).execute(crawled).fetchone()[0] == len(content.ARTICLES), 60,
                     daemon)
        finally:
            daemon.stop()
    replayed = {frozenset(k for k in story if not k.startswith("http")) for story in partition(db)}
    assert replayed - {frozenset()} == single
    rows, documents = sqlite3.connect(db).execute(
        "SELECT count(*), (SELECT count(*) FROM documents) FROM changes").fetchone()
    assert rows == documents == DOCUMENTS + len(content.ARTICLES)
