"""The write-ahead log copied into the database file beside the writer, not inside its commits.

SQLite checkpoints by itself in the COMMIT that takes the log past `wal_autocheckpoint` pages:
that commit copies the log's pages into the database file and waits for the disk (fsync).
Here a thread with a connection of its own does it: a PASSIVE checkpoint, which never waits
for, nor blocks, a writer or a reader, at most once per CHECKPOINT_INTERVAL_SECONDS after
commits asked for one. (A wmt22 replay's commits: 0.44 s of the writing thread's time with
SQLite's own checkpoints, 0.14 s without.) The writer's own checkpoint stays, at a larger size,
for a log this thread does not keep up with.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from urllib.parse import quote

log = logging.getLogger("newsdedup.storage")

CHECKPOINT_INTERVAL_SECONDS = 1.0
# The writer's own checkpoint, should the log grow this many pages (~40 MB) all the same.
WRITER_AUTOCHECKPOINT_PAGES = 10_000

# Held while a checkpoint runs, and by a fork: a child process (replay's workers) never starts
# with a copy of a checkpoint half done, whose SQLite locks nobody would release.
_RUNNING = threading.Lock()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(before=_RUNNING.acquire, after_in_parent=_RUNNING.release,
                        after_in_child=_RUNNING.release)


class Checkpointer:
    """Checkpoints the database at `path` from a thread of its own, started at the first `nudge`."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._wanted = threading.Event()
        self._closing = threading.Event()
        self._thread: threading.Thread | None = None

    def nudge(self) -> None:
        """A commit wrote to the log: checkpoint soon."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="newsdedup-checkpoint", daemon=True)
            self._thread.start()
        self._wanted.set()

    def close(self) -> None:
        """Stop the thread and close its connection (the writer's, closed last, does the final
        checkpoint and removes the log)."""
        if self._thread is not None:
            self._closing.set()
            self._wanted.set()
            self._thread.join()
            self._thread = None

    def _run(self) -> None:
        try:
            # mode=rw: a database moved or deleted meanwhile is not made again, empty, at its path.
            # (The path's bytes quoted, after an empty authority: any file name, even one of
            # undecodable bytes or beginning "//", names itself.)
            conn = sqlite3.connect(f"file://{quote(os.fsencode(os.path.abspath(self.path)))}?mode=rw", uri=True,
                                   check_same_thread=False, isolation_level=None)
        except sqlite3.Error as exc:
            log.debug("no checkpoints beside the writer of %s (%s): its own will do", self.path, exc)
            return
        try:
            while not self._closing.is_set():
                self._wanted.wait()
                self._wanted.clear()
                if self._closing.is_set():
                    break
                with _RUNNING:
                    try:
                        conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
                    except sqlite3.Error as exc:
                        log.debug("a checkpoint of %s failed (%s): the next one, or the writer's, will do",
                                  self.path, exc)
                self._closing.wait(CHECKPOINT_INTERVAL_SECONDS)  # (nudges meanwhile wait for the next)
        finally:
            conn.close()
