"""The command line's settings: its defaults are `Settings`' own."""

from __future__ import annotations

import importlib.metadata
import signal
import subprocess
import sys
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


def test_adb_given_again_is_one_more_server() -> None:
    given = _settings(build_parser().parse_args(["serve", "--adb", "10.0.0.5:5038", "--adb",
                                                 ":5039", "--adb", "10.0.0.7:5037"]))
    assert given.adb_servers == (("10.0.0.5", 5038), ("127.0.0.1", 5039), ("10.0.0.7", 5037))


def test_host_id_and_sim_prefix_reach_the_settings() -> None:
    given = _settings(build_parser().parse_args(["serve", "--simulate", "3", "--sim-prefix",
                                                 "b-", "--host-id", "rack-2"]))
    assert (given.simulate, given.sim_prefix, given.host_id) == (3, "b-", "rack-2")


def test_the_api_url_is_a_root(capsys: pytest.CaptureFixture[str]) -> None:
    """Where the other hosts reach this one: an http(s) URL with no path."""
    given = _settings(build_parser().parse_args(["serve", "--api-url",
                                                 "http://10.0.0.5:50809/"]))
    assert given.api_url == "http://10.0.0.5:50809"
    for url, said in [("http://10.0.0.5:50809/api/v1", "expected the API's root"),
                      ("10.0.0.5:50809", "expected an http:// or https:// URL")]:
        with pytest.raises(SystemExit) as exited:
            build_parser().parse_args(["serve", "--api-url", url])
        assert exited.value.code == 2
        assert said in capsys.readouterr().err


def test_webhooks_reach_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """URLs repeat; the secret comes from the flag, else the environment."""
    argv = ["serve", "--webhook", "http://127.0.0.1:9000/a", "--webhook", "https://h.example/b"]
    monkeypatch.setenv("ORCHESTRATOR_WEBHOOK_SECRET", "from-env")
    hooks = _settings(build_parser().parse_args(argv)).webhooks
    assert (hooks.urls, hooks.secret) == (("http://127.0.0.1:9000/a", "https://h.example/b"),
                                          "from-env")
    flagged = _settings(build_parser().parse_args([*argv, "--webhook-secret", "flag"]))
    assert flagged.webhooks.secret == "flag"
    assert "flag" not in repr(flagged)


@pytest.mark.parametrize("url", ["ftp://h/x", "localhost:9000", "http://", "no url"])
def test_a_webhook_that_is_no_http_url_is_refused(url: str,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        build_parser().parse_args(["serve", "--webhook", url])
    assert exited.value.code == 2
    assert "expected an http:// or https:// URL" in capsys.readouterr().err


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


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        build_parser().parse_args(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out == (
        f"orchestrator {importlib.metadata.version('device-orchestrator')}\n")


@pytest.mark.parametrize(("argv", "level"), [
    (["serve"], "INFO"), (["--log-level", "DEBUG", "serve"], "DEBUG"),
    (["serve", "--log-level", "WARNING"], "WARNING"),
    (["--log-level", "DEBUG", "sim", "--log-level", "ERROR"], "ERROR")])
def test_the_log_level_before_or_after_the_command(argv: list[str], level: str) -> None:
    assert build_parser().parse_args(argv).log_level == level


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_the_simulator_stops_cleanly_on_a_signal(signum: signal.Signals) -> None:
    """`orchestrator sim` ends on SIGTERM or Ctrl-C with a line saying so and status 0,
    not a traceback nor a silent death."""
    with subprocess.Popen([sys.executable, "-m", "orchestrator", "sim", "--devices", "1",
                           "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True) as sim:
        assert sim.stdout is not None
        assert "1 phone simulated" in sim.stdout.readline()  # up: its first line
        sim.send_signal(signum)
        _, err = sim.communicate(timeout=60)
    assert sim.returncode == 0, err
    assert f"{signum.name}: stopping the simulator" in err
    assert "Traceback" not in err
