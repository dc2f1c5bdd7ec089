"""The default candidate index finds exactly the documents datasketch's MinHashLSH finds."""

from __future__ import annotations

import random

import numpy as np
import pytest

from ingest.matching import MatchSettings
from ingest.matching import candidates as candidates_module
from ingest.matching.candidates import BandCandidates, LshCandidates
from ingest.matching.minhash import minhash


def _signatures(count: int, seed: int) -> list[tuple[object, object]]:
    """Overlapping random sets, so that many pairs share bands and many do not."""
    rng = random.Random(seed)
    pools = [[rng.getrandbits(32) for _ in range(400)] for _ in range(count // 10 + 1)]
    made = []
    for i in range(count):
        pool = pools[i % len(pools)]
        lexical = rng.sample(pool, rng.randint(20, 300)) + [rng.getrandbits(32) for _ in range(rng.randint(0, 200))]
        anchors = rng.sample(pool[:60], rng.randint(3, 30))
        made.append((minhash(lexical, 128), minhash(anchors, 128)))
    return made


@pytest.mark.parametrize("merge_after", [50, 100_000])
def test_band_index_finds_what_datasketch_finds(monkeypatch: pytest.MonkeyPatch, merge_after: int) -> None:
    monkeypatch.setattr(candidates_module, "MERGE_AFTER_KEYS", merge_after)
    settings = MatchSettings()
    ours, theirs = BandCandidates(settings), LshCandidates(settings)
    signatures = _signatures(400, seed=merge_after)
    rng = random.Random(1)
    for document_id, (lexical, anchor) in enumerate(signatures):
        anchor_view = anchor if document_id % 7 else None  # some documents have too few anchors
        assert ours.query(lexical, anchor_view) == theirs.query(lexical, anchor_view)
        ours.insert(document_id, lexical, anchor_view)
        theirs.insert(document_id, lexical, anchor_view)
        if document_id > 20 and rng.random() < 0.2:
            gone = rng.randrange(document_id)
            if gone in theirs.lexical.keys:
                ours.remove(gone)
                theirs.remove(gone)
        if document_id > 20 and rng.random() < 0.05:
            # A changed document: removed, then indexed again under the same id with a new text.
            changed = rng.randrange(document_id)
            if changed in theirs.lexical.keys:
                ours.remove(changed)
                theirs.remove(changed)
                new_lexical, new_anchor = signatures[rng.randrange(len(signatures))]
                ours.insert(changed, new_lexical, new_anchor)
                theirs.insert(changed, new_lexical, new_anchor)
    found = 0
    for lexical, anchor in signatures:
        expected = theirs.query(lexical, anchor)
        assert ours.query(lexical, anchor) == expected
        found += len(expected)
    assert found > 2 * len(signatures)  # the sets overlap: candidates are found, not only the empty set


@pytest.mark.parametrize("keys, documents", [(40, 60), (3, 400)])  # (few keys: runs longer than a block)
def test_the_band_table_answers_as_a_plain_map_of_keys(monkeypatch: pytest.MonkeyPatch, keys: int,
                                                       documents: int) -> None:
    """Inserts, removals, re-inserts and queries, with merges every few keys, against a dict of
    sets; keys include 0 and the padding value."""
    candidates = candidates_module
    monkeypatch.setattr(candidates, "MERGE_AFTER_KEYS", 7)
    rng = random.Random(5)
    pool = [0, 1, 2**64 - 1, 2**64 - 2, *(rng.getrandbits(64) for _ in range(keys))]
    table, held = candidates.BandTable(), dict[int, set[int]]()
    for _ in range(3000):
        document = rng.randrange(documents)
        if rng.random() < 0.25:
            table.remove(document)
            held.pop(document, None)
        elif rng.random() < 0.6:
            keys = rng.sample(pool, rng.randint(1, 6))
            table.insert(document, keys)
            held[document] = set(keys)
        else:
            keys = rng.sample(pool, rng.randint(1, 6))
            expected = {d for d, ks in held.items() if ks & set(keys)}
            assert table.query(np.array(keys, dtype=np.uint64), keys) == expected
