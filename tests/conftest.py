"""Shared fixtures: the project's seeds, a fresh database, the CLI run in-process or as a real process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from newsdedup.cli import main

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
SHARED = ROOT.parent / "shared"  # benchmark data beside the checkout, when present


@pytest.fixture
def seeds_dir() -> Path:
    return SEEDS


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "test.db"


@pytest.fixture(autouse=True)
def _isolated_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No developer's newsdedup.toml or NEWSDEDUP_* variables leak into a test."""
    for name in list(os.environ):
        if name.startswith("NEWSDEDUP_"):
            monkeypatch.delenv(name)
    empty = tmp_path / "empty-settings.toml"
    empty.write_text("")
    monkeypatch.setenv("NEWSDEDUP_CONFIG", str(empty))


def run_cli(*args: str) -> Result:
    """The CLI in-process, as a user would call it, output captured."""
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def run_process(*args: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
    """The CLI as a separate process (for signals and real exit codes)."""
    return subprocess.run([sys.executable, "-m", "newsdedup", *map(str, args)], capture_output=True, text=True,
                          cwd=ROOT, **kwargs)  # type: ignore[call-overload]
