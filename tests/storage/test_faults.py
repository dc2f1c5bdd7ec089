"""Storage faults are named errors that say what to do; nothing is half-written; no tracebacks."""

from __future__ import annotations

import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import pytest

from feeds.server import build_server
from feeds.slow_clients import Parser, with_header_timeout
from ingest.pipeline import Pipeline
from ingest.readers import RawDocument, read_inputs
from newsdedup.config import Settings
from storage import StorageCorrupt, StorageFull, Store
from tests.conftest import ROOT, run_cli


def consistent(db: Path) -> tuple[int, int, int, int]:
    """(documents, change rows, signatures, revisions): equal when no write was half-done."""
    conn = sqlite3.connect(db)
    return tuple(conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]  # type: ignore[return-value]
                 for t in ("documents", "changes", "signatures", "revisions"))


def corpus(path: Path, n: int, *, size: int = 3000) -> Path:
    words = "harbour storm ferry council budget election minister river bridge school".split()
    with path.open("w", encoding="utf-8") as fh:
        for i in range(n):
            text = " ".join(words[(i * 7 + j) % len(words)] + str(j % 97) for j in range(size // 8))
            fh.write(json.dumps({"id": f"doc-{i}", "lang": "en", "text": f"Report {i} by Agency{i}. {text}"}) + "\n")
    return path


def test_a_full_disk_stops_with_storage_full_and_keeps_every_stored_document_whole(tmp_path: Path) -> None:
    db = tmp_path / "full.db"
    store = Store(str(db))
    pipeline = Pipeline(store, Settings().matching)
    pages = store.conn.one("PRAGMA page_count")[0]
    store.conn.execute(f"PRAGMA max_page_count = {pages + 40}")  # a disk with room for a few documents
    items = [i for i in read_inputs([str(corpus(tmp_path / "c.jsonl", 200))], max_bytes=10**7)
             if isinstance(i, RawDocument)]
    stored = 0
    with pytest.raises(StorageFull, match="disk is full.*Free space"):
        for item in items:
            pipeline.ingest(item)
            stored += 1
    store.close()
    assert 0 < stored < len(items)
    documents, changes, signatures, revisions = consistent(db)
    assert documents == changes == signatures == revisions == stored


def test_a_corrupt_database_is_named_by_every_command(tmp_path: Path, seeds_dir: Path) -> None:
    db = tmp_path / "corrupt.db"
    assert run_cli("replay", str(corpus(tmp_path / "c.jsonl", 60)), "--db", str(db)).exit_code == 0
    Store(str(db)).close()  # checkpoint: the pages are in the main file
    with db.open("r+b") as fh:  # overwrite pages in the middle of the file
        size = db.stat().st_size
        fh.seek(size // 3)
        fh.write(os.urandom(size // 3))
    for command in (["replay", str(seeds_dir)], ["feed"], ["clusters"]):
        result = run_cli(*command, "--db", str(db))
        assert result.exit_code == 1, (command, result.output)
        assert "damaged" in result.output and "Traceback" not in result.output, (command, result.output)
    with pytest.raises(StorageCorrupt):
        with Store(str(db)) as store:
            list(store.documents.signatures_since(0))


def as_unprivileged(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The CLI run by a user who cannot write the database (root writes anything, so drop to nobody)."""
    command = [sys.executable, "-m", "newsdedup", *args]
    if os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.skip("setpriv is needed to drop root's privileges")
        command = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *command]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NEWSDEDUP_CONFIG": str(cwd / "empty.toml")}
    return subprocess.run(command, capture_output=True, text=True, cwd=cwd, env=env, timeout=120)


def test_read_only_commands_work_on_a_read_only_database(seeds_dir: Path) -> None:
    # Not under pytest's own temporary folder: only its owner may enter that.
    folder = Path(tempfile.mkdtemp(prefix="newsdedup-ro-"))
    folder.chmod(0o755)
    db = folder / "ro.db"
    assert run_cli("replay", str(seeds_dir), "--db", str(db)).exit_code == 0
    Store(str(db)).close()
    (folder / "empty.toml").write_text("")
    for path in (folder / "empty.toml", db):
        path.chmod(0o444)
    folder.chmod(0o555)
    try:
        feed = as_unprivileged("feed", "--db", str(db), cwd=folder)
        assert feed.returncode == 0, feed.stderr
        assert feed.stdout.startswith("<?xml") and feed.stdout.count("<entry>") == 4
        clusters = as_unprivileged("clusters", "--db", str(db), cwd=folder)
        assert clusters.returncode == 0 and len(clusters.stdout.splitlines()) == 5, clusters.stderr
        replay = as_unprivileged("replay", str(seeds_dir), "--db", str(db), cwd=folder)
        assert replay.returncode == 1 and "read-only" in replay.stderr and "Traceback" not in replay.stderr
    finally:
        folder.chmod(0o755)
        shutil.rmtree(folder, ignore_errors=True)


def test_lone_surrogates_are_repaired_and_the_record_is_stored(tmp_path: Path) -> None:
    data = tmp_path / "s.jsonl"
    data.write_text('{"id": "s1", "title": "Flood \\ud800 warning", "url": "https://x.example/\\udfff",'
                    ' "text": "The river rose \\ud800 two metres overnight in the old town of Riverton."}\n')
    result = run_cli("replay", str(data), "--db", str(tmp_path / "s.db"))
    assert result.exit_code == 0, result.output
    assert "1 documents: 1 new stories" in result.output and "replaced with U+FFFD" in result.output
    title, text = sqlite3.connect(tmp_path / "s.db").execute("SELECT title, text FROM documents").fetchone()
    assert "\ufffd" in title and "\ufffd" in text


def test_titles_are_cut_in_feeds_but_kept_in_storage(tmp_path: Path) -> None:
    data = tmp_path / "t.jsonl"
    long_title = "Budget " * 150_000  # about 1 MB
    data.write_text(json.dumps({"id": "t1", "title": long_title, "text": "The council passed the budget."}) + "\n")
    db = tmp_path / "t.db"
    assert run_cli("replay", str(data), "--db", str(db)).exit_code == 0
    feed = run_cli("feed", "--db", str(db)).output
    assert len(feed) < 20_000 and "Budget Budget" in feed and "\u2026" in feed
    assert len(sqlite3.connect(db).execute("SELECT title FROM documents").fetchone()[0]) == len(long_title)


class Served:
    """`newsdedup serve`'s own uvicorn server (build_server) on a free port, in a thread."""

    def __init__(self, db: Path, uvicorn_config: dict[str, object] | None = None, **flat: object) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        self.server = build_server(str(db), Settings(port=port, **flat).feeds, log_level="warning",
                                   **(uvicorn_config or {}))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> Served:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started and time.monotonic() < deadline:
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)


def test_ids_beyond_sqlites_integers_are_not_found(tmp_path: Path, seeds_dir: Path) -> None:
    db = tmp_path / "ids.db"
    assert run_cli("replay", str(seeds_dir), "--db", str(db)).exit_code == 0
    with Served(db) as served, httpx.Client(base_url=served.url) as client:
        for path in ("/source/99999999999999999999999.atom", "/documents/999999999999999999999",
                     "/source/-99999999999999999999999.atom"):
            assert client.get(path).status_code == 404, path
        assert client.get("/feed.atom").status_code == 200


def read_response(sock: socket.socket) -> bytes:
    """One whole HTTP/1.1 response with a Content-Length, from a raw socket."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    fields = dict(line.split(b":", 1) for line in head.split(b"\r\n")[1:])
    length = int(next(value for name, value in fields.items() if name.lower() == b"content-length"))
    while len(body) < length:
        body += sock.recv(65536)
    return body


@pytest.mark.parametrize("parser", ["httptools", "h11"])  # the server's, and the fallback without httptools
def test_slow_clients_are_timed_out_and_others_are_served(tmp_path: Path, seeds_dir: Path, parser: Parser) -> None:
    db = tmp_path / "slow.db"
    assert run_cli("replay", str(seeds_dir), "--db", str(db)).exit_code == 0
    with Served(db, {"http": with_header_timeout(1.0, parser)}, header_timeout=1.0) as served:
        host, port = "127.0.0.1", int(served.url.rsplit(":", 1)[1])
        slow = []
        for _ in range(50):  # each sends half a request head and then nothing
            sock = socket.create_connection((host, port), timeout=5)
            sock.sendall(b"GET /feed.atom HTTP/1.1\r\nHost: x\r\n")
            slow.append(sock)
        for _ in range(5):  # connects and sends nothing
            slow.append(socket.create_connection((host, port), timeout=5))
        for _ in range(5):  # one whole request on a kept-alive connection, then half of the next
            sock = socket.create_connection((host, port), timeout=5)
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            read_response(sock)
            sock.sendall(b"GET /feed.atom HTTP/1.1\r\n")
            slow.append(sock)
        assert httpx.get(served.url + "/feed.atom", timeout=5).status_code == 200
        time.sleep(2.0)
        closed = 0
        for sock in slow:
            sock.settimeout(2)
            try:
                closed += sock.recv(1) == b""
            except OSError:
                closed += 1
            sock.close()
        assert closed == len(slow)
        assert httpx.get(served.url + "/feed.atom", timeout=5).status_code == 200
