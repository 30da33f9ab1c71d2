"""Text rules shared by scripts: lines, spintax, comment order, emoji."""

from __future__ import annotations

import enum
import random
from collections.abc import Sequence

__all__ = ["EMOJI", "CommentOrder", "add_emoji", "lines", "pick_comment", "spin"]

EMOJI = ("😀", "😂", "😍", "🥰", "😎", "🤩", "🔥", "💯", "👏", "🙌", "👍", "❤️", "✨", "🎉", "😮")


class CommentOrder(enum.StrEnum):
    RANDOM = "random"
    SEQUENTIAL = "sequential"


def lines(text: str) -> tuple[str, ...]:
    """The non-blank lines of `text`, stripped."""
    return tuple(line.strip() for line in text.splitlines() if line.strip())


def pick_comment(
    comments: Sequence[str], order: CommentOrder, index: int, rng: random.Random
) -> str:
    """The comment for the `index`-th comment of a run: sequential takes `index` modulo
    their number, random draws one from `rng`."""
    if order is CommentOrder.SEQUENTIAL:
        return comments[index % len(comments)]
    return rng.choice(comments)


def add_emoji(text: str, rng: random.Random) -> str:
    """`text` with a random emoji appended after a space."""
    return f"{text} {rng.choice(EMOJI)}"


# Spintax: "{a|b|c}" is one of a, b, c, picked at random; groups nest. A "{...}" without
# a "|" at its own level is plain text, and so is a brace without its partner.


def _pairs(text: str) -> dict[int, int]:
    """Index of each "{" that closes -> index of its "}"."""
    opened: list[int] = []
    pairs: dict[int, int] = {}
    for index, char in enumerate(text):
        if char == "{":
            opened.append(index)
        elif char == "}" and opened:
            pairs[opened.pop()] = index
    return pairs


def _options(text: str, start: int, end: int, pairs: dict[int, int]) -> list[tuple[int, int]]:
    """The spans of text[start:end] between the "|" at its own level."""
    spans, first, i = [], start, start
    while i < end:
        if i in pairs:
            i = pairs[i] + 1
            continue
        if text[i] == "|":
            spans.append((first, i))
            first = i + 1
        i += 1
    return [*spans, (first, end)]


def _render(text: str, start: int, end: int, pairs: dict[int, int], rng: random.Random) -> str:
    out: list[str] = []
    i = start
    while i < end:
        close = pairs.get(i)
        if close is None:
            out.append(text[i])
            i += 1
            continue
        options = _options(text, i + 1, close, pairs)
        if len(options) == 1:
            out += ["{", _render(text, i + 1, close, pairs, rng), "}"]
        else:
            out.append(_render(text, *rng.choice(options), pairs, rng))
        i = close + 1
    return "".join(out)


def spin(text: str, rng: random.Random) -> str:
    """Resolve the spintax of `text`: one variant per group, drawn from `rng`."""
    return _render(text, 0, len(text), _pairs(text), rng)
