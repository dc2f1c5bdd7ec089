"""`newsdedup backup FILE`: a consistent copy of a live database."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import ROOT, run_cli
from tests.storage.test_faults import consistent, corpus


def test_a_backup_taken_while_a_replay_writes_is_consistent_and_replayable(tmp_path: Path) -> None:
    db, copy = tmp_path / "live.db", tmp_path / "copy.db"
    data = corpus(tmp_path / "c.jsonl", 400)
    writer = subprocess.Popen([sys.executable, "-m", "newsdedup", "replay", str(data), "--db", str(db), "-q"],
                              cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if sqlite3.connect(db, timeout=5).execute("SELECT count(*) FROM documents").fetchone()[0] > 20:
                    break
            except sqlite3.OperationalError:
                pass
            time.sleep(0.05)
        result = run_cli("backup", str(copy), "--db", str(db))
        assert result.exit_code == 0, result.output
        assert "backed up" in result.output
    finally:
        writer.wait(timeout=300)
    documents, changes, signatures, revisions = consistent(copy)
    assert 20 < documents and documents == changes == signatures == revisions
    # The copy is a database like any other: replaying the corpus into it completes it.
    assert run_cli("replay", str(data), "--db", str(copy)).exit_code == 0
    assert consistent(copy) == consistent(db)


def test_a_backup_never_overwrites(tmp_path: Path, seeds_dir: Path) -> None:
    db = tmp_path / "a.db"
    assert run_cli("replay", str(seeds_dir), "--db", str(db)).exit_code == 0
    taken = tmp_path / "taken.db"
    taken.write_text("the last good backup")
    result = run_cli("backup", str(taken), "--db", str(db))
    assert result.exit_code == 1 and "already exists" in result.output
    assert taken.read_text() == "the last good backup"
