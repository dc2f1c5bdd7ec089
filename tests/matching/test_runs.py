"""Consecutive items under a size budget (`ingest.runs`), as the batched numpy steps take them."""

from __future__ import annotations

import random

from ingest.runs import runs_within


def test_runs_cover_every_item_in_order_each_within_the_budget() -> None:
    rng = random.Random(2)
    for _ in range(500):
        sizes = [rng.choice([0, 1, 5, 40, 99, 100, 101, 250]) for _ in range(rng.randint(0, 30))]
        runs = list(runs_within(sizes, 100))
        assert [i for run in runs for i in run] == list(range(len(sizes)))
        for run in runs:
            total = sum(sizes[i] for i in run)
            assert total <= 100 or len(run) == 1  # a larger item alone
        for run, following in zip(runs, runs[1:], strict=False):  # and none could have taken the next item
            assert sum(sizes[i] for i in run) + sizes[following.start] > 100
    assert list(runs_within([], 10)) == []
