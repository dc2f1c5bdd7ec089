"""Source leases: which process may poll a source now (`Sources.lease`), shared by every
`serve` worker and the one-shot `crawl`, so that no source is polled twice at once.

A process is named "HOST:PID" (`worker_id`); a lease left by a process of this host that is
gone (killed) is taken over at once, one of another host's when it runs out.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time

from storage import Source, StorageError
from storage.interfaces import SourceStore
from storage.model import SourceLease

log = logging.getLogger("newsdedup.leases")

# A source's lease lasts this many times the run budget (CrawlSettings.source_run_budget). A run
# stops starting fetches at its budget and ends within one fetch deadline more, so a lease of
# twice the budget outlasts a normal run even unrenewed; it is renewed anyway (a long fetch
# deadline, a slow database). And it bounds how long a dead worker's sources wait for another.
LEASE_BUDGET_FACTOR = 2.0
# Renewals per lease length: a renewal may come late by most of a lease and still be in time.
LEASE_RENEWALS = 3


def lease_host() -> str:
    """This host as the leases name it: its hostname, and on Linux its PID namespace too, so that
    two containers given one hostname (host networking) never take each other's pids for theirs."""
    try:
        return f"{socket.gethostname()}/pidns-{os.stat('/proc/self/ns/pid').st_ino}"
    except OSError:
        return socket.gethostname()


def worker_id() -> str:
    """This process's name in the sources' leases: "HOST:PID", so that a process restarted on
    the same host can tell that its predecessor (another pid) is gone."""
    return f"{lease_host()}:{os.getpid()}"


def is_dead_here(worker: str) -> bool:
    """Whether `worker` (a worker_id) was a process of this host that no longer runs. A worker of
    another host cannot be checked: its leases run out instead. A pid taken by another process
    since looks alive, which only means waiting for the lease to run out."""
    host, _, pid = worker.rpartition(":")
    if host != lease_host() or not pid.isdigit() or int(pid) <= 0 or int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)  # signal 0: no signal, only "does it exist?"
    except ProcessLookupError:
        return True
    except PermissionError:  # it exists, as another user's process
        return False
    return False


def lease_or_holder(sources: SourceStore, source_id: int, worker: str, now: float, lease_seconds: float, *,
                    due_only: bool = True) -> tuple[Source | None, SourceLease | None]:
    """The source leased to `worker` (taken over from its holder if that was a process of this
    host that is gone), or None and who holds it (None too: not due, or released that moment)."""
    source = sources.lease(source_id, worker, now, lease_seconds, due_only=due_only)
    if source is not None:
        return source, None
    holder = sources.lease_holder(source_id, now)
    if holder is not None and is_dead_here(holder.worker):
        source = sources.lease(source_id, worker, now, lease_seconds, take_from=holder.worker, due_only=due_only)
        if source is not None:
            log.info("source %s: taking over from %s, which is no longer running", source_id, holder.worker)
            return source, None
        holder = sources.lease_holder(source_id, now)
    return None, holder


async def keep_lease(sources: SourceStore, source_id: int, worker: str, lease_seconds: float) -> None:
    """Renew `worker`'s lease of a running source until cancelled (when the run ends)."""
    while True:
        await asyncio.sleep(lease_seconds / LEASE_RENEWALS)
        try:
            held = sources.renew(source_id, worker, time.time(), lease_seconds)
        except StorageError as exc:  # the next renewal may succeed; the lease lasts meanwhile
            log.warning("source %s: its lease was not renewed: %s", source_id, exc.message)
            continue
        if not held:
            log.warning("source %s: its lease ran out and another worker took the source over; this run "
                        "goes on (nothing is stored twice)", source_id)
            return


def release(sources: SourceStore, source_id: int, worker: str, lease_seconds: float) -> None:
    """Give back `worker`'s lease of a source; a failure only means it runs out by itself."""
    try:
        sources.release(source_id, worker)
    except StorageError as exc:
        log.warning("source %s: its lease was not given back (it runs out in %.0f s): %s", source_id,
                    lease_seconds, exc.message)
