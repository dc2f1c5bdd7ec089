"""How a package declares its settings section: fields with one default, a check and a help line.

Each package owns one section (storage: `StorageSettings`, matching: `MatchSettings`, feeds:
`FeedSettings`, ...): a frozen dataclass whose fields are made with `setting()`. The app
layer's config combines the sections and maps the flat names users write (TOML keys,
`NEWSDEDUP_<NAME>` variables, flags) onto them; a section is valid by construction, because
`Section.__post_init__` runs every field's check.

This module lives in `storage`, the bottom layer, only because every package may import
storage; it knows nothing of any section.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import MISSING, Field, dataclass, field, fields
from typing import Any, ClassVar


class SettingError(ValueError):
    """A setting holds a value it cannot have."""

    def __init__(self, name: str, problem: str, value: object) -> None:
        super().__init__(f"setting {name!r} {problem}, not {value!r}")
        self.name = name
        self.problem = problem
        self.value = value


@dataclass(frozen=True)
class Check:
    """What a value must be, said the way an error message says it."""

    problem: str                        # "must be above 0"
    holds: Callable[[Any], bool]


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not (isinstance(value, float) and math.isnan(value))


FRACTION = Check("must be above 0 and at most 1", lambda v: _number(v) and 0 < v <= 1)
POSITIVE = Check("must be above 0", lambda v: _number(v) and v > 0)
NOT_NEGATIVE = Check("must not be negative", lambda v: _number(v) and v >= 0)
PORT = Check("must be a port number (1-65535)", lambda v: _number(v) and 0 < v < 65536)


def one_of(*choices: str) -> Check:
    return Check(f"must be one of {', '.join(choices)}", lambda v: v in choices)


def setting(default: Any, help: str, *, check: Check | None = None, key: str | None = None) -> Any:
    """A settings field: its default (written here only), a one-line help, an optional check,
    and the flat name users write when it differs from the field's name."""
    return field(default=default, metadata={"help": help, "check": check, "key": key})


@dataclass(frozen=True)
class Section:
    """Base of every settings section: checks each field when it is made."""

    # The section's name in a TOML file ([matching], [feeds], ...); flat names work too.
    NAME: ClassVar[str] = ""

    def __post_init__(self) -> None:
        for f in fields(self):
            check: Check | None = f.metadata.get("check")
            value = getattr(self, f.name)
            if isinstance(value, float) and math.isnan(value):  # NaN compares false with everything
                raise SettingError(key_of(f), "must be a number", value)
            if check is not None and not check.holds(value):
                raise SettingError(key_of(f), check.problem, value)


def key_of(f: Field[Any]) -> str:
    """The flat name of a section's field (what a TOML file or NEWSDEDUP_* variable says)."""
    return str(f.metadata.get("key") or f.name)


def default_of(f: Field[Any]) -> Any:
    if f.default is not MISSING:
        return f.default
    if f.default_factory is not MISSING:
        return f.default_factory()
    raise TypeError(f"setting {f.name} has no default")
