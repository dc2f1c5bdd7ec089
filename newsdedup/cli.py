"""The `newsdedup` command line."""

from __future__ import annotations

import json
import sys
import time
from typing import TYPE_CHECKING, Any

import click

from ingest.errors import IngestError
from ingest.readers import ReadFailure, read_inputs
from ingest.settings import CrawlSettings
from newsdedup.config import Settings
from storage import StorageError, Store

if TYPE_CHECKING:
    from ingest.pipeline import Pipeline

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
    Replay saved articles into the database, then read the feed:
      newsdedup replay seeds/
      newsdedup feed
    \b
    Follow sources with the daemon (feeds at http://127.0.0.1:8080/feed.atom):
      newsdedup sources add --discover https://example.org/
      newsdedup serve
    \b
    Settings: ./newsdedup.toml, NEWSDEDUP_<SETTING> variables or flags (README, "Settings").
    """
    ctx.obj = config_file


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


def _open_store(settings: Settings, must_exist: bool = False) -> Store:
    """The database of the settings; a storage error says what is wrong with it."""
    return Store(settings.storage.db, must_exist=must_exist)


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@_db_option
@click.option("--quiet", "-q", is_flag=True, help="Print only errors and the summary.")
@click.pass_context
def replay(ctx: click.Context, paths: tuple[str, ...], db: str | None, quiet: bool) -> None:
    """Ingest saved files as if they had been fetched, through the whole pipeline.

    PATHS are .txt article dumps, .html/.htm pages and .jsonl corpora (one object per
    line: id, and text or html, optional url, lang, title, published); directories are
    walked. Replaying the same files again changes nothing. Bad files are reported with
    the reason and skipped; the exit status is 1 if any input failed.
    """
    from ingest.readers import total_size
    from ingest.replay import replay as replay_inputs

    settings = _settings(ctx, db=db)
    with _open_store(settings) as store:
        pipeline = _pipeline(store, settings)
        show_progress = not quiet and sys.stderr.isatty()
        with click.progressbar(length=max(total_size(list(paths)), 1), label="replaying", file=sys.stderr,
                               hidden=not show_progress) as bar:
            summary = replay_inputs(pipeline, list(paths), max_bytes=settings.reading.max_document_bytes,
                                    on_error=_report, on_warning=_warn, on_progress=bar.update,
                                    order=settings.reading.replay_order)
    click.echo(summary.line())
    sys.exit(1 if summary.errors else 0)


def _pipeline(store: Store, settings: Settings) -> Pipeline:
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

    from storage.reader import open_reader

    settings = _settings(ctx, db=db)
    with open_reader(settings.storage.db) as reader:
        for row in reader.clusters():
            if fmt == "jsonl":
                click.echo(json.dumps(asdict(row), ensure_ascii=False))
            else:
                click.echo(f"{row.cluster}  {row.lang:3}  {row.id}  {row.title}")


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
    for s in sources:
        if fmt == "jsonl":
            click.echo(json.dumps(s.as_dict(), ensure_ascii=False))
            continue
        state = "off" if not s.enabled else (f"error: {s.last_error_kind}" if s.last_error_kind
                                             else ("ok" if s.last_success else "new"))
        every = f"every {s.interval_seconds:>5}s" + (
            f" (now {s.poll_interval}s)" if s.poll_interval and s.poll_interval != s.interval_seconds else "")
        click.echo(f"{s.id:>4}  {state:<22} {every}  {s.kind or '?':<7} {s.url}")


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


def _logging(fmt: str, verbose: bool) -> None:
    """One line per source run; every fetch and scheduler event too with --verbose."""
    import logging

    logging.basicConfig(level=logging.INFO, format=fmt)
    if not verbose:
        for name in ("httpx", "apscheduler", "ingest.fetch"):
            logging.getLogger(name).setLevel(logging.WARNING)


_verbose_option = click.option("--verbose", "-v", is_flag=True,
                               help="Log every fetch and scheduler event, not only one line per source run.")


@main.command()
@_db_option
@_verbose_option
@click.pass_context
def crawl(ctx: click.Context, db: str | None, verbose: bool) -> None:
    """Fetch every enabled source now, once, through the pipeline, and exit.

    What was fetched before is revalidated (ETag, Last-Modified, body hash), so an
    unchanged source costs one conditional request. Exit status 1 if a source failed.
    """
    import asyncio

    from ingest.crawl import Crawler

    _logging("%(message)s", verbose)
    settings = _settings(ctx, db=db)
    with _open_store(settings) as store:
        crawler = Crawler(store, _pipeline(store, settings), settings.crawl, settings.fetch)
        runs = asyncio.run(crawler.run_sources(store.sources.all(enabled_only=True)))
    failed = sum(1 for r in runs if r.error)
    click.echo(f"{len(runs)} sources: {sum(r.news for r in runs)} documents stored or changed, "
               f"{failed} sources failed")
    sys.exit(1 if failed else 0)


@main.command()
@_db_option
@click.option("--host", help="Address to bind [env NEWSDEDUP_HOST; default 127.0.0.1].")
@click.option("--port", type=int, help="Port [env NEWSDEDUP_PORT; default 8080].")
@click.option("--replay", "replay_paths", multiple=True, type=click.Path(exists=True),
              help="Replay these saved files first (repeatable), e.g. --replay seeds/.")
@_verbose_option
@click.pass_context
def serve(ctx: click.Context, db: str | None, host: str | None, port: int | None,
          replay_paths: tuple[str, ...], verbose: bool) -> None:
    """Run the daemon: poll every source on its schedule and serve the feeds.

    \b
    http://HOST:PORT/feed.atom     the change feed (Atom); /feed.json the same as JSON Feed
    http://HOST:PORT/              the latest stories, readable in a browser
    http://HOST:PORT/healthz       liveness and readiness; /metrics Prometheus text
    Stop it with Ctrl-C or SIGTERM: documents in flight are finished first (within
    shutdown_timeout seconds), sources interrupted mid-run resume at the next start.
    """
    import asyncio

    from ingest.replay import replay as replay_inputs
    from newsdedup.daemon import Daemon

    _logging("%(asctime)s %(name)s %(message)s", verbose)
    settings = _settings(ctx, db=db, host=host, port=port)
    if replay_paths:
        with _open_store(settings) as store:
            summary = replay_inputs(_pipeline(store, settings), list(replay_paths),
                                    max_bytes=settings.reading.max_document_bytes, on_error=_report, on_warning=_warn,
                                    order=settings.reading.replay_order)
        click.echo(f"replayed {', '.join(replay_paths)}: {summary.line()}")
    base = settings.feeds.public_base_url()
    click.echo(f"serving {base}/feed.atom (stories at {base}/); Ctrl-C to stop")
    try:
        asyncio.run(Daemon(settings).run())
    except (RuntimeError, ValueError) as exc:  # the daemon's "cannot start" errors say what to do
        raise click.ClickException(str(exc)) from None
