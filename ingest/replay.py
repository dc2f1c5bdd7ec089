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

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from ingest.errors import ErrorKind, IngestError
from ingest.pipeline import UNCHANGED, Pipeline
from ingest.readers import ReadFailure, read_again, read_inputs
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


def replay(pipeline: Pipeline, paths: list[str], *, max_bytes: int, order: str = "sorted",
           on_error: Callable[[str, IngestError], None] = lambda origin, error: None,
           on_warning: Callable[[str, str], None] = lambda origin, message: None,
           on_progress: Callable[[int], None] = lambda size: None) -> ReplaySummary:
    """Ingest every document under `paths`; failures are recorded, reported to `on_error` and skipped."""
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
    for _, locator, origin, size in located:
        raw = read_again(locator, origin, max_bytes=max_bytes)
        if isinstance(raw, ReadFailure):
            fail(raw.origin, raw.error)
        else:
            try:
                summary.outcomes[pipeline.ingest(raw).label] += 1
                for repair in raw.repairs:
                    on_warning(origin, repair)
            except IngestError as exc:
                fail(origin, exc)
        on_progress(size)
    summary.seconds = time.perf_counter() - started
    return summary
