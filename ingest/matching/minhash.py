"""MinHash signatures and LSH band choice, in numpy: datasketch's numbers without datasketch.

A `Signature` holds exactly the values datasketch's `MinHash(num_perm, seed=1,
hashfunc=int)` holds after `update_batch` of the same 32-bit values (the "affine32" scheme of
datasketch 2: MurmurHash3's finalizer, then `a·h + b mod 2^32`), and `lsh_bands` chooses the
bands and rows datasketch's `MinHashLSH` chooses for a threshold. Tests check both against
datasketch. Why not datasketch itself on the hot path: importing it imports scipy (0.45 s of
a command's start), each MinHash draws its permutations anew, `update_batch` calls a Python
function per value, and a `LeanMinHash` carries ~300 bytes of object around its 512 bytes of
values. datasketch stays for the optional `LshCandidates` (its storage layer: Redis).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from ingest.runs import runs_within

SEED = 1
# MurmurHash3's 32-bit finalizer (shifts and multipliers), applied to every value first.
_FMIX32 = (np.uint32(16), np.uint32(0x85EBCA6B), np.uint32(13), np.uint32(0xC2B2AE35), np.uint32(16))
_MAX32 = np.uint32(0xFFFFFFFF)
# Values permuted per numpy pass: bounds the temporary matrix (permutations × values) to 4 MB.
_VALUES_PER_PASS = 8192


class Signature:
    """A document's MinHash values (uint32), frozen: compared, stored, indexed."""

    __slots__ = ("hashvalues",)

    def __init__(self, hashvalues: np.ndarray) -> None:
        self.hashvalues = hashvalues

    def __len__(self) -> int:
        return len(self.hashvalues)

    def jaccard(self, other: Signature) -> float:
        """The share of equal values: the estimate of the two sets' Jaccard similarity."""
        return int(np.count_nonzero(self.hashvalues == other.hashvalues)) / len(self.hashvalues)

    def __reduce__(self) -> tuple[object, tuple[bytes]]:
        # Sent between processes as its bytes: a third cheaper to unpickle than a numpy array.
        return Signature.from_bytes, (self.to_bytes(),)

    def to_bytes(self) -> bytes:
        return self.hashvalues.astype(np.uint32).tobytes()

    @classmethod
    def from_bytes(cls, data: bytes) -> Signature:
        return cls(np.frombuffer(data, dtype=np.uint32))


@lru_cache(maxsize=4)
def permutations(num_perm: int) -> tuple[np.ndarray, np.ndarray]:
    """datasketch's affine32 permutations for seed 1: odd multipliers a, offsets b."""
    generator = np.random.RandomState(SEED)
    a = generator.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = generator.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    return a, b


def minhash(values: np.ndarray | list[int], num_perm: int) -> Signature:
    """The signature of a set of 32-bit hash values (duplicates do not matter)."""
    return minhash_many([values], num_perm)[0]


def minhash_many(value_sets: Sequence[np.ndarray | list[int]], num_perm: int) -> list[Signature]:
    """`minhash` of each of `value_sets`: the same signatures, the short sets of consecutive
    documents permuted in one numpy pass (a news text's few hundred values, or a handful of
    anchors, cost less than the pass's own calls)."""
    a, b = permutations(num_perm)
    arrays = [np.asarray(values, dtype=np.uint32) for values in value_sets]
    lengths = [len(values) for values in arrays]
    hashes = np.concatenate(arrays) if arrays else np.empty(0, dtype=np.uint32)
    s1, m1, s2, m2, s3 = _FMIX32
    hashes = hashes ^ (hashes >> s1)
    hashes *= m1
    hashes ^= hashes >> s2
    hashes *= m2
    hashes ^= hashes >> s3
    minimums = np.full((len(arrays), num_perm), _MAX32, dtype=np.uint32)  # (an empty set keeps these)
    starts = np.cumsum([0, *lengths]).tolist()  # where each set's values start in `hashes`
    for run in runs_within(lengths, _VALUES_PER_PASS):
        _group_minimums(hashes[starts[run.start]:starts[run.stop]], lengths[run.start:run.stop], a, b,
                        minimums[run.start:run.stop])
    return [Signature(row.copy()) for row in minimums]  # (each its own: a view would keep all the rows)


def _group_minimums(hashes: np.ndarray, lengths: list[int], a: np.ndarray, b: np.ndarray, out: np.ndarray) -> None:
    """Each set's minimum per permutation into `out` (one row per set): the sets' values are
    consecutive runs of `hashes`; one set larger than a pass is taken a pass at a time."""
    if len(lengths) == 1:
        for start in range(0, len(hashes), _VALUES_PER_PASS):
            # One row per permutation, so each row's minimum runs over contiguous memory; the
            # products wrap modulo 2^32, as datasketch's do.
            block = a[:, None] * hashes[None, start: start + _VALUES_PER_PASS]
            block += b[:, None]  # (in place: a second array this large is fresh pages from the kernel)
            np.minimum(out[0], block.min(axis=1), out=out[0])
        return
    filled = [i for i, length in enumerate(lengths) if length]
    if not filled:
        return
    block = a[:, None] * hashes[None, :]
    block += b[:, None]
    starts = np.cumsum([0, *lengths[:-1]])[filled]
    out[filled] = np.minimum.reduceat(block, starts, axis=1).T


@lru_cache(maxsize=16)
def lsh_bands(threshold: float, num_perm: int) -> tuple[int, int]:
    """(bands, rows) minimising the false-positive plus false-negative probability mass at
    `threshold`, as datasketch's `MinHashLSH(threshold, num_perm)` chooses them (equal weights):
    the same integrals, by Gauss-Legendre quadrature over every (b, r) at once."""
    # n Gauss-Legendre nodes integrate polynomials up to degree 2n - 1 exactly; these have degree b·r ≤ num_perm.
    nodes, weights = np.polynomial.legendre.leggauss(num_perm // 2 + 1)
    below = (nodes + 1) * threshold / 2            # nodes on [0, threshold]
    above = threshold + (nodes + 1) * (1 - threshold) / 2
    best, choice = float("inf"), (0, 0)
    for b in range(1, num_perm + 1):
        r = np.arange(1, num_perm // b + 1, dtype=np.float64)[:, None]
        false_positive = (1 - (1 - below ** r) ** b) @ weights * threshold / 2
        false_negative = (1 - (1 - (1 - above ** r) ** b)) @ weights * (1 - threshold) / 2
        error = false_positive * 0.5 + false_negative * 0.5
        at = int(np.argmin(error))
        if error[at] < best:
            best, choice = float(error[at]), (b, at + 1)
    return choice
