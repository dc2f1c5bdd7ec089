"""Matching: which story does a new document belong to?

- `fingerprint.py` — two MinHash views of a document (character n-grams; language-neutral anchors);
- `minhash.py` — MinHash signatures and LSH band choice in numpy, with datasketch's numbers;
- `months.py` — month names and numeric dates as anchors, in many languages;
- `wordlists.py` — wordfreq's Zipf frequencies from compact hashed lists (the same values);
- `candidates.py` — the candidate index (LSH in sorted arrays; datasketch's with Redis) behind a small interface;
- `links.py` — the rules that verify a candidate into a link;
- `index.py` — the live window of documents and the story decision;
- `settings.py` — every threshold, named, with its default.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the same names, typed, for mypy and editors
    from ingest.matching.fingerprint import Fingerprint, minhash_from_bytes, signature_bytes
    from ingest.matching.index import Decision, StoryIndex, change_kind
    from ingest.matching.links import Link, Rule
    from ingest.matching.settings import MatchSettings

# Names are imported on first use: `newsdedup --help` or the settings should not pay for
# heavy dependencies (numpy, wordfreq, the language model) of code they never run. (The function
# `fingerprint` is imported from its module: the package attribute of that name is the module.)
_WHERE = {
    "Decision": "ingest.matching.index",
    "Fingerprint": "ingest.matching.fingerprint",
    "Link": "ingest.matching.links",
    "MatchSettings": "ingest.matching.settings",
    "Rule": "ingest.matching.links",
    "StoryIndex": "ingest.matching.index",
    "change_kind": "ingest.matching.index",
    "minhash_from_bytes": "ingest.matching.fingerprint",
    "signature_bytes": "ingest.matching.fingerprint",
}

__all__ = [
    "Decision",
    "Fingerprint",
    "Link",
    "MatchSettings",
    "Rule",
    "StoryIndex",
    "change_kind",
    "minhash_from_bytes",
    "signature_bytes",
]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_WHERE[name]), name)
