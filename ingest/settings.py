"""The ingest sections: reading saved inputs, and the crawler's schedule."""

from __future__ import annotations

from dataclasses import dataclass

from storage.sections import NOT_NEGATIVE, POSITIVE, Check, Section, one_of, setting

# Larger files, records and response bodies are reported and skipped (also the fetcher's body cap).
DOCUMENT_BYTES_LIMIT = 10_000_000


@dataclass(frozen=True)
class ReadSettings(Section):
    NAME = "reading"

    max_document_bytes: int = setting(DOCUMENT_BYTES_LIMIT, "larger files or records are reported and skipped",
                                      check=POSITIVE)
    replay_order: str = setting(
        "sorted", '"sorted": by published time, then id (the same stories however a corpus is shuffled); '
                  '"input": as the files list them', check=one_of("sorted", "input"))
    replay_workers: int = setting(
        0, "processes that extract and fingerprint ahead while one decides and writes (same stories; "
           "1: none; 0: one per core, at most 2, for a replay of 1,000 documents or more; each adds "
           "~60 MB, the language model's tables are shared)", check=NOT_NEGATIVE)
    replay_batch: int = setting(
        512, "documents a replay writes per transaction (the same stories; a commit costs more than a short "
            "document's write; other writers wait for at most one batch; a crash redoes at most one)",
        check=POSITIVE)


_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def durations(value: str | tuple[str, ...]) -> tuple[float, ...]:
    """Seconds of each duration in "1h 6h 1d 3d" (units s, m, h, d; a bare number is seconds)."""
    words = value.replace(",", " ").split() if isinstance(value, str) else [w.strip() for w in value]
    seconds = []
    for word in words:
        unit = word[-1:].lower()
        number = word[:-1] if unit in _UNITS else word
        seconds.append(float(number) * _UNITS.get(unit, 1))
    return tuple(seconds)


def _valid_durations(value: object) -> bool:
    try:
        return isinstance(value, str | tuple) and all(s > 0 for s in durations(value))
    except ValueError:
        return False


DURATIONS = Check('must be durations such as "1h 6h 1d 3d"', _valid_durations)


@dataclass(frozen=True)
class CrawlSettings(Section):
    NAME = "crawl"

    default_interval: int = setting(900, "seconds between two runs of a source, unless set per source",
                                    check=POSITIVE)
    min_source_interval: int = setting(30, "the shortest interval a source may be given (sources add --interval)",
                                       check=POSITIVE)
    max_articles_per_run: int = setting(200, "articles one run of one source fetches at most", check=POSITIVE)
    adaptive_intervals: bool = setting(
        True, "poll busy sources more often, quiet ones less: a run that stored new documents halves the "
              "source's interval, a run that found nothing new doubles it ...")
    min_interval: int = setting(300, "... never below this (or the source's own interval, if lower)",
                                check=POSITIVE)
    max_interval: int = setting(6 * 3600, "... nor above this (or the source's own interval, if higher)",
                                check=POSITIVE)
    source_run_budget: float = setting(
        120.0, "seconds one run of one source may take; articles that do not fit wait for the next run",
        check=POSITIVE)
    revisit_schedule: str = setting(
        "1h 6h 1d 3d", "after it was first stored, an article is re-checked (a conditional GET) this long after; "
                       "then only when its listing changes", check=DURATIONS)
    retry_after: float = setting(600.0, "an article that failed transiently is tried again after this long, "
                                        "doubling each time ...", check=POSITIVE)
    retry_max_delay: float = setting(6 * 3600.0, "... up to this delay ...", check=POSITIVE)
    retry_attempts: int = setting(5, "... and given up after this many failed runs in a row", check=POSITIVE)
    pause_failing_source_after: float = setting(
        3 * 86400.0, "a source whose listing has failed for this long is paused, with its reason, until "
                     "`newsdedup sources resume` (0: never)", check=NOT_NEGATIVE)
    max_child_sitemaps: int = setting(5, "sitemaps of a sitemap index one run reads (indexes can list "
                                         "thousands)", check=POSITIVE)
