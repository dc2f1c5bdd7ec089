"""The replay's worker processes: answers in the order of the jobs, failures said, nothing left running."""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
from pathlib import Path

import pytest

from ingest.workers import OrderedWorkers, WorkerDied

FORK = multiprocessing.get_context("fork")
_offset = 0


def _start(offset: int) -> None:
    global _offset
    _offset = offset


def _square(n: int) -> int | threading.Lock:
    if n == 13:
        raise ValueError("thirteen")
    if n == 14:
        return threading.Lock()  # an answer that cannot be pickled
    if n == 15:
        os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C is the caller's, not the worker's
    return n * n + _offset


def test_answers_come_in_the_order_of_the_jobs_and_a_failure_is_raised_where_it_is_taken() -> None:
    with OrderedWorkers(3, _square, FORK, initializer=_start, initargs=(1,)) as pool:
        answers = []
        for n in range(30):
            pool.submit(n)
            if pool.pending >= 7:
                try:
                    answers.append(pool.next_answer())
                except ValueError as exc:
                    answers.append(str(exc))
                except RuntimeError as exc:
                    answers.append("unsent" if "could not be sent" in str(exc) else str(exc))
        while pool.pending:
            answers.append(pool.next_answer())
        processes = list(pool._processes)
    assert answers[:13] == [n * n + 1 for n in range(13)]
    assert answers[13:16] == ["thirteen", "unsent", 15 * 15 + 1]
    assert answers[16:] == [n * n + 1 for n in range(16, 30)]
    assert not any(process.is_alive() for process in processes)
    with pytest.raises(LookupError):
        pool.next_answer()


def test_a_worker_that_dies_is_said_to_have_died() -> None:
    with OrderedWorkers(2, _square, FORK, initializer=_start, initargs=(0,)) as pool:
        pool.submit(2)
        assert pool.next_answer() == 4
        os.kill(pool._processes[0].pid, signal.SIGKILL)
        pool._processes[0].join()
        pool.submit(3)  # worker 1's
        assert pool.next_answer() == 9
        with pytest.raises(WorkerDied, match="exit code -9.*fewer --workers"):
            pool.submit(4)  # worker 0's: dead
            pool.next_answer()


def _sized(job: tuple[int, int]) -> str:
    return "a" * job[1]


def test_big_jobs_and_big_answers_never_leave_both_sides_waiting() -> None:
    """Jobs that fill a job pipe while answers fill the answer pipe (long paths, long pages): the
    caller reads the answers it must, to make room, and keeps them for their turn."""
    for job_bytes, answer_bytes in ((7_000, 1_100_000), (2_000_000, 10), (10, 3_000_000)):
        with OrderedWorkers(2, _sized, FORK, initializer=_start, initargs=(0,)) as pool:
            taken = []
            for n in range(60):
                pool.submit(("j" * job_bytes, answer_bytes + n))
                if pool.pending >= 24:
                    taken.append(len(pool.next_answer()))
            while pool.pending:
                taken.append(len(pool.next_answer()))
        assert taken == [answer_bytes + n for n in range(60)]


class _Odd(Exception):
    def __init__(self, what: str, where: str) -> None:  # (pickles, but does not unpickle: one argument)
        super().__init__(f"{what} at {where}")


def _odd(n: int) -> int:
    if n == 1:
        raise _Odd("bad", "here")
    return n


def test_an_answer_that_cannot_be_read_keeps_the_others_in_order_and_stopping_early_is_at_once() -> None:
    with OrderedWorkers(2, _odd, FORK, initializer=_start, initargs=(0,)) as pool:
        for n in range(6):
            pool.submit(n)
        assert pool.next_answer() == 0
        with pytest.raises(RuntimeError, match="could not be read"):
            pool.next_answer()
        assert [pool.next_answer() for _ in range(3)] == [2, 3, 4]
        processes = list(pool._processes)
    # (closed with an answer unread: the workers are stopped, not waited for)
    assert not any(process.is_alive() for process in processes)


def test_workers_end_when_their_caller_is_killed(tmp_path: Path) -> None:
    import subprocess
    import sys
    import time

    from tests.conftest import ROOT

    caller = subprocess.Popen([sys.executable, "-c", (
        "import multiprocessing, sys, time; sys.path.insert(0, '.')\n"
        "from ingest.workers import OrderedWorkers\n"
        "from tests.pipeline.test_ordered_workers import _square, _start\n"
        "pool = OrderedWorkers(2, _square, multiprocessing.get_context('fork'), initializer=_start, initargs=(0,))\n"
        "print(*(p.pid for p in pool._processes), flush=True)\n"
        "time.sleep(60)\n")], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert caller.stdout is not None
    workers = [int(pid) for pid in caller.stdout.readline().split()]
    caller.kill()
    caller.wait()
    deadline = time.monotonic() + 20
    while any(Path(f"/proc/{pid}").exists() and "Z" not in _state(pid) for pid in workers) \
            and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in workers if Path(f"/proc/{pid}").exists() and "Z" not in _state(pid)]


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "gone"
