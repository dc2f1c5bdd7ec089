"""A replay's stories do not depend on the order a corpus lists its documents."""

from __future__ import annotations

import json
import random
from pathlib import Path

from tests.conftest import run_cli


def corpus_lines(seeds_dir: Path) -> list[str]:
    lines = [json.dumps({"id": p.name, "text": p.read_text(encoding="utf-8")}) + "\n"
             for p in sorted(seeds_dir.glob("*.txt"))]
    # near-verbatim repeats and an edited copy, so several documents compete for each story
    for p in sorted(seeds_dir.glob("*.txt"))[:3]:
        text = p.read_text(encoding="utf-8")
        lines.append(json.dumps({"id": f"repost-{p.name}", "text": "Share this article\n" + text}) + "\n")
        lines.append(json.dumps({"id": f"edit-{p.name}", "text": text.rsplit("\n", 3)[0]}) + "\n")
    return lines


def stories(tmp_path: Path, name: str, lines: list[str]) -> dict[str, str]:
    corpus, db = tmp_path / f"{name}.jsonl", tmp_path / f"{name}.db"
    corpus.write_text("".join(lines), encoding="utf-8")
    assert run_cli("replay", corpus, "--db", db).exit_code == 0
    rows = [json.loads(line) for line in run_cli("clusters", "--db", db).output.splitlines()]
    return {r["id"]: r["cluster"] for r in rows}


def test_shuffled_corpora_give_the_same_stories_and_story_ids(tmp_path: Path, seeds_dir: Path) -> None:
    lines = corpus_lines(seeds_dir)
    expected = stories(tmp_path, "given", lines)
    assert len(set(expected.values())) == 4
    for seed in range(3):
        shuffled = lines[:]
        random.Random(seed).shuffle(shuffled)
        assert stories(tmp_path, f"shuffled{seed}", shuffled) == expected
