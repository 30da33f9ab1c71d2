"""The library's bookkeeping is out of the tag namespace (no tag can break it), an old
ledger is taken over, and a claim walks its folders without holding the library's lock."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import trio

import scripts._materials
from orchestrator.simulator import Simulator

from ..scripts._steps_helpers import account_of, run_script, serials, sim
from .conftest import DEADLINE, AppAndCore
from .test_materials import names, upload

__all__ = ["sim"]

CAMERA = "/sdcard/DCIM/Camera"


async def test_no_tag_breaks_the_library(farm: AppAndCore, sim: Simulator, tmp_path: Path) -> None:
    """Tags named as the ledger was, or its temporary file, are plain tags: list, post
    and reset-used keep working; the ledger's own names are refused as tags."""
    api = farm.api
    for hidden in [".used.json", ".used.json.tmp"]:
        answer = await upload(api, ("x.mp4", b"x"), tag=hidden)
        assert (answer.code, answer.message) == (
            40001, f"tag {hidden!r} is not a plain folder name")
    serial = serials(sim)[0]
    for tag in ["used.json", "used.tmp"]:
        assert (await upload(api, (f"{tag}.mp4", b"v"), tag=tag)).code == 0
        await run_script(sim, serial, "post", {"materials_tags": [tag]}, data_dir=tmp_path,
                         materials=farm.materials)
        assert account_of(sim, serial).posts[-1].media == (f"{CAMERA}/{tag}.mp4",)
        assert await names(api, used=1) == [f"{tag}/{tag}.mp4"]
        answer = await api("POST", "materials/reset-used", {})
        assert (answer.code, answer.data) == (0, {"reset_count": 1})
    assert await names(api) == ["used.json/used.json.mp4", "used.tmp/used.tmp.mp4"]


async def test_old_ledger_is_taken_over(farm: AppAndCore, tmp_path: Path) -> None:
    """A `used.json` of an older version is moved to the hidden ledger, marks kept."""
    assert (await upload(farm.api, ("c.mp4", b"c"), tag="cats")).code == 0
    root = tmp_path / "materials"
    mark = {"by": "task 7 on sim-0001", "at": "2024-05-01 09:00:00"}
    (root / "used.json").write_text(json.dumps(
        {"used": {str((root / "cats" / "c.mp4").resolve()): mark}}))
    (used,) = (await farm.api("GET", "materials", query={"used": 1})).data["materials"]
    assert (used["name"], used["used_by"], used["used_at"]) == ("c.mp4", *mark.values())
    assert not (root / "used.json").exists()
    assert (root / ".used.json").is_file()
    assert (await upload(farm.api, ("u.mp4", b"u"), tag="used.json")).code == 0
    assert await names(farm.api, used=1) == ["cats/c.mp4"]


async def test_catalog_is_not_held_up_by_a_walk(farm: AppAndCore, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """While a claim walks a folder (in a worker thread), `GET /materials` is answered:
    the walk does not hold the library's lock. (Were it held, the list asked for from
    inside the walk would wait for it for ever: the deadline would fail the test.)"""
    folder = tmp_path / "local"
    folder.mkdir()
    (folder / "a.mp4").write_bytes(b"a")
    assert (await upload(farm.api, ("c.mp4", b"c"), tag="cats")).code == 0
    walk = scripts._materials._walk
    answers: list[Any] = []

    def walk_while_listing(*args: Any) -> list[Path]:
        answers.append(trio.from_thread.run(farm.api, "GET", "materials"))
        return walk(*args)

    monkeypatch.setattr(scripts._materials, "_walk", walk_while_listing)
    with trio.fail_after(DEADLINE):
        taken = await farm.materials.claim([folder], "video", 1, owner="t",
                                           host_files=farm.host_files)
    assert taken == [(folder / "a.mp4").resolve()]
    assert [(answer.code, answer.data["total"]) for answer in answers] == [(0, 1)]
