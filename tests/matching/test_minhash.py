"""newsdedup's numpy MinHash and band choice give datasketch's numbers: stored signatures stay
comparable with datasketch's MinHash of the same values, and the LSH finds what its would."""

from __future__ import annotations

import numpy as np
import pytest
from datasketch import LeanMinHash, MinHash
from datasketch.lsh import _optimal_param

from ingest.matching.minhash import Signature, lsh_bands, minhash, minhash_many


@pytest.mark.parametrize("count", [0, 1, 7, 3000, 20_000])
@pytest.mark.parametrize("num_perm", [64, 128])
def test_signature_values_are_datasketchs(count: int, num_perm: int) -> None:
    values = np.random.default_rng(count).integers(0, 2**32, count, dtype=np.uint64)
    reference = MinHash(num_perm=num_perm, hashfunc=int)
    if count:
        reference.update_batch(values.tolist())
    ours = minhash(values.astype(np.uint32), num_perm)
    assert ours.hashvalues.dtype == reference.hashvalues.dtype
    assert (ours.hashvalues == reference.hashvalues).all()


@pytest.mark.parametrize("num_perm", [64, 128])
def test_sets_hashed_together_get_datasketchs_values_each(num_perm: int) -> None:
    rng = np.random.default_rng(num_perm)
    # Empty sets, single values, and sets either side of one numpy pass, in every order.
    sizes = rng.permutation([0, 0, 1, 2, 5, 40, 300, 900, 4000, 8191, 8192, 8193, 20_000] * 3)
    sets = [rng.integers(0, 2**32, int(size), dtype=np.uint64) for size in sizes]
    together = minhash_many([values.astype(np.uint32) for values in sets], num_perm)
    for values, ours in zip(sets, together, strict=True):
        reference = MinHash(num_perm=num_perm, hashfunc=int)
        if len(values):
            reference.update_batch(values.tolist())
        assert (ours.hashvalues == reference.hashvalues).all()
    assert minhash_many([], num_perm) == []


def test_jaccard_and_bytes_are_datasketchs() -> None:
    rng = np.random.default_rng(3)
    shared = rng.integers(0, 2**32, 500, dtype=np.uint64)
    a = np.concatenate([shared, rng.integers(0, 2**32, 300, dtype=np.uint64)])
    b = np.concatenate([shared, rng.integers(0, 2**32, 200, dtype=np.uint64)])
    ours_a, ours_b = minhash(a.astype(np.uint32), 128), minhash(b.astype(np.uint32), 128)
    theirs_a = LeanMinHash(seed=1, hashvalues=ours_a.hashvalues, scheme="affine32")
    theirs_b = LeanMinHash(seed=1, hashvalues=ours_b.hashvalues, scheme="affine32")
    assert ours_a.jaccard(ours_b) == float(theirs_a.jaccard(theirs_b))
    assert 0.3 < ours_a.jaccard(ours_b) < 0.8
    assert (Signature.from_bytes(ours_a.to_bytes()).hashvalues == ours_a.hashvalues).all()


@pytest.mark.parametrize("num_perm", [32, 64, 128, 256])
def test_bands_are_the_ones_datasketch_chooses(num_perm: int) -> None:
    for threshold in (0.05, 0.1, 0.15, 0.25, 0.3, 0.5, 0.7, 0.9):
        assert lsh_bands(threshold, num_perm) == _optimal_param(threshold, num_perm, 0.5, 0.5), threshold
