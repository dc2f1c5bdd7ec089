"""Bad inputs are reported with the file (and line) and a reason, skipped, and the replay goes on."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from tests.conftest import run_cli

GOOD = "Harbour reopens after storm\nThe harbour in Split reopened on Monday after the storm passed.\n"


def replay_dir(tmp_path: Path, db_path: Path) -> tuple[int, str]:
    result = run_cli("replay", tmp_path / "in", "--db", db_path)
    return result.exit_code, result.output


def make_inputs(tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a_good.txt").write_text(GOOD, encoding="utf-8")
    return folder


def test_each_bad_file_is_reported_and_the_rest_is_stored(tmp_path: Path, db_path: Path) -> None:
    folder = make_inputs(tmp_path)
    (folder / "b_empty.txt").write_bytes(b"")
    (folder / "c_binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    (folder / "d_latin1.txt").write_bytes("Café in Zürich opens\nThe café opened.\n".encode("latin-1"))
    with (folder / "e_huge.txt").open("wb") as fh:  # sparse: 50 MB on the filesystem's word
        fh.truncate(50 * 1024 * 1024)
    (folder / "f_unknown.docx").write_bytes(b"PK\x03\x04")
    (folder / "g_corpus.jsonl").write_text(
        json.dumps({"id": "ok-1", "text": "Storm hits the coast of Dalmatia. Ferries stopped in Split."}) + "\n"
        + "{not json\n"
        + json.dumps({"id": "no-text"}) + "\n"
        + json.dumps({"id": "ok-2", "lang": "hr", "text": "Oluja pogodila obalu Dalmacije. Trajekti stoje u Splitu."})
        + "\n", encoding="utf-8")
    (folder / "h_boilerplate_only.txt").write_text("Comment (0)\nLeave your comment on an article\n", encoding="utf-8")
    code, output = replay_dir(tmp_path, db_path)
    assert code == 1
    expected = {
        "b_empty.txt": "empty", "c_binary.txt": "binary", "d_latin1.txt": "encoding", "e_huge.txt": "too_large",
        "f_unknown.docx": "unsupported", "g_corpus.jsonl:2": "malformed", "g_corpus.jsonl:3": "malformed",
        "h_boilerplate_only.txt": "empty",
    }
    for origin, kind in expected.items():
        assert any(origin in line and f": {kind} " in line for line in output.splitlines()), (origin, output)
    assert "3 documents" in output and "8 errors" in output
    db = sqlite3.connect(db_path)
    assert sorted(r[0].split("/")[-1] for r in db.execute("SELECT key FROM documents")) == [
        "a_good.txt", "ok-1", "ok-2"]
    assert db.execute("SELECT count(*) FROM ingest_errors").fetchone()[0] == 8


def test_a_clean_replay_exits_zero(tmp_path: Path, db_path: Path) -> None:
    make_inputs(tmp_path)
    code, output = replay_dir(tmp_path, db_path)
    assert code == 0, output


def test_missing_path_is_an_error_not_a_crash(tmp_path: Path, db_path: Path) -> None:
    result = run_cli("replay", tmp_path / "nope", "--db", db_path)
    assert result.exit_code == 1
    assert "not_found" in result.output


def test_html_pages_and_utf8_bom_are_read(tmp_path: Path, db_path: Path, seeds_dir: Path) -> None:
    folder = make_inputs(tmp_path)
    (folder / "page.html").write_bytes(
        b'<html lang="de"><head><meta charset="windows-1252"><title>Hafen wieder offen</title></head><body>'
        b"<article><p>Der Hafen von Split ist nach dem schweren Sturm am Montag wieder ge\xf6ffnet worden, "
        b"teilte die Hafenbeh\xf6rde mit.</p><p>Die F\xe4hren nach Hvar und Bra\xe8 fahren seit dem Mittag "
        b"wieder nach dem gewohnten Fahrplan.</p></article></body></html>")
    (folder / "bom.txt").write_bytes("\ufeffBOM title here\nA paragraph with a BOM before it.\n".encode())
    shutil.copy(next(seeds_dir.glob("000_*.txt")), folder)
    code, output = replay_dir(tmp_path, db_path)
    assert code == 0, output
    db = sqlite3.connect(db_path)
    text, lang = db.execute("SELECT text, lang FROM documents WHERE key LIKE '%page.html'").fetchone()
    assert "geöffnet" in text and "Fähren" in text and lang == "de"
    assert db.execute("SELECT title FROM documents WHERE key LIKE '%bom.txt'").fetchone()[0] == "BOM title here"


def test_a_repeated_id_is_reported_and_the_first_record_kept(tmp_path: Path, db_path: Path) -> None:
    corpus = tmp_path / "dup.jsonl"
    corpus.write_text("\n".join(json.dumps(r) for r in [
        {"id": "dup", "text": "Storm hits the coast of Dalmatia. Ferries stopped in Split."},
        {"id": "dup", "text": "An entirely different report about a football match in Zagreb."},
        {"id": True, "text": "An id that is not an id."},
    ]) + "\n", encoding="utf-8")
    for _ in range(2):  # and a second replay changes nothing
        result = run_cli("replay", corpus, "--db", db_path)
        assert result.exit_code == 1
        assert "dup.jsonl:2: malformed" in result.output and "already used at" in result.output
        assert "dup.jsonl:3: malformed" in result.output
    db = sqlite3.connect(db_path)
    assert db.execute("SELECT text FROM documents").fetchall() == [
        ("Storm hits the coast of Dalmatia. Ferries stopped in Split.",)]
    assert db.execute("SELECT count(*) FROM changes").fetchone()[0] == 1


def test_the_same_files_replayed_under_other_path_spellings_are_stored_once(tmp_path: Path, db_path: Path,
                                                                           seeds_dir: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    copy = tmp_path / "seeds"
    shutil.copytree(seeds_dir, copy)
    run_cli("replay", copy, "--db", db_path)
    monkeypatch.chdir(copy)
    for spelling in (".", str(copy), "../seeds/", "000_18462ae90b54ca0b.txt"):
        result = run_cli("replay", spelling, "--db", db_path)
        assert "0 new stories, 0 new versions" in result.output, spelling
    assert sqlite3.connect(db_path).execute("SELECT count(*) FROM documents").fetchone()[0] == 5
