"""The `/materials` routes: upload, list, retag, delete, reset; and `post` drawing from
what was uploaded."""

from __future__ import annotations

import io
import re
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest
import trio
from quart.datastructures import FileStorage

from orchestrator.api import ApiProcess, serve_api
from orchestrator.plans import default_plan
from orchestrator.simulator import Simulator
from scripts.errors import StepFailed

from ..scripts._steps_helpers import account_of, run_script, serials, sim
from .conftest import DEADLINE, Answer, Api, AppAndCore

__all__ = ["sim"]

CAMERA = "/sdcard/DCIM/Camera"


def multipart(*files: tuple[str, bytes], **fields: str) -> tuple[bytes, dict[str, str]]:
    """A multipart/form-data body of `file` parts and form `fields`, and its header."""
    request = httpx.Request("POST", "http://host/", data=fields,
                            files=[("file", file) for file in files])
    return request.read(), {"Content-Type": request.headers["Content-Type"]}


def stored(data_dir: Path) -> list[Path]:
    """Everything under the library's folder."""
    return sorted(data_dir.glob("materials/**/*"))


async def take(farm: AppAndCore, folders: list[Path], count: int, owner: str) -> list[Path]:
    """`count` videos of `folders` claimed as a task does (the farm's host files)."""
    return await farm.materials.claim(folders, "video", count, owner=owner,
                                      host_files=farm.host_files)


async def upload(api: Api, *files: tuple[str, bytes], **fields: str) -> Answer:
    body, headers = multipart(*files, **fields)
    return await api("POST", "materials", raw=body, headers=headers)


async def names(api: Api, **query: str | int) -> list[str]:
    """The listed materials as `tag/name` (`/name` for untagged ones)."""
    answer = await api("GET", "materials", query=query)
    assert answer.code == 0, answer
    return [f"{m['tag']}/{m['name']}" for m in answer.data["materials"]]


async def stocked(api: Api) -> None:
    """Two cat videos, a dog photo and an untagged clip."""
    for tag, files in [("cats", [("c1.mp4", b"c1"), ("c2.mov", b"c2")]),
                       ("dogs", [("d1.jpg", b"d1")]), ("", [("root.mp4", b"r")])]:
        assert (await upload(api, *files, tag=tag)).code == 0


class TestUpload:
    async def test_stores_and_answers(self, farm: AppAndCore, tmp_path: Path) -> None:
        """Each file lands in the tag's folder; the answer describes them."""
        answer = await upload(farm.api, ("clip one.mp4", b"video"), ("p.PNG", b"image"),
                              tag="cats")
        assert (answer.status, answer.code) == (200, 0)
        assert answer.data["uploaded_count"] == 2
        clip, photo = answer.data["materials"]
        folder = (tmp_path / "materials" / "cats").resolve()
        assert clip == {"name": "clip one.mp4", "tag": "cats", "kind": "video", "size": 5,
                        "used": False, "used_by": None, "used_at": None,
                        "path": str(folder / "clip one.mp4")}
        assert (photo["kind"], photo["size"]) == ("image", 5)
        assert (folder / "clip one.mp4").read_bytes() == b"video"

    async def test_untagged(self, api: Api, tmp_path: Path) -> None:
        """No tag, an empty one, or `_`: the library's root."""
        assert (await upload(api, ("a.mp4", b"a"))).code == 0
        assert (await upload(api, ("b.mp4", b"b"), tag="")).code == 0
        assert (await upload(api, ("c.mp4", b"c"), tag="_")).code == 0
        assert await names(api) == ["/a.mp4", "/b.mp4", "/c.mp4"]
        assert (tmp_path / "materials" / "c.mp4").is_file()

    @pytest.mark.parametrize(("name", "problem"), [
        ("../x.mp4", "file name '../x.mp4' is not a plain file name"),
        ("a/b.mp4", "file name 'a/b.mp4' is not a plain file name"),
        ("a\\b.mp4", "file name 'a\\\\b.mp4' is not a plain file name"),
        (".hidden.mp4", "file name '.hidden.mp4' is not a plain file name"),
        ("notes.txt", "file name 'notes.txt' is of no known kind"),
    ])
    async def test_bad_names(self, api: Api, tmp_path: Path, name: str, problem: str) -> None:
        """A bad name refuses the whole upload: nothing is stored, the good file neither."""
        answer = await upload(api, ("good.mp4", b"g"), (name, b"x"))
        assert (answer.status, answer.code, answer.data) == (400, 40001, None)
        assert answer.message.startswith(problem)
        assert stored(tmp_path) == []

    @pytest.mark.parametrize("tag", ["..", "../up", "a/b", ".git"])
    async def test_bad_tags(self, api: Api, tag: str) -> None:
        answer = await upload(api, ("a.mp4", b"a"), tag=tag)
        assert (answer.code, answer.message) == (40001, f"tag {tag!r} is not a plain folder name")

    async def test_name_taken(self, farm: AppAndCore) -> None:
        """A name already in the tag is refused, unless `replace=1`, which stores the new
        content as an unused file."""
        await upload(farm.api, ("a.mp4", b"old"), tag="cats")
        await take(farm, farm.materials.folders(["cats"]), 1, "t")
        answer = await upload(farm.api, ("a.mp4", b"new"), tag="cats")
        assert (answer.code, answer.message) == (
            40001, "file name 'a.mp4' is already in tag 'cats' (replace=1 overwrites it)")
        assert (await upload(farm.api, ("a.mp4", b"new"), tag="dogs")).code == 0
        answer = await upload(farm.api, ("a.mp4", b"newer"), tag="cats", replace="1")
        assert answer.code == 0
        (stored,) = answer.data["materials"]
        assert (stored["size"], stored["used"]) == (5, False)
        assert await farm.materials.used() == {}

    async def test_name_twice(self, api: Api) -> None:
        answer = await upload(api, ("a.mp4", b"1"), ("a.mp4", b"2"))
        assert (answer.code, answer.message) == (40001, "file name 'a.mp4' is given twice")

    @pytest.mark.parametrize(("body", "headers"), [
        (b'{"tag": "x"}', {"Content-Type": "application/json"}),
        (*multipart(tag="x"),),
    ])
    async def test_no_file(self, api: Api, body: bytes, headers: dict[str, str]) -> None:
        answer = await api("POST", "materials", raw=body, headers=headers)
        assert answer.code == 40001
        assert answer.message.startswith("$.file: a multipart/form-data body")

    async def test_bad_replace_flag(self, api: Api) -> None:
        answer = await upload(api, ("a.mp4", b"a"), replace="yes")
        assert (answer.code, answer.message) == (40001, "$.replace: expected an integer, got 'yes'")

    async def test_quart_files_argument(self, farm: AppAndCore) -> None:
        """Quart's own multipart encoding (its test client's `files=`) is read alike."""
        client = farm.api.client
        with trio.fail_after(DEADLINE):
            response = await client.post(
                "/api/v1/materials", form={"tag": "cats"},
                files={"file": FileStorage(io.BytesIO(b"q"), "q.webm")})
            body = await response.get_json()
        assert (body["code"], body["data"]["materials"][0]["name"]) == (0, "q.webm")

    @pytest.mark.parametrize("processes", [0, 1], ids=["api-here", "api-process"])
    async def test_through_hypercorn(self, farm: AppAndCore, tmp_path: Path,
                                     processes: int) -> None:
        """A real client over a real socket, as curl -F would send it; with an API
        process, the upload streams through it to the core."""
        app = farm.app()
        process = ApiProcess(sqlite_path=tmp_path / "tasks.db", postgres=None,
                             plan=default_plan())
        port = await farm.nursery.start(partial(serve_api, app, host="127.0.0.1", port=0,
                                                processes=processes, process=process))
        big = bytes(range(256)) * 4096  # 1 MiB: more than one network read
        with trio.fail_after(DEADLINE):
            response = await trio.to_thread.run_sync(partial(
                httpx.post, f"http://127.0.0.1:{port}/api/v1/materials", data={"tag": "cats"},
                files=[("file", ("big.mp4", big)), ("file", ("small.jpg", b"s"))]))
        body: dict[str, Any] = response.json()
        assert (response.status_code, body["code"]) == (200, 0)
        assert [m["size"] for m in body["data"]["materials"]] == [len(big), 1]
        assert (farm.materials.root / "cats" / "big.mp4").read_bytes() == big


class TestList:
    async def test_filters(self, farm: AppAndCore) -> None:
        api = farm.api
        await stocked(api)
        await take(farm, farm.materials.folders(["cats"]), 1, "t 1")
        assert await names(api) == ["/root.mp4", "cats/c1.mp4", "cats/c2.mov", "dogs/d1.jpg"]
        assert await names(api, tag="cats") == ["cats/c1.mp4", "cats/c2.mov"]
        assert await names(api, tag="_") == ["/root.mp4"]
        assert await names(api, tag="") == await names(api)
        assert await names(api, tag="nope") == []
        assert await names(api, kind="image") == ["dogs/d1.jpg"]
        assert await names(api, used=1) == ["cats/c1.mp4"]
        assert await names(api, used=0, kind="video") == ["/root.mp4", "cats/c2.mov"]
        (used,) = (await api("GET", "materials", query={"used": 1})).data["materials"]
        assert (used["used"], used["used_by"]) == (True, "t 1")
        assert used["used_at"] is not None

    async def test_pages(self, api: Api) -> None:
        await stocked(api)
        answer = await api("GET", "materials", query={"page": 2, "page_size": 3})
        assert answer.data["total"] == 4
        assert (answer.data["page"], answer.data["page_size"]) == (2, 3)
        assert [m["name"] for m in answer.data["materials"]] == ["d1.jpg"]

    async def test_ignores_what_it_does_not_manage(self, api: Api, tmp_path: Path) -> None:
        """Other files, hidden ones and deeper folders are not listed."""
        await stocked(api)
        root = tmp_path / "materials"
        for junk in ["notes.txt", ".x.mp4", "cats/deep/x.mp4", ".hidden/y.mp4"]:
            (root / junk).parent.mkdir(parents=True, exist_ok=True)
            (root / junk).write_bytes(b"j")
        assert len(await names(api)) == 4

    @pytest.mark.parametrize(("query", "problem"), [
        ({"kind": "audio"}, "$.kind: must be one of 'video', 'image', got 'audio'"),
        ({"used": 2}, "$.used: must be at most 1, got 2"),
        ({"page_size": 101}, "$.page_size: must be at most 100, got 101"),
        ({"tag": "a/b"}, "tag 'a/b' is not a plain folder name"),
    ])
    async def test_bad_query(self, api: Api, query: dict[str, str | int], problem: str) -> None:
        answer = await api("GET", "materials", query=query)
        assert (answer.status, answer.code, answer.message) == (400, 40001, problem)


class TestRetag:
    async def test_move_keeps_used_mark(self, farm: AppAndCore, tmp_path: Path) -> None:
        api = farm.api
        await stocked(api)
        await take(farm, farm.materials.folders(["cats"]), 1, "t 1")
        answer = await api("PUT", "materials/cats/c1.mp4", {"tag": "new"})
        assert (answer.code, answer.data["tag"], answer.data["used"]) == (0, "new", True)
        assert answer.data["path"] == str((tmp_path / "materials/new/c1.mp4").resolve())
        assert await names(api, used=1) == ["new/c1.mp4"]
        answer = await api("PUT", "materials/new/c1.mp4", {"tag": ""})
        assert (answer.code, answer.data["tag"], answer.data["used"]) == (0, "", True)
        answer = await api("PUT", "materials/_/root.mp4", {"tag": "dogs"})
        assert await names(api, tag="_") == ["/c1.mp4"]
        assert await names(api, tag="dogs") == ["dogs/d1.jpg", "dogs/root.mp4"]

    async def test_refusals(self, api: Api) -> None:
        await stocked(api)
        await upload(api, ("c1.mp4", b"other"))
        for path, body, code, message in [
            ("materials/cats/c1.mp4", {"tag": "_"}, 40001,
             "file name 'c1.mp4' is already in the untagged root"),
            ("materials/cats/nope.mp4", {"tag": "x"}, 40401,
             "no file 'nope.mp4' in tag 'cats'"),
            ("materials/cats/c1.mp4", {"tag": "../x"}, 40001,
             "tag '../x' is not a plain folder name"),
            ("materials/cats/c1.mp4", {}, 40001, "$.tag: required field missing"),
            ("materials/cats/..", {"tag": "x"}, 40001, "file name '..' is not a plain file name"),
        ]:
            answer = await api("PUT", path, body)
            assert (answer.code, answer.message) == (code, message), path


class TestDelete:
    async def test_file_and_mark_go(self, farm: AppAndCore, tmp_path: Path) -> None:
        api = farm.api
        await stocked(api)
        await take(farm, farm.materials.folders(["cats"]), 1, "t")
        answer = await api("DELETE", "materials/cats/c1.mp4")
        assert (answer.code, answer.data["name"], answer.data["used"]) == (0, "c1.mp4", True)
        assert not (tmp_path / "materials/cats/c1.mp4").exists()
        assert await farm.materials.used() == {}
        assert (await api("DELETE", "materials/_/root.mp4")).code == 0
        assert await names(api) == ["cats/c2.mov", "dogs/d1.jpg"]

    async def test_unknown(self, api: Api) -> None:
        answer = await api("DELETE", "materials/cats/c1.mp4")
        assert (answer.status, answer.code, answer.message) == (
            404, 40401, "no file 'c1.mp4' in tag 'cats'")


class TestReset:
    async def test_by_tag_then_all(self, farm: AppAndCore, tmp_path: Path) -> None:
        """Marks of one tag, then all of the library's; a localFolder file's mark stays."""
        api, library = farm.api, farm.materials
        await stocked(api)
        elsewhere = tmp_path / "mine"
        elsewhere.mkdir()
        (elsewhere / "x.mp4").write_bytes(b"x")
        await take(farm, library.folders([]), 3, "t")
        await take(farm, [elsewhere], 1, "t")
        answer = await api("POST", "materials/reset-used", {"tag": "cats"})
        assert (answer.code, answer.data) == (0, {"reset_count": 2})
        assert await names(api, used=1) == ["/root.mp4"]
        assert (await api("POST", "materials/reset-used", {})).data == {"reset_count": 1}
        assert list(await library.used()) == [str((elsewhere / "x.mp4").resolve())]

    async def test_untagged_only(self, farm: AppAndCore) -> None:
        await stocked(farm.api)
        await take(farm, farm.materials.folders([]), 3, "t")
        answer = await farm.api("POST", "materials/reset-used", {"tag": ""})
        assert answer.data == {"reset_count": 1}
        assert await names(farm.api, used=1) == ["cats/c1.mp4", "cats/c2.mov"]

    async def test_bad_tag(self, api: Api) -> None:
        answer = await api("POST", "materials/reset-used", {"tag": 5})
        assert (answer.code, answer.message) == (40001, "$.tag: expected a string, got an integer")


async def test_post_draws_an_uploaded_file(farm: AppAndCore, sim: Simulator,
                                           tmp_path: Path) -> None:
    """`post` with `materialLibrary` and `materials_tags` posts the tag's first unused
    file, which the list then shows used by that task."""
    await stocked(farm.api)
    serial = serials(sim)[0]
    raw = {"material_source": "materialLibrary", "materials_tags": ["cats"]}
    await run_script(sim, serial, "post", raw, data_dir=tmp_path, materials=farm.materials)
    assert account_of(sim, serial).posts[0].media == (f"{CAMERA}/c1.mp4",)
    (used,) = (await farm.api("GET", "materials", query={"used": 1})).data["materials"]
    assert (used["name"], used["used_by"]) == ("c1.mp4", f"task 1 on {serial}")


async def test_post_refuses_a_path_as_tag(farm: AppAndCore, sim: Simulator, tmp_path: Path) -> None:
    raw = {"material_source": "materialLibrary", "materials_tags": ["../.."]}
    problem = re.escape("materials_tags: tag '../..' is not a plain folder name")
    with pytest.raises(StepFailed, match=problem):
        await run_script(sim, serials(sim)[0], "post", raw, data_dir=tmp_path,
                         materials=farm.materials)
