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
instead of decompressing the model (0.5 s), and processes share one copy (each process makes
its own 2 MB packed copy of the hash table, the one array not mapped). Where the cache
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
# What the lookups find for an n-gram, its code: the feature its state counts + 1 (0: a state
# that counts none), or _NO_STATE or more: no state. The packed table holds each state of 3-5
# bytes as one integer, its key (bytes and length, 43 bits) above its code, so that one read
# of a slot both tests the n-gram and answers it.
_CODE_BITS = 21
_NO_STATE = 1 << _CODE_BITS
_PACKED_LENGTH_SHIFT = 40  # in a packed key: up to 5 bytes, the length above them
# Texts are classified together up to this many bytes: the working arrays are ~50 times the
# bytes, so a few dozen short news texts share each numpy call, and long ones stay in cache.
BATCH_BYTES = 16_384
_ROWS_AT_ONCE = 600  # rows of the table (~340 KB as float32): the texts `_rows` widens at once


class CompactIdentifier:
    """py3langid's `LanguageIdentifier(norm_probs=True).classify`, same answers, no DFA table.

    The states are looked up in a cuckoo hash table, every key in one of two slots, so each
    n-gram of the text is found or ruled out with two array reads and no probing loop (one
    read a slot for the n-grams of 3-5 bytes, from the packed copy of the table)."""

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
        held = keys != np.uint64(_EMPTY)
        lengths = keys[held] >> np.uint64(_LENGTH_SHIFT)
        state_bytes = keys[held] & np.uint64((1 << _LENGTH_SHIFT) - 1)
        state_codes = features[held].astype(np.uint64) + np.uint64(1)
        # The states of one and two bytes, as tables of codes indexed by the bytes themselves;
        # a pair that is no state has its last byte's code: the longest state ending there.
        self._by_byte = np.full(1 << 8, _NO_STATE, dtype=np.uint64)
        self._by_pair = np.full(1 << 16, _NO_STATE, dtype=np.uint64)
        for length, table in ((1, self._by_byte), (2, self._by_pair)):
            table[state_bytes[lengths == length].astype(np.int64)] = state_codes[lengths == length]
        no_pair = self._by_pair == _NO_STATE
        self._by_pair[no_pair] = np.tile(self._by_byte, 1 << 8)[no_pair]  # (pair i ends in byte i % 256)
        self._packed = _packed(keys, features)  # (2 MB a process, derived in ~4 ms: not cached)
        self._packed_tags = [np.uint64(k << (_PACKED_LENGTH_SHIFT + _CODE_BITS)) for k in range(_MAX_STATE + 1)]
        # A byte in no state parts the texts of a batch: no n-gram across it is a state.
        in_a_state = np.zeros(1 << 8, dtype=bool)
        for i in range(_MAX_STATE):
            in_a_state[((state_bytes[lengths > i] >> np.uint64(8 * i)) & np.uint64(0xFF)).astype(np.int64)] = True
        free = np.flatnonzero(~in_a_state)
        self._separator = bytes([int(free[0])]) if len(free) else None
        # The table is float16, and numpy's cast to float32 is a slow scalar loop. Where every
        # value is a negative normal number (a log-probability, as in py3langid's model), its
        # float32 bits are its own, shifted: `_rows` builds them directly.
        self._exact_widening = exact_widening
        row = np.dtype((np.void, ptc.dtype.itemsize * ptc.shape[1]))
        self._ptc_rows = np.ascontiguousarray(ptc).view(row).reshape(-1)  # the same memory, a row an item
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
        # Each row as one record: a row is then one copy, not one per value (about half the time).
        halves = self._ptc_rows[features].view(np.uint16).reshape(len(features), self.nb_ptc.shape[1])
        bits: np.ndarray = halves.astype(np.uint32)
        # The exponent and mantissa move up 13 bits and the exponent is rebiased by (127 - 15) << 23
        # = 0x38000000; the sign bit, set in every value, moves to bit 28 and is taken off there
        # (0x10000000) and put at bit 31 (0x80000000): in all, + 0xA8000000 after the shift. In
        # place: no new array to write for each step.
        bits <<= np.uint32(13)
        bits += np.uint32(0xA8000000)
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
        if len(datas) > 1 and self._separator is None:  # (no byte to part them: one at a time)
            alone = [self._feature_counts(data) for data in datas]
            bounds = np.cumsum([0] + [len(features) for features, _ in alone]).tolist()
            return (np.concatenate([features for features, _ in alone]),
                    np.concatenate([counts for _, counts in alone]), bounds)
        # After the texts, _MAX_STATE - 1 bytes of padding: every n-gram that begins in a text
        # ends in the array, and one that runs into the padding ends past the texts, uncounted.
        raw = np.frombuffer((self._separator or b"").join(datas) + bytes(_MAX_STATE - 1), dtype=np.uint8)
        n = len(raw) - (_MAX_STATE - 1)
        # counted[i]: the code of the longest state among the n-grams ending at byte i, found
        # from the shortest n-grams up, each length overwriting where its n-gram is a state. One
        # and two bytes, a state nearly everywhere in natural text, are looked up directly.
        counted = np.empty(len(raw), dtype=np.uint64)
        counted[0] = self._by_byte[raw[0]]
        pairs = raw[:-1].astype(np.int32)
        pairs <<= 8
        pairs |= raw[1:]
        np.take(self._by_pair, pairs, out=counted[1:])
        grams = raw.astype(np.uint64)
        ending = (grams[:-2] << np.uint64(16)) | (grams[1:-1] << np.uint64(8)) | grams[2:]
        for k in range(3, _MAX_STATE):
            if k > 3:
                ending = (ending[:-1] << np.uint64(8)) | grams[k - 1:]
            found = self._packed_states(ending, k)
            np.copyto(counted[k - 1:], found, where=found < _NO_STATE)
        # The longest states are few (py3langid's: 198 of ~105,000), and a state's prefix is
        # a state: the longest n-grams are asked only where the bytes before them are one.
        at = np.flatnonzero(found[:n] < _NO_STATE)
        ends = at + (_MAX_STATE - 1)
        found = self._states(ending[at] << np.uint64(8) | grams[ends], _MAX_STATE)
        is_state = found < _NO_STATE
        counted[ends[is_state]] = found[is_state]
        counted = counted[:n]
        counted -= np.uint64(1)  # a feature, or the code was 0 or _NO_STATE and more: not counted
        kept = counted < np.uint64(_NO_STATE - 1)
        if len(datas) <= 1:
            features, counts = _distinct_in_order(counted[kept].view(np.int64))
            return features, counts, [0, len(features)]
        # Each (text, feature) pair as one integer: distinct pairs in order of first appearance
        # are each text's distinct features in its own order, the texts one after another.
        # (Made at every byte and the counted ones taken once: taking them is the slow part.)
        lengths = np.fromiter(map(len, datas), dtype=np.int64, count=len(datas))
        feature_bits = np.int64(self._feature_bits)
        pairs_of = np.repeat(np.arange(len(datas), dtype=np.int64) << feature_bits, lengths + 1)[:n]
        pairs_of |= counted.view(np.int64)
        pairs_of = pairs_of[kept]
        pairs_of, counts = _distinct_in_order(pairs_of)
        bounds = np.searchsorted(pairs_of >> feature_bits, np.arange(len(datas) + 1)).tolist()
        return pairs_of & ((np.int64(1) << feature_bits) - 1), counts, bounds

    def _packed_states(self, grams: np.ndarray, k: int) -> np.ndarray:
        """The codes of k-grams of 3-5 bytes (each's bytes as a big-endian integer), or more
        than any code: _NO_STATE or above. The slot that holds the k-gram's key reads as its
        code once the key is taken off (xor); any other slot as 2^21 or more."""
        query = grams | self._length_tags[k]  # the key as the cuckoo table hashed it
        wanted = grams << np.uint64(_CODE_BITS)
        wanted |= self._packed_tags[k]
        slot = query * self._hashes[0]
        slot >>= self._shift
        found = self._packed[slot.view(np.int64)]  # (slots < 2^63)
        found ^= wanted
        query *= self._hashes[1]
        query >>= self._shift
        other = self._packed[query.view(np.int64)]
        other ^= wanted
        np.minimum(found, other, out=found)
        return found

    def _states(self, grams: np.ndarray, k: int) -> np.ndarray:
        """The codes of k-grams of any length, or _NO_STATE, from the cuckoo table itself."""
        query = grams | self._length_tags[k]
        first_slot = query * self._hashes[0]
        first_slot >>= self._shift
        other_slot = query * self._hashes[1]
        other_slot >>= self._shift
        first_slot, other_slot = first_slot.view(np.int64), other_slot.view(np.int64)  # (slots < 2^63)
        found: np.ndarray = np.where(self._keys[first_slot] == query, self._features[first_slot] + 1,
                                     np.where(self._keys[other_slot] == query, self._features[other_slot] + 1,
                                              _NO_STATE))
        return found

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
        weights = np.log1p(counts.astype(np.float32))
        # No features: a uniform distribution, as py3langid gives (all scores 0 before the softmax).
        scores = np.zeros((len(datas), len(self.nb_classes)), dtype=np.float32)
        # The rows of a few texts at a time: widened and multiplied while they are in the core's
        # cache (all of a batch's, ~4 MB, took a third longer).
        for run in runs_within(np.diff(bounds).tolist(), _ROWS_AT_ONCE):
            first = bounds[run.start]
            rows = self._rows(features[first:bounds[run.stop]])
            for i in run:
                start, end = bounds[i] - first, bounds[i + 1] - first
                if end > start:  # one product per text, as py3langid computes it: the same float sums
                    scores[i] = weights[first + start:first + end] @ rows[start:end] + self.nb_pc
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
    is_start = np.empty(len(values), dtype=bool)
    is_start[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=is_start[1:])
    starts = np.flatnonzero(is_start)
    counts = np.empty(len(starts), dtype=np.int64)
    np.subtract(starts[1:], starts[:-1], out=counts[:-1])
    counts[-1] = len(values) - starts[-1]
    # Each value's first appearance, marked where it is: the values read in their own order
    # there are the distinct ones in order of appearance (no second sort).
    firsts = keys[starts] & np.int64((1 << position_bits) - 1)
    is_first = np.zeros(len(values), dtype=bool)
    is_first[firsts] = True
    counts_at = np.empty(len(values), dtype=np.int64)
    counts_at[firsts] = counts
    return values[is_first], counts_at[is_first]


def _distinct_in_order_stably(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`_distinct_in_order` for values too wide to share an integer with their positions."""
    order = np.argsort(values, kind="stable")  # stable: each run of equal values starts at its first
    ordered = values[order]
    starts = np.flatnonzero(np.concatenate(([True], ordered[1:] != ordered[:-1])))
    by_appearance = np.argsort(order[starts])
    counts = np.diff(np.append(starts, len(values)))
    return ordered[starts][by_appearance], counts[by_appearance]


def _packed(keys: np.ndarray, features: np.ndarray) -> np.ndarray:
    """The cuckoo table with its states of 3-5 bytes packed: in the top 43 bits the key, its
    bytes with the length above them, in the low 21 the code. Other slots are all ones, their
    length 7, no query's."""
    lengths = keys >> np.uint64(_LENGTH_SHIFT)
    packed = keys & np.uint64((1 << _PACKED_LENGTH_SHIFT) - 1)
    packed |= lengths << np.uint64(_PACKED_LENGTH_SHIFT)
    packed <<= np.uint64(_CODE_BITS)
    packed |= (features + 1).astype(np.uint64)
    packed[(lengths < 3) | (lengths > 5)] = _EMPTY  # (an empty slot's length is 255)
    return packed


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
    if len(model["ptc"]) + 1 >= _NO_STATE:
        raise UnsupportedModel(f"{len(model['ptc'])} features; the packed table's codes hold {_NO_STATE - 2}")
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
                and int(features.max()) < len(ptc) < _NO_STATE - 1)


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
