"""The store: WAL mode, atomic documents, a schema you can query yourself, numbered migrations.

The tests taking `database` run on each backend: an SQLite file and a PostgreSQL database.
"""

from __future__ import annotations

import multiprocessing
import sqlite3
from contextlib import closing
from dataclasses import asdict, replace
from pathlib import Path

import pytest

from ingest.matching import change_kind
from storage import AlreadyStored, NewDocument, SchemaMismatch, StorageError, Store
from storage.factory import OpenDatabase
from storage.interfaces import Database
from storage.migrations import SCHEMA_VERSION
from tests.conftest import run_cli

FIXTURES = Path(__file__).parent / "fixtures"


def new_doc(key: str, content_hash: str = "h1", lang: str = "en") -> NewDocument:
    return NewDocument(key=key, title="Title", text="Text.", lang=lang, url=None, published=None, updated=None,
                       authors=(), description=None, image=None, content_hash=content_hash, source_id=None,
                       window_time=0.0, lexical=b"\0" * 16, anchor_minhash=b"\0" * 16, anchors=("eu", "2025"))


def add(store: Database, doc: NewDocument, story: str | None, new_story: str) -> tuple[int, str, str]:
    """What the pipeline does: matching names the change kind, storage records it."""
    languages = store.documents.story_languages(story) if story else set()
    kind = change_kind(story, doc.lang, languages)
    story_id = story or new_story
    return store.documents.add(doc, story_id, kind), story_id, kind


def test_database_uses_wal_and_has_the_documented_tables(db_path: Path) -> None:
    Store(str(db_path)).close()
    db = sqlite3.connect(db_path)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"documents", "stories", "changes", "revisions", "signatures", "anchor_df", "ingest_errors"} <= tables


def test_the_log_is_copied_into_the_file_beside_the_writer_and_removed_at_close(db_path: Path) -> None:
    """Commits leave checkpoints to the checkpointer's thread (the writer's own waits for a log
    of thousands of pages): the database file grows while the store is open, and a fork meanwhile
    (replay's workers) finds no checkpoint half done."""
    import os
    import threading
    import time

    from storage.checkpoint import WRITER_AUTOCHECKPOINT_PAGES

    others = set(threading.enumerate())
    with Store(str(db_path)) as store:
        assert store.conn.one("PRAGMA wal_autocheckpoint")[0] == WRITER_AUTOCHECKPOINT_PAGES
        size_before = db_path.stat().st_size
        for batch in range(20):
            with store.transaction():
                for i in range(20):
                    store.documents.add(replace(new_doc(f"k{batch}-{i}", content_hash=f"h{batch}-{i}"),
                                                text="Text. " * 200), f"s{batch}-{i}", change_kind(None, "en", set()))
            pid = os.fork()
            if pid == 0:
                os._exit(0)  # what a worker forked mid-replay does with the database: nothing
            assert os.waitpid(pid, 0)[1] == 0
        deadline = time.monotonic() + 10
        while db_path.stat().st_size <= size_before and time.monotonic() < deadline:
            time.sleep(0.05)
        assert db_path.stat().st_size > size_before  # copied, without a checkpoint by the writer
        # (Its own thread: other tests' stores may still be open.)
        checkpointing = [thread for thread in threading.enumerate()
                         if thread.name == "newsdedup-checkpoint" and thread not in others]
        assert len(checkpointing) == 1
    assert not checkpointing[0].is_alive()
    assert not Path(f"{db_path}-wal").exists()
    with closing(sqlite3.connect(db_path)) as db:
        assert db.execute("SELECT count(*) FROM documents").fetchone()[0] == 400


def _open_when_told(path: str, go: multiprocessing.synchronize.Event, results: multiprocessing.Queue[str]) -> None:
    go.wait()
    try:
        Store(path).close()
        results.put("opened")
    except Exception as exc:  # noqa: BLE001 - the test reports what any process met
        results.put(f"{type(exc).__name__}: {exc}")


def test_processes_that_make_the_same_database_together_all_open_it(tmp_path: Path) -> None:
    """Switching a new file to WAL from two processes at once is a deadlock SQLite answers at
    once, without the busy timeout; each writer must wait and open it (a CI run failed so)."""
    context = multiprocessing.get_context("fork")
    for attempt in range(8):
        path = str(tmp_path / f"new-{attempt}.db")
        go, results = context.Event(), context.Queue()
        processes = [context.Process(target=_open_when_told, args=(path, go, results)) for _ in range(6)]
        for process in processes:
            process.start()
        go.set()
        outcomes = [results.get(timeout=60) for _ in processes]
        for process in processes:
            process.join()
        assert outcomes == ["opened"] * len(processes)
        assert sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_document_its_story_and_its_change_commit_together(database: OpenDatabase) -> None:
    store = database
    with store.transaction():
        doc_id, story_id, kind = add(store, new_doc("a"), None, "s-a")
    assert (story_id, kind) == ("s-a", "created")
    with store.transaction():
        assert add(store, new_doc("b", "h2", "vi"), "s-a", "s-b")[2] == "translation"
    with store.transaction():
        assert add(store, new_doc("c", "h3"), "s-a", "s-c")[2] == "version"
    with pytest.raises(RuntimeError), store.transaction():
        add(store, new_doc("d", "h4"), None, "s-d")
        raise RuntimeError("crash between the writes")
    assert asdict(store.documents.counts()) == {"documents": 3, "stories": 1, "changes": 3, "errors": 0}
    assert store.documents.anchor_document_frequencies() == ({"eu": 3, "2025": 3}, 3)
    kinds = [r[0] for r in store.conn.all("SELECT kind FROM changes ORDER BY seq")]
    assert kinds == ["created", "translation", "version"]


def test_anchor_counts_are_summed_over_a_transaction_and_forgotten_on_rollback(database: Database) -> None:
    """Each anchor's document frequency, whether its documents were written one by one or together."""
    def counts() -> dict[str, int]:
        frequencies, _ = database.documents.anchor_document_frequencies()
        return frequencies

    def anchored(key: str, *anchors: str) -> NewDocument:
        return replace(new_doc(key, content_hash=f"h-{key}-{'-'.join(anchors)}"), anchors=anchors)

    with database.transaction():
        first = database.documents.add(anchored("one", "eu", "2025"), "s-1", change_kind(None, "en", set()))
    assert counts() == {"eu": 1, "2025": 1}
    with database.transaction():
        database.documents.add(anchored("two", "eu", "paris"), "s-2", change_kind(None, "en", set()))
        database.documents.add(anchored("three", "eu", "paris", "nato"), "s-3", change_kind(None, "en", set()))
        database.documents.change(first, "s-1", anchored("one", "eu", "berlin"), 2, ("eu", "2025"))
    assert counts() == {"eu": 3, "paris": 2, "nato": 1, "berlin": 1}  # (2025: counted once, then taken back)
    with pytest.raises(RuntimeError), database.transaction():
        database.documents.add(anchored("four", "eu", "rome"), "s-4", change_kind(None, "en", set()))
        raise RuntimeError("the batch fails")
    with database.transaction():
        database.documents.add(anchored("five", "oslo"), "s-5", change_kind(None, "en", set()))
    assert counts() == {"eu": 3, "paris": 2, "nato": 1, "berlin": 1, "oslo": 1}


def found(store: Store, term: str) -> list[str]:
    """The keys of the documents the search index finds for `term`."""
    return [row[0] for row in store.conn.all(
        "SELECT d.key FROM documents_fts f JOIN documents d ON d.id = f.rowid WHERE documents_fts MATCH ? "
        "ORDER BY d.key", (term,))]


def text(key: str, words: str) -> NewDocument:
    return replace(new_doc(key, content_hash=f"h-{key}-{words}"), title=f"About {key}", text=words)


def test_the_search_index_holds_every_committed_text_and_nothing_rolled_back(db_path: Path) -> None:
    """New documents join the search index at their transaction's end, in one statement."""
    with Store(str(db_path)) as store:
        with store.transaction():  # added and changed in one transaction: indexed once, with its new text
            late = store.documents.add(text("d", "bridge closed"), "s-d", change_kind(None, "en", set()))
            store.documents.change(late, "s-d", text("d", "bridge reopened"), 2, ("eu", "2025"))
        with store.transaction():
            first = store.documents.add(text("a", "harbour ferries stopped"), "s-a", change_kind(None, "en", set()))
            store.documents.add(text("b", "harbour council budget"), "s-b", change_kind(None, "en", set()))
        with pytest.raises(RuntimeError), store.transaction():
            store.documents.add(text("c", "harbour storm warning"), "s-c", change_kind(None, "en", set()))
            raise RuntimeError("the batch fails")
        with store.transaction():
            store.documents.change(first, "s-a", text("a", "ferries running again"), 2, ("eu", "2025"))
        assert found(store, "harbour") == ["b"]
        assert found(store, "ferries") == ["a"] and found(store, "stopped") == []
        assert found(store, "reopened") == ["d"] and found(store, "closed") == []
        store.conn.execute("INSERT INTO documents_fts (documents_fts) VALUES ('integrity-check')")
        # A process of the release before goes on writing after this one migrated the file (its
        # documents were indexed by the trigger this schema dropped): found from the next open on.
        with closing(sqlite3.connect(db_path)) as old_release, old_release:
            old_release.execute("INSERT INTO documents (key, story_id, title, text, lang, content_hash, revision, "
                                "first_seen, last_changed, window_time) VALUES ('old', 's-a', 'About old', "
                                "'tram depot', 'en', 'h-old', 1, '', '', 0)")
        assert found(store, "depot") == []
    with Store(str(db_path)) as store:
        assert found(store, "depot") == ["old"] and found(store, "harbour") == ["b"]
        store.conn.execute("INSERT INTO documents_fts (documents_fts) VALUES ('integrity-check')")


def test_documents_indexed_beside_the_next_decisions_are_searchable_and_a_failure_undoes_them(db_path: Path) -> None:
    """`index_written_so_far` writes what the transaction added and indexes it on the
    connection's helper thread while the transaction goes on: the same search index as at its
    end, and nothing of a transaction that fails. Ids are the ones SQLite gives."""
    created = change_kind(None, "en", set())
    with Store(str(db_path)) as store:
        with store.transaction():
            first = store.documents.add(text("a", "harbour ferries stopped"), "s-a", created)
            store.documents.index_written_so_far()
            second = store.documents.add(text("b", "harbour council budget"), "s-b", created)
            assert store.documents.find("b") is not None  # (what waits is written before a read)
            store.documents.change(first, "s-a", text("a", "ferries running again"), 2, ("eu", "2025"))
            store.documents.index_written_so_far()
        assert (first, second) == (1, 2)
        with pytest.raises(RuntimeError), store.transaction():
            store.documents.add(text("c", "harbour storm warning"), "s-c", created)
            store.documents.index_written_so_far()
            raise RuntimeError("the batch fails")
        assert found(store, "harbour") == ["b"]
        assert found(store, "ferries") == ["a"] and found(store, "stopped") == []
        store.conn.execute("INSERT INTO documents_fts (documents_fts) VALUES ('integrity-check')")
        with store.transaction():
            assert store.documents.add(text("d", "tram depot"), "s-d", created) == 3  # (c's id, as SQLite gives it)
        assert found(store, "depot") == ["d"]


def test_a_statement_run_in_the_background_reports_its_error_at_the_next_one(db_path: Path) -> None:
    with Store(str(db_path)) as store:
        with pytest.raises(AlreadyStored), store.transaction():
            add(store, new_doc("a"), None, "s-a")
            store.documents.index_written_so_far()
            store.conn.execute_in_background(
                "INSERT INTO documents (key, story_id, title, text, lang, content_hash, first_seen, last_changed, "
                "window_time) SELECT key, story_id, title, text, lang, content_hash, '', '', 0 FROM documents")
        assert store.documents.counts().documents == 0 and not store.conn.raw.in_transaction
        store.conn.execute_in_background("SELECT * FROM no_such_table")
        with pytest.raises(StorageError, match="no such table"):
            store.conn.one("SELECT 1")
        assert store.conn.one("SELECT 1")[0] == 1  # and the connection goes on


def test_ctrl_c_during_a_background_statement_still_rolls_back_after_it(db_path: Path) -> None:
    """Interrupted while a statement runs in the background, the transaction still waits for the
    statement to end before its ROLLBACK, however often Ctrl-C comes: none is left open."""
    import signal
    import threading
    import time

    slow = ("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 4000000) "
            "SELECT count(*) FROM c")
    with Store(str(db_path)) as store:
        def interrupt_in(seconds: float) -> None:
            threading.Timer(seconds, signal.pthread_kill, (threading.main_thread().ident, signal.SIGINT)).start()

        started = time.monotonic()
        with pytest.raises(KeyboardInterrupt), store.transaction():
            add(store, new_doc("a"), None, "s-a")
            store.conn.execute_in_background(slow)
            interrupt_in(0.05)  # while the transaction does other work
            interrupt_in(0.15)  # and again while its rollback waits for the statement
            time.sleep(5)
        ran = time.monotonic() - started
        assert ran > 0.15 and not store.conn.in_transaction
        assert store.documents.counts().documents == 0


def test_a_fork_waits_for_the_statement_running_in_the_background(db_path: Path) -> None:
    """A forked child (replay's workers) must not get a copy of the connection mid-statement."""
    import os
    import time

    slow = ("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 4000000) "
            "SELECT count(*) FROM c")
    with Store(str(db_path)) as store:
        with store.transaction():
            store.conn.execute_in_background(slow)
            started = time.monotonic()
            pid = os.fork()
            if pid == 0:
                os._exit(0)
            forked_after = time.monotonic() - started
            assert os.waitpid(pid, 0)[1] == 0
            begun = time.monotonic()
            store.conn.wait()
            assert time.monotonic() - begun < forked_after  # (it had ended before the fork)


def test_a_document_added_in_a_read_snapshot_is_refused_and_nothing_is_lost(db_path: Path) -> None:
    with Store(str(db_path)) as store:
        with pytest.raises(StorageError, match="within a transaction"), store.snapshot():
            add(store, new_doc("a"), None, "s-a")
        with store.transaction():
            add(store, new_doc("b"), None, "s-b")
        assert store.documents.counts().documents == 1 and store.documents.find("b") is not None


def test_a_key_is_stored_once(database: OpenDatabase) -> None:
    store = database
    with store.transaction():
        add(store, new_doc("a"), None, "s-a")
    with pytest.raises(AlreadyStored), store.transaction():
        add(store, new_doc("a", "other"), None, "s-x")
    assert store.documents.counts().documents == 1


def test_a_database_of_the_previous_release_is_migrated(db_path: Path) -> None:
    # Made by the release before numbered migrations (schema_version 1, commit 9f08416): a
    # replay of the seeds, dumped with `sqlite3 .dump`.
    old = sqlite3.connect(db_path)
    old.executescript((FIXTURES / "release-1.sql").read_text(encoding="utf-8"))
    old.close()
    store = Store(str(db_path))
    assert store.meta("schema_version") == str(SCHEMA_VERSION)
    assert store.documents.counts().documents == 5
    with store.transaction():  # and what is added now is found as the old documents are
        store.documents.add(replace(new_doc("later", "h-later"), text="A harbour reopened."), "s-later",
                            change_kind(None, "en", set()))
    store.close()
    result = run_cli("clusters", "--db", str(db_path))
    assert result.exit_code == 0 and len(result.output.splitlines()) == 6
    search = sqlite3.connect(db_path).execute(
        "SELECT count(*) FROM documents_fts WHERE documents_fts MATCH 'harbour'").fetchone()[0]
    assert search == 1 + sqlite3.connect(db_path).execute(
        "SELECT count(*) FROM documents WHERE key != 'later' AND (title LIKE '%harbour%' OR text LIKE '%harbour%')"
    ).fetchone()[0]


def test_a_database_without_the_newer_columns_gets_them(db_path: Path) -> None:
    old = sqlite3.connect(db_path)
    old.executescript((FIXTURES / "release-1.sql").read_text(encoding="utf-8"))
    old.executescript("ALTER TABLE sources DROP COLUMN poll_interval; ALTER TABLE revisions DROP COLUMN meta_kept;")
    old.close()
    Store(str(db_path)).close()
    columns = {r[1] for r in sqlite3.connect(db_path).execute("PRAGMA table_info(sources)")}
    assert "poll_interval" in columns


def test_a_database_from_a_newer_release_is_refused(db_path: Path, seeds_dir: Path) -> None:
    assert run_cli("replay", str(seeds_dir), "--db", str(db_path)).exit_code == 0
    newer = sqlite3.connect(db_path)
    newer.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION + 5),))
    newer.commit()
    newer.close()
    with pytest.raises(SchemaMismatch, match=f"version {SCHEMA_VERSION + 5}.*up to {SCHEMA_VERSION}"):
        Store(str(db_path))
    for command in (["replay", str(seeds_dir)], ["clusters"], ["feed"], ["sources", "list"]):
        result = run_cli(*command, "--db", str(db_path))
        assert result.exit_code == 1, (command, result.output)
        assert "newer newsdedup" in result.output and "Traceback" not in result.output


def test_a_file_that_is_not_a_newsdedup_database_is_refused(db_path: Path) -> None:
    other = sqlite3.connect(db_path)
    other.execute("CREATE TABLE notes (text TEXT)")
    other.commit()
    other.close()
    with pytest.raises(SchemaMismatch, match="not a newsdedup database"):
        Store(str(db_path))
