"""The candidate index: which stored documents might be the same story as a new one.

MinHash LSH over both fingerprint views, behind this small interface:

- `BandCandidates`, the default: for each view the bands and rows datasketch's `MinHashLSH`
  chooses for its threshold, each band of a signature folded to one 64-bit integer, both
  views' (key, document) pairs held in one pair of sorted numpy arrays: 12 bytes per band and
  document, where datasketch's in-memory tables hold a Python set and a bytes object per band
  and document (~300 bytes). It finds the documents datasketch finds (a test checks; two
  different bands folding to one key, about one chance in 2^64 per pair, would only add a
  candidate to verify).
- `LshCandidates`: datasketch's `MinHashLSH` itself, with its storage layer (`storage_config`:
  `{"type": "dict"}` in memory, `{"type": "redis", "redis": {...}}` for an index in Redis, with a
  `"basename"` for one index shared by several processes).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol, cast

import numpy as np

from ingest.matching.minhash import Signature, lsh_bands
from ingest.matching.settings import MatchSettings


class CandidateIndex(Protocol):
    """What the story index needs of a candidate index."""

    def insert(self, document_id: int, lexical: Signature, anchor_minhash: Signature | None) -> None:
        """Index a document; `anchor_minhash` None: too few anchors for the anchor view."""

    def remove(self, document_id: int) -> None: ...

    def query(self, lexical: Signature, anchor_minhash: Signature | None) -> Iterable[int]:
        """Documents either view finds similar enough to verify."""


class LshCandidates:
    """Both views in datasketch MinHashLSH indexes."""

    def __init__(self, settings: MatchSettings, storage_config: dict[str, Any] | None = None) -> None:
        from datasketch import MinHashLSH  # only here: it imports scipy

        config = storage_config or {"type": "dict"}
        self.lexical = MinHashLSH(threshold=settings.lexical_lsh_threshold, num_perm=settings.num_perm,
                                  storage_config=_view_config(config, b"_lexical"))
        self.anchor = MinHashLSH(threshold=settings.anchor_lsh_threshold, num_perm=settings.anchor_num_perm,
                                 storage_config=_view_config(config, b"_anchor"))

    def insert(self, document_id: int, lexical: Signature, anchor_minhash: Signature | None) -> None:
        self.lexical.insert(document_id, _lean(lexical), check_duplication=False)
        if anchor_minhash is not None:
            self.anchor.insert(document_id, _lean(anchor_minhash), check_duplication=False)

    def remove(self, document_id: int) -> None:
        self.lexical.remove(document_id)
        # `in self.anchor`, not `in self.anchor.keys`: in Redis the stored keys are pickled.
        if document_id in self.anchor:
            self.anchor.remove(document_id)

    def query(self, lexical: Signature, anchor_minhash: Signature | None) -> set[int]:
        found = set(self.lexical.query(_lean(lexical)))
        if anchor_minhash is not None:
            found.update(self.anchor.query(_lean(anchor_minhash)))
        return found


def _view_config(config: dict[str, Any], view: bytes) -> dict[str, Any]:
    """One view's storage config. datasketch names a store's keys from `basename` (random when
    absent; workers sharing one Redis index must give it): each view needs its own, or both
    views' band tables would be the same Redis keys."""
    if "basename" not in config:
        return config
    return {**config, "basename": config["basename"] + view}


def _lean(signature: Signature) -> Any:
    """The signature as datasketch's own type (its values are datasketch's affine32 MinHash's)."""
    from datasketch import LeanMinHash

    return LeanMinHash(seed=1, hashvalues=signature.hashvalues, scheme="affine32")


# New keys wait in a dict until this many have come (or a 32nd of the keys already merged, if
# more), then join the sorted arrays in one merge. A merge copies the arrays into new memory:
# on this 2-core VM ~50 ms for wmt22's 1.2 million keys, ~400 ms for 9 million (a window of
# 100,000 documents, up to 93 keys each), mostly the kernel's fresh pages; growing the wait with the
# arrays keeps each key's share of the copies bounded, the dict at most ~3% of the keys.
MERGE_AFTER_KEYS = 65_536
MERGE_AFTER_SHARE = 32
_FOLD_SEED = 20261201
# The sorted keys are searched a block at a time: first among every block's first key (a small
# array, in cache), then by comparing with the whole block found, whose keys lie side by side.
# A binary search of the whole array reads ~20 places far apart per key (~93 keys per query).
_BLOCK = 64
_PAD = np.uint64(2**64 - 1)  # fills the last block; its serial, -1, is no insertion's


class BandFold:
    """One view's LSH bands, each folded to a 64-bit key: the bands and rows datasketch's
    `MinHashLSH` chooses for the threshold."""

    def __init__(self, threshold: float, num_perm: int, seed: int) -> None:
        self.bands, self.rows = lsh_bands(threshold, num_perm)
        rng = np.random.default_rng(seed)
        # Odd multipliers: a band's rows fold to Σ row × multiplier mod 2^64, plus a salt per band so
        # that equal rows in two different bands are different keys.
        self._multipliers = rng.integers(1, 2**63, self.rows, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
        self._salts = rng.integers(0, 2**63, self.bands, dtype=np.uint64)

    def keys(self, minhash: Signature) -> np.ndarray:
        rows = minhash.hashvalues[: self.bands * self.rows].astype(np.uint64).reshape(self.bands, self.rows)
        # (integer products and sums wrap modulo 2^64; a matrix product is one pass)
        keys: np.ndarray = rows @ self._multipliers + self._salts
        return keys


class BandTable:
    """The LSH tables: every indexed document's band keys, and which documents hold each.

    Both views' keys share one table (a document is found by any of its keys; two folds' keys
    meet by chance about once in 2^64, which would only add a candidate to verify): one search
    per query instead of one per view.

    The arrays name an insertion by its serial, not its document: a document removed and
    inserted again (a changed text) gets a new serial, so its old keys, which stay in the
    arrays until the next merge, can never answer for it."""

    def __init__(self) -> None:
        self._keys = np.empty(0, dtype=np.uint64)      # sorted, padded to whole blocks
        self._serials = np.empty(0, dtype=np.int64)    # the insertion of each key
        self._stored = 0                               # keys in the arrays, padding left out
        self._firsts = np.empty(0, dtype=np.uint64)    # each block's first key
        # Keys since the last merge: for look-up, and in arrival order for the merge.
        self._recent: dict[int, int | list[int]] = {}  # key → its insertion's serial, or several
        self._pending_keys: list[int] = []
        self._pending_serials: list[int] = []
        self._document_of: dict[int, int] = {}        # serial → document, for live insertions only
        self._serial_of: dict[int, tuple[int, int]] = {}  # document → its live serial, and its keys' count
        self._removed_keys = 0                         # keys of removed insertions still in the arrays
        self._next_serial = 0

    def __contains__(self, document_id: int) -> bool:
        return document_id in self._serial_of

    def __len__(self) -> int:
        return len(self._serial_of)

    def insert(self, document_id: int, keys: list[int]) -> None:
        self.remove(document_id)  # a document holds one set of keys
        serial = self._next_serial
        self._next_serial += 1
        self._document_of[serial] = document_id
        self._serial_of[document_id] = (serial, len(keys))
        recent = self._recent
        for key in keys:
            held = recent.get(key)
            if held is None:
                recent[key] = serial  # most keys are one insertion's: a list only for a second
            elif isinstance(held, int):
                recent[key] = [held, serial]
            else:
                held.append(serial)
        self._pending_keys.extend(keys)
        self._pending_serials.extend([serial] * len(keys))
        if len(self._pending_keys) >= max(MERGE_AFTER_KEYS, self._stored // MERGE_AFTER_SHARE):
            self._merge()

    def remove(self, document_id: int) -> None:
        """Forget a document: its keys stay until the next merge, but queries no longer return it."""
        live = self._serial_of.pop(document_id, None)
        if live is not None:
            del self._document_of[live[0]]
            self._removed_keys += live[1]

    def query(self, keys: np.ndarray, key_list: list[int]) -> set[int]:
        """The documents holding any of `keys` (`key_list`: the same, as Python ints)."""
        serials: set[int] = set()
        if self._stored:
            # The block each key would be in, and whether it is there; the few that are (~2 in
            # 45) are then found exactly, with every insertion that holds them.
            # (The arrays' own methods and the ufuncs' reduce: numpy's functions of the same
            # names add a Python call each, a tenth of a query's time.)
            block = self._firsts.searchsorted(keys, side="right")
            block -= 1
            np.maximum(block, 0, out=block)
            there = np.logical_or.reduce(self._keys.reshape(-1, _BLOCK)[block] == keys[:, None], axis=1)
            if np.logical_or.reduce(there):
                held = keys[there]
                low = self._keys.searchsorted(held, side="left")
                high = self._keys.searchsorted(held, side="right")
                for start, end in zip(low.tolist(), high.tolist(), strict=True):
                    serials.update(self._serials[start:end].tolist())
        recent = self._recent
        for key in key_list:
            holders = recent.get(key)
            if holders is None:
                continue
            if isinstance(holders, int):
                serials.add(holders)
            else:
                serials.update(holders)
        found: set[int | None] = set(map(self._document_of.get, serials))
        found.discard(None)  # a removed insertion's serial
        return cast(set[int], found)

    def _merge(self) -> None:
        """Join the recent keys to the sorted arrays, dropping the keys of removed insertions."""
        keys, serials = self._keys[:self._stored], self._serials[:self._stored]
        new_keys = np.array(self._pending_keys, dtype=np.uint64)
        new_serials = np.array(self._pending_serials, dtype=np.int64)
        if self._removed_keys:
            live = np.fromiter(self._document_of, dtype=np.int64, count=len(self._document_of))
            kept, new_kept = np.isin(serials, live), np.isin(new_serials, live)
            keys, serials, new_keys, new_serials = keys[kept], serials[kept], new_keys[new_kept], new_serials[new_kept]
            self._removed_keys = 0
        order = np.argsort(new_keys, kind="stable")
        new_keys, new_serials = new_keys[order], new_serials[order]
        # Where each new key lands among the old ones (after equal ones: arrival order), written
        # straight into arrays of whole blocks: one copy of the index, as np.insert would make.
        total = len(keys) + len(new_keys)
        landing = np.searchsorted(keys, new_keys, side="right") + np.arange(len(new_keys))
        is_new = np.zeros(total, dtype=bool)
        is_new[landing] = True
        merged_keys = np.full(total + (-total % _BLOCK), _PAD, dtype=np.uint64)
        merged_serials = np.full(len(merged_keys), -1, dtype=np.int64)
        merged_keys[landing], merged_serials[landing] = new_keys, new_serials
        old = ~is_new
        merged_keys[:total][old], merged_serials[:total][old] = keys, serials
        self._keys, self._serials, self._stored = merged_keys, merged_serials, total
        self._firsts = merged_keys[::_BLOCK].copy()
        self._recent, self._pending_keys, self._pending_serials = {}, [], []


class BandCandidates:
    """Both views folded into one `BandTable`: the default candidate index."""

    def __init__(self, settings: MatchSettings) -> None:
        self.lexical = BandFold(settings.lexical_lsh_threshold, settings.num_perm, _FOLD_SEED)
        self.anchor = BandFold(settings.anchor_lsh_threshold, settings.anchor_num_perm, _FOLD_SEED + 1)
        self.table = BandTable()
        # A document is queried, then inserted, with the same signatures: its keys, made once.
        self._last: tuple[Signature, Signature | None, np.ndarray, list[int]] | None = None

    def _keys(self, lexical: Signature, anchor_minhash: Signature | None) -> tuple[np.ndarray, list[int]]:
        last = self._last
        if last is not None and last[0] is lexical and last[1] is anchor_minhash:
            return last[2], last[3]
        keys = self.lexical.keys(lexical)
        if anchor_minhash is not None:
            keys = np.concatenate((keys, self.anchor.keys(anchor_minhash)))
        self._last = (lexical, anchor_minhash, keys, keys.tolist())
        return self._last[2], self._last[3]

    def insert(self, document_id: int, lexical: Signature, anchor_minhash: Signature | None) -> None:
        self.table.insert(document_id, self._keys(lexical, anchor_minhash)[1])

    def remove(self, document_id: int) -> None:
        self.table.remove(document_id)

    def query(self, lexical: Signature, anchor_minhash: Signature | None) -> set[int]:
        return self.table.query(*self._keys(lexical, anchor_minhash))
