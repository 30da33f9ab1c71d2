"""post: every field of API.md, its default and its rules."""

from __future__ import annotations

import random

import pytest

from scripts import PostConfig, validate
from scripts.post import AddSound, ContentType, MaterialSource, Placement, PostWay

from ._helpers import errors

P = "$.script_config."


class TestDefaults:
    def test_product_example(self) -> None:
        """The overview page's example validates; every default is the documented one."""
        config, tasks = validate("post", {"content_type": 1, "captions": "Look! #viral"})
        assert config == PostConfig(content_type=ContentType.IMAGES, captions="Look! #viral")
        assert tasks == [
            {
                "content_type": 1,
                "image_count": 1,
                "captions": "Look! #viral",
                "post_way": "share",
                "material_source": "materialLibrary",
                "upload_wait_time": 30,
                "sound_wait_time": 10,
                "add_sound": -1,
                "origin_sound_volume": 50,
                "add_sound_volume": 50,
                "add_product_link": 0,
                "placement": "reel",
            }
        ]

    def test_task_management_example(self) -> None:
        """material_list with upload_wait_time, as on the task management page."""
        raw = {
            "content_type": 0,
            "captions": "Check out my new video! #viral #fyp",
            "material_list": ["C:/Videos/video1.mp4"],
            "upload_wait_time": 60,
        }
        config, (task,) = validate("post", raw)
        assert config.material_list == ("C:/Videos/video1.mp4",)
        assert task["material_list"] == ["C:/Videos/video1.mp4"]
        assert task["upload_wait_time"] == 60


class TestEnums:
    @pytest.mark.parametrize(
        ("field", "value", "expected"),
        [
            ("post_way", "addButton", PostWay.ADD_BUTTON),
            ("post_way", "useSound", PostWay.USE_SOUND),
            ("material_source", "localFolder", MaterialSource.LOCAL_FOLDER),
            ("placement", "story", Placement.STORY),
            ("content_type", 0, ContentType.VIDEO),
        ],
    )
    def test_values(self, field: str, value: object, expected: object) -> None:
        """Each documented value is accepted (required companions given)."""
        raw = {field: value, "material_path": "/m", "sound_name": "s"}
        assert getattr(validate("post", raw)[0], field) is expected

    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            (-1, AddSound.DEFAULT),
            (0, AddSound.OFF),
            (1, AddSound.ON),
            ("-1", AddSound.DEFAULT),
            ("0", AddSound.OFF),
            ("1", AddSound.ON),
        ],
    )
    def test_add_sound_numbers_and_strings(self, value: object, expected: AddSound) -> None:
        """add_sound takes -1/0/1 as numbers or strings; tasks carry the number."""
        config, (task,) = validate("post", {"add_sound": value})
        assert config.add_sound is expected
        assert task["add_sound"] == expected.value

    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("post_way", "Share"),
            ("material_source", "library"),
            ("placement", "feed"),
            ("content_type", 2),
            ("content_type", "1"),
            ("content_type", True),
            ("add_sound", 2),
            ("add_sound", "on"),
            ("add_sound", True),
            ("add_sound", None),
        ],
    )
    def test_bad_values(self, field: str, value: object) -> None:
        """Anything else names the field and lists the choices."""
        assert errors("post", {field: value})[P + field].startswith("must be one of")


class TestRequiredIf:
    def test_local_folder_needs_path(self) -> None:
        """localFolder without material_path is an error at material_path."""
        found = errors("post", {"material_source": "localFolder", "material_path": "  "})
        assert list(found) == [P + "material_path"]

    def test_material_list_overrides_source(self) -> None:
        """material_list given: localFolder needs no path."""
        raw = {"material_source": "localFolder", "material_list": ["/a.mp4"]}
        assert validate("post", raw)[0].material_path is None

    def test_use_sound_needs_sound_name(self) -> None:
        assert list(errors("post", {"post_way": "useSound"})) == [P + "sound_name"]

    def test_custom_sound_needs_keyword(self) -> None:
        assert list(errors("post", {"add_sound": "custom"})) == [P + "custom_sound_keyword"]

    def test_all_reported_together(self) -> None:
        """Every broken required-if rule is reported at once."""
        raw = {"material_source": "localFolder", "post_way": "useSound", "add_sound": "custom"}
        assert set(errors("post", raw)) == {
            P + "material_path",
            P + "sound_name",
            P + "custom_sound_keyword",
        }


class TestRanges:
    @pytest.mark.parametrize("field", ["origin_sound_volume", "add_sound_volume"])
    @pytest.mark.parametrize("value", [0, 100])
    def test_volume_bounds_ok(self, field: str, value: int) -> None:
        assert getattr(validate("post", {field: value})[0], field) == value

    @pytest.mark.parametrize("field", ["origin_sound_volume", "add_sound_volume"])
    @pytest.mark.parametrize("value", [-1, 101])
    def test_volume_out_of_range(self, field: str, value: int) -> None:
        assert errors("post", {field: value}) == {
            P + field: f"must be between 0 and 100, got {value}"
        }

    @pytest.mark.parametrize(
        ("field", "value"),
        [("image_count", 0), ("upload_wait_time", 0), ("sound_wait_time", -1)],
    )
    def test_minimums(self, field: str, value: int) -> None:
        assert list(errors("post", {field: value})) == [P + field]

    @pytest.mark.parametrize("value", [0, 1])
    def test_add_product_link(self, value: int) -> None:
        assert validate("post", {"add_product_link": value})[0].add_product_link == value

    def test_add_product_link_is_0_or_1(self) -> None:
        assert list(errors("post", {"add_product_link": 2})) == [P + "add_product_link"]


class TestLists:
    def test_material_list_entries_named(self) -> None:
        """A bad material_list entry is named by its index."""
        assert errors("post", {"material_list": ["/a", 3, " "]}) == {
            P + "material_list[1]": "expected a string, got an integer"
        }
        assert errors("post", {"material_list": ["/a", " "]}) == {
            P + "material_list[1]": "must not be empty"
        }

    def test_material_list_not_a_string(self) -> None:
        assert errors("post", {"material_list": "/a.mp4"}) == {
            P + "material_list": "expected an array, got a string"
        }

    @pytest.mark.parametrize("tags", [["cats", "dogs"], "cats, dogs", "cats\ndogs"])
    def test_materials_tags_list_or_text(self, tags: object) -> None:
        """materials_tags takes a list or a newline/comma string."""
        assert validate("post", {"materials_tags": tags})[0].tags == ("cats", "dogs")


class TestSpintax:
    def test_one_variant_per_task(self) -> None:
        """captions' spintax is resolved in the task, with the injected RNG."""
        _, (task,) = validate("post", {"captions": "{Hi|Hello} {you|all}!"}, rng=random.Random(0))
        assert task["captions"] in {"Hi you!", "Hi all!", "Hello you!", "Hello all!"}
