"""Settings: defaults, then the TOML file, then NEWSDEDUP_* variables, then flags."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsdedup.config import Settings
from tests.conftest import run_cli


def test_file_then_environment_then_flags(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "newsdedup.toml"
    config.write_text('db = "from-file.db"\nport = 9000\nwindow_days = 3\nallow_private_addresses = true\n')
    assert Settings.load(str(config)).storage.db == "from-file.db"
    monkeypatch.setenv("NEWSDEDUP_PORT", "9100")
    monkeypatch.setenv("NEWSDEDUP_ALLOW_PRIVATE_ADDRESSES", "0")
    settings = Settings.load(str(config), port=9200)
    assert (settings.storage.db, settings.feeds.port, settings.matching.window_days,
            settings.fetch.allow_private_addresses) == (
        "from-file.db", 9200, 3.0, False)
    assert Settings.load(str(config)).feeds.port == 9100


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


@pytest.mark.parametrize(("name", "value", "problem"), [
    ("replay_order", "random", "must be one of sorted, input"), ("feed_page_size", "0", "must be above 0"),
    ("num_perm", "0", "must be above 0"), ("near_duplicate", "0", "must be above 0 and at most 1"),
    ("window_days", "-1", "must be above 0"), ("window_days", "nan", "must be a number"),
    ("port", "99999", "must be a port number"),
])
def test_out_of_range_values_are_named_errors(name: str, value: str, problem: str,
                                              monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(f"NEWSDEDUP_{name.upper()}", value)
    with pytest.raises(ValueError, match=problem):
        Settings.load(None)
    result = run_cli("clusters", "--db", str(tmp_path / "x.db"))
    assert result.exit_code == 2 and name in result.output


def test_a_named_settings_file_must_exist_and_parse(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="does not exist"):
        Settings.load(str(tmp_path / "missing.toml"))
    broken = tmp_path / "broken.toml"
    broken.write_text("port = = 1\n")
    with pytest.raises(ValueError, match="broken.toml: not valid TOML"):
        Settings.load(str(broken))
