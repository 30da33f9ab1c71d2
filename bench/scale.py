"""Benchmark: memory per idle device actor, and the CPU an idle orchestrator uses.

For each farm size (and 0 phones, the baseline) a simulator runs in its own process and
the whole orchestrator in another, on an empty store; once `GET /devices` lists every
phone and the start-up has settled, the orchestrator's resident memory is read from
/proc. Per actor: (RSS with N phones - RSS with 0) / N. With `--idle-phones` phones it
then reads the orchestrator's utime+stime (/proc/<pid>/stat) over `--idle-seconds`:
nothing should poll, so that is close to zero.

One ADB server lists at most 4,095 phones (`_harness.ONE_SERVER`), so a farm past it is
split evenly over as many simulators as it takes, and the orchestrator watches each
(`--adb` given again).

    python -m bench.scale                      # 100, 1,000, 4,000 phones; 60 s idle
    python -m bench.scale --phones 10000 --idle-phones 10000 --out results/scale-10k.json
    python -m bench.scale --phones 5 --idle-phones 5 --idle-seconds 1 --settle 0.5 \\
        --out /tmp/scale.json                  # a smoke run
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from . import _harness


def measure_one(phones: int, *, settle: float, idle_seconds: float | None,
                servers: int = 1) -> dict[str, Any]:
    """RSS of an orchestrator driving `phones` idle phones (and its idle CPU, if asked),
    shown by `servers` ADB servers (simulators) between them."""
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as folder, \
            _harness.simulators(phones, servers) as sims, \
            _harness.orchestrator(Path(folder), *(sim.port for sim in sims)) as orch:
        up_s = _harness.wait_devices(orch.port, phones, timeout=600)
        time.sleep(settle)  # worker threads of the start-up retire; allocations settle
        run: dict[str, Any] = {"phones": phones, "adb_servers": servers,
                               "all_up_s": round(up_s, 2),
                               "rss_kib": _harness.rss_kib(orch.pid),
                               "simulator_rss_kib": sum(_harness.rss_kib(sim.pid)
                                                        for sim in sims)}
        if idle_seconds is not None:
            ours = _harness.cpu_seconds(orch.pid)
            theirs = sum(_harness.cpu_seconds(sim.pid) for sim in sims)
            began = time.monotonic()
            time.sleep(idle_seconds)
            wall = time.monotonic() - began
            ours = _harness.cpu_seconds(orch.pid) - ours
            theirs = sum(_harness.cpu_seconds(sim.pid) for sim in sims) - theirs
            run["idle"] = {"seconds": round(wall, 2), "cpu_s": round(ours, 3),
                           "cpu_percent_of_one_core": round(100 * ours / wall, 3),
                           "simulator_cpu_s": round(theirs, 3),
                           "rss_kib_after": _harness.rss_kib(orch.pid)}
        return run


def measure(sizes: list[int], *, settle: float, idle_phones: int,
            idle_seconds: float) -> dict[str, Any]:
    """Each of `sizes` (past what one ADB server lists: over as few as it takes, each
    idle for `idle_seconds` if it is `idle_phones`), and the baseline of 0 phones."""
    baseline = measure_one(0, settle=settle, idle_seconds=None)
    runs = []
    for phones in sizes:
        run = measure_one(phones, settle=settle, servers=_harness.servers_for(phones),
                          idle_seconds=idle_seconds if phones == idle_phones else None)
        run["kib_per_actor"] = round((run["rss_kib"] - baseline["rss_kib"]) / phones, 2)
        runs.append(run)
    if idle_phones not in sizes:
        runs.append(measure_one(idle_phones, settle=settle, idle_seconds=idle_seconds))
    idle = next(r["idle"] for r in runs if "idle" in r)
    return {"settle_s": settle, "baseline": baseline, "runs": runs,
            "idle_phones": idle_phones, "idle_cpu_percent": idle["cpu_percent_of_one_core"],
            "kib_per_actor": {str(r["phones"]): r["kib_per_actor"]
                              for r in runs if "kib_per_actor" in r}}


def plot(figures: dict[str, Any], path: Path) -> Path | None:
    """RSS against phones, if matplotlib is installed (the `bench` extra)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    runs = [figures["baseline"], *[r for r in figures["runs"] if "kib_per_actor" in r]]
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot([r["phones"] for r in runs], [r["rss_kib"] / 1024 for r in runs], "o-",
            label="orchestrator")
    ax.plot([r["phones"] for r in runs], [r["simulator_rss_kib"] / 1024 for r in runs], "s--",
            label="simulator (another process)")
    ax.set_xlabel("idle phones")
    ax.set_ylabel("resident memory, MiB")
    ax.set_title("Memory with idle device actors")
    ax.grid(True, alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--phones", type=int, nargs="+", default=[100, 1000, 4000])
    parser.add_argument("--idle-phones", type=int, default=1000)
    parser.add_argument("--idle-seconds", type=float, default=60.0)
    parser.add_argument("--settle", type=float, default=12.0,
                        help="seconds between all phones up and reading RSS")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    figures = measure(args.phones, settle=args.settle, idle_phones=args.idle_phones,
                      idle_seconds=args.idle_seconds)
    path = _harness.write_report("scale", args.out, figures)
    plot(figures, path.with_suffix(".png"))
    print(json.dumps({"kib_per_actor": figures["kib_per_actor"],  # noqa: T201
                      "idle_cpu_percent": figures["idle_cpu_percent"]}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
