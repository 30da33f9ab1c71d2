"""Host files when a task runs: a path is resolved again (a file swapped for a symlink
after the task was created is refused), a `localFolder` claim takes only files inside
the roots, and walks at most its limit of entries."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestrator.simulator import Simulator
from scripts import HostFiles, InvalidConfig, MaterialLibrary, plan_tasks
from scripts._host_files import REFUSED
from scripts.errors import StepFailed

from ._steps_helpers import account_of, run_script, serials, sim

__all__ = ["sim"]

CAMERA = "/sdcard/DCIM/Camera"


def clip(folder: Path, name: str = "clip.mp4") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(name.encode())
    return folder / name


class TestAtRunTime:
    @pytest.mark.parametrize("target", ["/etc/passwd", "/etc/no-such-file.mp4"])
    async def test_swapped_for_a_symlink(self, sim: Simulator, tmp_path: Path,
                                         target: str) -> None:
        """Accepted at creation; swapped for a symlink out of the data folder, refused
        when the task runs, with the same words whether the target exists or not."""
        path = clip(tmp_path / "mine")
        raw = {"material_list": [str(path)]}
        assert plan_tasks("post", raw, ["s"], host_files=HostFiles.of(tmp_path))
        path.unlink()
        path.symlink_to(target)
        serial = serials(sim)[0]
        with pytest.raises(InvalidConfig) as info:
            await run_script(sim, serial, "post", raw, data_dir=tmp_path)
        assert str(info.value) == f"$.script_config.material_list[0]: {REFUSED}"
        assert account_of(sim, serial).posts == []

    async def test_a_folder_outside(self, sim: Simulator, tmp_path: Path) -> None:
        """A stored task whose `material_path` is outside is refused before any walk."""
        raw = {"material_source": "localFolder", "material_path": "/usr"}
        with pytest.raises(InvalidConfig, match=r"^\$\.script_config\.material_path: "):
            await run_script(sim, serials(sim)[0], "post", raw, data_dir=tmp_path)

    async def test_existing_file_says_nothing_outside(self, tmp_path: Path) -> None:
        """Where a script reads the file: "does not exist" only inside the roots."""
        host_files = HostFiles.of(tmp_path / "data")
        (tmp_path / "data").mkdir()
        (tmp_path / "data" / "out.mp4").symlink_to(clip(tmp_path / "outside"))
        with pytest.raises(StepFailed, match=r"^file gone\.mp4 does not exist$"):
            await host_files.existing_file("gone.mp4", "file")
        for path in ["out.mp4", "../outside/clip.mp4", str(tmp_path / "outside" / "clip.mp4"),
                     str(tmp_path / "outside" / "gone.mp4")]:
            with pytest.raises(StepFailed) as info:
                await host_files.existing_file(path, "file")
            assert info.value.remark == f"file {path}: {REFUSED}"


class TestLocalFolder:
    async def test_symlink_out_is_not_taken(self, sim: Simulator, tmp_path: Path) -> None:
        """A symlink in the folder to /etc/passwd (first by its resolved path) is passed
        over; the one real file is posted, then none is left."""
        folder = tmp_path / "mine"
        clip(folder, "a.mp4")
        (folder / "0.mp4").symlink_to("/etc/passwd")
        raw = {"material_source": "localFolder", "material_path": "mine"}
        serial = serials(sim)[0]
        await run_script(sim, serial, "post", raw, data_dir=tmp_path)
        assert [post.media for post in account_of(sim, serial).posts] == [(f"{CAMERA}/a.mp4",)]
        with pytest.raises(StepFailed, match="not enough unused video files"):
            await run_script(sim, serial, "post", raw, data_dir=tmp_path)

    async def test_walk_is_bounded(self, sim: Simulator, tmp_path: Path) -> None:
        """Past `walk_limit` entries (files and folders, at any depth) the task fails
        and says why; within it, it runs."""
        folder = tmp_path / "mine"
        clip(folder, "a.mp4")
        clip(folder / "deeper", "b.mp4")
        raw = {"material_source": "localFolder", "material_path": str(folder)}
        serial = serials(sim)[0]
        tight = MaterialLibrary(tmp_path / "materials", walk_limit=2)
        with pytest.raises(StepFailed, match=f"^material folder {folder} holds more than 2 "):
            await run_script(sim, serial, "post", raw, data_dir=tmp_path, materials=tight)
        enough = MaterialLibrary(tmp_path / "materials", walk_limit=3)
        await run_script(sim, serial, "post", raw, data_dir=tmp_path, materials=enough)
        assert account_of(sim, serial).posts[0].media == (f"{CAMERA}/a.mp4",)

    async def test_the_library_is_walked_whole(self, sim: Simulator, tmp_path: Path) -> None:
        """The library's own folders are the farm's, however many files they hold: the
        limit is for folders a request names."""
        library = MaterialLibrary(tmp_path / "materials", walk_limit=2)
        for name in ("a.mp4", "b.mp4", "c.mp4"):
            clip(library.root / "cats", name)
        await run_script(sim, serials(sim)[0], "post", {"materials_tags": ["cats"]},
                         data_dir=tmp_path, materials=library)
        assert account_of(sim, serials(sim)[0]).posts[0].media == (f"{CAMERA}/a.mp4",)
