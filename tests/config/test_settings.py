"""Settings: defaults, then the TOML file, then NEWSDEDUP_* variables, then flags."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.config import Settings
from tests.conftest import run_cli


def test_file_then_environment_then_flags(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "newsdedup.toml"
    config.write_text('db = "from-file.db"\nport = 9000\nwindow_days = 3\nallow_private_addresses = true\n')
    assert Settings.load(str(config)).db == "from-file.db"
    monkeypatch.setenv("NEWSDEDUP_PORT", "9100")
    monkeypatch.setenv("NEWSDEDUP_ALLOW_PRIVATE_ADDRESSES", "0")
    settings = Settings.load(str(config), port=9200)
    assert (settings.db, settings.port, settings.window_days, settings.allow_private_addresses) == (
        "from-file.db", 9200, 3.0, False)
    assert Settings.load(str(config)).port == 9100


def test_unknown_or_malformed_settings_are_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "bad.toml"
    config.write_text("windw_days = 3\n")
    with pytest.raises(ValueError, match="unknown setting 'windw_days'"):
        Settings.load(str(config))
    monkeypatch.setenv("NEWSDEDUP_PORT", "eighty")
    with pytest.raises(ValueError, match="'port' must be a int"):
        Settings.load(None)
    result = run_cli("clusters", "--db", str(tmp_path / "x.db"))
    assert result.exit_code == 2 and "port" in result.output
