"""Replay with worker processes: the same stories and the same errors as without them."""

from __future__ import annotations

import json
import os
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from tests.conftest import SHARED, run_cli

CORPUS = SHARED / "bench" / "dedup" / "wmt22-news.jsonl"


def clusters(db: Path) -> list[str]:
    return run_cli("clusters", "--db", str(db)).output.splitlines()


def test_workers_give_the_same_stories_errors_and_log(tmp_path: Path, seeds_dir: Path) -> None:
    corpus = tmp_path / "mixed.jsonl"
    lines = CORPUS.read_text(encoding="utf-8").splitlines()[:120] if CORPUS.is_file() else []
    bad = ['{"id": "empty", "text": ""}', "not json", '{"id": "no-text"}']
    # Half a surrogate pair: read, mended and warned about (by the worker that reads it).
    mended = '{"id": "mended", "text": "The minister said on Monday \\ud800 that the bridge would open."}'
    # Bad lines inside and across the chunks the workers are given (replay.PREPARE_CHUNK).
    mixed = lines[:17] + bad[:1] + lines[17:40] + bad[1:] + [mended] + lines[40:]
    corpus.write_text("\n".join(mixed) + "\n", encoding="utf-8")
    results = {}
    for workers in ("1", "2"):
        db = tmp_path / f"w{workers}.db"
        result = run_cli("replay", str(seeds_dir), str(corpus), "--db", str(db), "--workers", workers, "--json")
        assert result.exit_code == 1  # the bad lines
        summary = json.loads(result.stdout.strip().splitlines()[-1])
        warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
        results[workers] = (clusters(db), summary["errors"], summary["documents"], warnings)
    assert results["1"] == results["2"]
    assert results["2"][1] == 3
    assert len(results["2"][3]) == 1 and "lone surrogate" in results["2"][3][0]


def test_workers_start_in_a_fresh_process(tmp_path: Path, seeds_dir: Path) -> None:
    """A new process loads the language model in the background while it starts; the workers must
    not be forked while that load holds its lock (they would wait for it forever)."""
    from tests.conftest import run_process

    proc = run_process("replay", str(seeds_dir), "--db", str(tmp_path / "w.db"), "--workers", "2", "--quiet",
                       timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("5 documents")


@pytest.mark.skipif(not (SHARED / "bench" / "dedup" / "wmt22.jsonl").is_file(), reason="the wmt22 corpus is not here")
def test_a_worker_killed_mid_replay_ends_it_with_one_line_and_a_rerun_goes_on(tmp_path: Path) -> None:
    """A worker killed (as by the kernel, out of memory) ends the replay with what happened and
    what to do; what was stored stays, once, and replaying again stores the rest."""
    import signal
    import subprocess
    import sys
    import time

    from tests.conftest import ROOT, run_process

    corpus, db = SHARED / "bench" / "dedup" / "wmt22.jsonl", tmp_path / "killed.db"
    proc = subprocess.Popen([sys.executable, "-m", "newsdedup", "replay", str(corpus), "--db", str(db),
                             "--workers", "2", "--quiet"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    children: list[int] = []
    deadline = time.monotonic() + 60
    while len(children) < 2 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.2)
        children = [int(pid) for pid in Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()]
    time.sleep(1.0)  # some batches stored
    os.kill(children[-1], signal.SIGKILL)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 1, (out, err)
    assert "Traceback" not in err
    assert "worker process ended without answering (exit code -9)" in err and "replaying again" in err
    rerun = run_process("replay", str(corpus), "--db", str(db), "--workers", "2", "--quiet", timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    assert "0 errors" in rerun.stdout and " 0 skipped" not in rerun.stdout  # it went on from there
    with closing(sqlite3.connect(db)) as conn:
        stored = conn.execute("SELECT count(*), count(DISTINCT key) FROM documents").fetchone()
    assert stored == (12_612, 12_612)


def test_the_automatic_choice_of_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    """replay_workers 0 (the default): one per core, at most two, for a replay long enough to pay
    for starting them; a number given is kept."""
    import os

    from ingest import replay

    for cores, documents, expected in [(2, 12_612, 2), (8, 12_612, 2), (1, 12_612, 1), (2, 5, 1),
                                       (2, replay.AUTO_WORKERS_MIN_DOCUMENTS, 2)]:
        monkeypatch.setattr(os, "sched_getaffinity", lambda pid, n=cores: set(range(n)), raising=False)
        assert replay.workers_for(0, documents) == expected
    assert replay.workers_for(3, 5) == 3 and replay.workers_for(1, 12_612) == 1


def test_batches_and_chunks_cut_by_size_give_the_same_stories(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Long documents end a batch (and a worker's chunk) early, so a batch of long pages holds the
    write lock no longer than one of short texts: the same stories, every document stored once."""
    from ingest import pipeline, replay

    if not CORPUS.is_file():
        pytest.skip(f"{CORPUS} is not here")
    corpus = tmp_path / "part.jsonl"
    corpus.write_text("\n".join(CORPUS.read_text(encoding="utf-8").splitlines()[:150]) + "\n", encoding="utf-8")
    assert run_cli("replay", str(corpus), "--db", str(tmp_path / "whole.db"), "--workers", "1").exit_code == 0
    batches: list[int] = []
    real = pipeline.Pipeline.ingest_batch

    def counted(self: pipeline.Pipeline, batch: list[pipeline.Prepared]) -> list[object]:
        batches.append(len(batch))
        return real(self, batch)  # type: ignore[return-value]

    monkeypatch.setattr(pipeline.Pipeline, "ingest_batch", counted)
    monkeypatch.setattr(replay, "BATCH_INPUT_BYTES", 20_000)
    monkeypatch.setattr(replay, "PREPARE_CHUNK_BYTES", 6_000)
    for workers in ("1", "2"):
        batches.clear()
        db = tmp_path / f"cut{workers}.db"
        assert run_cli("replay", str(corpus), "--db", str(db), "--workers", workers).exit_code == 0
        assert sum(batches) == 150 and len(batches) > 5  # cut by size, not by replay_batch (512)
        assert clusters(db) == clusters(tmp_path / "whole.db")
