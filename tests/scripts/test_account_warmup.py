"""account_warmup: durations, probabilities, comments, chatgpt_settings."""

from __future__ import annotations

import pytest

from scripts import AccountWarmupConfig, ChatGPTSettings, validate
from scripts._text import CommentOrder

from ._helpers import errors

P = "$.script_config."
PROBABLES = ["like_probable", "floow_probable", "collect_probable", "comment_probable"]


class TestDefaults:
    def test_defaults(self) -> None:
        """An empty config is valid with the documented defaults: one task, as given."""
        config, tasks = validate("account_warmup", {})
        assert config == AccountWarmupConfig()
        assert (config.task_duration, config.min_duration, config.max_duration) == (600, 15, 30)
        assert all(getattr(config, field) == 0 for field in PROBABLES)
        assert config.comment_order is CommentOrder.RANDOM
        assert len(tasks) == 1
        assert tasks[0]["floow_probable"] == 0  # the product's spelling

    def test_lines(self) -> None:
        """topic and comment hold one entry per line."""
        config, _ = validate("account_warmup", {"topic": "cats\n\n dogs ", "comment": "a\nb"})
        assert (config.topics, config.comments) == (("cats", "dogs"), ("a", "b"))


class TestRules:
    @pytest.mark.parametrize("field", PROBABLES)
    @pytest.mark.parametrize("value", [-1, 101])
    def test_probabilities_are_percentages(self, field: str, value: int) -> None:
        assert errors("account_warmup", {field: value}) == {
            P + field: f"must be between 0 and 100, got {value}"
        }

    def test_follow_probability_spelling(self) -> None:
        """floow_probable is the field; follow_probable is an unknown key, kept."""
        _, (task,) = validate("account_warmup", {"floow_probable": 30, "follow_probable": 5})
        assert (task["floow_probable"], task["follow_probable"]) == (30, 5)

    def test_min_not_above_max(self) -> None:
        assert errors("account_warmup", {"min_duration": 40}) == {
            P + "min_duration": "must not exceed max_duration (30)"
        }

    @pytest.mark.parametrize("field", ["task_duration", "min_duration", "max_duration"])
    def test_durations_positive(self, field: str) -> None:
        assert P + field in errors("account_warmup", {field: 0})

    def test_wrong_types(self) -> None:
        assert set(errors("account_warmup", {"task_duration": "600", "topic": ["a"]})) == {
            P + "task_duration",
            P + "topic",
        }


class TestChatGPT:
    def test_settings_shape_and_defaults(self) -> None:
        raw = {"generate_by_chatgpt": True, "chatgpt_settings": {"api_key": "k"}}
        config, (task,) = validate("account_warmup", raw)
        assert config.chatgpt_settings == ChatGPTSettings(api_key="k")
        assert set(task["chatgpt_settings"]) == {
            "api_key",
            "model",
            "prompt",
            "max_tokens",
            "temperature",
            "base_url",
        }

    def test_settings_required_when_generating(self) -> None:
        assert list(errors("account_warmup", {"generate_by_chatgpt": True})) == [
            P + "chatgpt_settings"
        ]

    @pytest.mark.parametrize(
        ("settings", "path"),
        [
            ({"max_tokens": 0}, "max_tokens"),
            ({"max_tokens": "9"}, "max_tokens"),
            ({"temperature": 2.5}, "temperature"),
            ({"temperature": "hot"}, "temperature"),
            ({"base_url": "localhost:8080"}, "base_url"),
            ({"model": 4}, "model"),
        ],
    )
    def test_nested_errors_name_the_path(self, settings: dict[str, object], path: str) -> None:
        assert list(errors("account_warmup", {"chatgpt_settings": settings})) == [
            f"{P}chatgpt_settings.{path}"
        ]

    def test_settings_must_be_object(self) -> None:
        assert errors("account_warmup", {"chatgpt_settings": "key"}) == {
            P + "chatgpt_settings": "expected an object, got a string"
        }

    def test_temperature_takes_integers(self) -> None:
        config, _ = validate("account_warmup", {"chatgpt_settings": {"temperature": 1}})
        assert config.chatgpt_settings is not None
        assert config.chatgpt_settings.temperature == 1.0
