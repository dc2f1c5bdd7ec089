"""The `newsdedup` command line."""

from __future__ import annotations

import gc
import json
import logging
import sys
import time
from typing import TYPE_CHECKING, Any

import click

from ingest.errors import IngestError
from ingest.readers import ReadFailure, read_inputs
from ingest.settings import CrawlSettings
from newsdedup.config import Settings
from storage import StorageError, open_database
from storage.factory import OpenDatabase
from storage.model import ClusterRow

if TYPE_CHECKING:
    from ingest.crawl import SourceRun
    from ingest.pipeline import Pipeline
    from ingest.replay import ReplaySummary
    from storage import Source
    from storage.model import SourceLease

# Python's collector looks for reference cycles after every 700 new container objects, and its
# fuller passes walk every object alive: the live matching index holds millions (candidates,
# anchor sets, dicts), so a replay's writing process spent ~6% of its CPU there. This code makes
# few cycles; collections 30 times rarer left wmt22's peak memory as it was. It is set for every
# command (serve and crawl hold the same index).
GC_NEW_OBJECTS_THRESHOLD = 20_000

# A command stopped by Ctrl-C exits as shells report a process ended by SIGINT (128 + 2).
INTERRUPTED_EXIT = 130
DB_HELP = "SQLite database file [env NEWSDEDUP_DB; default newsdedup.db in the working directory]"


class _Commands(click.Group):
    """Storage failures (disk full, read-only, corrupt, newer schema) end a command with their
    one-line message and exit status 1, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except StorageError as exc:
            raise click.ClickException(exc.message) from None


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--config", "config_file", type=click.Path(dir_okay=False),
              help="TOML settings file [env NEWSDEDUP_CONFIG; default ./newsdedup.toml if present]")
@click.version_option(package_name="newsdedup")
@click.pass_context
def main(ctx: click.Context, config_file: str | None) -> None:
    """Deduplicating news ingest: each story once, its versions and translations attached.

    \b
    Replay saved articles and serve them (the last line printed is the URL to open):
      newsdedup serve --replay seeds/
    Or replay them, then print the Atom feed, or what the database holds:
      newsdedup replay seeds/ && newsdedup feed
      newsdedup status
    \b
    Follow sources with the daemon (feeds at http://127.0.0.1:8080/feed.atom):
      newsdedup sources add --discover https://example.org/
      newsdedup serve
    \b
    Settings: ./newsdedup.toml, NEWSDEDUP_<SETTING> variables or flags (README, "Settings").
    """
    ctx.obj = config_file
    tune_collector()


def tune_collector() -> None:
    """Cycle collections every GC_NEW_OBJECTS_THRESHOLD new objects (benchmarks that run the
    pipeline in-process call it too, to measure what the commands do)."""
    gc.set_threshold(GC_NEW_OBJECTS_THRESHOLD, *gc.get_threshold()[1:])


def _settings(ctx: click.Context, **overrides: object) -> Settings:
    try:
        settings = Settings.load(ctx.obj, **overrides)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    for warning in settings.warnings:
        click.secho(f"warning: {warning}", fg="yellow", err=True)
    return settings


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--format", "fmt", type=click.Choice(["text", "json", "jsonl"]), default="text", show_default=True,
              help="text: readable; json: one array; jsonl: one object per input, in input order")
@click.pass_context
def extract(ctx: click.Context, paths: tuple[str, ...], fmt: str) -> None:
    """Print the extracted article of each file, without storing anything.

    Reads the same inputs as replay (.txt dumps, .html pages, .jsonl corpora). Each
    result has path, title, text, lang, published, url, authors and the time it took (ms).
    """
    from ingest.document import document_from
    from ingest.document import extract as extract_article

    settings = _settings(ctx)
    results = []
    failed = False
    for item in read_inputs(list(paths), max_bytes=settings.reading.max_document_bytes):
        started = time.perf_counter()
        if isinstance(item, ReadFailure):
            result = _failed_result(item.origin, item.error)
            failed = True
        else:
            try:
                article = extract_article(item)
                doc = document_from(item, article)
                # a file is named by its path as given; a corpus record by its id
                path = item.key if item.locator and item.locator[1] >= 0 else item.origin
                result = {"path": path, "title": doc.title, "text": doc.text, "lang": doc.lang,
                          "published": doc.published, "updated": doc.updated, "url": doc.url,
                          "authors": doc.authors, "description": doc.description, "image": doc.image,
                          "notes": article.notes}
            except IngestError as exc:
                result = _failed_result(item.origin, exc)
                failed = True
        result["ms"] = round((time.perf_counter() - started) * 1000, 3)
        if fmt == "jsonl":
            click.echo(json.dumps(result, ensure_ascii=False))
        elif fmt == "json":
            results.append(result)
        else:
            _echo_readable(result)
    if fmt == "json":
        click.echo(json.dumps(results, ensure_ascii=False, indent=2))
    sys.exit(1 if failed else 0)


def _failed_result(origin: str, error: IngestError) -> dict[str, object]:
    return {"path": origin, "title": "", "text": "", "lang": None, "published": None, "url": None,
            "error": {"kind": error.kind.value, "stage": error.stage, "message": error.message}}


def _echo_readable(result: dict[str, object]) -> None:
    click.secho(f"== {result['path']}", bold=True)
    if "error" in result:
        error = result["error"]
        assert isinstance(error, dict)
        click.secho(f"error ({error['kind']}): {error['message']}", fg="red")
        return
    for name in ("title", "lang", "published", "url", "authors"):
        if result.get(name):
            click.echo(f"{name}: {result[name]}")
    click.echo()
    click.echo(str(result["text"]))
    click.echo()


_db_option = click.option("--db", type=click.Path(dir_okay=False), default=None, help=DB_HELP)


def _open_store(settings: Settings, must_exist: bool = False) -> OpenDatabase:
    """The database of the settings (an SQLite file, or postgresql://... for several workers); a storage
    error says what is wrong with it."""
    return open_database(settings.storage.db, must_exist=must_exist)


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@_db_option
@click.option("--quiet", "-q", is_flag=True, help="Print only errors and the summary.")
@click.option("--workers", type=click.IntRange(min=0),
              help="Processes that extract and fingerprint ahead while one decides and writes; the same "
                   "stories as with one (1: none; 0: one per core, at most 2, for 1,000 documents or more) "
                   "[env NEWSDEDUP_REPLAY_WORKERS; default 0].")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON object (for scripts).")
@click.pass_context
def replay(ctx: click.Context, paths: tuple[str, ...], db: str | None, quiet: bool, workers: int | None,
           as_json: bool) -> None:
    """Ingest saved files as if they had been fetched, through the whole pipeline.

    PATHS are .txt article dumps, .html/.htm pages and .jsonl corpora (one object per
    line: id, and text or html, optional url, lang, title, published); directories are
    walked. Replaying the same files again changes nothing. Bad files are reported with
    the reason and skipped; the exit status is 1 if any input failed.
    """
    from ingest.language import preload

    preload()  # while the pipeline's modules import and the database opens
    from ingest.readers import total_size
    from ingest.replay import replay as replay_inputs
    from ingest.workers import WorkerDied

    settings = _settings(ctx, db=db, replay_workers=workers)
    with _open_store(settings) as store:
        pipeline = _pipeline(store, settings)
        show_progress = not quiet and sys.stderr.isatty()
        with click.progressbar(length=max(total_size(list(paths)), 1), label="replaying", file=sys.stderr,
                               hidden=not show_progress) as bar:
            try:
                summary = replay_inputs(pipeline, list(paths), max_bytes=settings.reading.max_document_bytes,
                                        on_error=_report, on_warning=_warn, on_progress=bar.update,
                                        order=settings.reading.replay_order,
                                        workers=settings.reading.replay_workers,
                                        batch_size=settings.reading.replay_batch)
            except WorkerDied as exc:
                raise click.ClickException(f"{exc}. What was stored is kept: replaying again goes on "
                                           "from there") from None
            except KeyboardInterrupt:
                click.echo("\ninterrupted: what was stored is kept; replaying the same files again goes on "
                           "from there", err=True)
                sys.exit(INTERRUPTED_EXIT)
    click.echo(json.dumps(_replay_json(summary, settings)) if as_json else summary.line())
    sys.exit(1 if summary.errors else 0)


def _replay_json(summary: ReplaySummary, settings: Settings) -> dict[str, object]:
    """A replay's summary for scripts: what each document became, errors, seconds."""
    outcomes = {kind: summary.outcomes.get(kind, 0) for kind in ("created", "version", "translation", "changed",
                                                                  "unchanged")}
    return {"db": settings.storage.db, "documents": sum(outcomes.values()), "new_stories": outcomes["created"],
            "outcomes": outcomes, "errors": summary.errors, "seconds": round(summary.seconds, 3)}


def _pipeline(store: OpenDatabase, settings: Settings) -> Pipeline:
    from ingest.pipeline import Pipeline

    try:
        return Pipeline(store, settings.matching)
    except ValueError as exc:  # the database was made with other fingerprint settings
        raise click.ClickException(str(exc)) from None


def _warn(origin: str, message: str) -> None:
    click.secho(f"warning: {origin}: {message}", fg="yellow", err=True)


def _report(origin: str, error: IngestError) -> None:
    click.secho(f"error: {origin}: {error.kind.value} ({error.stage}): {error.message}", fg="red", err=True)


@main.command()
@_db_option
@click.option("--format", "fmt", type=click.Choice(["jsonl", "text"]), default="jsonl", show_default=True)
@click.pass_context
def clusters(ctx: click.Context, db: str | None, fmt: str) -> None:
    """Print each stored document with the story it belongs to.

    jsonl: one object per document with id (the corpus id, else the file key or URL),
    cluster (its story id), lang and title: the predictions format of the dedup benchmark's
    score.py.
    """
    from dataclasses import asdict

    from storage.factory import open_reader

    settings = _settings(ctx, db=db)
    with open_reader(settings.storage.db) as reader:
        if fmt == "jsonl":
            for row in reader.clusters():
                click.echo(json.dumps(asdict(row), ensure_ascii=False))
            return
        # text: stories in the order their first document arrived, a blank line between two
        stories: dict[str, list[ClusterRow]] = {}
        for row in reader.clusters():
            stories.setdefault(row.cluster, []).append(row)
    for number, (story_id, rows) in enumerate(stories.items()):
        if number:
            click.echo()
        click.secho(f"{story_id}  ({len(rows)} document{'s' if len(rows) != 1 else ''})", bold=True)
        for row in rows:
            click.echo(f"  {row.lang:3}  {_cut(' '.join(row.title.split()), TEXT_TITLE_CHARS):<{TEXT_TITLE_CHARS}}  "
                       f"{row.id}")


# Titles in `clusters --format text` are cut to this many characters, so a line stays readable.
TEXT_TITLE_CHARS = 70


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


@main.command()
@_db_option
@click.pass_context
def feed(ctx: click.Context, db: str | None) -> None:
    """Print the live Atom feed, exactly as the daemon serves it at /feed.atom."""
    from feeds.render import live_feed_atom

    settings = _settings(ctx, db=db)
    sys.stdout.buffer.write(live_feed_atom(settings.storage.db, settings.feeds))


@main.command()
@click.argument("destination", type=click.Path(dir_okay=False))
@_db_option
@click.pass_context
def backup(ctx: click.Context, destination: str, db: str | None) -> None:
    """Write a consistent copy of the database to DESTINATION, safe while the daemon writes.

    Uses SQLite's online backup: the copy is the database as of one moment, and writers
    are never blocked for long. Restore by stopping newsdedup and putting the copy in place
    of the database file (remove any leftover FILE-wal and FILE-shm beside it first).
    """
    from storage.backup import backup_database

    settings = _settings(ctx, db=db)
    size = backup_database(settings.storage.db, destination)
    click.echo(f"backed up {settings.storage.db} to {destination} ({size:,} bytes)")


@main.command("migrate-db")
@_db_option
@click.option("--to", "target", required=True, metavar="postgresql://USER@HOST:PORT/DB",
              help="The empty PostgreSQL database to copy into (createdb it first).")
@click.pass_context
def migrate_db(ctx: click.Context, db: str | None, target: str) -> None:
    """Copy the SQLite database (--db) into an empty PostgreSQL database, in one transaction.

    Every row is copied with its id (stories, change sequence numbers and feed entries keep
    theirs); nothing is written unless everything is. Then point the workers at it:
    --db postgresql://... (or NEWSDEDUP_DB, or db in the TOML file).
    """
    from storage.factory import is_postgres_url
    from storage.postgres.copy import copy_sqlite_to_postgres

    settings = _settings(ctx, db=db)
    if is_postgres_url(settings.storage.db) or not is_postgres_url(target):
        raise click.UsageError("migrate-db copies an SQLite file (--db) to a PostgreSQL database (--to postgresql://...)")
    copied = copy_sqlite_to_postgres(settings.storage.db, target)
    rows = ", ".join(f"{n} {table}" for table, n in copied.items() if n)
    click.echo(f"copied {settings.storage.db} to {target.split('@')[-1]}: {rows or 'no rows'}")


@main.command()
@_db_option
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (for scripts and monitoring).")
@click.pass_context
def status(ctx: click.Context, db: str | None, as_json: bool) -> None:
    """Say what the database holds: stories, documents, languages, sources and their health, the last run.

    Exit status 1 when a source is failing or paused, so a cron job or health check can tell.
    """
    from dataclasses import asdict

    from storage.factory import open_reader

    settings = _settings(ctx, db=db)
    with open_reader(settings.storage.db) as reader, reader.snapshot():
        overview = reader.overview()
        shown = reader.path  # a PostgreSQL URL without its password
    health = {}
    for row in overview.sources:
        health[int(str(row["id"]))] = _health(row)
    unhealthy = [sid for sid, state in health.items() if state.startswith(("failing", "paused"))]
    last_run = max((str(row["last_run"]) for row in overview.sources if row.get("last_run")), default=None)
    if as_json:
        doc = asdict(overview)
        doc["languages"] = dict(overview.languages)
        for row in doc["sources"]:
            row["health"] = health[int(row["id"])]
        doc.update(db=shown, last_run=last_run, unhealthy_sources=unhealthy)
        click.echo(json.dumps(doc, ensure_ascii=False))
    else:
        click.echo(f"database   {shown} (made {_when(overview.created)})")
        click.echo(f"stories    {overview.stories:,} from {overview.documents:,} documents "
                   f"({overview.changes:,} changes, {overview.errors:,} ingest errors)")
        languages = ", ".join(f"{lang} {count}" for lang, count in overview.languages[:12])
        click.echo(f"languages  {languages or 'none yet'}")
        click.echo(f"last change {_when(overview.last_change)}; last crawl {_when(last_run)}")
        if not overview.sources:
            click.echo("sources    none: add one with 'newsdedup sources add --discover URL', or replay files")
        else:
            click.echo(f"sources    {len(overview.sources)} ({len(unhealthy)} failing or paused):")
            for row in overview.sources:
                name = _cut(" ".join(str(row.get("title") or "").split()) or str(row["url"]), SOURCE_TITLE_CHARS)
                click.echo(f"  {row['id']:>4}  {health[int(str(row['id']))]:<24} {name}")
    sys.exit(1 if unhealthy else 0)


def _when(value: object) -> str:
    return str(value)[:19].replace("T", " ") + " UTC" if value else "never"


def _health(row: dict[str, object]) -> str:
    """A word or two on how a source is doing: off, paused, failing (and how often), ok, or new (never run)."""
    if not row.get("enabled", 1):
        return "off"
    if row.get("paused_reason"):
        return f"paused: {row['paused_reason']}"[:30]
    if row.get("last_error_kind"):
        failures = int(str(row.get("consecutive_failures") or 0))
        return f"failing: {row['last_error_kind']}" + (f" x{failures}" if failures > 1 else "")
    return "ok" if row.get("last_success") else "new"


@main.group()
def sources() -> None:
    """Manage the sources the crawler polls: feeds, sitemaps and section pages.

    \b
      newsdedup sources add https://example.org/feed.xml --interval 600 --lang en
      newsdedup sources list
      newsdedup sources import subscriptions.opml
    """


@sources.command("add")
@click.argument("url")
@_db_option
@click.option("--title", help="A name for the source.")
@click.option("--lang", help="Language hint for its articles (ISO 639-1).")
@click.option("--interval", type=int,
              help=f"Seconds between two polls [default: the default_interval setting, "
                   f"{CrawlSettings.default_interval}; at least min_source_interval, "
                   f"{CrawlSettings.min_source_interval}].")
@click.option("--enabled/--disabled", default=None, help="Poll it, or keep it without polling it.")
@click.option("--discover", is_flag=True,
              help="URL is a site's home page: add the feeds it announces (<link rel=alternate>, common feed "
                   "paths) or, failing those, its sitemaps (robots.txt Sitemap: lines, common paths).")
@click.pass_context
def sources_add(ctx: click.Context, url: str, db: str | None, title: str | None, lang: str | None,
                interval: int | None, enabled: bool | None, discover: bool) -> None:
    """Add a source by the URL of its feed, sitemap or section page.

    Adding a URL that is already a source changes only the options given (a way to rename,
    re-time, disable or enable it).
    """
    from ingest.language import normalise_tag
    from ingest.sources.links import absolute_url

    settings = _settings(ctx, db=db)
    if interval is not None and interval < settings.crawl.min_source_interval:
        raise click.BadParameter(f"{interval} is below min_source_interval ({settings.crawl.min_source_interval} s)",
                                 param_hint="--interval")
    clean = absolute_url(url, None)
    if clean is None:
        raise click.BadParameter(f"{url!r} is not an http(s) URL", param_hint="URL")
    if lang is not None and normalise_tag(lang) is None:
        raise click.BadParameter(f"{lang!r} is not a language code such as en or vi", param_hint="--lang")
    urls = _discover(settings, clean) if discover else [(clean, title)]
    with _open_store(settings) as store:
        for source_url, source_title in urls:
            existing = store.sources.get(source_url)
            if existing:
                source = store.sources.update(existing.id, title=title, lang=normalise_tag(lang),
                                              interval_seconds=interval, enabled=enabled)
                verb = "updated"
            else:
                source = store.sources.add(source_url, title=title or source_title, lang=normalise_tag(lang),
                                           interval_seconds=interval or settings.crawl.default_interval,
                                           enabled=enabled is not False)
                verb = "added"
            click.echo(f"source {source.id}: {source.url} every {source.interval_seconds}s ({verb}"
                       + ("" if source.enabled else ", disabled") + ")")


def _discover(settings: Settings, home: str) -> list[tuple[str, str | None]]:
    import asyncio

    from ingest.fetch import Fetcher
    from ingest.sources import SiteSources, probe_site

    async def probe() -> SiteSources:
        async with Fetcher(settings.fetch) as fetcher:
            return await probe_site(fetcher, home)

    try:
        found = asyncio.run(probe())
    except IngestError as exc:
        raise click.ClickException(f"cannot read {home}: {exc.kind.value}: {exc.message}") from None
    urls = [(feed.url, feed.title) for feed in found.feeds] or [(sitemap, None) for sitemap in found.sitemaps]
    if not urls:
        raise click.ClickException(f"{home} announces no feed and no sitemap; add a section page instead")
    return urls


@sources.command("list")
@_db_option
@click.option("--format", "fmt", type=click.Choice(["text", "jsonl"]), default="text", show_default=True)
@click.pass_context
def sources_list(ctx: click.Context, db: str | None, fmt: str) -> None:
    """List sources with their interval and how their last run went.

    With adaptive_intervals on, "now" is the interval the crawler currently uses: halved
    after runs that stored news, doubled after runs that found none, within
    [min_interval, max_interval].
    """
    with _open_store(_settings(ctx, db=db)) as store:
        sources = store.sources.all()
    if fmt == "jsonl":
        for source in sources:
            click.echo(json.dumps(source.as_dict(), ensure_ascii=False))
        return
    if not sources:
        click.echo("no sources yet; add one with: newsdedup sources add --discover https://example.org/")
        return
    rows = [("ID", "HEALTH", "EVERY", "KIND", "LAST SUCCESS", "TITLE", "URL")]
    for source in sources:
        adapted = source.poll_interval and source.poll_interval != source.interval_seconds
        every = f"{source.interval_seconds}s" + (f" (now {source.poll_interval}s)" if adapted else "")
        rows.append((str(source.id), _health(source.as_dict()), every, source.kind or "?",
                     (source.last_success or "never")[:16].replace("T", " "),
                     _cut(" ".join((source.title or "").split()) or "-", SOURCE_TITLE_CHARS), source.url))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    for number, row in enumerate(rows):
        line = "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False)) + "  " + row[-1]
        click.secho(line, bold=number == 0)


# Titles in `sources list` are cut to this many characters.
SOURCE_TITLE_CHARS = 40


@sources.command("remove")
@click.argument("source")
@_db_option
@click.pass_context
def sources_remove(ctx: click.Context, source: str, db: str | None) -> None:
    """Remove a source by id or URL (its stored articles stay)."""
    with _open_store(_settings(ctx, db=db)) as store:
        removed = store.sources.remove(source)
    if not removed:
        raise click.ClickException(f"no source {source!r}; see 'newsdedup sources list'")
    click.echo(f"removed {source}")


@sources.command("resume")
@click.argument("source")
@_db_option
@click.pass_context
def sources_resume(ctx: click.Context, source: str, db: str | None) -> None:
    """Poll a source the crawler paused (it failed for too long) again, from now."""
    with _open_store(_settings(ctx, db=db)) as store:
        found = store.sources.get(source)
        if found is None:
            raise click.ClickException(f"no source {source!r}; see 'newsdedup sources list'")
        store.sources.resume(found.id)
    was = f" (it was {found.paused_reason})" if found.paused_reason else " (it was not paused)"
    click.echo(f"source {found.id} resumed{was}")


@sources.command("import")
@click.argument("opml_file", type=click.File("rb"))
@_db_option
@click.pass_context
def sources_import(ctx: click.Context, opml_file: object, db: str | None) -> None:
    """Add every feed of an OPML file (a feed reader's export)."""
    from ingest.language import normalise_tag
    from ingest.sources import parse_opml

    settings = _settings(ctx, db=db)
    try:
        document = parse_opml(opml_file.read())  # type: ignore[attr-defined]
    except IngestError as exc:
        raise click.ClickException(f"cannot read the OPML file: {exc.message}") from None
    added = 0
    with _open_store(settings) as store:
        for feed in document.feeds:
            if store.sources.get(feed.xml_url) is None:  # sources already here keep their interval and state
                interval = max(settings.crawl.min_source_interval, feed.interval or settings.crawl.default_interval)
                store.sources.add(feed.xml_url, title=feed.title, lang=normalise_tag(feed.language),
                                  interval_seconds=interval, enabled=feed.enabled is not False)
                added += 1
    click.echo(f"imported {added} new sources ({len(document.feeds) - added} already present)")


@sources.command("export")
@_db_option
@click.pass_context
def sources_export(ctx: click.Context, db: str | None) -> None:
    """Print every source as OPML, for a feed reader or another newsdedup."""
    from ingest.sources import OpmlFeed, render_opml

    with _open_store(_settings(ctx, db=db)) as store:
        feeds = [OpmlFeed(xml_url=s.url, title=s.title, language=s.lang, interval=s.interval_seconds,
                          enabled=s.enabled) for s in store.sources.all()]
    sys.stdout.buffer.write(render_opml(feeds))


LOG_LEVELS = ("debug", "info", "warning", "error")
_LOG_HANDLER = "newsdedup"


def _logging(fmt: str, verbose: bool, level: str = "info", log_format: str = "text") -> None:
    """One line per source run; every fetch and scheduler event too with --verbose (or --log-level debug).

    `log_format` json writes one JSON object per line (time, level, logger, message) to stderr,
    for journald, Docker and log shippers.
    """
    import logging

    from newsdedup.daemon import JsonLogFormatter

    handler = logging.StreamHandler()
    handler.setFormatter(JsonLogFormatter() if log_format == "json" else logging.Formatter(fmt))
    handler.set_name(_LOG_HANDLER)
    root = logging.getLogger()
    # Replace only a handler an earlier command of this process installed (tests run many).
    root.handlers[:] = [h for h in root.handlers if h.get_name() != _LOG_HANDLER] + [handler]
    root.setLevel(getattr(logging, level.upper()))
    if not verbose and level != "debug":
        # the HTTP server's start-up chatter ("Uvicorn running on ...") repeats the line serve prints
        for name in ("httpx", "apscheduler", "ingest.fetch", "uvicorn.error"):
            logging.getLogger(name).setLevel(max(logging.WARNING, root.level))


def _log_options(command: Any) -> Any:
    options = [
        click.option("--verbose", "-v", is_flag=True,
                     help="Log every fetch and scheduler event, not only one line per source run."),
        click.option("--log-level", type=click.Choice(LOG_LEVELS), default="info", show_default=True,
                     help="The least severe log records written."),
        click.option("--log-format", type=click.Choice(["text", "json"]), default="text", show_default=True,
                     help="text: readable lines; json: one JSON object per line (journald, Docker)."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


@main.command()
@_db_option
@_log_options
@click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON object (for scripts).")
@click.pass_context
def crawl(ctx: click.Context, db: str | None, verbose: bool, log_level: str, log_format: str, as_json: bool) -> None:
    """Fetch every enabled source now, once, through the pipeline, and exit.

    What was fetched before is revalidated (ETag, Last-Modified, body hash), so an
    unchanged source costs one conditional request. A source a running `serve` is
    polling at that moment is left to it (the crawl leases each source it runs, as the
    daemon's workers do). Exit status 1 if a source failed.
    """
    import asyncio

    from ingest.crawl import Crawler
    from ingest.fetch import Fetcher
    from newsdedup.leases import LEASE_BUDGET_FACTOR, keep_lease, lease_or_holder, release, worker_id

    _logging("%(message)s", verbose, log_level, log_format)
    settings = _settings(ctx, db=db)
    worker, lease_seconds = worker_id(), LEASE_BUDGET_FACTOR * settings.crawl.source_run_budget
    held: list[tuple[Source, SourceLease]] = []

    async def run_leased(crawler: Crawler, fetcher: Fetcher, source: Source) -> SourceRun | None:
        """The source's run while this process holds its lease (renewed, then given back);
        None when another process is polling it."""
        for _ in range(2):  # (neither taken nor held: released that very moment; once more)
            taken, holder = lease_or_holder(crawler.store.sources, source.id, worker, time.time(), lease_seconds,
                                            due_only=False)
            if taken is not None or holder is not None:
                break
        if taken is None:
            if holder is not None:
                held.append((source, holder))
                logging.getLogger("newsdedup.crawl").warning(
                    "source %s (%s): being polled by %s; left to it", source.id, source.url, holder.worker)
            return None
        renewals = asyncio.create_task(keep_lease(crawler.store.sources, source.id, worker, lease_seconds))
        try:
            return await crawler.run_source(fetcher, taken)
        finally:
            renewals.cancel()
            release(crawler.store.sources, source.id, worker, lease_seconds)

    async def run_all(crawler: Crawler) -> list[SourceRun]:
        async with Fetcher(settings.fetch) as fetcher:
            runs = await asyncio.gather(*(run_leased(crawler, fetcher, source)
                                          for source in crawler.store.sources.all(enabled_only=True)))
        return [run for run in runs if run is not None]

    with _open_store(settings) as store:
        runs = asyncio.run(run_all(Crawler(store, _pipeline(store, settings), settings.crawl, settings.fetch)))
    failed = sum(1 for r in runs if r.error)
    if as_json:
        click.echo(json.dumps({
            "sources": len(runs), "documents": sum(r.news for r in runs), "failed_sources": failed,
            "runs": [{"source": r.source_id, "url": r.url, "kind": r.kind, "links": r.links, "news": r.news,
                      "outcomes": dict(r.outcomes), "errors": dict(r.errors),
                      "error": None if r.error is None else {"kind": r.error.kind.value, "message": r.error.message},
                      "seconds": round(r.seconds, 3)} for r in runs],
            "left_to_others": [{"source": source.id, "url": source.url, "held_by": holder.worker}
                               for source, holder in held],
        }, ensure_ascii=False))
    else:
        others = f", {len(held)} left to the process polling them" if held else ""
        click.echo(f"{len(runs)} sources: {sum(r.news for r in runs)} documents stored or changed, "
                   f"{failed} sources failed{others}")
    sys.exit(1 if failed else 0)


@main.command()
@_db_option
@click.option("--host", help="Address to bind [env NEWSDEDUP_HOST; default 127.0.0.1].")
@click.option("--port", type=int, help="Port [env NEWSDEDUP_PORT; default 8080].")
@click.option("--replay", "replay_paths", multiple=True, type=click.Path(exists=True),
              help="Replay these saved files first (repeatable), e.g. --replay seeds/.")
@click.option("--replay-if-empty", is_flag=True,
              help="Replay the --replay files only when the database has no documents yet (first start).")
@click.option("--no-crawl", is_flag=True,
              help="Only serve the feeds and pages: no crawling, no writes, the database only read (a feed "
                   "server beside the workers; any number may run).")
@_log_options
@click.pass_context
def serve(ctx: click.Context, db: str | None, host: str | None, port: int | None,
          replay_paths: tuple[str, ...], replay_if_empty: bool, no_crawl: bool, verbose: bool, log_level: str,
          log_format: str) -> None:
    """Run the daemon: poll every source on its schedule and serve the feeds.

    \b
    http://HOST:PORT/feed.atom     the change feed (Atom); /feed.json the same as JSON Feed
    http://HOST:PORT/              the latest stories, readable in a browser
    http://HOST:PORT/healthz       liveness and readiness; /metrics Prometheus text
    Stop it with Ctrl-C or SIGTERM: documents in flight are finished first (within
    shutdown_timeout seconds), sources interrupted mid-run resume at the next start.
    With --no-crawl it only serves (until the database exists, /healthz answers 503).
    """
    import asyncio

    from ingest.replay import replay as replay_inputs
    from newsdedup.daemon import Daemon

    _logging("%(asctime)s %(levelname)s %(name)s %(message)s", verbose, log_level, log_format)
    settings = _settings(ctx, db=db, host=host, port=port)
    if no_crawl:
        if replay_paths:
            raise click.UsageError("--no-crawl only serves: replay with a worker (serve without --no-crawl, "
                                   "or newsdedup replay)")
        _serve_only(settings)
        return
    if replay_paths:
        with _open_store(settings) as store:
            if replay_if_empty and store.documents.counts().documents:
                click.echo(f"not replaying {', '.join(replay_paths)}: the database already has documents")
            else:
                summary = replay_inputs(_pipeline(store, settings), list(replay_paths),
                                        max_bytes=settings.reading.max_document_bytes, on_error=_report,
                                        on_warning=_warn, order=settings.reading.replay_order,
                                        workers=settings.reading.replay_workers,
                                        batch_size=settings.reading.replay_batch)
                click.echo(f"replayed {', '.join(replay_paths)}: {summary.line()}")
    base = settings.feeds.public_base_url()
    try:
        daemon = Daemon(settings)  # says so when there is nothing to crawl
        # The last line printed at start-up: where to look.
        click.echo(f"serving {base}/ (stories; feeds at {base}/feed.atom and {base}/feed.json); Ctrl-C to stop")
        asyncio.run(daemon.run())
    except (RuntimeError, ValueError) as exc:  # the daemon's "cannot start" errors say what to do
        raise click.ClickException(str(exc)) from None


def _serve_only(settings: Settings) -> None:
    """`serve --no-crawl`: the feed server alone, reading the database; SIGTERM or Ctrl-C stop it
    (requests in flight are answered first) and the exit status is 0, as the daemon's."""
    import signal

    from feeds.server import build_server

    base = settings.feeds.public_base_url()
    server = build_server(settings.storage.db, settings.feeds)

    def stop(signum: int, frame: object) -> None:
        server.should_exit = True

    # uvicorn handles the signals while it runs, then raises them again for the handlers it found:
    # these, so that the process ends with status 0 instead of being killed by the signal.
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, stop)
    click.echo(f"serving {base}/ without crawling (feeds at {base}/feed.atom and {base}/feed.json); Ctrl-C to stop")
    server.run()
    click.echo("stopped")
