"""The one way storage writes a time: UTC, ISO 8601 with microseconds and a Z."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from functools import lru_cache


def utcnow() -> str:
    # datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"), the same clock floored to microseconds,
    # with each second formatted once: a writer stamps every row it writes.
    seconds, microseconds = divmod(time.time_ns() // 1000, 1_000_000)
    return f"{_second(seconds)}.{microseconds:06d}Z"


@lru_cache(maxsize=2)
def _second(epoch_seconds: int) -> str:
    return datetime.fromtimestamp(epoch_seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S")


def iso_utc(epoch_seconds: float) -> str:
    """An epoch time written as storage writes times."""
    return datetime.fromtimestamp(epoch_seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_utc(value: str) -> datetime:
    """A stored time back as an aware datetime."""
    return datetime.fromisoformat(value.replace("Z", "+00:00"))
