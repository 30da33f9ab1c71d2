"""`post`: publish a video or images, one task per device, captions spun per task."""

from __future__ import annotations

import enum
import random
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs
import trio

from . import flows
from ._context import RunResult, ScriptContext
from ._marks import Mark, marked
from ._materials import media_kind
from ._rules import at_least, between, check, not_blank, required_if
from ._spec import Script
from ._targets import each_target, targets
from ._text import spin
from .convert import task_config
from .driver import DeviceDriver

__all__ = [
    "SCRIPT",
    "AddSound",
    "ContentType",
    "MaterialSource",
    "Placement",
    "PostConfig",
    "PostWay",
    "fan_out",
    "run",
]

#: Seconds a cancelled task may spend handing its material files back.
RELEASE_WAIT = 5.0


class ContentType(enum.IntEnum):
    VIDEO = 0
    IMAGES = 1


class PostWay(enum.StrEnum):
    SHARE = "share"
    ADD_BUTTON = "addButton"
    USE_SOUND = "useSound"


class MaterialSource(enum.StrEnum):
    MATERIAL_LIBRARY = "materialLibrary"
    LOCAL_FOLDER = "localFolder"


class Placement(enum.StrEnum):
    """Instagram only."""

    REEL = "reel"
    STORY = "story"


class AddSound(enum.Enum):
    """-1 leaves the app's default, 0 off, 1 on, "custom" searches `custom_sound_keyword`.
    The numbers are accepted as strings too ("-1")."""

    DEFAULT = -1
    OFF = 0
    ON = 1
    CUSTOM = "custom"

    @classmethod
    def _missing_(cls, value: object) -> AddSound | None:
        return next((m for m in cls if isinstance(value, str) and str(m.value) == value), None)


@attrs.frozen(kw_only=True)
class PostConfig:
    """The `script_config` of `post`. `material_list` (host file paths), when it has
    entries, overrides `material_source` and `material_path`; `materials_tags` takes a
    list or a newline/comma string. Host paths (`material_list`, `material_path`) are
    relative to the data folder, and must resolve inside it or an `--allow-path` folder."""

    content_type: ContentType = ContentType.VIDEO
    image_count: int = attrs.field(default=1, validator=at_least(1))
    captions: str = ""
    post_way: PostWay = PostWay.SHARE
    material_source: MaterialSource = MaterialSource.MATERIAL_LIBRARY
    material_path: str | None = attrs.field(default=None, metadata=marked(Mark.HOST_FILE))
    material_list: tuple[str, ...] | None = attrs.field(
        default=None, validator=each_target(not_blank), metadata=marked(Mark.HOST_FILE)
    )
    materials_tags: tuple[str, ...] | str | None = attrs.field(
        default=None, validator=each_target(not_blank)
    )
    upload_wait_time: int = attrs.field(default=30, validator=at_least(1))
    sound_wait_time: int = attrs.field(default=10, validator=at_least(0))
    add_sound: AddSound = AddSound.DEFAULT
    sound_name: str | None = None
    custom_sound_keyword: str | None = None
    origin_sound_volume: int = attrs.field(default=50, validator=between(0, 100))
    add_sound_volume: int = attrs.field(default=50, validator=between(0, 100))
    add_product_link: int = attrs.field(default=0, validator=between(0, 1))
    placement: Placement = Placement.REEL

    def __attrs_post_init__(self) -> None:
        local = self.material_source is MaterialSource.LOCAL_FOLDER
        check(
            required_if(
                local and not self.material_list,
                self.material_path,
                "material_path",
                "when material_source is 'localFolder' and material_list is empty",
            ),
            required_if(
                self.post_way is PostWay.USE_SOUND,
                self.sound_name,
                "sound_name",
                "when post_way is 'useSound'",
            ),
            required_if(
                self.add_sound is AddSound.CUSTOM,
                self.custom_sound_keyword,
                "custom_sound_keyword",
                "when add_sound is 'custom'",
            ),
        )

    @property
    def tags(self) -> tuple[str, ...]:
        """`materials_tags` as a list."""
        if isinstance(self.materials_tags, str):
            return targets(None, self.materials_tags)
        return targets(self.materials_tags)


def fan_out(
    config: PostConfig, extra: Mapping[str, Any], *, start: int, rng: random.Random
) -> list[dict[str, Any]]:
    """One task, its captions' spintax resolved."""
    return [task_config(config, extra, captions=spin(config.captions, rng))]


async def _material(config: PostConfig, ctx: ScriptContext) -> tuple[list[Path], bool]:
    """The host files to post, and whether they were taken from the ledger (and so
    must be handed back if the post fails)."""
    if config.material_list:
        return [await ctx.host_files.existing_file(path, "file")
                for path in config.material_list], False
    kind, count = (("video", 1) if config.content_type is ContentType.VIDEO
                   else ("image", config.image_count))
    if config.material_source is MaterialSource.LOCAL_FOLDER:
        folders = [Path(config.material_path or "")]
    else:
        folders = ctx.materials.folders(config.tags)
    return await ctx.materials.claim(folders, kind, count, owner=ctx.owner,
                                     host_files=ctx.host_files), True


def _mime(paths: list[Path]) -> str:
    kinds = {media_kind(path) for path in paths}
    return "video/*" if kinds == {"video"} else "image/*" if kinds == {"image"} else "*/*"


async def run(driver: DeviceDriver, config: PostConfig, ctx: ScriptContext) -> RunResult:
    """Push the media to the phone's camera folder, then post them by a share intent
    (`share`) or the app's + button (`addButton`; `useSound` posts that way, without
    the sound, and says so), the caption typed literally, and wait for the app's
    confirmation. Library and local-folder files are marked used; handed back if the
    post fails."""
    paths, claimed = await _material(config, ctx)
    notes = []
    if config.post_way is PostWay.USE_SOUND:
        notes.append(f"sound {config.sound_name!r} not added: useSound posts via the + button")
    try:
        remote = [f"{ctx.app.media_dir}/{path.name}" for path in paths]
        for path, target in zip(paths, remote, strict=True):
            await driver.push(path, target)
        ui = await flows.as_account(driver, ctx)
        await flows.upload(ui, remote, config.captions, share=config.post_way is PostWay.SHARE,
                           mime=_mime(paths), placement=config.placement.value,
                           wait=config.upload_wait_time)
    except BaseException:
        if claimed:
            with trio.CancelScope(shield=True), trio.move_on_after(RELEASE_WAIT):
                await ctx.materials.release(paths)
        raise
    where = f" as a {config.placement.value}" if ctx.app.placements else ""
    remark = f"posted {', '.join(path.name for path in paths)} to {ctx.app.label}{where}"
    if notes:
        remark += f" ({'; '.join(notes)})"
    return RunResult(remark, {"files": [str(path) for path in paths],
                            "caption": config.captions})


SCRIPT = Script(config_class=PostConfig, fan_out=fan_out, run=run)
