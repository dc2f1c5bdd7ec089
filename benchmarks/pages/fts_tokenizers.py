"""Which FTS5 tokenizer for search: trigram (every script alike) or unicode61 (words)?

    .venv/bin/python benchmarks/pages/fts_tokenizers.py [CORPUS.jsonl]

Indexes the titles and texts of a corpus (default: the shared WMT22 multilingual set) with
each tokenizer, in memory, and prints build time, index size, the time of a few queries and
how many documents each finds — including Chinese and Japanese queries, which unicode61 can only
match as whole runs of characters between punctuation.
"""

from __future__ import annotations

import json
import sqlite3
import sys
import time
from pathlib import Path

DEFAULT = Path(__file__).resolve().parents[3] / "shared" / "bench" / "dedup" / "wmt22.jsonl"
QUERIES = ["European Commission", "Ukraine", "президент", "Regierung", "送料無料", "購入", "空手", "对不起", "中国"]


def main() -> int:
    corpus = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT
    rows = []
    for line in corpus.open(encoding="utf-8"):
        record = json.loads(line)
        rows.append((str(record.get("title") or ""), str(record.get("text") or "")))
    print(f"{corpus.name}: {len(rows)} documents, {sum(len(t) + len(x) for t, x in rows) / 1e6:.1f} M characters")
    for tokenizer in ("trigram", "unicode61"):
        db = sqlite3.connect(":memory:")
        db.execute(f"CREATE VIRTUAL TABLE f USING fts5(title, text, tokenize='{tokenizer}')")
        started = time.perf_counter()
        db.executemany("INSERT INTO f (title, text) VALUES (?, ?)", rows)
        db.commit()
        build = time.perf_counter() - started
        pages = db.execute("SELECT sum(pgsize) FROM dbstat WHERE name LIKE 'f_%'").fetchone()[0] or 0
        print(f"\n{tokenizer}: built in {build:.2f} s, index {pages / 1e6:.1f} MB")
        for query in QUERIES:
            started = time.perf_counter()
            found = db.execute("SELECT count(*) FROM f WHERE f MATCH ?", ('"' + query + '"',)).fetchone()[0]
            print(f"  {query:<22} {found:>5} documents  {(time.perf_counter() - started) * 1000:7.2f} ms")
        # What storage.reader does with a word shorter than a trigram: a LIKE scan.
        for query in (q for q in QUERIES if len(q) < 3):
            started = time.perf_counter()
            found = db.execute("SELECT count(*) FROM f WHERE title LIKE ? OR text LIKE ?",
                               (f"%{query}%", f"%{query}%")).fetchone()[0]
            print(f"  {query:<22} {found:>5} documents  {(time.perf_counter() - started) * 1000:7.2f} ms (LIKE scan)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
