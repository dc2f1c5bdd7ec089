"""A replay killed with SIGKILL and run again stores every document once and logs every change once."""

from __future__ import annotations

import json
import random
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

from tests.conftest import ROOT

WORDS = ("harbour storm ferry council budget election minister river bridge school hospital court market "
         "festival museum airport railway police weather energy").split()


def corpus(path: Path, n: int) -> None:
    rng = random.Random(7)
    with path.open("w", encoding="utf-8") as fh:
        for i in range(n):
            words = " ".join(rng.choice(WORDS) for _ in range(120))
            fh.write(json.dumps({"id": f"doc-{i}", "lang": "en",
                                 "text": f"Report {i} from Town{i} by Agency{i % 7}. {words}."}) + "\n")


def count(db: Path, sql: str) -> int:
    try:
        return sqlite3.connect(db, timeout=5).execute(sql).fetchone()[0]
    except sqlite3.OperationalError:
        return 0


def test_kill_halfway_then_rerun_stores_everything_exactly_once(tmp_path: Path) -> None:
    data, db = tmp_path / "corpus.jsonl", tmp_path / "kill.db"
    total = 1500
    corpus(data, total)
    proc = subprocess.Popen([sys.executable, "-m", "newsdedup", "replay", str(data), "--db", str(db)], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while count(db, "SELECT count(*) FROM documents") < total // 4 and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    stored = count(db, "SELECT count(*) FROM documents")
    assert 0 < stored < total, "the replay must be killed halfway for this test to mean anything"

    rerun = subprocess.run([sys.executable, "-m", "newsdedup", "replay", str(data), "--db", str(db)], cwd=ROOT,
                           capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    assert f"{stored} skipped" in rerun.stdout
    assert count(db, "SELECT count(*) FROM documents") == total
    assert count(db, "SELECT count(DISTINCT key) FROM documents") == total
    # one change-log row per document, none for the rerun's skipped ones
    assert count(db, "SELECT count(*) FROM changes") == total
    assert count(db, "SELECT count(DISTINCT document_id) FROM changes") == total
    assert count(db, "SELECT count(*) FROM signatures") == total
    assert count(db, "SELECT count(*) FROM stories WHERE id NOT IN (SELECT story_id FROM documents)") == 0


def test_ctrl_c_halfway_says_what_to_do_keeps_what_was_stored_and_a_rerun_finishes(tmp_path: Path) -> None:
    """Ctrl-C (SIGINT) mid-replay, with workers and the search index being written beside the
    decisions: one line that says what to do, the shell's exit status for it, no traceback, and
    a consistent database the rerun completes."""
    data, db = tmp_path / "corpus.jsonl", tmp_path / "interrupted.db"
    total = 2000
    corpus(data, total)
    proc = subprocess.Popen([sys.executable, "-m", "newsdedup", "replay", str(data), "--db", str(db), "--workers", "2"],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 120
    while count(db, "SELECT count(*) FROM documents") < total // 4 and time.monotonic() < deadline:
        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    stored = count(db, "SELECT count(*) FROM documents")
    assert 0 < stored < total, "the replay must be interrupted halfway for this test to mean anything"
    assert proc.returncode == 130 and "Traceback" not in err
    assert "interrupted: what was stored is kept; replaying the same files again goes on from there" in err
    with closing(sqlite3.connect(db)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT count(*) FROM documents_fts_docsize").fetchone()[0] == stored

    rerun = subprocess.run([sys.executable, "-m", "newsdedup", "replay", str(data), "--db", str(db), "--workers", "2"],
                           cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    assert f"{stored} skipped" in rerun.stdout
    assert count(db, "SELECT count(DISTINCT key) FROM documents") == total == count(db, "SELECT count(*) FROM changes")
