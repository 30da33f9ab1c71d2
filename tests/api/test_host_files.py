"""`POST /task` confines the host files a task may read to the data folder and the
`--allow-path` folders (symlinks followed), naming the field, and says nothing of what
exists outside; a file inside them is posted on a phone through the whole orchestrator."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import trio

from actors import SchedulerSettings, TaskStatus
from orchestrator.service import run_orchestrator
from orchestrator.settings import Settings
from orchestrator.simulator import Simulator, open_simulator

from ..scripts._steps_helpers import account_of
from .conftest import Answer, Api, AppAndCore

REFUSED = "must lie inside the data folder or an --allow-path folder (symlinks followed)"
CAMERA = "/sdcard/DCIM/Camera"


async def create(api: Api, script_name: str, config: dict[str, Any]) -> Answer:
    return await api("POST", "task", {"serials": ["s1"], "script_name": script_name,
                                      "script_config": config})


def refusal(field: str) -> tuple[int, int, str]:
    return 400, 40001, f"$.script_config.{field}: {REFUSED}"


class TestRefused:
    @pytest.mark.parametrize(("script_name", "config", "field"), [
        ("post", {"material_list": ["/etc/passwd"]}, "material_list[0]"),
        ("post", {"material_list": ["materials/a.mp4", "/etc/hostname"]}, "material_list[1]"),
        ("post", {"material_list": ["materials/../../x.mp4"]}, "material_list[0]"),
        ("post", {"material_source": "localFolder", "material_path": "/usr"},
         "material_path"),
        ("profile", {"avatar_path": "/etc/passwd"}, "avatar_path"),
        ("comment", {"target_post_url": "https://www.tiktok.com/@a/video/1",
                     "comment_content": "hi", "comment_image_path": "/etc/passwd"},
         "comment_image_path"),
    ])
    async def test_outside_the_data_folder(self, farm: AppAndCore, script_name: str,
                                           config: dict[str, Any], field: str) -> None:
        """40001 naming the field (an array's entry by index); nothing is stored."""
        answer = await create(farm.api, script_name, config)
        assert (answer.status, answer.code, answer.message) == refusal(field)
        assert (await farm.store.task_stats()).total == 0

    async def test_says_nothing_of_existence(self, api: Api, tmp_path: Path) -> None:
        """An existing file, a missing one and a symlink inside the data folder to either
        (or to a folder of the host) are refused alike."""
        (tmp_path / "to-passwd.mp4").symlink_to("/etc/passwd")
        (tmp_path / "to-nothing.mp4").symlink_to("/etc/no-such-file.mp4")
        (tmp_path / "to-etc").symlink_to("/etc")
        for path in ["/etc/passwd", "/etc/no-such-file.mp4", str(tmp_path / "to-passwd.mp4"),
                     "to-passwd.mp4", "to-nothing.mp4", "to-etc/passwd"]:
            answer = await create(api, "post", {"material_list": [path]})
            assert (answer.status, answer.code, answer.message) == refusal(
                "material_list[0]"), path

    async def test_the_database(self, api: Api, tmp_path: Path) -> None:
        """Inside the data folder, yet never readable: the database and its companions
        (the farm's is `tasks.db`)."""
        (tmp_path / "db.mp4").symlink_to(tmp_path / "tasks.db")
        for path in ["tasks.db", str(tmp_path / "tasks.db-wal"), "db.mp4"]:
            answer = await create(api, "profile", {"avatar_path": path})
            assert (answer.status, answer.code, answer.message) == refusal("avatar_path"), path


async def test_inside_the_data_folder_accepted(farm: AppAndCore, tmp_path: Path) -> None:
    """Relative paths are relative to the data folder; absolute ones and symlinks within
    it are fine, and the task keeps the paths as given; the same link turned outward
    is refused."""
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "b.mp4").write_bytes(b"b")
    (tmp_path / "link.mp4").symlink_to(tmp_path / "mine" / "b.mp4")
    given = ["mine/a.mp4", str(tmp_path / "mine" / "b.mp4"), "link.mp4"]
    answer = await create(farm.api, "post", {"material_list": given})
    assert answer.code == 0, answer
    task = await farm.store.get_task(answer.data["task_ids"][0])
    assert task is not None
    assert task.script_config["material_list"] == given
    (tmp_path / "link.mp4").unlink()
    (tmp_path / "link.mp4").symlink_to("/etc/passwd")
    answer = await create(farm.api, "post", {"material_list": given})
    assert (answer.status, answer.code, answer.message) == refusal("material_list[2]")


@asynccontextmanager
async def orchestrator(sim: Simulator, data_dir: Path, allowed: Path
                       ) -> AsyncIterator[httpx.AsyncClient]:
    """`orchestrator serve --data-dir data_dir --allow-path allowed` on `sim`'s phones."""
    settings = Settings(port=0, data_dir=data_dir, adb_host=sim.host, adb_port=sim.port,
                        allow_paths=(allowed,),
                        scheduling=SchedulerSettings(auto_retry=False))
    async with trio.open_nursery() as nursery:
        running = await nursery.start(functools.partial(run_orchestrator, settings))
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{running.api_port}/api/v1"
                                     ) as client:
            while True:  # the watcher reports the phones in its own time: poll, bounded
                if (await client.get("/devices")).json()["data"]["total"] == len(sim.farm):
                    break
                await trio.sleep(0.02)
            yield client
        nursery.cancel_scope.cancel()


async def test_an_allowed_folder_is_posted_from(tmp_path: Path) -> None:
    """With `--allow-path`, a file of that folder is posted on a phone; a file beside
    it, outside the folder, is refused at creation."""
    allowed, elsewhere = tmp_path / "allowed", tmp_path / "elsewhere"
    for folder in (allowed, elsewhere):
        folder.mkdir()
        (folder / "clip.mp4").write_bytes(b"clip")
    with trio.fail_after(60):
        async with open_simulator(1) as sim, \
                orchestrator(sim, tmp_path / "data", allowed) as client:
            (serial,) = [phone.serial for phone in sim.farm]

            async def post(path: Path) -> dict[str, Any]:
                answer = await client.post("/task", json={
                    "serials": [serial], "script_name": "post",
                    "script_config": {"material_list": [str(path)]}})
                body: dict[str, Any] = answer.json()
                return body

            refused = await post(elsewhere / "clip.mp4")
            assert (refused["code"], refused["message"]) == (
                40001, f"$.script_config.material_list[0]: {REFUSED}")
            (task_id,) = (await post(allowed / "clip.mp4"))["data"]["task_ids"]
            while True:
                task = (await client.get(f"/task/{task_id}")).json()["data"]
                if task["status"] not in (TaskStatus.PENDING, TaskStatus.RUNNING):
                    break
                await trio.sleep(0.02)
            assert (task["status_text"], task["remark"]) == (
                "completed", "posted clip.mp4 to TikTok")
            assert account_of(sim, serial).posts[0].media == (f"{CAMERA}/clip.mp4",)
