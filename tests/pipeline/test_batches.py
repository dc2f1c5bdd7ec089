"""Replay's batches (`Pipeline.ingest_batch`): the outcomes and stories of one document at a time."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ingest import pipeline as pipeline_module
from ingest.errors import IngestError
from ingest.matching import MatchSettings
from ingest.pipeline import Outcome, Pipeline, prepare
from ingest.readers import RawDocument
from storage import StorageError, open_database
from storage.errors import StorageFull
from tests.conftest import SHARED

CORPUS = SHARED / "bench" / "dedup" / "wmt22-news.jsonl"
SETTINGS = MatchSettings()


def _raws(count: int) -> list[RawDocument]:
    if not CORPUS.is_file():
        pytest.skip("needs ../shared/bench/dedup/wmt22-news.jsonl")
    records = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines()[:count]]
    return [RawDocument(key=r["id"], origin=r["id"], kind="text", body=r["text"], lang=r.get("lang"),
                        title=r.get("title")) for r in records]


def _partition(db: Path) -> list[list[str]]:
    with open_database(str(db)) as store:
        rows = store.documents.conn.all("SELECT story_id, key FROM documents")
    stories: dict[str, list[str]] = {}
    for story_id, key in rows:
        stories.setdefault(story_id, []).append(key)
    return sorted(sorted(keys) for keys in stories.values())


def _labels(results: list[Outcome | IngestError]) -> list[str]:
    return [r.label if isinstance(r, Outcome) else f"error {r.kind.value}" for r in results]


def test_batches_give_the_outcomes_and_stories_of_one_at_a_time(tmp_path: Path) -> None:
    raws = _raws(240)
    with open_database(str(tmp_path / "one.db")) as store:
        one = Pipeline(store, SETTINGS)
        single = [one.ingest_prepared(prepare(raw, SETTINGS)) for raw in raws]
    with open_database(str(tmp_path / "batch.db")) as store:
        batched = Pipeline(store, SETTINGS)
        outcomes: list[Outcome | IngestError] = []
        for start in range(0, len(raws), 16):
            chunk = [prepare(raw, SETTINGS, with_fingerprint=start % 32 == 0) for raw in raws[start:start + 16]]
            outcomes.extend(batched.ingest_batch(chunk))
        again = batched.ingest_batch([prepare(raw, SETTINGS, with_fingerprint=False) for raw in raws[:16]])
    assert _labels(outcomes) == _labels(list(single))
    assert [o.story_id for o in outcomes if isinstance(o, Outcome)] == [o.story_id for o in single]
    assert _partition(tmp_path / "one.db") == _partition(tmp_path / "batch.db")
    assert set(_labels(again)) == {"unchanged"}


def test_a_key_twice_in_one_batch_is_two_changes(tmp_path: Path) -> None:
    first = RawDocument(key="k", origin="k", kind="text", body="The first text of the story, about Portland.")
    second = RawDocument(key="k", origin="k", kind="text", body="A second text, about Lisbon and Porto instead.")
    with open_database(str(tmp_path / "n.db")) as store:
        pipeline = Pipeline(store, SETTINGS)
        pipeline.ingest_prepared(prepare(first, SETTINGS))
        results = pipeline.ingest_batch([prepare(second, SETTINGS), prepare(first, SETTINGS)])
        assert _labels(results) == ["changed", "changed"]
        stored = store.documents.find("k")
        assert stored is not None and stored.revision == 3


def _rules(store: object) -> dict[str, str]:
    return {key: rule for key, rule in store.documents.conn.all(  # type: ignore[attr-defined]
        "SELECT d.key, l.rule FROM story_links l JOIN documents d ON d.id = l.document_id")}


def test_what_was_looked_up_before_the_lock_is_looked_up_again_when_it_may_have_changed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Outside the lock a batch looks each document up (its key, and the earliest document of its
    content); inside, the answers are reused only while they hold. A copy of a document written
    earlier in the batch copies the first of them (the batch knows it); a text changed earlier in
    it, and another writer's commit in between, each make them be asked again."""
    old = "The harbour in Split reopened on Monday after the storm, the port authority said."
    new = "The port of Split stays closed until Friday, the harbour master told reporters on Sunday."
    text = RawDocument(key="x", origin="x", kind="text", body=old)
    with open_database(str(tmp_path / "n.db")) as store:
        pipeline = Pipeline(store, SETTINGS)
        pipeline.ingest_prepared(prepare(text, SETTINGS))
        ferries = "Ferries to Hvar run again from Tuesday, the operator Jadrolinija announced."
        assert _labels(pipeline.ingest_batch([prepare(RawDocument(key=key, origin=key, kind="text", body=ferries),
                                                      SETTINGS) for key in ("p", "q", "r")])) == [
            "created", "version", "version"]
        assert _rules(store) == {"q": "exact-copy", "r": "exact-copy"}  # copies of p, written earlier in the batch
        assert store.documents.conn.all(  # (the earliest of that content, p, is what each copies)
            "SELECT d.key, m.key FROM story_links l JOIN documents d ON d.id = l.document_id "
            "JOIN documents m ON m.id = l.matched_document_id ORDER BY d.key") == [("q", "p"), ("r", "p")]
        # x changes its text, then y holds x's old text: no longer stored, so y is no exact copy;
        # z holds x's new text, written earlier in this batch: an exact copy of x.
        batch = [RawDocument(key="x", origin="x", kind="text", body=new),
                 RawDocument(key="y", origin="y", kind="text", body=old),
                 RawDocument(key="z", origin="z", kind="text", body=new)]
        assert _labels(pipeline.ingest_batch([prepare(raw, SETTINGS) for raw in batch])) == [
            "changed", "created", "version"]
        assert _rules(store) == {"q": "exact-copy", "r": "exact-copy", "z": "exact-copy"}

        # Another writer stores v after this batch looked u, a copy of v, up.
        other = Pipeline(store, SETTINGS)  # (its own index; the same database)
        real = Pipeline._fingerprint_together
        bridge = "The bridge to Ciovo closes for repairs in May, the county said on Thursday."

        def another_writer_first(self: Pipeline, results: list[object]) -> None:
            if self is pipeline:
                other.ingest_prepared(prepare(RawDocument(key="v", origin="v", kind="text", body=bridge), SETTINGS))
            real(self, results)  # type: ignore[arg-type]

        monkeypatch.setattr(Pipeline, "_fingerprint_together", another_writer_first)
        results = pipeline.ingest_batch([prepare(RawDocument(key="u", origin="u", kind="text", body=bridge), SETTINGS,
                                                 with_fingerprint=False)])
        assert _labels(results) == ["version"]
        assert _rules(store)["u"] == "exact-copy"
        assert store.documents.counts().documents == 8


def _break_fingerprinting(monkeypatch: pytest.MonkeyPatch, body: object) -> None:
    """A bug fingerprinting the text `body`: alone, and in any group that holds it (then each
    document of the group is fingerprinted alone, and that one fails)."""
    real_one, real_many = pipeline_module.fingerprint, pipeline_module.fingerprints

    def broken_one(title: str, text: str, lang: str, settings: MatchSettings) -> object:
        if text == body:
            raise ValueError("a bug")
        return real_one(title, text, lang, settings)

    def broken_many(documents: list[tuple[str, str, str]], settings: MatchSettings) -> object:
        if any(text == body for _, text, _ in documents):
            raise ValueError("a bug")
        return real_many(documents, settings)

    monkeypatch.setattr(pipeline_module, "fingerprint", broken_one)
    monkeypatch.setattr(pipeline_module, "fingerprints", broken_many)


def test_a_bug_on_one_document_fails_that_document_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    raws = _raws(12)
    _break_fingerprinting(monkeypatch, raws[5].body)
    with open_database(str(tmp_path / "n.db")) as store:
        results = Pipeline(store, SETTINGS).ingest_batch([prepare(raw, SETTINGS, with_fingerprint=False)
                                                          for raw in raws])
        assert isinstance(results[5], IngestError) and "ValueError: a bug" in results[5].message
        assert all(isinstance(r, Outcome) for i, r in enumerate(results) if i != 5)
        assert store.documents.counts().documents == 11


def test_a_batch_that_rolls_back_leaves_nothing_in_the_index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    raws = _raws(60)
    with open_database(str(tmp_path / "clean.db")) as store:
        clean = Pipeline(store, SETTINGS)
        clean.ingest_batch([prepare(raw, SETTINGS) for raw in raws[:30]])
        clean.ingest_batch([prepare(raw, SETTINGS) for raw in raws[30:]])
    with open_database(str(tmp_path / "full.db")) as store:
        pipeline = Pipeline(store, SETTINGS)
        pipeline.ingest_batch([prepare(raw, SETTINGS) for raw in raws[:30]])
        real_add, calls = store.documents.add, []

        def full_on_the_tenth(*args: object, **kwargs: object) -> int:
            calls.append(1)
            if len(calls) == 10:
                raise StorageFull("the disk is full")
            return real_add(*args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(store.documents, "add", full_on_the_tenth)
        with pytest.raises(StorageError):
            pipeline.ingest_batch([prepare(raw, SETTINGS) for raw in raws[30:]])
        assert store.documents.counts().documents == 30  # the batch rolled back whole
        monkeypatch.setattr(store.documents, "add", real_add)
        pipeline.ingest_batch([prepare(raw, SETTINGS) for raw in raws[30:]])  # the rerun, same pipeline
    assert _partition(tmp_path / "clean.db") == _partition(tmp_path / "full.db")


def _same(a: list[pipeline_module.Prepared], b: list[pipeline_module.Prepared]) -> bool:
    def described(p: pipeline_module.Prepared) -> object:
        fp = p.fingerprint
        return (p.document, p.error and (p.error.kind, p.error.message),
                fp and (fp.lexical.hashvalues.tolist(), fp.anchors, fp.anchor_minhash.hashvalues.tolist()))
    return [described(p) for p in a] == [described(p) for p in b]


def test_documents_prepared_together_are_those_prepared_one_at_a_time() -> None:
    raws = _raws(60)
    # Among them, what extraction refuses: an empty text and a binary file.
    raws[3] = RawDocument(key="empty", origin="empty", kind="text", body="   ")
    raws[7] = RawDocument(key="binary", origin="binary", kind="text", body=b"\x00\x01\x02PNG\x00" * 50)
    raws[8] = RawDocument(key="declared", origin="declared", kind="text", body="Der Minister sagte am Dienstag",
                          lang="sah")  # a language the model does not know: the declared one is kept
    alone = [prepare(raw, SETTINGS) for raw in raws]
    assert [p.error.kind.value for p in alone if p.error] == ["empty", "binary"]
    assert _same(pipeline_module.prepare_many(raws, SETTINGS), alone)


def test_a_bug_identifying_languages_together_leaves_each_document_its_own(monkeypatch: pytest.MonkeyPatch) -> None:
    raws = _raws(20)
    alone = [prepare(raw, SETTINGS) for raw in raws]

    def broken(extracted: object) -> list[str]:
        raise RuntimeError("a bug")
    monkeypatch.setattr(pipeline_module, "languages_of", broken)
    assert _same(pipeline_module.prepare_many(raws, SETTINGS), alone)


def test_a_bug_fingerprinting_together_fails_only_its_document(monkeypatch: pytest.MonkeyPatch) -> None:
    raws = _raws(20)
    alone = [prepare(raw, SETTINGS) for raw in raws]
    _break_fingerprinting(monkeypatch, raws[5].body)
    together = pipeline_module.prepare_many(raws, SETTINGS)
    assert together[5].error is not None and "ValueError: a bug" in together[5].error.message
    assert _same(together[:5] + together[6:], alone[:5] + alone[6:])
