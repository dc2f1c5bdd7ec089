"""The candidate index: which stored documents might be the same story as a new one.

Two MinHash LSH indexes (datasketch), one per fingerprint view. They sit behind this small
interface so the index can live elsewhere: `storage_config` is datasketch's own storage
option (`{"type": "dict"}`, the default, in memory; `{"type": "redis", "redis": {...}}` to
share one index between workers).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

from datasketch import LeanMinHash, MinHashLSH

from ingest.matching.settings import MatchSettings


class CandidateIndex(Protocol):
    """What the story index needs of a candidate index."""

    def insert(self, document_id: int, lexical: LeanMinHash, anchor_minhash: LeanMinHash | None) -> None:
        """Index a document; `anchor_minhash` None: too few anchors for the anchor view."""

    def remove(self, document_id: int) -> None: ...

    def query(self, lexical: LeanMinHash, anchor_minhash: LeanMinHash | None) -> Iterable[int]:
        """Documents either view finds similar enough to verify."""


class LshCandidates:
    """Both views in datasketch MinHashLSH indexes."""

    def __init__(self, settings: MatchSettings, storage_config: dict[str, Any] | None = None) -> None:
        config = storage_config or {"type": "dict"}
        self.lexical = MinHashLSH(threshold=settings.lexical_lsh_threshold, num_perm=settings.num_perm,
                                  storage_config=config)
        self.anchor = MinHashLSH(threshold=settings.anchor_lsh_threshold, num_perm=settings.anchor_num_perm,
                                 storage_config=config)

    def insert(self, document_id: int, lexical: LeanMinHash, anchor_minhash: LeanMinHash | None) -> None:
        self.lexical.insert(document_id, lexical, check_duplication=False)
        if anchor_minhash is not None:
            self.anchor.insert(document_id, anchor_minhash, check_duplication=False)

    def remove(self, document_id: int) -> None:
        self.lexical.remove(document_id)
        if document_id in self.anchor.keys:
            self.anchor.remove(document_id)

    def query(self, lexical: LeanMinHash, anchor_minhash: LeanMinHash | None) -> set[int]:
        found = set(self.lexical.query(lexical))
        if anchor_minhash is not None:
            found.update(self.anchor.query(anchor_minhash))
        return found
