"""Any number of writer processes on one database decide as one writer would.

The match-and-write step holds the database's write lock, and each writer first catches its
index up with what the others committed (the change log, by sequence number). So concurrent
writers are serializable: their stories are exactly those of one writer fed the documents in
the order they were committed. Stories are a streaming decision, so that order matters: when
it differs from a sorted replay's (writers racing), a marginal document may land elsewhere;
the agreement with a sorted solo replay is therefore checked as a pairwise F1, and exactly
against the committed order.
"""

from __future__ import annotations

import itertools
import json
import os
import sqlite3
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

from tests.conftest import ROOT, SHARED

CORPUS = SHARED / "bench" / "dedup" / "wmt22-news.jsonl"
DOCUMENTS = 360  # several languages and stories; a few seconds per replay
# Writers that race reorder a few documents; the stories must still agree this well with a
# sorted solo replay (measured: 1.000 on most runs, above 0.99 on all).
MIN_PAIRWISE_F1 = 0.97


def replay_processes(db: Path, *inputs: Path, order: str = "sorted") -> None:
    env = {**os.environ, "NEWSDEDUP_REPLAY_ORDER": order}
    procs = [subprocess.Popen([sys.executable, "-m", "newsdedup", "replay", str(path), "--db", str(db), "-q"],
                              cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
             for path in inputs]
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err


def partition(db: Path, keys: set[str] | None = None) -> set[frozenset[str]]:
    stories: dict[str, set[str]] = defaultdict(set)
    for key, story in sqlite3.connect(db).execute("SELECT key, story_id FROM documents"):
        if keys is None or key in keys:
            stories[story].add(key)
    return {frozenset(members) for members in stories.values()}


def pairwise_f1(predicted: set[frozenset[str]], gold: set[frozenset[str]]) -> float:
    def pairs(stories: set[frozenset[str]]) -> set[tuple[str, str]]:
        return {pair for story in stories for pair in itertools.combinations(sorted(story), 2)}

    p, g = pairs(predicted), pairs(gold)
    if not p and not g:
        return 1.0
    both = len(p & g)
    return 2 * both / (len(p) + len(g)) if p or g else 1.0


def committed_order(db: Path) -> list[str]:
    rows = sqlite3.connect(db).execute(
        "SELECT d.key FROM changes c JOIN documents d ON d.id = c.document_id WHERE c.kind != 'changed' "
        "ORDER BY c.seq")
    return [key for (key,) in rows]


def serial_replay(db: Path, lines: dict[str, str], folder: Path) -> set[frozenset[str]]:
    """The stories one writer makes of the documents fed in the order `db`'s writers committed them."""
    order = [key for key in committed_order(db) if key in lines]
    serial = folder / "serial.jsonl"
    serial.write_text("".join(lines[key] for key in order), encoding="utf-8")
    reference = folder / "serial.db"
    replay_processes(reference, serial, order="input")
    return partition(reference)


def one_row_per_document(db: Path, documents: int = DOCUMENTS) -> bool:
    rows, stored, distinct = sqlite3.connect(db).execute(
        "SELECT count(*), (SELECT count(*) FROM documents), count(DISTINCT document_id) FROM changes").fetchone()
    return rows == stored == distinct == documents


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path, dict[str, str]]:
    if not CORPUS.is_file():
        pytest.skip(f"{CORPUS} is not here")
    folder = tmp_path_factory.mktemp("concurrent")
    lines = CORPUS.read_text(encoding="utf-8").splitlines(keepends=True)[:DOCUMENTS]
    whole, first, second = folder / "all.jsonl", folder / "first.jsonl", folder / "second.jsonl"
    whole.write_text("".join(lines), encoding="utf-8")
    first.write_text("".join(lines[::2]), encoding="utf-8")   # interleaved halves: both touch every story
    second.write_text("".join(lines[1::2]), encoding="utf-8")
    by_key = {json.loads(line)["id"]: line for line in lines}
    return whole, first, second, by_key


@pytest.fixture(scope="module")
def single(corpus: tuple[Path, Path, Path, dict[str, str]],
           tmp_path_factory: pytest.TempPathFactory) -> set[frozenset[str]]:
    db = tmp_path_factory.mktemp("single") / "one.db"
    replay_processes(db, corpus[0])
    return partition(db)


@pytest.mark.parametrize("writers", [2, 4])
def test_writers_on_the_same_files_decide_as_one_writer(corpus: tuple[Path, Path, Path, dict[str, str]],
                                                         single: set[frozenset[str]], tmp_path: Path,
                                                         writers: int) -> None:
    db = tmp_path / "many.db"
    replay_processes(db, *[corpus[0]] * writers)
    assert one_row_per_document(db)
    assert partition(db) == serial_replay(db, corpus[3], tmp_path)
    assert pairwise_f1(partition(db), single) >= MIN_PAIRWISE_F1


def test_writers_on_disjoint_halves_decide_as_one_writer(corpus: tuple[Path, Path, Path, dict[str, str]],
                                                          single: set[frozenset[str]], tmp_path: Path) -> None:
    db = tmp_path / "halves.db"
    replay_processes(db, corpus[1], corpus[2])
    assert one_row_per_document(db)
    assert partition(db) == serial_replay(db, corpus[3], tmp_path)
    assert pairwise_f1(partition(db), single) >= MIN_PAIRWISE_F1


def test_a_replay_beside_a_crawling_daemon_stores_once_and_agrees(corpus: tuple[Path, Path, Path, dict[str, str]],
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
    assert one_row_per_document(db, DOCUMENTS + len(content.ARTICLES))
    replayed = partition(db, set(corpus[3]))
    assert pairwise_f1(replayed, single) >= MIN_PAIRWISE_F1
