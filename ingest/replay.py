"""Replay: saved files through the whole pipeline, as if they had been fetched.

Story assignment is a streaming decision, so arrival order matters. By default (setting
`replay_order = "sorted"`) a replay ingests documents sorted by a corpus record's
`published` field (as written; files have none before extraction, so they come first),
then by id or file key — as directory walks already take files by name — so the same
corpus gives the same stories however its lines are shuffled. `replay_order = "input"` keeps the order the
files list them, to study what arrival order does. The first pass reads only what the
ordering needs and keeps a locator per document (file and offset), so memory does not
grow with the corpus's text.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from ingest import language
from ingest.errors import ErrorKind, IngestError
from ingest.matching.settings import MatchSettings
from ingest.pipeline import UNCHANGED, Pipeline, Prepared, prepare_many
from ingest.readers import ReadFailure, Rereader, read_inputs
from ingest.workers import OrderedWorkers
from storage import ChangeKind


@dataclass
class ReplaySummary:
    outcomes: Counter[str] = field(default_factory=Counter)
    errors: int = 0
    seconds: float = 0.0

    def line(self) -> str:
        o = self.outcomes
        created, version, translation, changed = (o[k] for k in (ChangeKind.CREATED, ChangeKind.VERSION,
                                                                  ChangeKind.TRANSLATION, ChangeKind.CHANGED))
        documents = created + version + translation + changed + o[UNCHANGED]
        return (f"{documents} documents: {created} new stories, {version + translation} new versions "
                f"({translation} translations), {changed} changed, {o[UNCHANGED]} skipped "
                f"(already stored), {self.errors} errors in {self.seconds:.1f}s")


def replay(pipeline: Pipeline, paths: list[str], *, max_bytes: int, order: str = "sorted", workers: int = 1,
           batch_size: int = 1,
           on_error: Callable[[str, IngestError], None] = lambda origin, error: None,
           on_warning: Callable[[str, str], None] = lambda origin, message: None,
           on_progress: Callable[[int], None] = lambda size: None) -> ReplaySummary:
    """Ingest every document under `paths`; failures are recorded, reported to `on_error` and skipped.

    With `workers` > 1, that many processes extract and fingerprint documents ahead while this
    one decides and writes them, in the same order: the same stories, sooner (0: as many as
    `workers_for` chooses for the replay's length and the machine's cores). `batch_size`
    documents are written per transaction (`Pipeline.ingest_batch`): the same stories, sooner."""
    summary = ReplaySummary()
    started = time.perf_counter()

    def fail(origin: str, error: IngestError) -> None:
        summary.errors += 1
        pipeline.record_failure(origin, error)
        on_error(origin, error)

    located = []
    first_seen: dict[str, str] = {}
    for item in read_inputs(paths, max_bytes=max_bytes):
        if isinstance(item, ReadFailure):
            fail(item.origin, item.error)
            on_progress(item.size)
        elif item.key in first_seen:
            # Two records with one id would overwrite each other on every replay.
            fail(item.origin, IngestError(ErrorKind.MALFORMED, "read",
                                          f"the id {item.key!r} was already used at {first_seen[item.key]}; skipped"))
            on_progress(item.size)
        else:
            first_seen[item.key] = item.origin
            assert item.locator is not None, "readers locate every document they read"
            located.append(((item.published or "", item.key), item.locator, item.origin, item.size))
    if order == "sorted":
        located.sort(key=lambda entry: entry[0])
    elif order != "input":
        raise ValueError(f"replay_order must be 'sorted' or 'input', not {order!r}")
    workers = workers_for(workers, len(located))
    entries = ((origin, size, locator) for _, locator, origin, size in located)
    batch: list[tuple[str, int, list[str], Prepared]] = []
    batch_bytes = 0  # the input size of the documents in `batch`
    # The first batches are smaller, doubling up to `batch_size`: the writer starts on the first
    # documents prepared instead of waiting for a whole batch of them (the same stories).
    batch_limit = min(batch_size, FIRST_BATCH)

    def write_batch() -> None:
        nonlocal batch_bytes, batch_limit
        if batch:
            batch_limit = min(batch_size, 2 * batch_limit)
        for (origin, size, repairs, _), result in zip(batch, pipeline.ingest_batch([item[3] for item in batch]),
                                                      strict=True):
            if isinstance(result, IngestError):
                fail(origin, result)
            else:
                summary.outcomes[result.label] += 1
                for repair in repairs:
                    on_warning(origin, repair)
            on_progress(size)
        batch.clear()
        batch_bytes = 0

    with Rereader(max_bytes) as rereader:  # closes the corpus file, whatever happens
        for origin, size, read in _prepared(entries, rereader, pipeline.settings, workers):
            if isinstance(read, ReadFailure):
                write_batch()  # failures are reported in input order too
                fail(read.origin, read.error)
                on_progress(size)
                continue
            if batch and batch_bytes + size > BATCH_INPUT_BYTES:
                write_batch()
            batch.append((origin, size, *read))
            batch_bytes += size
            if len(batch) >= batch_limit:
                write_batch()
        write_batch()
    summary.seconds = time.perf_counter() - started
    return summary


# Documents go to the workers in chunks: one task per document cost the writing process more
# in the pool's queues than the task saved it (~0.35 ms of its CPU per wmt22
# document). Chunks prepared ahead of the one being written, per worker: enough to keep the
# workers busy while the writer writes a batch (`replay_batch` documents at a time), few
# enough that memory does not grow with the corpus (32 × 12 against 32 × 6 with batches of
# 256: wmt22 replays 8.56-8.62 s against 8.71-8.91, the same peak memory).
PREPARE_CHUNK = 32
PREPARE_CHUNK_BYTES = 2_000_000  # (wmt22's 32 documents: ~30 KB; 32 long pages would be hundreds of MB)
# A batch also ends at this much input: a batch of long pages holds the write lock (and, after a
# crash, is redone) about as long as one of `replay_batch` news texts (wmt22's 512: ~0.4 MB).
BATCH_INPUT_BYTES = 4_000_000
LOOKAHEAD_CHUNKS_PER_WORKER = 12
# The first batch's size (then 2, 4, ... times it, up to `replay_batch`): the writer starts on
# the first documents prepared, not after a batch of them (wmt22 with two workers: its first
# write 0.15 s sooner; the replay takes as long, the workers' first chunks, cold, being the limit).
FIRST_BATCH = 32
# The writing process is the pipeline's narrowest stage (one process decides and writes, in
# order), so the workers yield the CPU to it: on 2 cores, with the scheduler's fair shares,
# it waited for a core while workers ran ahead (wmt22 with 2 workers: 9.9 s against 10.8).
WORKER_NICENESS = 10

# replay_workers 0: one worker per core the process may use, at most AUTO_WORKERS, for a replay
# long enough to pay for starting them (a few seeds do not). Two, not one: the workers' CPU is
# ~0.85 of the writing process's own, so one worker would leave it waiting (wmt22, two cores:
# 7.2 s against 10.8 alone); beyond two the writing process is the limit.
AUTO_WORKERS = 2
AUTO_WORKERS_MIN_DOCUMENTS = 1000


def workers_for(setting: int, documents: int) -> int:
    """The worker processes a replay of `documents` runs with: `setting`, or for 0 the automatic choice."""
    if setting > 0:
        return setting
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return min(cores, AUTO_WORKERS) if cores > 1 and documents >= AUTO_WORKERS_MIN_DOCUMENTS else 1


_Entry = tuple[str, int, tuple[str, int, str]]           # origin, size, locator
# What was read of an entry: its failure, or what reading mended and the document prepared
# (fingerprinted by a worker; without workers the fingerprint waits for the batch, which
# skips it for unchanged documents).
_Read = ReadFailure | tuple[list[str], Prepared]


def _prepared(entries: Iterator[_Entry], rereader: Rereader, settings: MatchSettings,
              workers: int) -> Iterator[tuple[str, int, _Read]]:
    """The entries in their order, each read and prepared: here, or by `workers` processes, which
    read the records themselves (a corpus line parsed here, then sent, cost this process — the
    pipeline's narrowest stage — more than its file offset does)."""
    if workers <= 1:
        for chunk in _chunks(entries, PREPARE_CHUNK):
            for (origin, size, _), read in zip(chunk, _read_and_prepare_all(rereader, _jobs(chunk), settings,
                                                                            with_fingerprint=False), strict=True):
                yield origin, size, read
        return
    # fork: the workers start with the parent's modules and models loaded, and leave by
    # os._exit, so they never touch the parent's database connection. The language model is
    # loaded first, so they share its pages, and none is forked mid-load (see wait_until_loaded).
    language.wait_until_loaded()
    context = multiprocessing.get_context("fork")
    with OrderedWorkers(workers, _prepare_in_worker, context, initializer=_start_worker,
                        initargs=(rereader.max_bytes, settings)) as pool:
        pending: deque[list[_Entry]] = deque()
        for chunk in _chunks(entries, PREPARE_CHUNK):
            pool.submit(_jobs(chunk))
            pending.append(chunk)
            if len(pending) >= workers * LOOKAHEAD_CHUNKS_PER_WORKER:
                yield from _done(pending.popleft(), pool.next_answer())
        while pending:
            yield from _done(pending.popleft(), pool.next_answer())


def _jobs(chunk: list[_Entry]) -> list[tuple[tuple[str, int, str], str]]:
    return [(locator, origin) for origin, _, locator in chunk]


def _read_and_prepare_all(rereader: Rereader, jobs: list[tuple[tuple[str, int, str], str]], settings: MatchSettings,
                          *, with_fingerprint: bool = True) -> list[_Read]:
    """Each job's record read and prepared, in order; the records read are prepared together
    (`prepare_many`: their languages identified in one pass)."""
    reads = [rereader.read(locator, origin) for locator, origin in jobs]
    raws = [raw for raw in reads if not isinstance(raw, ReadFailure)]
    prepared = iter(prepare_many(raws, settings, with_fingerprint=with_fingerprint))
    return [raw if isinstance(raw, ReadFailure) else (raw.repairs, next(prepared)) for raw in reads]


# A worker's own reader, made as the worker starts: its files are opened in that process, so
# their positions are its own (a file the parent had open when it forked would share one).
_worker_rereader: Rereader | None = None
_worker_settings: MatchSettings | None = None


def _start_worker(max_bytes: int, settings: MatchSettings) -> None:
    global _worker_rereader, _worker_settings
    os.nice(WORKER_NICENESS)
    _worker_rereader, _worker_settings = Rereader(max_bytes), settings


def _prepare_in_worker(jobs: list[tuple[tuple[str, int, str], str]]) -> list[_Read]:
    assert _worker_rereader is not None and _worker_settings is not None, "workers are started by _start_worker"
    return _read_and_prepare_all(_worker_rereader, jobs, _worker_settings)


def _chunks(inputs: Iterator[_Entry], size: int) -> Iterator[list[_Entry]]:
    """`size` entries at a time, fewer where they add up to PREPARE_CHUNK_BYTES of input (a chunk
    is read and held whole)."""
    chunk: list[_Entry] = []
    held = 0
    for item in inputs:
        if chunk and held + item[1] > PREPARE_CHUNK_BYTES:
            yield chunk
            chunk, held = [], 0
        chunk.append(item)
        held += item[1]
        if len(chunk) == size:
            yield chunk
            chunk, held = [], 0
    if chunk:
        yield chunk


def _done(chunk: list[_Entry], reads: list[_Read]) -> Iterator[tuple[str, int, _Read]]:
    for (origin, size, _), read in zip(chunk, reads, strict=True):
        yield origin, size, read
