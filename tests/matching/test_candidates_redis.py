"""LshCandidates in Redis (datasketch's storage layer), against a private redis-server: the same
candidates as in memory, removal from both views, and one index shared by two processes' objects."""

from __future__ import annotations

import random
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ingest.matching import MatchSettings
from ingest.matching.candidates import BandCandidates, LshCandidates
from ingest.matching.minhash import minhash

redis = pytest.importorskip("redis")
pytestmark = pytest.mark.skipif(shutil.which("redis-server") is None,
                                reason="needs redis-server (apt-get install redis-server)")


@pytest.fixture(scope="module")
def redis_config(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    folder: Path = tmp_path_factory.mktemp("redis")
    proc = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", str(folder)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        client = redis.Redis(host="127.0.0.1", port=port)
        for _ in range(200):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        yield {"type": "redis", "redis": {"host": "127.0.0.1", "port": port}}
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _signatures(count: int) -> list[tuple[Any, Any]]:
    rng = random.Random(3)
    pools = [[rng.getrandbits(32) for _ in range(300)] for _ in range(count // 8 + 1)]
    made = []
    for i in range(count):
        pool = pools[i % len(pools)]
        made.append((minhash(rng.sample(pool, rng.randint(30, 200)), 128), minhash(rng.sample(pool[:50], 12), 128)))
    return made


def test_redis_index_finds_what_memory_finds_and_forgets_removed(redis_config: dict[str, Any]) -> None:
    settings = MatchSettings()
    ours, theirs = BandCandidates(settings), LshCandidates(settings, {**redis_config, "basename": b"t1"})
    signatures = _signatures(60)
    for document_id, (lexical, anchor) in enumerate(signatures):
        assert theirs.query(lexical, anchor) == ours.query(lexical, anchor)
        ours.insert(document_id, lexical, anchor)
        theirs.insert(document_id, lexical, anchor)
    for gone in range(0, 60, 3):
        ours.remove(gone)
        theirs.remove(gone)
    for lexical, anchor in signatures:
        # Each view alone: a removed document must be gone from the anchor view too.
        assert theirs.query(lexical, None) == ours.query(lexical, None)
        assert theirs.query(minhash([1, 2, 3], 128), anchor) == ours.query(minhash([1, 2, 3], 128), anchor)


def test_one_basename_is_one_shared_index_with_views_apart(redis_config: dict[str, Any]) -> None:
    settings = MatchSettings()
    config = {**redis_config, "basename": b"t2"}
    writer, reader = LshCandidates(settings, config), LshCandidates(settings, config)
    lexical, anchor = _signatures(1)[0]
    writer.insert(7, lexical, None)  # the lexical view only
    assert reader.query(lexical, None) == {7}
    assert reader.query(minhash([1, 2, 3], 128), lexical) == set()  # nothing leaked into the anchor view
    assert 7 not in reader.anchor
    writer.insert(8, lexical, anchor)
    assert reader.query(minhash([1, 2, 3], 128), anchor) == {8}
