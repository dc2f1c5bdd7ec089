"""Replay with worker processes: the same stories and the same errors as without them."""

from __future__ import annotations

import json
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
