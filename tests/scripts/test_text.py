"""Spintax, lines, comment order."""

from __future__ import annotations

import random

import pytest

from scripts._text import CommentOrder, lines, pick_comment, spin


class TestSpin:
    @pytest.mark.parametrize(
        ("text", "variants"),
        [
            ("{a|b|c}!", {"a!", "b!", "c!"}),
            ("{Hi|Hello {there|friend}}", {"Hi", "Hello there", "Hello friend"}),
            ("{|x}", {"", "x"}),
        ],
    )
    def test_variants(self, text: str, variants: set[str]) -> None:
        """Every variant can come out, and nothing else."""
        rng = random.Random(0)
        assert {spin(text, rng) for _ in range(200)} == variants

    @pytest.mark.parametrize(
        "text", ["no braces", "{solo}", "{a|b", "a|b}", "}{", 'json {"k": 1}', ""]
    )
    def test_plain_text_kept(self, text: str) -> None:
        """Groups without "|" and unpaired braces are plain text."""
        assert spin(text, random.Random(0)) == text

    def test_seeded(self) -> None:
        text = "{a|b|c|d} {e|f|g|h}"
        assert spin(text, random.Random(9)) == spin(text, random.Random(9))

    def test_deep_unclosed_is_fast(self) -> None:
        """Thousands of unclosed braces are linear work, kept as text."""
        text = "{" * 5000 + "a|b"
        assert spin(text, random.Random(0)) == text


def test_lines() -> None:
    assert lines(" a \n\n\tb\r\nc ") == ("a", "b", "c")


class TestPickComment:
    def test_sequential_wraps(self) -> None:
        picks = [
            pick_comment(("a", "b"), CommentOrder.SEQUENTIAL, k, random.Random()) for k in range(5)
        ]
        assert picks == ["a", "b", "a", "b", "a"]

    def test_random_from_rng(self) -> None:
        rng = random.Random(3)
        picks = {pick_comment(("a", "b", "c"), CommentOrder.RANDOM, 0, rng) for _ in range(50)}
        assert picks == {"a", "b", "c"}
