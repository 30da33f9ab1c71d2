"""The command line's settings: its defaults are `Settings`' own."""

from __future__ import annotations

from orchestrator.cli import _settings, build_parser
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
