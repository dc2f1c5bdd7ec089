"""Process-wide settings: every package's section, combined, from defaults, a TOML file, the
environment and flags (in that order, later wins).

Each package declares its own section with the defaults and checks of its fields
(`storage.settings`, `ingest.settings`, `ingest.fetch.settings`, `ingest.matching.settings`,
`feeds.settings`, and `DaemonSettings` below). This module only combines them and maps the
flat names users write — `window_days = 3` in newsdedup.toml (or inside a `[matching]`
table), `NEWSDEDUP_WINDOW_DAYS=3`, a flag — onto their section's field.
"""

from __future__ import annotations

import difflib
import os
import tomllib
from dataclasses import Field, dataclass, fields
from pathlib import Path
from typing import Any

from feeds.settings import FeedSettings
from ingest.fetch.settings import FetchSettings
from ingest.matching.settings import MatchSettings
from ingest.settings import CrawlSettings, ReadSettings
from storage.sections import NOT_NEGATIVE, POSITIVE, Section, SettingError, default_of, key_of, setting
from storage.settings import StorageSettings

CONFIG_ENV = "NEWSDEDUP_CONFIG"
ENV_PREFIX = "NEWSDEDUP_"
DEFAULT_CONFIG_FILE = "newsdedup.toml"


@dataclass(frozen=True)
class DaemonSettings(Section):
    NAME = "daemon"

    max_concurrent_sources: int = setting(8, "source runs the daemon lets run at once; the rest wait (due)",
                                          check=POSITIVE)
    shutdown_timeout: float = setting(30.0, "on SIGTERM, seconds to let running source runs finish",
                                      check=NOT_NEGATIVE)


SECTIONS: dict[str, type[Section]] = {
    "storage": StorageSettings, "reading": ReadSettings, "matching": MatchSettings, "fetch": FetchSettings,
    "crawl": CrawlSettings, "feeds": FeedSettings, "daemon": DaemonSettings,
}


def _keys() -> dict[str, list[tuple[str, Field[Any]]]]:
    """Flat name -> the (section, field) pairs it sets; a name shared by two sections sets both
    (max_document_bytes caps replayed files and fetched bodies alike)."""
    keys: dict[str, list[tuple[str, Field[Any]]]] = {}
    for section, cls in SECTIONS.items():
        for f in fields(cls):
            keys.setdefault(key_of(f), []).append((section, f))
    return keys


KEYS = _keys()


class Settings:
    """Every section, made from flat names: `Settings(db="x.db", window_days=1)`."""

    storage: StorageSettings
    reading: ReadSettings
    matching: MatchSettings
    fetch: FetchSettings
    crawl: CrawlSettings
    feeds: FeedSettings
    daemon: DaemonSettings

    def __init__(self, **values: Any) -> None:
        self._values: dict[str, Any] = {}
        self.warnings: list[str] = []
        self._apply(values, origin="arguments")

    @classmethod
    def load(cls, config_file: str | None = None, **overrides: Any) -> Settings:
        """Defaults, then the TOML file, then the environment, then `overrides` (flags)."""
        settings = cls()
        named = config_file or os.environ.get(CONFIG_ENV)
        path = Path(named or DEFAULT_CONFIG_FILE)
        try:
            exists = path.is_file()
        except OSError as exc:
            raise ValueError(f"cannot read the settings file {str(path)!r}: {exc.strerror}") from None
        if named and not exists:
            raise ValueError(f"the settings file {named!r} does not exist")
        if exists:
            try:
                with path.open("rb") as fh:
                    values = tomllib.load(fh)
            except tomllib.TOMLDecodeError as exc:
                raise ValueError(f"{path}: not valid TOML: {exc}") from None
            except OSError as exc:
                raise ValueError(f"cannot read the settings file {str(path)!r}: {exc.strerror}") from None
            settings._apply(_flatten(values, str(path)), origin=str(path))
        env: dict[str, Any] = {}
        for name, value in os.environ.items():
            if not name.startswith(ENV_PREFIX) or name == CONFIG_ENV:
                continue
            key = name[len(ENV_PREFIX):].lower()
            if key in KEYS:
                env[key] = value
            else:
                near = difflib.get_close_matches(key, KEYS, n=1)
                hint = f"; did you mean {ENV_PREFIX}{near[0].upper()}?" if near else ""
                settings.warnings.append(f"unknown setting variable {name} is ignored{hint}")
        settings._apply(env, origin="environment")
        settings._apply({k: v for k, v in overrides.items() if v is not None}, origin="command line")
        return settings

    def replace(self, **values: Any) -> Settings:
        """A copy with these flat-named values changed."""
        copy = Settings(**self._values)
        copy._apply(values, origin="arguments")
        return copy

    def _apply(self, values: dict[str, Any], *, origin: str) -> None:
        merged = dict(self._values)
        for name, value in values.items():
            if name not in KEYS:
                near = difflib.get_close_matches(name, KEYS, n=1)
                hint = f" (did you mean {near[0]!r}?)" if near else f"; known: {', '.join(sorted(KEYS))}"
                raise ValueError(f"{origin}: unknown setting {name!r}{hint}")
            merged[name] = _coerce(value, default_of(KEYS[name][0][1]), name, origin)
        built: dict[str, Section] = {}
        for section, cls in SECTIONS.items():
            kwargs = {f.name: merged[key_of(f)] for f in fields(cls) if key_of(f) in merged}
            try:
                built[section] = cls(**kwargs)
            except SettingError as exc:
                raise ValueError(f"{origin}: {exc}") from None
            except TypeError as exc:  # a value of the wrong type given in code
                raise ValueError(f"{origin}: {exc}") from None
        self._values = merged
        for section, value in built.items():
            setattr(self, section, value)

    def with_section(self, section: Section) -> Settings:
        """A copy in which one section is replaced whole (tests and benchmarks)."""
        copy = Settings(**self._values)
        for name, cls in SECTIONS.items():
            if isinstance(section, cls):
                setattr(copy, name, section)
        return copy

    def describe(self) -> list[tuple[str, str, Any, str]]:
        """(section, flat name, value, help) of every setting, for docs and `--help`."""
        rows = []
        for section, cls in SECTIONS.items():
            current = getattr(self, section)
            for f in fields(cls):
                rows.append((section, key_of(f), getattr(current, f.name), str(f.metadata.get("help", ""))))
        return rows


__all__ = ["DaemonSettings", "KEYS", "SECTIONS", "Settings"]


def _flatten(values: dict[str, Any], origin: str) -> dict[str, Any]:
    """TOML keys at the top level, or inside a section's table ([matching] window_days = 3)."""
    flat: dict[str, Any] = {}
    for name, value in values.items():
        if isinstance(value, dict) and name in SECTIONS:
            by_field: dict[str, str] = {f.name: key_of(f) for f in fields(SECTIONS[name])}
            for inner, inner_value in value.items():
                flat[by_field.get(str(inner), str(inner))] = inner_value
        else:
            flat[name] = value
    return flat


def _coerce(value: Any, default: Any, name: str, origin: str) -> Any:
    kind = type(default)
    if isinstance(value, kind) and not (kind is int and isinstance(value, bool)):
        return value
    if kind is tuple:
        items = value if isinstance(value, list) else str(value).split(",")
        return tuple(str(item).strip() for item in items if str(item).strip())
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    text = str(value).strip()
    try:
        if kind is bool:
            if text.lower() in ("1", "true", "yes", "on"):
                return True
            if text.lower() in ("0", "false", "no", "off", ""):
                return False
            raise ValueError(text)
        return kind(text)
    except ValueError:
        raise ValueError(f"{origin}: setting {name!r} must be a {kind.__name__}, not {value!r}") from None
