"""Matching: which story does a new document belong to?

- `fingerprint.py` — two MinHash views of a document (character n-grams; language-neutral anchors);
- `months.py` — month names and numeric dates as anchors, in many languages;
- `candidates.py` — the candidate index (LSH) behind a small interface;
- `links.py` — the rules that verify a candidate into a link;
- `index.py` — the live window of documents and the story decision;
- `settings.py` — every threshold, named, with its default.
"""

from ingest.matching.fingerprint import Fingerprint, fingerprint, minhash_from_bytes, signature_bytes
from ingest.matching.index import Decision, StoryIndex, change_kind
from ingest.matching.links import Link, Rule
from ingest.matching.settings import MatchSettings

__all__ = ["Decision", "Fingerprint", "Link", "MatchSettings", "Rule", "StoryIndex", "change_kind", "fingerprint",
           "minhash_from_bytes", "signature_bytes"]
