"""The soak benchmark at a tiny size, so it cannot rot. No figure is judged, except the
truth of the answers: nothing refused was applied, nothing answered 0 is missing."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

from bench import soak


def test_soak_benchmark_runs(tmp_path: Path) -> None:
    """Five phones for 12 s: the report has every part, and every answer was the truth."""
    out = tmp_path / "soak.json"
    assert soak.main(["--minutes", "0.2", "--phones", "5", "--interval", "3", "--cycle", "4",
                      "--out", str(out)]) == 0
    report = json.loads(out.read_text())
    assert report["phones"] == 5
    assert report["creates_sent"] > 0
    assert report["routes"]["create"]["count"] >= report["creates_sent"]
    assert {"create", "stats", "page"} <= set(report["routes"])
    for sample in report["intervals"]:
        assert set(sample["answers"]) == {"0", "50301", "other", "timeout"}
        assert sample["rss_kib"] > 0
        assert sample["fds"] > 0
        assert sample["threads"] > 0
        assert sample["wal_kib"] >= 0
        assert sample["cpu_percent"] >= 0
    assert report["intervals"]

    truth = report["truth"]
    assert truth["refused_but_applied_total"] == 0, truth["examples"]
    assert truth["answered_success_but_missing_total"] == 0, truth["examples"]
    assert sum(counts.get("creates", 0) for counts in truth["by_code"].values()) == \
        report["routes"]["create"]["count"]
    assert truth["other"]["tasks_of_no_create"] == 0
    assert truth["other"]["ids_seen_with_two_tags"] == 0
    if importlib.util.find_spec("matplotlib") is not None:
        assert out.with_suffix(".png").exists()


def _task(task_id: int, tag: str, *, status: int = 2, remark: str = "followed @x",
          retry_count: int = 0) -> dict[str, Any]:
    return {"id": task_id, "status": status, "remark": remark, "retry_count": retry_count,
            "script_config": {soak.TAG: tag}}


def test_soak_check_finds_untruthful_answers() -> None:
    """A create answered 50001 that made its task, a create answered 0 whose task is gone,
    a refused delete and a refused stop that were applied: each is counted; a 50301 then
    a 0 on the same create, and answers that were the truth, are not."""
    ledger = soak.Ledger()

    def answer(code: str, data: Any = None) -> soak.Answer:
        return soak.Answer(code, data, None, 10.0)

    ledger.creates["ok"] = [answer("0", {"task_ids": [1, 2]})]
    ledger.creates["lied"] = [answer("50001")]
    ledger.creates["lost"] = [answer("0", {"task_ids": [4]})]
    ledger.creates["again"] = [answer("50301"), answer("0", {"task_ids": [5]})]
    ledger.creates["refused"] = [answer("40001")]
    final = {t["id"]: t for t in [
        _task(1, "ok"), _task(2, "ok"), _task(3, "lied"), _task(5, "again"),
        _task(7, "ok"), _task(8, "ok", status=3, remark="stopped by user"),
        _task(9, "ok", status=3, remark="stopped by user")]}
    ledger.see(final.values())
    ledger.see([_task(6, "ok")])  # shown by a page, then deleted
    ledger.deletes.append(soak.Delete((6, 7), answer("50001")))
    ledger.stops += [soak.Stop(8, answer("40001")),
                     soak.Stop(9, answer("0", _task(9, "ok", status=3,
                                                    remark="stopped by user")))]

    truth = soak.check(ledger, final)

    assert truth["refused_but_applied"] == {"creates": 1, "create_tasks": 1, "deletes": 1,
                                            "delete_tasks": 1, "stops": 1}
    assert truth["answered_success_but_missing"] == {"creates": 1, "create_tasks": 1,
                                                     "deletes": 0, "delete_tasks": 0,
                                                     "stops": 0}
    assert truth["by_code"]["50001"] == {"creates": 1, "creates_applied": 1, "deletes": 1,
                                         "deletes_applied": 1}
    assert truth["by_code"]["50301"] == {"creates": 1}
    assert truth["by_code"]["40001"] == {"creates": 1, "stops": 1, "stops_applied": 1}
