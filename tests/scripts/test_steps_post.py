"""`post` on simulated phones: which files were posted, with which caption, where."""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path

import pytest
import trio

from orchestrator.simulator import Simulator
from scripts._materials import LEDGER, MaterialLibrary
from scripts.errors import StepFailed

from ._steps_helpers import account_of, app_of, run_script, serials, sim

__all__ = ["sim"]

NASTY = "'\"; $(rm -rf /) 🎉"
CAMERA = "/sdcard/DCIM/Camera"


def media(folder: Path, *names: str) -> list[Path]:
    """Small fake media files, each with its own content."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / name for name in names]
    for path in paths:
        path.write_bytes(f"media {path.name}".encode())
    return paths


def ledger(data_dir: Path) -> dict[str, object]:
    used: dict[str, object] = json.loads((data_dir / "materials" / LEDGER).read_text())["used"]
    return used


class TestShare:
    async def test_caption_arrives_literally(self, sim: Simulator, tmp_path: Path) -> None:
        """A host file is pushed to the camera folder, shared to TikTok and posted with
        the caption exactly as given."""
        serial = serials(sim)[0]
        (clip,) = media(tmp_path, "clip one.mp4")
        outcome = await run_script(sim, serial, "post",
                                   {"material_list": [str(clip)], "captions": NASTY},
                                   data_dir=tmp_path)
        (posted,) = account_of(sim, serial).posts
        assert posted.caption == NASTY
        assert posted.media == (f"{CAMERA}/clip one.mp4",)
        assert posted.kind == "video"
        phone = sim.farm.get(serial)
        assert phone is not None
        assert phone.fs.read(f"{CAMERA}/clip one.mp4") == b"media clip one.mp4"
        assert outcome.remark == "posted clip one.mp4 to TikTok"
        assert account_of(sim, serials(sim)[1]).posts == []

    async def test_spintax_and_instagram_story(self, sim: Simulator, tmp_path: Path) -> None:
        serial = serials(sim)[0]
        photos = media(tmp_path, "a.jpg", "b.png")
        await run_script(sim, serial, "post",
                         {"material_list": [str(p) for p in photos], "content_type": 1,
                          "captions": "{Hello|Hi} world", "placement": "story",
                          "platform": "instagram"}, data_dir=tmp_path)
        (posted,) = account_of(sim, serial, "instagram").posts
        assert posted.caption in ("Hello world", "Hi world")
        assert (posted.kind, posted.placement) == ("images", "story")
        assert posted.media == (f"{CAMERA}/a.jpg", f"{CAMERA}/b.png")

    async def test_missing_file(self, sim: Simulator, tmp_path: Path) -> None:
        serial = serials(sim)[0]
        gone = tmp_path / "x" / "y.mp4"
        with pytest.raises(StepFailed, match=f"^file {gone} does not exist$"):
            await run_script(sim, serial, "post", {"material_list": [str(gone)]},
                             data_dir=tmp_path)
        assert account_of(sim, serial).posts == []


class TestAddButton:
    @pytest.mark.parametrize("platform", ["tiktok", "instagram"])
    async def test_gallery_flow(self, sim: Simulator, tmp_path: Path, platform: str) -> None:
        """The + button, the files picked in the gallery by name, Next, caption, Post."""
        serial = serials(sim)[0]
        media(tmp_path / "library", "older.mp4")
        (clip,) = media(tmp_path, "fresh.mp4")
        await run_script(sim, serial, "post", {"material_list": [str(clip)],
                                               "post_way": "addButton", "captions": NASTY,
                                               "platform": platform}, data_dir=tmp_path)
        (posted,) = account_of(sim, serial, platform).posts
        assert (posted.media, posted.caption) == ((f"{CAMERA}/fresh.mp4",), NASTY)
        expected = "reel" if platform == "instagram" else "post"
        assert posted.placement == expected

    async def test_use_sound_is_noted(self, sim: Simulator, tmp_path: Path) -> None:
        serial = serials(sim)[0]
        (clip,) = media(tmp_path, "c.mp4")
        outcome = await run_script(sim, serial, "post",
                                   {"material_list": [str(clip)], "post_way": "useSound",
                                    "sound_name": "hit song"}, data_dir=tmp_path)
        assert "sound 'hit song' not added" in outcome.remark
        assert len(account_of(sim, serial).posts) == 1


class TestMaterials:
    async def test_library_by_tag(self, sim: Simulator, tmp_path: Path) -> None:
        """Two phones posting from one tag at once never take the same file; each file
        is marked used; when none is left the task says so."""
        media(tmp_path / "materials" / "cats", "c1.mp4", "c2.mp4", "note.txt")
        media(tmp_path / "materials" / "dogs", "d1.mp4")
        raw = {"material_source": "materialLibrary", "materials_tags": "cats"}
        library = MaterialLibrary(tmp_path / "materials")
        async with trio.open_nursery() as nursery:
            for serial in serials(sim):
                nursery.start_soon(partial(run_script, sim, serial, "post", raw,
                                           data_dir=tmp_path, materials=library))
        posted = [account_of(sim, serial).posts[0].media for serial in serials(sim)]
        assert sorted(posted) == [(f"{CAMERA}/c1.mp4",), (f"{CAMERA}/c2.mp4",)]
        assert sorted(Path(p).name for p in ledger(tmp_path)) == ["c1.mp4", "c2.mp4"]
        with pytest.raises(StepFailed, match=r"not enough unused video files .*cats"):
            await run_script(sim, serials(sim)[0], "post", raw, data_dir=tmp_path,
                             materials=library)

    async def test_local_folder(self, sim: Simulator, tmp_path: Path) -> None:
        """Each task takes the next unused file of the folder."""
        folder = tmp_path / "mine"
        media(folder, "b.mp4", "a.mp4")
        raw = {"material_source": "localFolder", "material_path": str(folder)}
        serial = serials(sim)[0]
        await run_script(sim, serial, "post", raw, data_dir=tmp_path)
        await run_script(sim, serial, "post", raw, data_dir=tmp_path)
        names = [post.media[0].rsplit("/", 1)[1] for post in account_of(sim, serial).posts]
        assert names == ["a.mp4", "b.mp4"]

    async def test_failed_post_hands_files_back(self, sim: Simulator, tmp_path: Path) -> None:
        media(tmp_path / "materials", "only.mp4")
        serial = serials(sim)[0]
        with pytest.raises(StepFailed, match="not logged in"):
            await run_script(sim, serial, "post", {}, data_dir=tmp_path, username="nobody")
        assert ledger(tmp_path) == {}
        await run_script(sim, serial, "post", {}, data_dir=tmp_path)
        assert account_of(sim, serial).posts[0].media == (f"{CAMERA}/only.mp4",)


class TestUploadFailure:
    async def test_app_error_is_the_remark(self, sim: Simulator, tmp_path: Path) -> None:
        """The file vanishes from the phone before Post is tapped: the app's error
        dialog becomes the remark, and nothing is posted."""
        serial = serials(sim)[0]
        (clip,) = media(tmp_path, "vanish.mp4")
        phone = sim.farm.get(serial)
        assert phone is not None
        app = app_of(sim, serial)

        async def delete_once_composing() -> None:
            # The simulated app has no event for a screen change: poll it.
            while not (app.stack and type(app.stack[-1]).__name__ == "Compose"):  # noqa: ASYNC110
                await trio.sleep(0.005)
            phone.fs.remove(f"{CAMERA}/vanish.mp4")

        async with trio.open_nursery() as nursery:
            nursery.start_soon(delete_once_composing)
            with pytest.raises(StepFailed, match=r"^upload failed: Couldn't upload: "
                                                 r"vanish.mp4 is no longer available$"):
                await run_script(sim, serial, "post", {"material_list": [str(clip)],
                                                       "captions": "a long caption " * 4},
                                 data_dir=tmp_path)
        assert account_of(sim, serial).posts == []
