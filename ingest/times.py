"""Times as ingest reads them: ISO 8601 strings from inputs and extraction."""

from __future__ import annotations

from datetime import UTC, datetime


def epoch_seconds(value: str | None) -> float | None:
    """Seconds since the epoch of an ISO 8601 time (UTC when it names no zone), or None when it
    does not parse."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()
