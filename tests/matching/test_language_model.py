"""The compact identifier gives py3langid's own answers, bit for bit, and its cache is safe."""

from __future__ import annotations

import json
import os
import random
import time
from pathlib import Path

import numpy as np
import pytest
from py3langid.langid import MODEL_FILE, LanguageIdentifier

from ingest import cache, language_model

DEDUP = Path(__file__).resolve().parents[2].parent / "shared" / "bench" / "dedup"
SEEDS = Path(__file__).resolve().parents[2] / "seeds"


@pytest.fixture(scope="module")
def reference() -> LanguageIdentifier:
    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


@pytest.fixture(scope="module")
def compact(tmp_path_factory: pytest.TempPathFactory) -> language_model.CompactIdentifier:
    return language_model.load(cache_dir=tmp_path_factory.mktemp("cache"))


def _texts() -> list[str]:
    texts = [path.read_text(encoding="utf-8", errors="replace")[:1000] for path in sorted(SEEDS.iterdir())]
    for name in ("wmt22-news.jsonl", "wmt22.jsonl"):
        if (DEDUP / name).exists():
            with (DEDUP / name).open(encoding="utf-8") as fh:
                for i, line in enumerate(fh):
                    if i % 20 == 0:  # every 20th: ~700 texts in ~40 languages
                        record = json.loads(line)
                        texts += [record.get("text", "")[:1000], record.get("title") or ""]
    rng = random.Random(7)
    ranges = [(32, 126), (0xA0, 0x24FF), (0x3000, 0x9FFF), (0xD800, 0xDFFF), (0x1F300, 0x1F6FF)]
    for _ in range(1500):  # random code points, lone surrogates included; short and long
        texts.append("".join(chr(rng.randint(*rng.choice(ranges))) for _ in range(rng.randint(0, 80))))
    return texts + ["", " ", "ABC DEF", "12345", "a", "ÉTÉ À PARIS", "\x00\x00\x00"]


def test_same_language_and_confidence_as_py3langid(reference: LanguageIdentifier,
                                                    compact: language_model.CompactIdentifier) -> None:
    texts = _texts()
    assert len(texts) > 1500
    differing = [t[:40] for t in texts if reference.classify(t) != compact.classify(t)]
    assert differing == []
    assert compact.labels == reference.labels


def test_texts_classified_together_get_the_answers_each_gets_alone(reference: LanguageIdentifier,
                                                                  compact: language_model.CompactIdentifier) -> None:
    texts = _texts()
    rng = random.Random(11)
    rng.shuffle(texts)  # neighbours of every kind: an n-gram running from one text into the next would show
    at = 0
    while at < len(texts):  # groups of 1 to 60 texts, some over the identifier's batch size
        size = rng.randint(1, 60)
        group = texts[at:at + size]
        assert compact.classify_many(group) == [reference.classify(t) for t in group]
        at += size
    assert compact.classify_many([]) == []


def test_feature_counts_equal_the_automaton_walk(reference: LanguageIdentifier,
                                                 compact: language_model.CompactIdentifier) -> None:
    from py3langid.langid import visit_counts
    rng = random.Random(3)
    for _ in range(300):  # arbitrary bytes, not only valid UTF-8
        data = bytes(rng.randrange(256) for _ in range(rng.randint(1, 300)))
        walked = visit_counts(reference.tk_nextmove, reference._rowbase, reference.tk_output, data) or {}
        features, counts = compact._feature_counts(data)
        assert list(zip(features.tolist(), counts.tolist(), strict=True)) == list(walked.items())


def test_feature_counts_of_many_texts_are_each_texts_own(reference: LanguageIdentifier,
                                                         compact: language_model.CompactIdentifier) -> None:
    from py3langid.langid import visit_counts
    rng = random.Random(4)
    datas = [bytes(rng.randrange(256) for _ in range(rng.randint(0, 300))) for _ in range(200)]
    features, counts, bounds = compact._feature_counts_of_many(datas)
    assert len(bounds) == len(datas) + 1
    for data, start, end in zip(datas, bounds, bounds[1:], strict=False):
        walked = visit_counts(reference.tk_nextmove, reference._rowbase, reference.tk_output, data) or {}
        assert list(zip(features[start:end].tolist(), counts[start:end].tolist(), strict=True)) == list(walked.items())


def test_the_longest_states_are_counted_as_the_walk_counts_them(reference: LanguageIdentifier,
                                                                compact: language_model.CompactIdentifier) -> None:
    """The longest n-grams are asked only where the bytes before them are a state: texts made
    of the model's longest states (rare in random bytes), cut and joined anywhere."""
    from py3langid.langid import visit_counts
    keys = compact._keys[compact._keys != np.uint64(language_model._EMPTY)]
    longest = keys[(keys >> np.uint64(language_model._LENGTH_SHIFT)) == language_model._MAX_STATE]
    assert len(longest)
    grams = [int(key & np.uint64((1 << 48) - 1)).to_bytes(language_model._MAX_STATE, "big") for key in longest]
    rng = random.Random(5)
    datas = []
    for _ in range(200):
        parts = [rng.choice(grams)[rng.randrange(3):] if rng.random() < 0.7 else bytes([rng.randrange(256)])
                 for _ in range(rng.randint(0, 30))]
        datas.append(b"".join(parts))
    features, counts, bounds = compact._feature_counts_of_many(datas)
    for data, start, end in zip(datas, bounds, bounds[1:], strict=False):
        walk = visit_counts(reference.tk_nextmove, reference._rowbase, reference.tk_output, data) or {}
        walked = list(walk.items())
        assert list(zip(features[start:end].tolist(), counts[start:end].tolist(), strict=True)) == walked
        alone, alone_counts = compact._feature_counts(data)
        assert list(zip(alone.tolist(), alone_counts.tolist(), strict=True)) == walked


def test_distinct_values_in_order_of_appearance_however_wide() -> None:
    rng = np.random.default_rng(6)
    for top in (1, 3, 1000, 1 << 40, (1 << 62) + 5):  # the widest share no integer with positions
        values = rng.integers(0, top, int(rng.integers(1, 3000)), dtype=np.int64)
        distinct, counts = language_model._distinct_in_order(values)
        first: dict[int, int] = {}
        for at, value in enumerate(values.tolist()):
            first.setdefault(value, at)
        assert distinct.tolist() == list(first)
        assert dict(zip(distinct.tolist(), counts.tolist(), strict=True)) == dict(
            zip(*np.unique(values, return_counts=True), strict=True))


def test_the_cache_is_reused_and_a_damaged_one_is_derived_again(tmp_path: Path) -> None:
    tmp_path = tmp_path / "cache"
    first = language_model.load(cache_dir=tmp_path)
    (cached,) = tmp_path.iterdir()  # one directory, no temporary left behind
    table = cached / "ptc.npy"
    written = table.stat().st_mtime_ns
    language_model.load(cache_dir=tmp_path)
    assert table.stat().st_mtime_ns == written  # read, not written again
    table.write_bytes(table.read_bytes()[:1000])  # cut short, as by a full disk
    again = language_model.load(cache_dir=tmp_path)
    assert again.classify("Der Minister sagte am Dienstag") == first.classify("Der Minister sagte am Dienstag")
    assert table.stat().st_size > 1000
    assert [p.name for p in tmp_path.iterdir()] == [cached.name]


@pytest.mark.parametrize("damage", ["header", "dtype", "missing"])
def test_a_damaged_table_is_derived_again_and_replaced(tmp_path: Path, damage: str) -> None:
    tmp_path = tmp_path / "cache"  # (the test's own directory holds its settings file)
    language_model.load(cache_dir=tmp_path)
    (cached,) = tmp_path.iterdir()
    keys = cached / "keys.npy"
    if damage == "header":  # numpy's header parser fails with a tokenize error, not a ValueError
        keys.write_bytes(keys.read_bytes().replace(b"}", b" ", 1))
    elif damage == "dtype":
        np.save(keys, np.zeros(4, dtype=np.float32))
    else:
        keys.unlink()
    identifier = language_model.load(cache_dir=tmp_path)
    assert identifier.classify("Der Minister sagte am Dienstag")[0] == "de"
    assert [p.name for p in tmp_path.iterdir()] == [cached.name]  # replaced in place, nothing left over
    assert np.load(keys).dtype == np.uint64


def test_a_model_the_tables_do_not_reproduce_is_left_to_py3langid(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    def refuse(compact: object, model: object) -> None:
        raise language_model.UnsupportedModel("a test's refusal")
    monkeypatch.setattr(language_model, "_check_against_the_walk", refuse)
    tmp_path = tmp_path / "cache"
    identifier = language_model.load(cache_dir=tmp_path)
    assert isinstance(identifier, LanguageIdentifier)
    assert identifier.classify("Le ministre a déclaré mardi")[0] == "fr"
    assert "py3langid's own walk" in caplog.text
    assert not tmp_path.exists()  # nothing cached for it


def test_no_cache_without_an_absolute_cache_directory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/cache")
    monkeypatch.setenv("HOME", "not-absolute")
    assert cache.directory() is None
    monkeypatch.setenv("XDG_CACHE_HOME", "/somewhere")
    assert cache.directory() == Path("/somewhere/newsdedup")


def test_an_unwritable_cache_directory_still_gives_an_identifier(tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a directory")
    identifier = language_model.load(cache_dir=blocked / "cache")
    assert identifier.classify("Le ministre a déclaré mardi que le pont serait ouvert")[0] == "fr"


def test_the_widening_of_the_table_is_exact(compact: language_model.CompactIdentifier) -> None:
    rows = np.arange(0, len(compact.nb_ptc), 997)
    assert np.array_equal(compact._rows(rows), compact.nb_ptc[rows].astype(np.float32))


def test_old_versions_unused_for_a_month_are_removed_when_a_new_one_is_derived(tmp_path: Path) -> None:
    """An upgrade's new tables must not pile up beside the old ones forever; a version still read
    (another install) and other tables (another language's list) are kept."""
    def small() -> dict[str, np.ndarray]:
        return {"values": np.arange(4)}

    def valid(arrays: cache.Arrays) -> bool:
        return "values" in arrays

    base, month_and_a_day_ago = tmp_path / "cache", time.time() - (cache.UNUSED_DAYS + 1) * 86400
    model, other = tmp_path / "model.bin", tmp_path / "other.bin"
    names = []
    for size in (1, 2, 3):  # three versions of one source file
        model.write_bytes(b"x" * size)
        names.append(cache.name_for(model, "kind-1"))
    other.write_bytes(b"y")
    old, read, new, elsewhere = [*names, cache.name_for(other, "kind-1")]
    for name in (old, read, elsewhere):
        cache.table(name, small, valid, base)
        os.utime(base / name, (month_and_a_day_ago, month_and_a_day_ago))
    cache.table(read, small, valid, base)  # a read marks it used
    cache.table(new, small, valid, base)
    assert sorted(p.name for p in base.iterdir()) == sorted([read, new, elsewhere])
