"""Consecutive items grouped under a size budget: what the batched numpy steps take at once."""

from __future__ import annotations

from collections.abc import Iterator, Sequence


def runs_within(sizes: Sequence[int], budget: int) -> Iterator[range]:
    """Ranges of consecutive indices of `sizes`, in order, each adding up to at most `budget`
    (an item larger than the budget alone)."""
    start, total = 0, 0
    for i, size in enumerate(sizes):
        if i > start and total + size > budget:
            yield range(start, i)
            start, total = i, 0
        total += size
    if start < len(sizes):
        yield range(start, len(sizes))
