"""Storage's one way of writing the time."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from storage.clock import iso_utc, parse_utc, utcnow


def test_now_is_written_as_utc_to_the_microsecond_and_reads_back_between_the_clock_s_readings() -> None:
    for _ in range(20_000):  # (across several seconds' first microseconds, where the second changes)
        before, written, after = datetime.now(UTC), utcnow(), datetime.now(UTC)
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", written)
        assert before <= parse_utc(written) <= after


def test_an_epoch_time_is_written_as_now_is() -> None:
    assert iso_utc(0) == "1970-01-01T00:00:00.000000Z"
    assert iso_utc(1_700_000_000.25) == "2023-11-14T22:13:20.250000Z"
