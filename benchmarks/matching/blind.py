#!/usr/bin/env python3
"""Blind copies of a dev corpus: what a held-out run sees.

The held-out corpus comes with opaque ids and no language field. Ids decide the replay order
(`replay_order = "sorted"`), and WMT ids put every version of one source document next to
each other; opaque ids interleave stories as a real stream does. So a blind copy replaces
each id with a hash of it (deterministic) and keeps only title and text; the gold copy keeps
the same hashed ids with the original fields, for score.py's per-language tables.

    python benchmarks/matching/blind.py CORPUS.jsonl OUTDIR      # OUTDIR/NAME.blind.jsonl, NAME.gold.jsonl
"""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path


def opaque_id(doc_id: str) -> str:
    return hashlib.sha256(doc_id.encode("utf-8")).hexdigest()[:16]


def blind_copy(corpus: Path, outdir: Path, keep_lang: bool = False) -> tuple[Path, Path]:
    """(the blind corpus, its gold file); `keep_lang` keeps the lang field (opaque ids only)."""
    outdir.mkdir(parents=True, exist_ok=True)
    suffix = "opaque" if keep_lang else "blind"
    blind = outdir / f"{corpus.stem}.{suffix}.jsonl"
    gold = outdir / f"{corpus.stem}.{suffix}.gold.jsonl"
    with corpus.open(encoding="utf-8") as src, blind.open("w", encoding="utf-8") as out, \
            gold.open("w", encoding="utf-8") as gold_out:
        for line in src:
            doc = json.loads(line)
            hidden = opaque_id(doc["id"])
            shown = {"id": hidden, "title": doc.get("title", ""), "text": doc["text"]}
            if keep_lang:
                shown["lang"] = doc["lang"]
            out.write(json.dumps(shown, ensure_ascii=False) + "\n")
            gold_out.write(json.dumps({**doc, "id": hidden}, ensure_ascii=False) + "\n")
    return blind, gold


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus", type=Path)
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--keep-lang", action="store_true")
    args = parser.parse_args()
    for path in blind_copy(args.corpus, args.outdir, args.keep_lang):
        print(path)


if __name__ == "__main__":
    main()
