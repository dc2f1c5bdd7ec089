"""Worker processes that do jobs ahead of the calling thread, which takes the answers in order.

Job i goes to worker i mod n, and the caller reads the answers back in the same order, itself,
from each worker's pipe. (concurrent.futures' pool hands answers over through a thread of the
caller's process, which unpickled them holding the GIL the caller wanted back after each of its
SQLite calls: in a wmt22 replay that thread cost the writing process ~0.3 s of CPU, and the
writer waited for it.)

A worker ignores Ctrl-C (the caller stops it), and ends when the caller closes its pipe or
goes away; a job's exception comes back as the answer and is raised by `next_answer`.
"""

from __future__ import annotations

import fcntl
import signal
from collections.abc import Callable
from multiprocessing.connection import Connection
from multiprocessing.context import ForkContext
from typing import Any, Generic, TypeVar

_J = TypeVar("_J")
_A = TypeVar("_A")

# Answers a worker may have written and the caller not yet read: the pipe's capacity (Linux
# lets a process raise it to 1 MB; 64 KB by default), so a worker does not wait to write one
# while the caller writes a batch.
PIPE_BYTES = 1 << 20
_F_SETPIPE_SZ = getattr(fcntl, "F_SETPIPE_SZ", 1031)
SECONDS_TO_STOP = 5.0


class WorkerDied(RuntimeError):
    """A worker process ended before answering (killed, or out of memory)."""


class OrderedWorkers(Generic[_J, _A]):
    """`count` processes of `context` doing `work(job)` in turn, started with `initializer(*initargs)`."""

    def __init__(self, count: int, work: Callable[[_J], _A], context: ForkContext, *,
                 initializer: Callable[..., None], initargs: tuple[Any, ...] = ()) -> None:
        self._jobs: list[Connection] = []
        self._answers: list[Connection] = []
        self._processes: list[Any] = []
        self._submitted = self._answered = 0
        try:
            for _ in range(count):
                jobs_in, jobs_out = context.Pipe(duplex=False)
                answers_in, answers_out = context.Pipe(duplex=False)
                _widen(answers_out)
                process = context.Process(target=_serve, args=(jobs_in, answers_out, work, initializer, initargs),
                                          daemon=True, name="newsdedup-worker")
                process.start()
                jobs_in.close()
                answers_out.close()
                self._jobs.append(jobs_out)
                self._answers.append(answers_in)
                self._processes.append(process)
        except BaseException:
            self.close()
            raise

    def __enter__(self) -> OrderedWorkers[_J, _A]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def pending(self) -> int:
        """Jobs submitted and not yet answered."""
        return self._submitted - self._answered

    def submit(self, job: _J) -> None:
        worker = self._submitted % len(self._jobs)
        try:
            self._jobs[worker].send(job)
        except OSError:
            raise self._died(worker) from None
        self._submitted += 1

    def next_answer(self) -> _A:
        """The answer to the oldest job not yet answered (its exception raised here)."""
        if not self.pending:
            raise LookupError("no job is waiting for its answer")
        worker = self._answered % len(self._answers)
        try:
            done, answer = self._answers[worker].recv()
        except (EOFError, OSError):
            raise self._died(worker) from None
        self._answered += 1
        if not done:
            raise answer
        return answer  # type: ignore[no-any-return]

    def _died(self, worker: int) -> WorkerDied:
        process = self._processes[worker]
        process.join(SECONDS_TO_STOP)
        return WorkerDied(f"a worker process ended without answering (exit code {process.exitcode}); if it "
                          "ran out of memory, run with fewer --workers")

    def close(self) -> None:
        """Stop the workers: each ends after its job in hand; one that does not is terminated."""
        for jobs in self._jobs:
            try:
                jobs.send(None)
            except OSError:
                pass  # it has ended already
            jobs.close()
        for process in self._processes:
            process.join(SECONDS_TO_STOP)
            if process.is_alive():
                process.terminate()
                process.join()
        for answers in self._answers:
            answers.close()
        self._jobs, self._answers, self._processes = [], [], []


def _widen(pipe: Connection) -> None:
    try:
        fcntl.fcntl(pipe.fileno(), _F_SETPIPE_SZ, PIPE_BYTES)
    except OSError:
        pass  # (not Linux, or above the system's limit: the default capacity, and workers wait sooner)


def _serve(jobs: Connection, answers: Connection, work: Callable[[Any], Any],
           initializer: Callable[..., None], initargs: tuple[Any, ...]) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the caller's to handle
    initializer(*initargs)
    while True:
        try:
            job = jobs.recv()
        except (EOFError, OSError):
            return  # the caller went away
        if job is None:
            return
        try:
            answer: tuple[bool, Any] = (True, work(job))
        except Exception as exc:  # a bug: raised in the caller, as the pool of concurrent.futures does
            answer = (False, exc)
        try:
            answers.send(answer)
        except OSError:
            return  # the caller went away
        except Exception as exc:  # an answer that does not pickle (bytes are written only after pickling)
            answers.send((False, RuntimeError(f"a worker's answer could not be sent: {exc}")))
