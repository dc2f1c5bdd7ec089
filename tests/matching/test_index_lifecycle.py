"""The live index: loaded from stored signatures on restart, bounded by a time window."""

from __future__ import annotations

import json
import sqlite3
import time
from collections import defaultdict
from contextlib import closing
from dataclasses import replace
from pathlib import Path

import pytest

from ingest.matching.fingerprint import Fingerprint
from ingest.pipeline import Pipeline
from ingest.readers import RawDocument, read_inputs
from newsdedup.config import Settings
from storage import Store
from tests.conftest import SHARED, run_process


def seed(seeds_dir: Path, prefix: str) -> RawDocument:
    path = str(next(seeds_dir.glob(f"{prefix}_*.txt")))
    return next(r for r in read_inputs([path], max_bytes=10**7) if isinstance(r, RawDocument))


def test_a_restart_loads_the_index_from_stored_signatures(db_path: Path, seeds_dir: Path) -> None:
    settings = Settings(db=str(db_path))
    store = Store(str(db_path))
    first = Pipeline(store, settings.matching).ingest(seed(seeds_dir, "000"))
    store.close()

    store = Store(str(db_path))
    restarted = Pipeline(store, settings.matching)
    assert len(restarted.index) == 1 and restarted.index.total_documents == 1
    translation = restarted.ingest(seed(seeds_dir, "001"))
    assert (translation.kind, translation.story_id) == ("translation", first.story_id)


def test_documents_older_than_the_window_leave_the_index_but_not_the_database(db_path: Path,
                                                                              seeds_dir: Path) -> None:
    now = [time.time()]
    settings = Settings(db=str(db_path), window_days=1.0)
    store = Store(str(db_path))
    pipeline = Pipeline(store, settings.matching, clock=lambda: now[0])
    original = pipeline.ingest(seed(seeds_dir, "000"))
    now[0] += 3 * 86400  # three days later the English original is out of the window
    pipeline.index.evict_before(now[0] - settings.matching.window_days * 86400)
    assert len(pipeline.index) == 0
    late = pipeline.ingest(seed(seeds_dir, "001"))
    assert late.kind == "created" and late.story_id != original.story_id
    assert store.documents.counts().documents == 2
    # and a restart at that time does not load the expired document either
    assert len(Pipeline(store, settings.matching, clock=lambda: now[0]).index) == 1


def test_a_story_whose_documents_left_the_window_is_asked_of_the_database(db_path: Path, seeds_dir: Path) -> None:
    """The index knows every language of a story it made and still holds whole; once a document
    has left the window, the story's languages are the database's: a copy of the English
    original, three days on, is one more English version, not a translation."""
    now = [time.time()]
    settings = Settings(db=str(db_path), window_days=1.0)
    store = Store(str(db_path))
    pipeline = Pipeline(store, settings.matching, clock=lambda: now[0])
    original = seed(seeds_dir, "000")
    first = pipeline.ingest(original)
    now[0] += 3 * 86400
    pipeline.index.evict_before(now[0] - settings.matching.window_days * 86400)
    assert pipeline.index.languages_of_whole_story(first.story_id) is None
    copy = pipeline.ingest(replace(original, key=original.key + "-copy", origin=original.origin + "#copy"))
    assert (copy.kind, copy.story_id) == ("version", first.story_id)


def test_a_story_another_writer_added_to_outside_the_window_is_asked_of_the_database(db_path: Path,
                                                                                      seeds_dir: Path) -> None:
    """Another writer's document that this one's index does not take (its clock put it outside
    the window) leaves the story's languages to the database."""
    now = time.time()
    settings = Settings(db=str(db_path), window_days=1.0)
    here, there = Store(str(db_path)), Store(str(db_path))
    pipeline = Pipeline(here, settings.matching, clock=lambda: now)
    first = pipeline.ingest(seed(seeds_dir, "000"))
    behind = Pipeline(there, settings.matching, clock=lambda: now - 3 * 86400)
    vietnamese = seed(seeds_dir, "001")
    assert behind.ingest(vietnamese).story_id == first.story_id
    copy = pipeline.ingest(replace(vietnamese, key=vietnamese.key + "-copy", origin=vietnamese.origin + "#copy"))
    assert (copy.kind, copy.story_id) == ("version", first.story_id)
    here.close()
    there.close()


def test_stories_do_not_depend_on_where_restarts_fall(tmp_path: Path) -> None:
    """A daemon restarted between two documents goes on as if it had not stopped: the index it
    loads from the database decides as the one it had built (wmt22-news, replayed whole and in
    three processes)."""
    corpus = SHARED / "bench" / "dedup" / "wmt22-news.jsonl"
    if not corpus.is_file():
        pytest.skip(f"{corpus} is not here")
    records = corpus.read_text(encoding="utf-8").splitlines(keepends=True)[:450]
    records.sort(key=lambda line: (json.loads(line).get("published") or "", json.loads(line)["id"]))
    whole, parts = tmp_path / "whole.jsonl", [tmp_path / f"part{i}.jsonl" for i in range(3)]
    whole.write_text("".join(records), encoding="utf-8")
    for i, part in enumerate(parts):
        part.write_text("".join(records[i * 150:(i + 1) * 150]), encoding="utf-8")
    assert run_process("replay", whole, "--db", tmp_path / "whole.db", "-q").returncode == 0
    for part in parts:
        assert run_process("replay", part, "--db", tmp_path / "restarted.db", "-q").returncode == 0
    assert stories(tmp_path / "whole.db") == stories(tmp_path / "restarted.db")


def stories(db: Path) -> set[frozenset[str]]:
    members: dict[str, set[str]] = defaultdict(set)
    with closing(sqlite3.connect(db)) as conn:
        for key, story in conn.execute("SELECT key, story_id FROM documents"):
            members[story].add(key)
    return {frozenset(keys) for keys in members.values()}


def test_a_language_held_only_outside_the_window_is_still_the_storys(db_path: Path,
                                                                    seeds_dir: Path) -> None:
    """A new English version of a story whose English original left the window, joining through its
    Vietnamese translation, is a version, not a translation: the database knows the story's languages."""
    now = [time.time()]
    settings = Settings(db=str(db_path), window_days=3.0)
    store = Store(str(db_path))
    pipeline = Pipeline(store, settings.matching, clock=lambda: now[0])
    english, vietnamese = seed(seeds_dir, "000"), seed(seeds_dir, "001")
    original = pipeline.ingest(english)
    now[0] += 2 * 86400
    assert pipeline.ingest(vietnamese).kind == "translation"
    now[0] += 2 * 86400  # the original leaves the window; the translation stays
    pipeline.index.evict_before(now[0] - settings.matching.window_days * 86400)
    assert len(pipeline.index) == 1
    body = english.body if isinstance(english.body, str) else english.body.decode("utf-8")
    edited = RawDocument(key="edited", origin="edited", kind="text", body=body.replace("the", "this", 1))
    again = pipeline.ingest(edited)
    assert (again.kind, again.story_id) == ("version", original.story_id)
    store.close()


def test_the_rows_of_documents_that_left_the_index_are_reused_and_hold_their_new_documents() -> None:
    """The lexical signatures live in one matrix, a row a document: a removed document's row goes
    to the next one added, and a decision compares each candidate with its own row."""
    import numpy as np

    from ingest.matching.index import StoryIndex
    from ingest.matching.minhash import Signature
    from ingest.matching.settings import MatchSettings

    settings = MatchSettings()
    index = StoryIndex(settings)
    rng = np.random.default_rng(7)
    signatures = {i: Signature(rng.integers(0, 2**32, settings.num_perm, dtype=np.uint32)) for i in range(3000)}
    no_anchors = Signature(np.zeros(settings.anchor_num_perm, dtype=np.uint32))
    for i in range(2000):  # (many more rows than the matrix starts with: it grows)
        index.add(i, f"s{i}", "en", 0.0, signatures[i], (), no_anchors)
    for i in range(0, 2000, 2):
        index.remove(i)
    for i in range(2000, 3000):  # each in a row a removed document held
        index.add(i, f"s{i}", "en", 0.0, signatures[i], (), no_anchors)
    assert len(index._lexical_rows) < 3000  # (the removed documents' rows were taken again)
    for i in (1, 1999, 2000, 2999):
        decision = index.decide(Fingerprint(signatures[i], (), no_anchors), "en")
        assert decision.story_id == f"s{i}" and [link.document_id for link in decision.links] == [i]
    assert index.decide(Fingerprint(signatures[0], (), no_anchors), "en").story_id is None  # removed


def test_the_signature_matrix_shrinks_with_the_window_and_keeps_each_document_s_row() -> None:
    """A large load, then most of it evicted: the matrix follows the documents left (memory
    bounded by the window, not by the largest it ever was), and each still decides as itself."""
    import numpy as np

    from ingest.matching.index import StoryIndex
    from ingest.matching.minhash import Signature
    from ingest.matching.settings import MatchSettings

    settings = MatchSettings()
    index = StoryIndex(settings)
    rng = np.random.default_rng(11)
    signatures = [Signature(rng.integers(0, 2**32, settings.num_perm, dtype=np.uint32)) for _ in range(5000)]
    no_anchors = Signature(np.zeros(settings.anchor_num_perm, dtype=np.uint32))
    for i, signature in enumerate(signatures):
        index.add(i, f"s{i}", "en", float(i), signature, (), no_anchors)
    largest = len(index._lexical_rows)
    assert index.evict_before(4900.0) == 4900 and len(index) == 100
    assert len(index._lexical_rows) <= largest // 4
    for i in (4900, 4950, 4999):
        decision = index.decide(Fingerprint(signatures[i], (), no_anchors), "en")
        assert decision.story_id == f"s{i}" and [link.document_id for link in decision.links] == [i]
    index.add(5000, "s5000", "en", 5000.0, signatures[0], (), no_anchors)  # rows are handed out again
    assert index.decide(Fingerprint(signatures[0], (), no_anchors), "en").story_id == "s5000"
