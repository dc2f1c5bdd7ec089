"""A PostgreSQL server of the tests' own: initdb in a temporary directory, on 127.0.0.1 and a free
port, stopped (and its directory removed) at the end of the session, even after a failure.

PostgreSQL refuses to run as root: as root, the server runs as the unprivileged `nobody`.
Without PostgreSQL installed (apt-get install postgresql), the tests that need it are skipped.
"""

from __future__ import annotations

import atexit
import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

START_TIMEOUT_SECONDS = 60
UNPRIVILEGED_USER = "nobody"
_names = itertools.count(1)


def binaries() -> Path | None:
    """The directory of initdb and pg_ctl (Debian keeps them off PATH), the newest version's."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("initdb")
    return Path(on_path).parent if on_path else None


def why_unavailable() -> str | None:
    """Why the PostgreSQL tests cannot run here, or None."""
    if binaries() is None:
        return "PostgreSQL is not installed (apt-get install postgresql: initdb under /usr/lib/postgresql/*/bin/)"
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "psycopg is not installed (pip install 'psycopg[binary]')"
    return None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Server:
    """A running server: its superuser `postgres` connects without a password from 127.0.0.1."""

    directory: Path
    port: int
    bin: Path

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def _as_owner(self, *command: str) -> list[str]:
        if os.geteuid() != 0:
            return list(command)
        return ["runuser", "-u", UNPRIVILEGED_USER, "--", *command]

    def run(self, *command: str, timeout: float = START_TIMEOUT_SECONDS) -> None:
        result = subprocess.run(self._as_owner(*command), capture_output=True, text=True, timeout=timeout,
                                env={**os.environ, "LC_ALL": "C"})
        if result.returncode != 0:
            log = self.directory / "server.log"
            raise RuntimeError(f"{' '.join(command)} failed: {result.stderr.strip()}\n"
                               f"{log.read_text(errors='replace') if log.exists() else ''}")

    def create_database(self) -> str:
        """A new empty database; its URL."""
        import psycopg

        name = f"test_{os.getpid()}_{next(_names)}"
        with psycopg.connect(self.url(), autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def drop_database(self, url: str) -> None:
        import psycopg

        name = url.rsplit("/", 1)[1]
        with psycopg.connect(self.url(), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        if (self.directory / "data" / "postmaster.pid").exists():
            try:
                self.run(str(self.bin / "pg_ctl"), "-D", str(self.directory / "data"), "-m", "immediate", "-w",
                         "stop", timeout=30)
            except (RuntimeError, subprocess.TimeoutExpired):
                pass
        shutil.rmtree(self.directory, ignore_errors=True)


def start(*, durable: bool = False) -> Server:
    """initdb and start a server. Not `durable` (the tests): no fsync at all, as a test needs no
    crash safety. `durable` (benchmarks): fsync on, but commits do not wait for it
    (synchronous_commit=off), which is SQLite's WAL with synchronous=NORMAL."""
    bin_dir = binaries()
    if bin_dir is None:
        raise RuntimeError(why_unavailable())
    directory = Path(tempfile.mkdtemp(prefix="newsdedup-pg-"))
    if os.geteuid() == 0:
        owner = pwd.getpwnam(UNPRIVILEGED_USER)
        os.chown(directory, owner.pw_uid, owner.pw_gid)
    server = Server(directory, _free_port(), bin_dir)
    try:
        server.run(str(bin_dir / "initdb"), "-D", str(directory / "data"), "-U", "postgres", "--auth=trust",
                   "-E", "UTF8", "--locale=C", "--no-sync")
        options = [f"-p {server.port}", "-c listen_addresses=127.0.0.1", f"-c unix_socket_directories={directory}",
                   "-c synchronous_commit=off", "-c max_connections=50", "-c shared_buffers=64MB"]
        if not durable:
            options += ["-c fsync=off", "-c full_page_writes=off"]
        server.run(str(bin_dir / "pg_ctl"), "-D", str(directory / "data"), "-l", str(directory / "server.log"),
                   "-o", " ".join(options), "-w", "-t", str(START_TIMEOUT_SECONDS), "start")
    except BaseException:
        server.stop()
        raise
    atexit.register(server.stop)  # should the session end without its teardown
    return server


@contextmanager
def running(*, durable: bool = False) -> Iterator[Server]:
    server = start(durable=durable)
    try:
        yield server
    finally:
        server.stop()
