"""When to try again: Retry-After headers and exponential backoff with jitter."""

from __future__ import annotations

import random
import time
from email.utils import parsedate_to_datetime


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After value (delta-seconds or HTTP-date); None if absent or invalid."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None  # HTTP-dates are GMT; a zone-less date is not one
    current = time.time() if now is None else now
    return max(0.0, when.timestamp() - current)


def backoff_delay(attempt: int, *, base: float, cap: float, rng: random.Random | None = None) -> float:
    """Wait before retry number `attempt` (0-based): half fixed, half random, so that
    many clients hit by the same outage do not come back in lockstep ("equal jitter")."""
    ceiling = min(cap, base * (2 ** attempt))
    return float(ceiling / 2 + (rng or random).uniform(0, ceiling / 2))
