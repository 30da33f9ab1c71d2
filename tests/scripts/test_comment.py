"""comment: URLs, comments, order, emoji, image path."""

from __future__ import annotations

import random
from collections.abc import Mapping

import pytest

from scripts import CommentConfig, validate
from scripts._text import EMOJI

from ._helpers import errors

P = "$.script_config."
URLS = ["https://www.tiktok.com/@a/video/1", "https://www.tiktok.com/@b/video/2"]


def comments_of(raw: Mapping[str, object], rng: random.Random | None = None) -> list[str]:
    return [task["comment_content"] for task in validate("comment", raw, rng=rng)[1]]


class TestTargets:
    def test_one_task_per_url(self) -> None:
        """Each task holds its one URL in both shapes, and keeps the rest."""
        raw = {"target_post_urls": URLS, "comment_content": "Nice!", "comment_image_path": "a.png"}
        config, tasks = validate("comment", raw)
        assert config == CommentConfig(
            target_post_urls=tuple(URLS), comment_content="Nice!", comment_image_path="a.png"
        )
        assert tasks == [
            {
                "target_post_urls": [url],
                "target_post_url": url,
                "comment_content": "Nice!",
                "comment_order": "random",
                "insert_emoji": False,
                "comment_image_path": "a.png",
            }
            for url in URLS
        ]

    def test_string_split(self) -> None:
        raw = {"target_post_url": f"{URLS[0]},\n{URLS[1]}", "comment_content": "x"}
        assert [task["target_post_url"] for task in validate("comment", raw)[1]] == URLS

    def test_list_wins(self) -> None:
        raw = {"target_post_urls": URLS[:1], "target_post_url": URLS[1], "comment_content": "x"}
        assert [task["target_post_url"] for task in validate("comment", raw)[1]] == URLS[:1]

    def test_missing_url_and_content(self) -> None:
        """Missing URL or content is an error naming each."""
        assert set(errors("comment", {})) == {P + "target_post_urls", P + "comment_content"}
        assert set(errors("comment", {"comment_content": "x"})) == {P + "target_post_urls"}
        assert set(errors("comment", {"target_post_url": URLS[0], "comment_content": "\n \n"})) == {
            P + "comment_content"
        }

    def test_urls_checked(self) -> None:
        """An entry that is not an http(s) URL is named (by index in the list)."""
        assert list(errors("comment", {"target_post_urls": [URLS[0], "tiktok.com/x"]})) == [
            P + "target_post_urls[1]"
        ]
        raw = {"target_post_url": f"{URLS[0]}, ftp://x", "comment_content": "x"}
        assert list(errors("comment", raw)) == [P + "target_post_url"]


class TestOrder:
    def test_sequential(self) -> None:
        """Task k gets comment k modulo their number; blank lines are not comments."""
        raw = {
            "target_post_urls": [f"https://t.co/{i}" for i in range(5)],
            "comment_content": "one\n\n two \nthree\n",
            "comment_order": "sequential",
        }
        assert comments_of(raw) == ["one", "two", "three", "one", "two"]

    def test_random_uses_injected_rng(self) -> None:
        """Random order picks one comment per task from the RNG: seeds reproduce."""
        raw = {
            "target_post_urls": [f"https://t.co/{i}" for i in range(30)],
            "comment_content": "a\nb\nc",
        }
        first = comments_of(raw, random.Random(4))
        assert first == comments_of(raw, random.Random(4))
        assert set(first) == {"a", "b", "c"}

    def test_bad_order(self) -> None:
        raw = {"target_post_url": URLS[0], "comment_content": "x", "comment_order": "cyclic"}
        assert list(errors("comment", raw)) == [P + "comment_order"]


class TestEmoji:
    def test_appends_emoji(self) -> None:
        """insert_emoji appends one emoji; the task's text is then final."""
        raw = {"target_post_urls": URLS, "comment_content": "Great", "insert_emoji": True}
        _, tasks = validate("comment", raw, rng=random.Random(1))
        for task in tasks:
            text, emoji = task["comment_content"].split(" ")
            assert (text, task["insert_emoji"]) == ("Great", False)
            assert emoji in EMOJI

    @pytest.mark.parametrize("value", ["yes", 2, None, []])
    def test_insert_emoji_is_boolean(self, value: object) -> None:
        raw = {"target_post_url": URLS[0], "comment_content": "x", "insert_emoji": value}
        assert list(errors("comment", raw)) == [P + "insert_emoji"]

    @pytest.mark.parametrize(("value", "expected"), [(True, True), (1, True), (0, False)])
    def test_insert_emoji_takes_0_and_1(self, value: object, expected: bool) -> None:
        raw = {"target_post_url": URLS[0], "comment_content": "x", "insert_emoji": value}
        assert validate("comment", raw)[0].insert_emoji is expected
