"""The read side on PostgreSQL: the feeds, the pages, the API and the read commands show what they
show from SQLite.

The seeds are replayed into SQLite and copied into PostgreSQL (`migrate-db`: same rows, same
times), so every feed and page must be the same bytes from either backend; a replay straight
into PostgreSQL must give the same stories. A hand-made corpus checks the queries one by one
(search wildcards, case, short words, filters, revisions), and the feed servers are checked to
be stateless: validators from the change log, whichever server answers.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import feedparser
import httpx
import pytest

from ingest.matching import change_kind
from ingest.pipeline import Pipeline
from ingest.readers import RawDocument, read_inputs
from newsdedup.config import Settings
from storage import NewDocument, StorageReadOnly, open_database
from storage.factory import open_reader
from storage.interfaces import FeedReader
from storage.model import GroupingEvidence
from storage.postgres.copy import copy_sqlite_to_postgres
from tests.conftest import ROOT, SEEDS, run_cli
from tests.feeds.support import FeedConfig, FeedServer
from tests.postgres import server as pg

# Everything the HTTP side serves from the seeds, that does not depend on search ranking.
PATHS = ["/feed.atom", "/feed.json", "/", "/?lang=vi", "/api/stories", "/api/stories?lang=vi", "/api/stories?source=1",
         "/lang/vi.atom", "/lang/EN.atom", "/source/1.atom", "/documents/1", "/documents/2", "/documents/99",
         "/stories/nope", "/archive/1.atom"]


def replay(db: str, *paths: Path) -> None:
    """What `newsdedup replay PATH... --db DB` does, in-process, for either backend."""
    with open_database(db) as store:
        pipeline = Pipeline(store, Settings(db=db).matching)
        for item in read_inputs([str(p) for p in paths], max_bytes=10_000_000):
            assert isinstance(item, RawDocument), item
            pipeline.ingest(item)


@pytest.fixture(scope="module")
def seeded(postgres_server: pg.Server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """(SQLite file, PostgreSQL URL) holding the same rows: the seeds and a source, copied by migrate-db."""
    sqlite_db = str(tmp_path_factory.mktemp("reader") / "seeds.db")
    replay(sqlite_db, SEEDS)
    with open_database(sqlite_db) as store:
        store.sources.add("https://example.org/feed.xml", interval_seconds=900, title="Example")
    url = postgres_server.create_database()
    copy_sqlite_to_postgres(sqlite_db, url)
    try:
        yield sqlite_db, url
    finally:
        postgres_server.drop_database(url)


def test_feed_clusters_and_status_print_the_same(seeded: tuple[str, str]) -> None:
    lite, pg_url = seeded
    for command in (["feed"], ["clusters"], ["clusters", "--format", "text"]):
        from_lite, from_pg = run_cli(*command, "--db", lite), run_cli(*command, "--db", pg_url)
        assert from_pg.exit_code == 0, from_pg.output
        assert from_pg.output == from_lite.output and from_lite.output, command
    lite_status = json.loads(run_cli("status", "--json", "--db", lite).output)
    pg_status = json.loads(run_cli("status", "--json", "--db", pg_url).output)
    assert pg_status.pop("db") == pg_url and lite_status.pop("db") == lite
    assert pg_status == lite_status and pg_status["stories"] == 4 and len(pg_status["sources"]) == 1
    with_password = pg_url.replace("postgres@", "postgres:s3cret@")  # the tests' server trusts any
    for flags in ([], ["--json"]):
        shown = run_cli("status", *flags, "--db", with_password)
        assert shown.exit_code == 0 and pg_url in shown.output and "s3cret" not in shown.output


def test_pages_feeds_and_api_are_the_same_bytes(seeded: tuple[str, str]) -> None:
    lite, pg_url = seeded
    fs = FeedConfig(base_url="https://news.example")  # the same links from both servers
    with FeedServer(lite, fs) as lite_server, FeedServer(pg_url, fs) as pg_server:
        stories = json.loads(httpx.get(pg_server.url + "/api/stories").content)["stories"]
        assert len(stories) == 4
        story_paths = [f"/stories/{s['id']}" for s in stories] + [f"/api/stories/{s['id']}" for s in stories]
        for path in PATHS + story_paths:
            want = httpx.get(lite_server.url + path)
            got = httpx.get(pg_server.url + path)
            assert got.status_code == want.status_code, path
            assert got.content == want.content, path
            assert got.headers.get("etag") == want.headers.get("etag"), path
            assert got.headers.get("last-modified") == want.headers.get("last-modified"), path


def test_search_finds_the_same_stories(seeded: tuple[str, str]) -> None:
    lite, pg_url = seeded
    with FeedServer(lite) as lite_server, FeedServer(pg_url) as pg_server:
        for query in ("vietnam", "VIETNAM", "Việt Nam", "EU", "eu defence", "Hằng", "%", "_", "nothing-like-it"):
            found = []
            for server in (lite_server, pg_server):
                api = httpx.get(server.url + "/api/stories", params={"q": query, "limit": 50}).json()
                found.append((api["total"], sorted((s["id"], len(s["versions"])) for s in api["stories"])))
                assert httpx.get(server.url + "/search", params={"q": query}).status_code == 200
            assert found[1] == found[0], query
            assert found[1][0] >= (2 if query in ("vietnam", "VIETNAM", "EU") else 0), query


def test_a_replay_into_postgres_finds_the_same_stories(postgres_url: str, tmp_path: Path) -> None:
    lite = str(tmp_path / "seeds.db")
    assert run_cli("replay", SEEDS, "--db", lite).exit_code == 0
    assert run_cli("replay", SEEDS, "--db", postgres_url).exit_code == 0
    assert run_cli("clusters", "--db", postgres_url).output == run_cli("clusters", "--db", lite).output
    feeds = [feedparser.parse(run_cli("feed", "--db", db).stdout_bytes) for db in (lite, postgres_url)]
    assert [[(e.id, e.title, [link.href for link in e.links]) for e in f.entries] for f in feeds][0] == \
        [[(e.id, e.title, [link.href for link in e.links]) for e in f.entries] for f in feeds][1]
    assert len(feeds[1].entries) == 4


def test_feed_servers_are_stateless(postgres_url: str, tmp_path: Path) -> None:
    """Two servers on one database: the same validators, and each sees a write made elsewhere."""
    fs = FeedConfig(base_url="https://news.example")
    paths = ["/feed.atom", "/lang/en.atom", "/api/stories?limit=10"]
    with FeedServer(postgres_url, fs) as one, FeedServer(postgres_url, fs) as two:
        assert httpx.get(one.url + "/healthz").status_code == 503  # no worker has set the database up
        assert httpx.get(one.url + "/feed.atom").status_code == 503
        replay(postgres_url, SEEDS)
        assert httpx.get(one.url + "/healthz").json() == {"status": "ok", "changes": 5}
        etags = {}
        for path in paths:
            first = httpx.get(one.url + path)
            etags[path] = first.headers["etag"]
            assert httpx.get(two.url + path).headers["etag"] == etags[path]
            assert httpx.get(two.url + path, headers={"If-None-Match": etags[path]}).status_code == 304
            if "last-modified" in first.headers:  # the feeds have one, the API not
                since = {"If-Modified-Since": first.headers["last-modified"]}
                assert httpx.get(one.url + path, headers=since).status_code == 304
        extra = tmp_path / "more"
        extra.mkdir()
        (extra / "storm.txt").write_text("A storm reaches the coast\n\nA storm reached the coast overnight, "
                                         "and the harbour was closed until the morning.\n")
        replay(postgres_url, extra)
        for server in (one, two):
            for path in paths:
                deadline = time.monotonic() + 10  # a server may answer the hottest feeds from memory for a moment
                while (changed := httpx.get(server.url + path, headers={"If-None-Match": etags[path]})
                       ).status_code == 304 and time.monotonic() < deadline:
                    time.sleep(0.1)
                assert changed.status_code == 200 and changed.headers["etag"] != etags[path], path
                assert "storm" in changed.text, path


# -- the queries one by one, on a hand-made corpus written the same way into both backends


def _new(key: str, title: str, text: str, lang: str, source_id: int | None, n: int) -> NewDocument:
    return NewDocument(key=key, title=title, text=text, lang=lang, url=f"https://news.example/{key}",
                       published=None, updated=None, authors=("A. Writer",), description=None, image=None,
                       content_hash=f"h{n}", source_id=source_id, window_time=0.0, lexical=b"\0" * 16,
                       anchor_minhash=b"\0" * 16, anchors=(), grouping=None)


CORPUS = [  # key, story (None: a new one), title, text, lang, source
    ("a", None, "Quake hits the coast", "A quake struck at 100% strength.", "en", 1),
    ("b", "a", "Động đất ở bờ biển", "Một trận động đất mạnh.", "vi", 2),
    ("c", None, "Harvest_report", "A good harvest in the EU this year: 50% more.", "en", None),
    ("d", None, "地震", "東京で地震がありました。", "ja", 1),
    ("e", "c", "Ernte", "Eine gute Ernte in der EU.", "DE", 2),
]


def write_corpus(db: str) -> None:
    with open_database(db) as store:
        store.sources.add("https://one.example/feed", interval_seconds=900, title="One")
        store.sources.add("https://two.example/feed", interval_seconds=900)
        for n, (key, story, title, text, lang, source) in enumerate(CORPUS):
            with store.transaction():
                languages = store.documents.story_languages(f"s-{story}") if story else set()
                doc = _new(key, title, text, lang, source, n)
                if story:
                    doc = replace(doc, grouping=GroupingEvidence(1, "translation", 1.25, ("quake",), 0.5))
                store.documents.add(doc, f"s-{story or key}", change_kind(story and f"s-{story}", lang, languages))
        found = store.documents.find("a")
        assert found is not None
        with store.transaction():
            store.documents.change(found.id, found.story_id, _new("a", "Quake hits the coast again",
                                                                  "A second quake struck.", "en", 1, 9), 2, ())


def observed(reader: FeedReader) -> dict[str, object]:
    """What the feeds read, without the times of writing (each backend wrote at its own time)."""
    with reader.snapshot():
        head = reader.head_seq()
        changes = reader.changes_between(1, head)
        ids = sorted({c.document_id for c in changes})
        story_ids = sorted({c.story_id for c in changes})
        seen: dict[str, object] = {
            "head": head,
            "changes": [(c.seq, c.story_id, c.document_id, c.kind) for c in changes],
            "heads": reader.recent_story_heads(10), "heads_vi": reader.recent_story_heads(10, lang="vi"),
            "heads_de": reader.recent_story_heads(10, lang="de"),
            "heads_src": reader.recent_story_heads(1, source_id=1),
            "story_changes": [(c.seq, c.story_id) for c in reader.story_changes(story_ids[:2], head - 1)],
            "stories": {k: (v.id, v.representative_id) for k, v in reader.stories(story_ids + ["nope"]).items()},
            "documents": reader.documents(ids + [999]),
            "revisions": reader.revisions([(1, 1), (1, 2), (2, 1), (7, 7)]),
            "document": [reader.document(i) for i in (1, 2, 999, 2**70)],
            "clusters": list(reader.clusters()),
            "languages": reader.languages(),
            "source_known": [reader.source_known(i) for i in (1, 2, 3, 2**70)],
            "sources": reader.sources([1, 2, 3]),
            "source_choices": reader.source_choices(),
            "story_exists": [reader.story_exists(s) for s in ("s-a", "s-x")],
            "pages": [reader.story_page(2, 0), reader.story_page(2, 2), reader.story_page(10, 0, lang="VI"),
                      reader.story_page(10, 0, source_id=2)],
            "groupings": reader.groupings(ids),
            "history": {k: [(r.revision, r.title) for r in v] for k, v in reader.revision_history(ids).items()},
            "times": sorted(reader.revision_times(ids)),
            "scopes": reader.scopes_changed_after(2),
            "created": reader.created() is not None,
        }
        searches = {}
        for query in ("quake", "QUAKE", "100%", "50%", "_", "harvest_", "EU", "ernte eu", "地震", "động", "x\x00y", " ",
                      "coast again"):
            for lang in (None, "de", "EN"):
                hits, total = reader.search(query, 10, 0, lang=lang)
                searches[(query, lang)] = (total, sorted((h.story_id, h.document_id) for h in hits))
        seen["search"] = searches
        overview = reader.overview()
        seen["overview"] = (overview.documents, overview.stories, overview.changes, overview.errors,
                            overview.languages, [(s["id"], s["url"], s["title"]) for s in overview.sources])
    return seen


def test_every_query_answers_as_sqlites(postgres_url: str, tmp_path: Path) -> None:
    lite = str(tmp_path / "corpus.db")
    write_corpus(lite)
    write_corpus(postgres_url)
    with open_reader(lite) as lite_reader, open_reader(postgres_url) as pg_reader:
        want, got = observed(lite_reader), observed(pg_reader)
    for name in want:
        assert got[name] == want[name], name
    assert want["search"][("quake", None)][0] == 1 and want["search"][("EU", "de")][0] == 1  # type: ignore[index]
    assert want["search"][("50%", None)][0] == 1 and want["search"][("_", None)][0] == 1  # type: ignore[index]
    assert want["search"][("100%", None)][0] == 0  # the text that had it was changed


def test_the_reader_cannot_write(postgres_url: str) -> None:
    replay(postgres_url, SEEDS)
    with open_reader(postgres_url) as reader:
        with pytest.raises(StorageReadOnly):
            reader.conn.execute("DELETE FROM changes")  # type: ignore[attr-defined]


def test_search_uses_trigram_indexes(postgres_url: str) -> None:
    replay(postgres_url, SEEDS)
    import psycopg

    with psycopg.connect(postgres_url) as conn:
        names = {r[0] for r in conn.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'documents'")}
    assert {"documents_title_trgm", "documents_text_trgm"} <= names


def test_without_pg_trgm_search_reads_every_document(postgres_server: pg.Server,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    """A database user who may not create extensions: the migration goes on without the indexes."""
    import psycopg

    with psycopg.connect(postgres_server.url(), autocommit=True) as admin:
        admin.execute("CREATE ROLE plain LOGIN")
        admin.execute("CREATE DATABASE no_trgm")  # owned by postgres: plain may not CREATE EXTENSION in it
    try:
        with psycopg.connect(postgres_server.url("no_trgm"), autocommit=True) as owner:
            owner.execute("GRANT CREATE, USAGE ON SCHEMA public TO plain")
        url = f"postgresql://plain@127.0.0.1:{postgres_server.port}/no_trgm"
        replay(url, SEEDS)
        assert "pg_trgm is not available" in caplog.text
        with open_reader(url) as reader:
            hits, total = reader.search("vietnam", 10, 0)
        assert total >= 2 and len(hits) == total
    finally:
        with psycopg.connect(postgres_server.url(), autocommit=True) as admin:
            admin.execute("DROP DATABASE IF EXISTS no_trgm WITH (FORCE)")
            admin.execute("DROP ROLE IF EXISTS plain")


# -- the read commands and `serve --no-crawl` as a user meets them


def test_a_database_no_worker_set_up_is_one_line(postgres_url: str) -> None:
    for command in (["feed"], ["clusters"], ["status"]):
        result = run_cli(*command, "--db", postgres_url)
        assert result.exit_code == 1 and "no newsdedup database there yet" in result.output, command
        assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_serve_no_crawl_serves_postgres(seeded: tuple[str, str], tmp_path: Path) -> None:
    _, pg_url = seeded
    port = _free_port()
    env = {**os.environ, "NEWSDEDUP_CONFIG": str(tmp_path / "none.toml")}
    (tmp_path / "none.toml").write_text("")
    process = subprocess.Popen([sys.executable, "-m", "newsdedup", "serve", "--no-crawl", "--db", pg_url,
                                "--port", str(port)], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while True:
            try:
                health = httpx.get(base + "/healthz")
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline and process.poll() is None, "serve --no-crawl did not start"
                time.sleep(0.1)
        assert health.json() == {"status": "ok", "changes": 5}
        assert len(feedparser.parse(httpx.get(base + "/feed.atom").content).entries) == 4
        assert len(httpx.get(base + "/api/stories").json()["stories"]) == 4
        assert "Vietnam" in httpx.get(base + "/search", params={"q": "vietnam"}).text
    finally:
        process.send_signal(signal.SIGTERM)
        output = process.communicate(timeout=15)[0]
    assert process.returncode == 0, output
    assert "without crawling" in output


def test_serve_no_crawl_is_documented_and_does_not_replay() -> None:
    assert "--no-crawl" in run_cli("serve", "--help").output
    result = run_cli("serve", "--no-crawl", "--replay", str(SEEDS))
    assert result.exit_code == 2 and "--no-crawl only serves" in result.output
