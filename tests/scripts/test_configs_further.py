"""The `script_config` of like, message, profile, scrape_user and super_marketing:
defaults, fan-out, and errors that name their field."""

from __future__ import annotations

import random

import pytest

from scripts import plan_tasks, validate

from ._helpers import errors

P = "$.script_config."
URL = "https://www.tiktok.com/@a/video/12345678901"
URL2 = "https://www.tiktok.com/@b/video/12345678902"


class TestLike:
    def test_one_task_per_url(self) -> None:
        """The list wins; each task holds its one URL in both shapes; unknown keys stay."""
        _, tasks = validate("like", {"target_post_urls": [URL, URL2], "target_post_url": URL,
                                     "platform": "tiktok"})
        assert tasks == [{"target_post_urls": [url], "target_post_url": url,
                          "platform": "tiktok"} for url in (URL, URL2)]

    def test_string_split(self) -> None:
        _, tasks = validate("like", {"target_post_url": f"{URL},\n{URL2}"})
        assert [task["target_post_url"] for task in tasks] == [URL, URL2]

    @pytest.mark.parametrize(("raw", "field", "message"), [
        ({}, "target_post_urls", "required: target_post_urls (a list) or target_post_url"),
        ({"target_post_urls": ["ftp://x"]}, "target_post_urls[0]", "is not an http(s) URL"),
        ({"target_post_url": 5}, "target_post_url", "expected a string, got an integer"),
    ])
    def test_errors(self, raw: dict[str, object], field: str, message: str) -> None:
        assert message in errors("like", raw)[P + field]


class TestMessage:
    def test_sequential_over_the_request(self) -> None:
        """Task k gets line k modulo their number, counted over the whole request."""
        planned = plan_tasks("message", {"target_user": "a,b", "message_content": "x\ny\nz",
                                         "message_order": "sequential"}, ["s1", "s2"])
        assert [(slot, t["target_user"], t["message_content"]) for slot, t in planned] == [
            ("s1", "a", "x"), ("s1", "b", "y"), ("s2", "a", "z"), ("s2", "b", "x")]

    def test_emoji_is_final(self) -> None:
        """The emoji is drawn at fan-out; the task says insert_emoji false."""
        _, (task,) = validate("message", {"target_user": "@a", "message_content": "hi",
                                          "insert_emoji": True}, rng=random.Random(1))
        assert task["message_content"].startswith("hi ")
        assert task["insert_emoji"] is False
        assert task["target_users"] == ["a"]

    def test_errors(self) -> None:
        """Missing targets and texts are reported together; a bad order by its field."""
        found = errors("message", {"message_content": " \n"})
        assert set(found) == {P + "target_users", P + "message_content"}
        assert found[P + "message_content"] == "required: messages, one per line"
        assert set(errors("message", {"target_user": "a", "message_content": "x",
                                      "message_order": "shuffled"})) == {P + "message_order"}


class TestProfile:
    def test_one_task_per_device(self) -> None:
        planned = plan_tasks("profile", {"bio": "hello"}, ["s1", "s2"])
        assert planned == [("s1", {"bio": "hello"}), ("s2", {"bio": "hello"})]

    @pytest.mark.parametrize(("raw", "field", "message"), [
        ({}, "nickname", "required: at least one of nickname, bio, website, avatar_path"),
        ({"avatar_path": " "}, "avatar_path", "must name a file"),
        ({"website": 1}, "website", "expected a string, got an integer"),
    ])
    def test_errors(self, raw: dict[str, object], field: str, message: str) -> None:
        assert errors("profile", raw)[P + field] == message


class TestScrapeUser:
    def test_profiles_one_task_per_user(self) -> None:
        _, tasks = validate("scrape_user", {"target_users": ["@a", "b"]})
        assert [(t["target_user"], t["limit"]) for t in tasks] == [("a", 100), ("b", 100)]

    def test_followers_one_task(self) -> None:
        _, tasks = validate("scrape_user", {"followers_of": "@star", "limit": 500})
        assert tasks == [{"followers_of": "star", "limit": 500, "access_method": "direct"}]

    @pytest.mark.parametrize(("raw", "field", "message"), [
        ({}, "target_users", "required: target_users (a list) or target_user"),
        ({"followers_of": "@"}, "followers_of", "must name a user"),
        ({"followers_of": "a", "target_user": "b"}, "followers_of", "not both"),
        ({"followers_of": "a", "limit": 0}, "limit", "must be between 1 and 10000, got 0"),
    ])
    def test_errors(self, raw: dict[str, object], field: str, message: str) -> None:
        assert message in errors("scrape_user", raw)[P + field]


class TestSuperMarketing:
    def test_defaults_one_task_per_device(self) -> None:
        config, tasks = validate("super_marketing", {"target_user": "a\nb"})
        assert len(tasks) == 1
        assert tasks[0]["target_user"] == "a\nb"
        assert (config.follow_probable, config.like_probable, config.message_probable,
                config.like_count, config.min_interval, config.max_interval) == (
            100, 0, 0, 1, 10, 30)

    @pytest.mark.parametrize(("raw", "field", "message"), [
        ({"target_user": "a", "message_probable": 50}, "message_content", "required"),
        ({"target_user": "a", "follow_probable": 0}, "follow_probable",
         "at least one of follow_probable, message_probable, like_probable must be above 0"),
        ({"target_user": "a", "like_probable": 101}, "like_probable", "between 0 and 100"),
        ({"target_user": "a", "like_count": 0}, "like_count", "between 1 and 20"),
        ({"target_user": "a", "min_interval": 9, "max_interval": 3}, "min_interval",
         "must not exceed max_interval (3)"),
        ({"target_user": "a", "min_interval": -1}, "min_interval", "at least 0"),
        ({}, "target_users", "required"),
    ])
    def test_errors(self, raw: dict[str, object], field: str, message: str) -> None:
        assert message in errors("super_marketing", raw)[P + field]
