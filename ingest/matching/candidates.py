"""The candidate index: which stored documents might be the same story as a new one.

Two MinHash LSH indexes, one per fingerprint view, behind this small interface:

- `BandCandidates`, the default: the bands and rows datasketch's `MinHashLSH` chooses for the
  threshold, each band of a signature folded to one 64-bit integer, the (key, document)
  pairs held in sorted numpy arrays: 12 bytes per band and document, where datasketch's
  in-memory tables hold a Python set and a bytes object per band and document (~300 bytes).
  It finds the documents datasketch finds (a test checks; two different bands folding to one
  key, about one chance in 2^64 per pair, would only add a candidate to verify).
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


# New keys wait in a dict until this many have come, then join the sorted arrays in one merge
# (a merge copies the arrays once: ~10 ms for a window of 100,000 documents).
MERGE_AFTER_KEYS = 65_536
_FOLD_SEED = 20261201


class BandTable:
    """One LSH table: every indexed signature's band keys, and which documents hold each.

    The arrays name an insertion by its serial, not its document: a document removed and
    inserted again (a changed text) gets a new serial, so its old keys, which stay in the
    arrays until the next merge, can never answer for it."""

    def __init__(self, threshold: float, num_perm: int) -> None:
        self.bands, self.rows = lsh_bands(threshold, num_perm)  # as datasketch's MinHashLSH chooses them
        rng = np.random.default_rng(_FOLD_SEED)
        # Odd multipliers: a band's rows fold to Σ row × multiplier mod 2^64, plus a salt per band so
        # that equal rows in two different bands are different keys.
        self._multipliers = rng.integers(1, 2**63, self.rows, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
        self._salts = rng.integers(0, 2**63, self.bands, dtype=np.uint64)
        self._keys = np.empty(0, dtype=np.uint64)      # sorted
        self._serials = np.empty(0, dtype=np.int64)    # the insertion of each key
        # Keys since the last merge: for look-up, and in arrival order for the merge.
        self._recent: dict[int, int | list[int]] = {}  # key → its insertion's serial, or several
        self._pending_keys: list[int] = []
        self._pending_serials: list[int] = []
        self._document_of: dict[int, int] = {}        # serial → document, for live insertions only
        self._serial_of: dict[int, int] = {}          # document → its live serial
        self._next_serial = 0
        # A document is queried, then inserted, with the same signature: its keys, made once.
        self._last_keys: tuple[Signature, np.ndarray, list[int]] | None = None

    def keys_of(self, minhash: Signature) -> np.ndarray:
        if self._last_keys is not None and self._last_keys[0] is minhash:
            return self._last_keys[1]
        rows = minhash.hashvalues[: self.bands * self.rows].astype(np.uint64).reshape(self.bands, self.rows)
        # (integer products and sums wrap modulo 2^64; a matrix product is one pass)
        keys: np.ndarray = rows @ self._multipliers + self._salts
        self._last_keys = (minhash, keys, keys.tolist())
        return keys

    def _key_list(self, minhash: Signature) -> list[int]:
        self.keys_of(minhash)
        assert self._last_keys is not None
        return self._last_keys[2]

    def __contains__(self, document_id: int) -> bool:
        return document_id in self._serial_of

    def __len__(self) -> int:
        return len(self._serial_of)

    def insert(self, document_id: int, minhash: Signature) -> None:
        self.remove(document_id)  # a document holds one set of keys
        serial = self._next_serial
        self._next_serial += 1
        self._document_of[serial] = document_id
        self._serial_of[document_id] = serial
        keys = self._key_list(minhash)
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
        self._pending_serials.extend([serial] * self.bands)
        if len(self._pending_keys) >= MERGE_AFTER_KEYS:
            self._merge()

    def remove(self, document_id: int) -> None:
        """Forget a document: its keys stay until the next merge, but queries no longer return it."""
        serial = self._serial_of.pop(document_id, None)
        if serial is not None:
            del self._document_of[serial]

    def query(self, minhash: Signature) -> set[int]:
        keys = self.keys_of(minhash)
        serials: set[int] = set()
        if len(self._keys):
            # Where each key would go; the few that are there (~2 of 45) are then bounded above.
            low = np.searchsorted(self._keys, keys, side="left")
            there = self._keys[np.minimum(low, len(self._keys) - 1)] == keys
            if there.any():
                high = np.searchsorted(self._keys, keys[there], side="right")
                for start, end in zip(low[there].tolist(), high.tolist(), strict=True):
                    serials.update(self._serials[start:end].tolist())
        recent = self._recent
        for key in self._key_list(minhash):
            held = recent.get(key)
            if held is None:
                continue
            if isinstance(held, int):
                serials.add(held)
            else:
                serials.update(held)
        found: set[int | None] = set(map(self._document_of.get, serials))
        found.discard(None)  # a removed insertion's serial
        return cast(set[int], found)

    def _merge(self) -> None:
        """Join the recent keys to the sorted arrays, dropping the keys of removed insertions."""
        keys, serials = self._keys, self._serials
        new_keys = np.array(self._pending_keys, dtype=np.uint64)
        new_serials = np.array(self._pending_serials, dtype=np.int64)
        if len(serials) + len(new_serials) > len(self._document_of) * self.bands:  # some were removed
            live = np.fromiter(self._document_of, dtype=np.int64, count=len(self._document_of))
            kept, new_kept = np.isin(serials, live), np.isin(new_serials, live)
            keys, serials, new_keys, new_serials = keys[kept], serials[kept], new_keys[new_kept], new_serials[new_kept]
        if len(new_keys):
            order = np.argsort(new_keys, kind="stable")
            new_keys, new_serials = new_keys[order], new_serials[order]
            at = np.searchsorted(keys, new_keys, side="right")
            keys, serials = np.insert(keys, at, new_keys), np.insert(serials, at, new_serials)
        self._keys, self._serials = keys, serials
        self._recent, self._pending_keys, self._pending_serials = {}, [], []


class BandCandidates:
    """Both views in `BandTable`s: the default candidate index."""

    def __init__(self, settings: MatchSettings) -> None:
        self.lexical = BandTable(settings.lexical_lsh_threshold, settings.num_perm)
        self.anchor = BandTable(settings.anchor_lsh_threshold, settings.anchor_num_perm)

    def insert(self, document_id: int, lexical: Signature, anchor_minhash: Signature | None) -> None:
        self.lexical.insert(document_id, lexical)
        if anchor_minhash is not None:
            self.anchor.insert(document_id, anchor_minhash)

    def remove(self, document_id: int) -> None:
        self.lexical.remove(document_id)
        self.anchor.remove(document_id)

    def query(self, lexical: Signature, anchor_minhash: Signature | None) -> set[int]:
        found = self.lexical.query(lexical)
        if anchor_minhash is not None:
            found |= self.anchor.query(anchor_minhash)
        return found
