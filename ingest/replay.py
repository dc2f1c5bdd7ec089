"""Replay: saved files through the whole pipeline, as if they had been fetched."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from ingest.errors import IngestError
from ingest.pipeline import CHANGED, CREATED, TRANSLATION, UNCHANGED, VERSION, Pipeline
from ingest.readers import ReadFailure, read_inputs


@dataclass
class ReplaySummary:
    outcomes: Counter[str] = field(default_factory=Counter)
    errors: int = 0
    seconds: float = 0.0

    def line(self) -> str:
        o = self.outcomes
        documents = sum(o[k] for k in (CREATED, VERSION, TRANSLATION, CHANGED, UNCHANGED))
        return (f"{documents} documents: {o[CREATED]} new stories, {o[VERSION] + o[TRANSLATION]} new versions "
                f"({o[TRANSLATION]} translations), {o[CHANGED]} changed, {o[UNCHANGED]} skipped "
                f"(already stored), {self.errors} errors in {self.seconds:.1f}s")


def replay(pipeline: Pipeline, paths: list[str], *, max_bytes: int,
           on_error: Callable[[str, IngestError], None] = lambda origin, error: None,
           on_progress: Callable[[int], None] = lambda size: None) -> ReplaySummary:
    """Ingest every document under `paths`; failures are recorded, reported to `on_error` and skipped."""
    import time

    summary = ReplaySummary()
    started = time.perf_counter()
    for item in read_inputs(paths, max_bytes=max_bytes):
        if isinstance(item, ReadFailure):
            failure: tuple[str, IngestError] | None = (item.origin, item.error)
        else:
            try:
                summary.outcomes[pipeline.ingest(item).kind] += 1
                failure = None
            except IngestError as exc:
                failure = (item.origin, exc)
        if failure:
            summary.errors += 1
            pipeline.record_failure(*failure)
            on_error(*failure)
        on_progress(item.size)
    summary.seconds = time.perf_counter() - started
    return summary
