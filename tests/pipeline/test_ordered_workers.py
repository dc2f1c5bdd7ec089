"""The replay's worker processes: answers in the order of the jobs, failures said, nothing left running."""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading

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
