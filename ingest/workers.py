"""Worker processes that do jobs ahead of the calling thread, which takes the answers in order.

Job i goes to worker i mod n, and the caller reads the answers back in the same order, itself,
from each worker's pipe. (concurrent.futures' pool hands answers over through a thread of the
caller's process, which unpickled them holding the GIL the caller wanted back after each of its
SQLite calls: in a wmt22 replay that thread cost the writing process ~0.3 s of CPU, and the
writer waited for it.)

Neither side waits on a full pipe while the other does: the caller sends a job only when the
job pipe has room for it, and otherwise first reads (and keeps) the answers that worker has
written. A worker ignores Ctrl-C (the caller stops it), and ends when the caller closes its pipe
or goes away (it holds no copy of any pipe's other end); a job's exception comes back as the
answer and is raised by `next_answer`.
"""

from __future__ import annotations

import fcntl
import pickle
import signal
from collections import deque
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
_F_GETPIPE_SZ = getattr(fcntl, "F_GETPIPE_SZ", 1032)
_DEFAULT_PIPE_BYTES = 65_536
_FRAME_BYTES = 16  # what multiprocessing adds to a message (a length header)
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
        self._room: list[int] = []                  # each job pipe's capacity
        self._unanswered: list[deque[int]] = []     # per worker, the sizes of its jobs not yet answered
        self._kept: list[deque[bytes]] = []         # per worker, answers read early (to make room)
        self._submitted = self._answered = 0
        try:
            for _ in range(count):
                jobs_in, jobs_out = context.Pipe(duplex=False)
                answers_in, answers_out = context.Pipe(duplex=False)
                self._room.append(_widen(jobs_out))
                _widen(answers_out)
                # The child closes its copies of the caller's ends (its own and earlier workers'):
                # else its job pipe would never end when the caller dies.
                callers_ends = [*self._jobs, *self._answers, jobs_out, answers_in]
                process = context.Process(target=_serve, args=(jobs_in, answers_out, work, initializer, initargs,
                                                               callers_ends), daemon=True, name="newsdedup-worker")
                process.start()
                jobs_in.close()
                answers_out.close()
                self._jobs.append(jobs_out)
                self._answers.append(answers_in)
                self._processes.append(process)
                self._unanswered.append(deque())
                self._kept.append(deque())
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
        data = pickle.dumps(job, protocol=pickle.HIGHEST_PROTOCOL)
        size = len(data) + _FRAME_BYTES
        unanswered = self._unanswered[worker]
        # The jobs in the pipe are at most those not yet answered: while they and this one might
        # not fit, take that worker's next answer (it may be waiting to write it).
        while unanswered and sum(unanswered) + size > self._room[worker]:
            self._kept[worker].append(self._receive(worker))
        try:
            self._jobs[worker].send_bytes(data)
        except OSError:
            raise self._died(worker) from None
        unanswered.append(size)
        self._submitted += 1

    def next_answer(self) -> _A:
        """The answer to the oldest job not yet answered (its exception raised here)."""
        if not self.pending:
            raise LookupError("no job is waiting for its answer")
        worker = self._answered % len(self._answers)
        data = self._kept[worker].popleft() if self._kept[worker] else self._receive(worker)
        self._answered += 1
        try:
            done, answer = pickle.loads(data)
        except Exception as exc:  # (an answer that pickled, but does not unpickle)
            raise RuntimeError(f"a worker's answer could not be read: {type(exc).__name__}: {exc}") from None
        if not done:
            raise answer
        return answer  # type: ignore[no-any-return]

    def _receive(self, worker: int) -> bytes:
        """The bytes of `worker`'s oldest answer not yet read."""
        try:
            data = self._answers[worker].recv_bytes()
        except (EOFError, OSError):
            raise self._died(worker) from None
        self._unanswered[worker].popleft()
        return data

    def _died(self, worker: int) -> WorkerDied:
        process = self._processes[worker]
        process.join(SECONDS_TO_STOP)
        return WorkerDied(f"a worker process ended without answering (exit code {process.exitcode}); if it "
                          "ran out of memory, run with fewer --workers")

    def close(self) -> None:
        """Stop the workers: when every job was answered each ends at once (one that does not
        is terminated); with answers still to come (Ctrl-C, an error) they are terminated, as
        their work is only ever an answer nobody will read."""
        stop_now = self.pending > 0
        for jobs in self._jobs:
            if not stop_now:
                try:
                    jobs.send(None)
                except OSError:
                    pass  # it has ended already
            jobs.close()
        for answers in self._answers:
            answers.close()
        for process in self._processes:
            if stop_now:
                process.terminate()
            process.join(SECONDS_TO_STOP)
            if process.is_alive():
                process.terminate()
                process.join()
        self._jobs, self._answers, self._processes = [], [], []


def _widen(pipe: Connection) -> int:
    """Raise the pipe's capacity to PIPE_BYTES where the system allows; its capacity."""
    try:
        fcntl.fcntl(pipe.fileno(), _F_SETPIPE_SZ, PIPE_BYTES)
    except OSError:
        pass  # (not Linux, or above the system's limit: the default capacity, and workers wait sooner)
    try:
        return int(fcntl.fcntl(pipe.fileno(), _F_GETPIPE_SZ))
    except OSError:
        return _DEFAULT_PIPE_BYTES


def _serve(jobs: Connection, answers: Connection, work: Callable[[Any], Any],
           initializer: Callable[..., None], initargs: tuple[Any, ...], callers_ends: list[Connection]) -> None:
    for end in callers_ends:
        end.close()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the caller's to handle
    initializer(*initargs)
    while True:
        try:
            job = jobs.recv()
        except (EOFError, OSError):
            return  # the caller went away (or closed the pipe)
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
