"""The one way storage writes a time: UTC, ISO 8601 with microseconds and a Z."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def iso_utc(epoch_seconds: float) -> str:
    """An epoch time written as storage writes times."""
    return datetime.fromtimestamp(epoch_seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_utc(value: str) -> datetime:
    """A stored time back as an aware datetime."""
    return datetime.fromisoformat(value.replace("Z", "+00:00"))
