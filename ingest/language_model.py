"""py3langid's naive Bayes model, its features found with numpy instead of a byte-by-byte walk.

py3langid finds a text's features with an Aho-Corasick automaton: after each byte, its state
is the longest suffix of the text so far that begins some feature, and that state is counted
if it is a feature itself. Its transition table is 40 MB, and the walk is a Python loop per
byte. A state is its string, at most 6 bytes, so the same states come from the text's byte
n-grams: at every position, the longest n-gram ending there that is a state, found for all
positions at once in a cuckoo hash table of the states. The counts are the same, and so are
the scores, computed as py3langid computes them (tests/matching/test_language_model.py
compares both on dev texts and on random bytes; deriving the tables checks them against the
walk, and a model they do not reproduce is left to py3langid itself).

The tables derived from the model (~31 MB, nearly all of it the model's own probability
table) are mapped from the cache (`ingest.cache`), so a command has them in milliseconds
instead of decompressing the model (0.5 s), and processes share one copy. Where the cache
cannot be written, they are derived in memory each time (~1.5 s).

py3langid (BSD licence) is Marco Lui's langid.py, maintained by Adrien Barbaresi.
"""

from __future__ import annotations

import io
import itertools
import logging
import lzma
import math
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np
from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

from ingest import cache
from ingest.cache import Arrays
from ingest.runs import runs_within

log = logging.getLogger(__name__)

# Bump when the cached file's layout changes: an old cache is then ignored, not misread.
_CACHE_FORMAT = 1
_MODEL_PATH = MODEL_DIR / MODEL_FILE


_EMPTY = 0xFFFFFFFFFFFFFFFF  # no state's key: its top byte would be a length of 255
_MASK64 = 0xFFFFFFFFFFFFFFFF
_HASHES = (0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F)  # odd 64-bit multipliers, one per table slot
_LENGTH_SHIFT = 48  # a key: the state's bytes as a big-endian integer, its length above them
_MAX_STATE = 6      # bytes: py3langid's longest feature
# Texts are classified together up to this many bytes: the working arrays are ~50 times the
# bytes, so a few dozen short news texts share each numpy call, and long ones stay in cache.
BATCH_BYTES = 16_384


class CompactIdentifier:
    """py3langid's `LanguageIdentifier(norm_probs=True).classify`, same answers, no DFA table.

    The states are looked up in a cuckoo hash table, every key in one of two slots, so each
    n-gram of the text is found or ruled out with two array reads and no probing loop."""

    def __init__(self, ptc: np.ndarray, pc: np.ndarray, classes: list[str],
                 keys: np.ndarray, features: np.ndarray, exact_widening: bool) -> None:
        self.nb_ptc = ptc                   # feature × language log-probabilities (float16)
        self.nb_pc = pc                     # language priors (float32)
        self.nb_classes = classes
        self._keys = keys                   # the cuckoo table: a state's key, or _EMPTY
        self._features = features           # the feature that state counts, -1 none, -2 empty slot
        self._shift = np.uint64(64 - (len(keys).bit_length() - 1))
        self._hashes = tuple(np.uint64(h) for h in _HASHES)
        self._length_tags = [np.uint64(k << _LENGTH_SHIFT) for k in range(_MAX_STATE + 1)]
        self._feature_bits = max(1, (len(ptc) - 1).bit_length())  # (a feature is a row of ptc)
        # The states of one and two bytes, as tables indexed by the bytes themselves.
        self._by_byte = np.full(1 << 8, -2, dtype=np.int32)
        self._by_pair = np.full(1 << 16, -2, dtype=np.int32)
        held = keys != np.uint64(_EMPTY)
        lengths, codes = keys[held] >> np.uint64(_LENGTH_SHIFT), (keys[held] & np.uint64(0xFFFF)).astype(np.int64)
        for length, table in ((1, self._by_byte), (2, self._by_pair)):
            table[codes[lengths == length]] = features[held][lengths == length]
        # The table is float16, and numpy's cast to float32 is a slow scalar loop. Where every
        # value is a negative normal number (a log-probability, as in py3langid's model), its
        # float32 bits are its own, shifted: `_rows` builds them directly.
        self._exact_widening = exact_widening
        first: dict[str, int] = {}
        self._alias_pairs: list[tuple[int, int]] = []  # (first, duplicate) columns of one label
        for i, label in enumerate(classes):
            if label in first:
                self._alias_pairs.append((first[label], i))
            else:
                first[label] = i

    @property
    def labels(self) -> list[str]:
        return list(dict.fromkeys(self.nb_classes))

    def _rows(self, features: np.ndarray) -> np.ndarray:
        """The table's rows for `features`, as float32: the same values as `.astype`."""
        if not self._exact_widening:
            widened: np.ndarray = self.nb_ptc[features].astype(np.float32)
            return widened
        bits: np.ndarray = self.nb_ptc.view(np.uint16)[features].astype(np.uint32)
        # The exponent and mantissa move up 13 bits and the exponent is rebiased by (127 - 15) << 23
        # = 0x38000000; the sign bit, set in every value, moves to bit 28 and is taken off there
        # (0x10000000) and put at bit 31 (0x80000000): in all, + 0xA8000000 after the shift. In
        # place: the rows of a long text are a few hundred kilobytes, and each new array that
        # large is fresh pages from the kernel (this was three quarters of the rows' cost).
        bits <<= 13
        bits += 0xA8000000
        as_float: np.ndarray = bits.view(np.float32)
        return as_float

    def _feature_counts(self, data: bytes) -> tuple[np.ndarray, np.ndarray]:
        """The features py3langid's walk counts in `data`, in order of first appearance, and
        how often each."""
        features, counts, _ = self._feature_counts_of_many([data])
        return features, counts

    def _feature_counts_of_many(self, datas: Sequence[bytes]) -> tuple[np.ndarray, np.ndarray, list[int]]:
        """`_feature_counts` of each of `datas`, found together: text i's features and counts
        are the slice bounds[i]:bounds[i + 1]. (One pass over all the bytes: the numpy calls
        cost the same for a short text as for thirty, and most news texts are short.)"""
        lengths = np.fromiter(map(len, datas), dtype=np.int64, count=len(datas))
        n = int(lengths.sum())
        raw = np.frombuffer(b"".join(datas), dtype=np.uint8)
        # How far into its own text each byte is: no n-gram may begin in the text before.
        offset = None
        if len(datas) > 1:
            offset = np.arange(n, dtype=np.int64)
            offset -= np.repeat(np.cumsum(lengths) - lengths, lengths)
        # counted[i]: the feature of the longest state among the n-grams ending at byte i (-1:
        # that state counts none; -2: no state), found from the shortest n-grams up, each
        # length overwriting where its n-gram is a state. One and two bytes, two of the six
        # lengths and a state nearly everywhere in natural text, are looked up directly.
        counted = self._by_byte[raw]
        if n >= 2:
            pairs = raw[:-1].astype(np.int32)
            pairs <<= 8
            pairs |= raw[1:]
            self._overwrite_states(counted, self._by_pair[pairs], 2, offset)
        grams = raw.astype(np.uint64)
        ending = (grams[:-1] << np.uint64(8)) | grams[1:]
        for k in range(3, min(_MAX_STATE - 1, n) + 1):
            ending = (ending[:-1] << np.uint64(8)) | grams[k - 1:]
            found = self._states(ending, k)
            self._overwrite_states(counted, found, k, offset)
        if n >= _MAX_STATE:
            # The longest states are few (py3langid's: 198 of ~105,000), and a state's prefix is
            # a state: the longest n-grams are asked only where the bytes before them are one.
            at = np.flatnonzero(found[:n - _MAX_STATE + 1] != -2)
            ends = at + (_MAX_STATE - 1)
            found = self._states((ending[at] << np.uint64(8)) | grams[ends], _MAX_STATE)
            if offset is not None:
                found[offset[ends] < _MAX_STATE - 1] = -2
            is_state = found != -2
            counted[ends[is_state]] = found[is_state]
        kept = counted >= 0
        if offset is None:
            features, counts = _distinct_in_order(counted[kept])
            return features, counts, [0, len(features)]
        # Each (text, feature) pair as one integer: distinct pairs in order of first appearance
        # are each text's distinct features in its own order, the texts one after another.
        feature_bits = np.int64(self._feature_bits)
        pairs_of = np.repeat(np.arange(len(datas), dtype=np.int64), lengths)[kept] << feature_bits
        pairs_of |= counted[kept]
        pairs_of, counts = _distinct_in_order(pairs_of)
        bounds = np.searchsorted(pairs_of >> feature_bits, np.arange(len(datas) + 1)).tolist()
        return pairs_of & ((np.int64(1) << feature_bits) - 1), counts, bounds

    def _states(self, endings: np.ndarray, k: int) -> np.ndarray:
        """What each k-gram (its bytes as a big-endian integer) is: its feature, -1 a state that
        counts none, -2 no state. Its key is in one of its two cuckoo slots, or in none."""
        query = endings | self._length_tags[k]
        first_slot = query * self._hashes[0]
        first_slot >>= self._shift
        other_slot = query * self._hashes[1]
        other_slot >>= self._shift
        first_slot, other_slot = first_slot.view(np.int64), other_slot.view(np.int64)  # (slots < 2^63)
        found: np.ndarray = np.where(self._keys[first_slot] == query, self._features[first_slot],
                                     np.where(self._keys[other_slot] == query, self._features[other_slot], -2))
        return found

    @staticmethod
    def _overwrite_states(counted: np.ndarray, found: np.ndarray, k: int, offset: np.ndarray | None) -> None:
        """`counted` takes `found` (what the k-grams ending at bytes k - 1, k, ... are) where
        the k-gram is a state and lies within one text."""
        if offset is not None:
            found[offset[k - 1:] < k - 1] = -2
        np.copyto(counted[k - 1:], found, where=found != -2)

    def classify(self, text: str) -> tuple[str, float]:
        """The most likely language of `text` and its probability."""
        return self.classify_many([text])[0]

    def classify_many(self, texts: Sequence[str]) -> list[tuple[str, float]]:
        """`classify` of each of `texts` (the same answers, computed together)."""
        datas = [unicodedata.normalize("NFC", text.lower() if text.isupper() else text)
                 .encode("utf8", errors="surrogatepass") for text in texts]
        runs = runs_within([len(data) for data in datas], BATCH_BYTES)
        return [answer for run in runs for answer in self._classify_encoded(datas[run.start:run.stop])]

    def _classify_encoded(self, datas: list[bytes]) -> list[tuple[str, float]]:
        features, counts, bounds = self._feature_counts_of_many(datas)
        rows = self._rows(features)
        weights = np.log1p(counts.astype(np.float32))
        # No features: a uniform distribution, as py3langid gives (all scores 0 before the softmax).
        scores = np.zeros((len(datas), len(self.nb_classes)), dtype=np.float32)
        for i, (start, end) in enumerate(itertools.pairwise(bounds)):
            if end > start:  # one product per text, as py3langid computes it: the same float sums
                scores[i] = weights[start:end] @ rows[start:end] + self.nb_pc
        # py3langid's calibration: a temperature of sqrt(bytes), then a softmax.
        scale = np.array([1.0 / math.sqrt(len(data) or 1) for data in datas], dtype=np.float32)
        scores *= scale[:, None]
        scores -= scores.max(axis=1, keepdims=True)
        np.exp(scores, out=scores)
        scores /= scores.sum(axis=1, keepdims=True)
        for i, j in self._alias_pairs:  # script aliases (srl → sr) fold into one label
            scores[:, i] += scores[:, j]
            scores[:, j] = 0.0
        best = scores.argmax(axis=1)
        confidence = scores[np.arange(len(datas)), best].tolist()
        return [(self.nb_classes[b], c) for b, c in zip(best.tolist(), confidence, strict=True)]


def _distinct_in_order(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct values (non-negative), in order of first appearance, and how often each
    appears: what `np.unique` with its indices and counts gives, reordered, in fewer passes."""
    if not len(values):
        return values, values
    position_bits = len(values).bit_length()
    if int(values.max()).bit_length() + position_bits > 63:
        return _distinct_in_order_stably(values)
    # Each value with its position below it: all keys differ, so a plain sort (several times
    # faster than a stable one) orders each value's appearances, its first one first.
    keys = values.astype(np.int64) << np.int64(position_bits)
    keys |= np.arange(len(values), dtype=np.int64)
    keys.sort()
    ordered = keys >> np.int64(position_bits)
    starts = np.flatnonzero(np.concatenate(([True], ordered[1:] != ordered[:-1])))
    by_appearance = np.argsort(keys[starts] & np.int64((1 << position_bits) - 1))
    counts = np.diff(np.append(starts, len(values)))
    return ordered[starts][by_appearance], counts[by_appearance]


def _distinct_in_order_stably(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`_distinct_in_order` for values too wide to share an integer with their positions."""
    order = np.argsort(values, kind="stable")  # stable: each run of equal values starts at its first
    ordered = values[order]
    starts = np.flatnonzero(np.concatenate(([True], ordered[1:] != ordered[:-1])))
    by_appearance = np.argsort(order[starts])
    counts = np.diff(np.append(starts, len(values)))
    return ordered[starts][by_appearance], counts[by_appearance]


def _all_negative_normal(half: np.ndarray) -> bool:
    bits = half.view(np.uint16)
    exponent = bits & 0x7C00
    return bool((bits & 0x8000).all() and exponent.all() and (exponent != 0x7C00).all())


def _cuckoo(keys: list[int], values: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """A two-choice cuckoo table of `keys` at most half full: each key sits in the slot one of
    the two hashes names, moving an occupant to its other slot when both are taken."""
    bits = max(8, (2 * len(keys)).bit_length())
    while True:
        size, shift = 1 << bits, 64 - bits
        table_keys, table_values = [_EMPTY] * size, [-2] * size
        for key, value in zip(keys, values, strict=True):
            slot = ((key * _HASHES[0]) & _MASK64) >> shift
            for _ in range(1000):
                if table_keys[slot] == _EMPTY:
                    table_keys[slot], table_values[slot] = key, value
                    break
                table_keys[slot], key = key, table_keys[slot]
                table_values[slot], value = value, table_values[slot]
                first = ((key * _HASHES[0]) & _MASK64) >> shift
                slot = ((key * _HASHES[1]) & _MASK64) >> shift if slot == first else first
            else:
                break  # a cycle: start again in a table twice the size
        else:
            return np.array(table_keys, dtype=np.uint64), np.array(table_values, dtype=np.int32)
        bits += 1


class UnsupportedModel(ValueError):
    """py3langid's model is not one these tables reproduce (a later version's, say)."""


def _derive(model: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The automaton's states as strings, found by a breadth-first walk from the start: a
    state first reached at depth d + 1 is its parent's string plus one byte (the automaton's
    other moves lead to states no deeper than the one they leave)."""
    rows = model["nextmove"].reshape(-1, 256)
    row_of = model["nextmove_row"]
    count = len(row_of)
    depth = np.full(count, -1, dtype=np.int64)
    code = np.zeros(count, dtype=np.uint64)
    depth[0] = 0
    frontier = np.array([0], dtype=np.int64)
    level = 0
    while len(frontier):
        reached = []
        for start in range(0, len(frontier), 2048):  # (in slices: the whole level's moves are ~300 MB)
            part = frontier[start:start + 2048]
            targets = rows[row_of[part]].astype(np.int64).ravel()
            new = np.flatnonzero(depth[targets] < 0)
            # move i of the slice leaves state part[i // 256] on byte i % 256
            reached.append((targets[new], part[new // 256], (new % 256).astype(np.uint64)))
        targets = np.concatenate([r[0] for r in reached])
        sources = np.concatenate([r[1] for r in reached])
        byte = np.concatenate([r[2] for r in reached])
        frontier, first = np.unique(targets, return_index=True)
        depth[frontier] = level + 1
        code[frontier] = (code[sources[first]] << np.uint64(8)) | byte[first]
        level += 1
    if depth.max() > _MAX_STATE:
        raise UnsupportedModel(f"states of {depth.max()} bytes; at most {_MAX_STATE} are handled")
    states = np.flatnonzero(depth > 0)
    keys = code[states] | (depth[states].astype(np.uint64) << np.uint64(_LENGTH_SHIFT))
    table_keys, table_features = _cuckoo(keys.tolist(), model["out_feat"][states].tolist())
    derived = {"ptc": model["ptc"], "pc": model["pc"], "classes": model["classes"],
               "keys": table_keys, "features": table_features,
               "exact_widening": np.array(_all_negative_normal(model["ptc"]))}
    _check_against_the_walk(_from_arrays(derived), model)
    return derived


def _check_against_the_walk(compact: CompactIdentifier, model: dict[str, np.ndarray]) -> None:
    """The tables count what py3langid's own walk counts, on text of several scripts and on
    arbitrary bytes; a model they do not reproduce is refused (py3langid then answers itself)."""
    try:
        from py3langid.langid import visit_counts
    except ImportError as exc:
        raise UnsupportedModel("py3langid no longer has visit_counts to check against") from exc
    transitions = np.ascontiguousarray(model["nextmove"], dtype=np.uint32).ravel().data  # indexable, not copied
    row_starts = (model["nextmove_row"].astype(np.int64) << 8).tolist()
    features = model["out_feat"].tolist()
    rng = np.random.default_rng(12)
    samples = [text.encode("utf8") for text in _CHECK_TEXTS]
    samples += [rng.integers(0, 256, int(n), dtype=np.uint8).tobytes() for n in rng.integers(0, 400, 200)]
    # All at once, as `classify_many` finds them (no n-gram may run from one text into the next),
    # and each alone, as a text longer than a batch is.
    found, counts, bounds = compact._feature_counts_of_many(samples)
    for data, (start, end) in zip(samples, itertools.pairwise(bounds), strict=True):
        walked = list((visit_counts(transitions, row_starts, features, data) or {}).items())
        alone, alone_counts = compact._feature_counts(data)
        if list(zip(found[start:end].tolist(), counts[start:end].tolist(), strict=True)) != walked \
                or list(zip(alone.tolist(), alone_counts.tolist(), strict=True)) != walked:
            raise UnsupportedModel("its automaton counts other features than the tables find")


_CHECK_TEXTS = (
    "The minister said on Tuesday that the new bridge would open next spring.",
    "Министр заявил во вторник, что новый мост откроется следующей весной.",
    "部长周二表示，新大桥将于明年春天通车。大臣は火曜日、新しい橋が開通すると述べた。",
    "Thứ trưởng Bộ Ngoại giao đã đại diện Việt Nam tham dự diễn đàn.",
    "وقال الوزير يوم الثلاثاء إن الجسر الجديد سيفتح في الربيع المقبل.", "", "a", "ÉTÉ",
)


def _valid(arrays: Arrays) -> bool:
    """The arrays are the tables `_from_arrays` expects, of the types and shapes it needs."""
    try:
        ptc, pc, classes, keys, features, widening = (arrays[name] for name in _ARRAYS)
    except KeyError:
        return False
    return bool(ptc.dtype == np.float16 and ptc.ndim == 2 and pc.dtype == np.float32 and pc.shape == ptc.shape[1:]
                and classes.dtype.kind == "U" and classes.shape == pc.shape
                and keys.dtype == np.uint64 and keys.ndim == 1 and len(keys) >= 256
                and not len(keys) & (len(keys) - 1)
                and features.dtype == np.int32 and features.shape == keys.shape
                and widening.dtype == np.bool_ and widening.shape == ()
                and int(features.max()) < len(ptc))


def _from_arrays(arrays: Arrays) -> CompactIdentifier:
    return CompactIdentifier(np.asarray(arrays["ptc"]), np.asarray(arrays["pc"]),
                             [str(c) for c in arrays["classes"]],
                             np.asarray(arrays["keys"]), np.asarray(arrays["features"]),
                             bool(arrays["exact_widening"]))


_ARRAYS = ("ptc", "pc", "classes", "keys", "features", "exact_widening")


class Identifier(Protocol):
    @property
    def labels(self) -> list[str]: ...

    def classify(self, text: str) -> tuple[str, float]: ...


def classify_many(identifier: Identifier, texts: Sequence[str]) -> list[tuple[str, float]]:
    """`identifier.classify` of each of `texts`: together where the identifier can (ours)."""
    if isinstance(identifier, CompactIdentifier):
        return identifier.classify_many(texts)
    return [identifier.classify(text) for text in texts]


def load(model_path: Path = _MODEL_PATH, cache_dir: Path | None = None) -> Identifier:
    """The identifier for py3langid's model file: its tables from the cache, or derived (and
    cached); py3langid's own identifier for a model the tables do not reproduce."""
    def derive() -> dict[str, np.ndarray]:
        with np.load(io.BytesIO(lzma.decompress(model_path.read_bytes())), allow_pickle=False) as data:
            return _derive({name: data[name] for name in data.files})

    try:
        arrays = cache.table(cache.name_for(model_path, f"langid-{_CACHE_FORMAT}"), derive, _valid, cache_dir)
    except UnsupportedModel as exc:
        log.warning("language identification runs py3langid's own walk (slower, more memory): "
                    "its model is not one newsdedup's tables reproduce (%s)", exc)
        identifier: Identifier = LanguageIdentifier.from_model_file(model_path, norm_probs=True)
        return identifier
    return _from_arrays(arrays)
