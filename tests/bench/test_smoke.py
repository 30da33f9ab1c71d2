"""Each benchmark, at a tiny size, so the benchmarks cannot rot. No figures are judged."""

from __future__ import annotations

import json
from pathlib import Path

from bench import simulator


def test_simulator_benchmark_runs(tmp_path: Path) -> None:
    """Two phones, a fraction of a second each: every figure is there and positive."""
    out = tmp_path / "simulator.json"
    assert simulator.main(["--phones", "2", "--seconds", "0.3", "--threads", "2",
                           "--push-bytes", "70000", "--out", str(out)]) == 0
    [run] = json.loads(out.read_text())["runs"]
    assert run["phones"] == 2
    assert run["shell_round_trips_per_s"] > 0
    assert run["push_mib_per_s"] > 0
    assert run["rss_loaded_kib"] > 0
