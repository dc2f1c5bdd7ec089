"""Storage's one way of writing the time."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from storage import clock
from storage.clock import iso_utc, parse_utc, utcnow


def test_now_is_written_as_utc_to_the_microsecond_and_reads_back_between_the_clock_s_readings() -> None:
    for _ in range(20_000):
        before, written, after = datetime.now(UTC), utcnow(), datetime.now(UTC)
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", written)
        assert before <= parse_utc(written) <= after


def test_an_epoch_time_is_written_as_now_is() -> None:
    assert iso_utc(0) == "1970-01-01T00:00:00.000000Z"
    assert iso_utc(1_700_000_000.25) == "2023-11-14T22:13:20.250000Z"


@pytest.mark.parametrize(("nanoseconds", "written"), [
    (1_700_000_000_999_999_999, "2023-11-14T22:13:20.999999Z"),  # (floored, as datetime.now is)
    (1_700_000_001_000_000_000, "2023-11-14T22:13:21.000000Z"),  # the next second, formatted anew
    (1_700_000_000_000_000_500, "2023-11-14T22:13:20.000000Z"),  # and the one before, again
    (-1_500_000, "1969-12-31T23:59:59.998500Z"),
])
def test_each_second_is_written_whichever_was_written_before(monkeypatch: pytest.MonkeyPatch, nanoseconds: int,
                                                             written: str) -> None:
    monkeypatch.setattr(clock.time, "time_ns", lambda: nanoseconds)
    assert utcnow() == written
