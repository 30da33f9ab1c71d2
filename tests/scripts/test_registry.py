"""The registry, the error tree, and a request's fan-out over devices."""

from __future__ import annotations

import json
import random
from types import MappingProxyType

import pytest

import scripts
import scripts._registry
from scripts import (
    SCRIPTS,
    InvalidConfig,
    ScriptError,
    ScriptNotEnabled,
    ScriptSpec,
    UnknownScript,
    plan_tasks,
    validate,
)

from ._helpers import errors

API_ENABLED = {"account_warmup", "comment", "follow", "like", "message", "post", "profile",
               "scrape_user", "super_marketing", "unfollow"}


def test_exports_sorted_and_present() -> None:
    """The curated surface is sorted and every name exists."""
    assert scripts.__all__ == sorted(scripts.__all__, key=lambda n: (not n.isupper(), n))
    for name in scripts.__all__:
        assert hasattr(scripts, name)


class TestRegistry:
    def test_ten_scripts(self) -> None:
        """All ten of the product's scripts are written and API-enabled."""
        assert set(SCRIPTS) == API_ENABLED
        assert {n for n, spec in SCRIPTS.items() if spec.api_enabled} == API_ENABLED
        assert all(spec.script is not None and spec.script.run is not None
                   for spec in SCRIPTS.values())

    def test_enabled_needs_a_script(self) -> None:
        """A spec cannot be API-enabled without a written script."""
        with pytest.raises(ValueError, match="not written"):
            ScriptSpec(name="x", api_enabled=True)

    def test_read_only(self) -> None:
        """The registry cannot be changed at run time."""
        with pytest.raises(TypeError):
            SCRIPTS["x"] = SCRIPTS["like"]  # type: ignore[index]


class TestErrors:
    def test_unknown(self) -> None:
        """An unknown name is UnknownScript (API 40001), a LookupError naming it."""
        with pytest.raises(UnknownScript, match="'dance'") as info:
            validate("dance", {})
        assert isinstance(info.value, ScriptError | LookupError)
        assert info.value.script_name == "dance"

    def test_not_enabled(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """A script only announced answers ScriptNotEnabled (API 40003), before any
        config check."""
        announced = {**SCRIPTS, "dance": ScriptSpec(name="dance")}
        monkeypatch.setattr(scripts._registry, "SCRIPTS", MappingProxyType(announced))
        with pytest.raises(ScriptNotEnabled):
            validate("dance", "not even an object")

    def test_invalid_is_value_error_naming_fields(self) -> None:
        """InvalidConfig is a ValueError whose message lists every path."""
        with pytest.raises(InvalidConfig) as info:
            validate("post", {"captions": 1, "image_count": "2"})
        assert isinstance(info.value, ValueError)
        assert str(info.value) == (
            "$.script_config.image_count: expected an integer, got a string; "
            "$.script_config.captions: expected a string, got an integer"
        )

    @pytest.mark.parametrize("raw", [None, [], "x", 3])
    def test_config_must_be_object(self, raw: object) -> None:
        """script_config itself must be a JSON object."""
        assert list(errors("follow", raw)) == ["$.script_config"]


class TestPlanTasks:
    def test_two_devices_three_targets(self) -> None:
        """2 devices x 3 targets = 6 tasks, device-major, targets in the order given."""
        planned = plan_tasks("follow", {"target_users": ["a", "b", "c"]}, ["d1", "d2"])
        assert [(slot, task["target_user"]) for slot, task in planned] == [
            ("d1", "a"),
            ("d1", "b"),
            ("d1", "c"),
            ("d2", "a"),
            ("d2", "b"),
            ("d2", "c"),
        ]

    def test_sequential_comments_count_over_request(self) -> None:
        """Task k of the request gets comment k mod n, across devices."""
        raw = {
            "target_post_urls": ["https://t.co/1", "https://t.co/2", "https://t.co/3"],
            "comment_content": "c0\nc1\nc2\nc3",
            "comment_order": "sequential",
        }
        planned = plan_tasks("comment", raw, ["d1", "d2"])
        assert [task["comment_content"] for _, task in planned] == [
            "c0",
            "c1",
            "c2",
            "c3",
            "c0",
            "c1",
        ]

    def test_post_one_per_device_spun_each(self) -> None:
        """post makes one task per device, each with its own spintax draw."""
        planned = plan_tasks(
            "post", {"captions": "{a|b|c|d|e|f|g|h}"}, range(40), rng=random.Random(1)
        )
        captions = [task["captions"] for _, task in planned]
        assert len(captions) == 40
        assert set(captions) == set("abcdefgh")

    def test_slots_may_be_accounts(self) -> None:
        """A slot is anything: (serial, username) pairs for multi-account runs."""
        slots = [("d1", "alice"), ("d1", "bob")]
        planned = plan_tasks("unfollow", {"target_user": "x"}, slots)
        assert [slot for slot, _ in planned] == slots

    def test_seeded_rng_is_reproducible(self) -> None:
        """The same seed gives the same tasks."""
        raw = {
            "target_post_url": "https://t.co/1",
            "comment_content": "a\nb\nc",
            "insert_emoji": True,
        }
        first = plan_tasks("comment", raw, ["d1", "d2"], rng=random.Random(7))
        assert first == plan_tasks("comment", raw, ["d1", "d2"], rng=random.Random(7))

    def test_no_devices_no_tasks(self) -> None:
        """No slots: nothing planned (the caller answers 40001)."""
        assert plan_tasks("post", {}, []) == []

    def test_tasks_are_json_and_keep_unknown_keys(self) -> None:
        """Task configs are JSON-ready and carry unknown keys as they came."""
        raw = {"target_user": "a,b", "future_option": {"x": [1, None]}, "note": "hi"}
        planned = plan_tasks("follow", raw, ["d1"])
        for _, task in planned:
            assert json.loads(json.dumps(task)) == task
            assert task["future_option"] == {"x": [1, None]}
            assert task["note"] == "hi"

    @pytest.mark.parametrize(
        ("name", "raw"),
        [
            ("follow", {"target_user": "a\nb", "access_method": "search"}),
            ("unfollow", {"target_users": ["@a", "b"]}),
            ("comment", {"target_post_url": "https://t.co/1", "comment_content": "x\ny"}),
            (
                "comment",
                {"target_post_urls": ["https://t.co/1"], "comment_content": "x"}
                | {"insert_emoji": True},
            ),
            ("post", {"captions": "{a|b}", "add_sound": "custom", "custom_sound_keyword": "k"}),
            ("account_warmup", {"topic": "cats\ndogs", "like_probable": 40, "x": 1}),
        ],
    )
    def test_task_config_fans_out_to_itself(self, name: str, raw: dict[str, object]) -> None:
        """A task's config is a valid config of its script that makes exactly that task."""
        for _, task in plan_tasks(name, raw, ["d1", "d2"], rng=random.Random(2)):
            assert validate(name, task, rng=random.Random(5))[1] == [task]
