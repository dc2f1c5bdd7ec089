"""The `newsdedup` command line."""

from __future__ import annotations

import json
import sys
import time

import click

from ingest import language
from ingest.config import Settings
from ingest.errors import IngestError
from ingest.readers import RawDocument, ReadFailure, read_inputs

DB_HELP = "SQLite database file [env NEWSDEDUP_DB; default newsdedup.db in the working directory]"


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
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
    """
    ctx.obj = config_file


def _settings(ctx: click.Context, **overrides: object) -> Settings:
    try:
        return Settings.load(ctx.obj, **overrides)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None


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
    from ingest.document import extract as extract_article

    settings = _settings(ctx)
    results = []
    failed = False
    for item in read_inputs(list(paths), max_bytes=settings.max_document_bytes):
        started = time.perf_counter()
        if isinstance(item, ReadFailure):
            result = _failed_result(item.origin, item.error)
            failed = True
        else:
            try:
                result = _extract_result(item, extract_article(item))
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


def _extract_result(raw: RawDocument, article: object) -> dict[str, object]:
    from ingest.extract import Article

    assert isinstance(article, Article)
    data = article.to_dict()
    data["lang"] = language.detect(article.text, declared=raw.lang or article.lang) if article.text else None
    data["url"] = raw.url or article.url
    data["title"] = raw.title or article.title
    data["published"] = raw.published or article.published
    return {"path": raw.key, **data}


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


def _db_option(f):  # type: ignore[no-untyped-def]
    return click.option("--db", type=click.Path(dir_okay=False), default=None, help=DB_HELP)(f)


def _open_store(settings: Settings):  # type: ignore[no-untyped-def]
    from storage import Store

    try:
        return Store(settings.db)
    except Exception as exc:  # sqlite3 errors name the problem; say which file
        raise click.ClickException(f"cannot open the database {settings.db!r}: {exc}") from None


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
    from ingest.pipeline import CHANGED, CREATED, TRANSLATION, UNCHANGED, VERSION, Pipeline
    from ingest.readers import total_size

    settings = _settings(ctx, db=db)
    store = _open_store(settings)
    pipeline = Pipeline(store, settings)
    counts = dict.fromkeys((CREATED, VERSION, TRANSLATION, CHANGED, UNCHANGED), 0)
    errors = 0
    started = time.perf_counter()
    show_progress = not quiet and sys.stderr.isatty()
    with click.progressbar(length=max(total_size(list(paths)), 1), label="replaying", file=sys.stderr,
                           hidden=not show_progress) as bar:
        for item in read_inputs(list(paths), max_bytes=settings.max_document_bytes):
            if isinstance(item, ReadFailure):
                errors += 1
                _report(item.origin, item.error)
                pipeline.record_failure(item.origin, item.error)
            else:
                try:
                    outcome = pipeline.ingest(item)
                    counts[outcome.kind] += 1
                except IngestError as exc:
                    errors += 1
                    _report(item.origin, exc)
                    pipeline.record_failure(item.origin, exc)
            bar.update(item.size)
    elapsed = time.perf_counter() - started
    documents = sum(counts.values())
    versions = counts[VERSION] + counts[TRANSLATION]
    click.echo(
        f"{documents} documents: {counts[CREATED]} new stories, {versions} new versions "
        f"({counts[TRANSLATION]} translations), {counts[CHANGED]} changed, {counts[UNCHANGED]} skipped "
        f"(already stored), {errors} errors in {elapsed:.1f}s"
    )
    store.close()
    sys.exit(1 if errors else 0)


def _report(origin: str, error: IngestError) -> None:
    click.secho(f"error: {origin}: {error.kind.value} ({error.stage}): {error.message}", fg="red", err=True)


@main.command()
@_db_option
@click.option("--format", "fmt", type=click.Choice(["jsonl", "text"]), default="jsonl", show_default=True)
@click.pass_context
def clusters(ctx: click.Context, db: str | None, fmt: str) -> None:
    """Print each stored document with the story it belongs to.

    jsonl: one object per document with id (the corpus id, else the file path or URL),
    cluster (its story id), lang and title; the format score.py reads.
    """
    settings = _settings(ctx, db=db)
    store = _open_store(settings)
    for row in store.clusters():
        if fmt == "jsonl":
            click.echo(json.dumps(row, ensure_ascii=False))
        else:
            click.echo(f"{row['cluster']}  {row['lang']:3}  {row['id']}  {row['title']}")
    store.close()


@main.command()
@_db_option
@click.option("--limit", default=50, show_default=True, help="How many stories, newest change first.")
@click.pass_context
def feed(ctx: click.Context, db: str | None, limit: int) -> None:
    """Print the Atom feed of the latest stories: each story once, its versions linked."""
    from feeds.atom import render_feed

    settings = _settings(ctx, db=db)
    store = _open_store(settings)
    base_url = settings.base_url or f"http://{settings.host}:{settings.port}"
    sys.stdout.buffer.write(render_feed(store.latest_stories(limit), base_url=base_url))
    store.close()
