"""`post`: publish a video or images, one task per device, captions spun per task."""

from __future__ import annotations

import enum
import random
from collections.abc import Mapping
from typing import Any

import attrs

from ._convert import task_config
from ._rules import at_least, between, check, not_blank, required_if
from ._spec import Script
from ._targets import each_target, targets
from ._text import spin

__all__ = [
    "SCRIPT",
    "AddSound",
    "ContentType",
    "MaterialSource",
    "Placement",
    "PostConfig",
    "PostWay",
    "fan_out",
]


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
    list or a newline/comma string."""

    content_type: ContentType = ContentType.VIDEO
    image_count: int = attrs.field(default=1, validator=at_least(1))
    captions: str = ""
    post_way: PostWay = PostWay.SHARE
    material_source: MaterialSource = MaterialSource.MATERIAL_LIBRARY
    material_path: str | None = None
    material_list: tuple[str, ...] | None = attrs.field(
        default=None, validator=each_target(not_blank)
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


SCRIPT = Script(config_class=PostConfig, fan_out=fan_out)
