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
