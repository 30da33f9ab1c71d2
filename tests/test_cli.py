"""The command line's settings: its defaults are `Settings`' own."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestrator.api import ApiProcess
from orchestrator.api._access import Access
from orchestrator.cli import _api_process, _settings, build_parser
from orchestrator.plans import plan_named
from orchestrator.settings import Settings


def test_serve_without_flags_is_the_default_settings() -> None:
    """`Settings` is the one source of defaults: `serve` with no flag is `Settings()`."""
    assert _settings(build_parser().parse_args(["serve"])) == Settings()


def test_flags_reach_the_settings() -> None:
    args = build_parser().parse_args([
        "serve", "--port", "1234", "--max-retries", "5", "--retry-delay", "1", "2",
        "--adb", "10.0.0.5:5038", "--allow-path", "/srv/clips"])
    settings = _settings(args)
    assert (settings.port, settings.adb_host, settings.adb_port) == (1234, "10.0.0.5", 5038)
    assert (settings.scheduling.max_retries, settings.scheduling.retry_delay) == (5, (1.0, 2.0))
    assert [str(path) for path in settings.allow_paths] == ["/srv/clips"]


def test_an_api_process_is_told_what_the_core_describes(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """`ApiProcess.command` and `environment` (the secrets) are parsed back to the same
    `ApiProcess` by the `api-process` command."""
    process = ApiProcess(sqlite_path=tmp_path / "orchestrator.db", postgres="dbname=farm",
                         plan=plan_named("Unlimited"),
                         access=Access(token="s3cret", bound_host="0.0.0.0",
                                       origins=("http://console.example",),
                                       hosts=("farm.example",)))
    for name, value in process.environment().items():
        monkeypatch.setenv(name, value)
    command = process.command(fd=3, core_socket=str(tmp_path / "core.sock"))
    assert "s3cret" not in " ".join(command)
    assert _api_process(build_parser().parse_args(command[3:])) == process
