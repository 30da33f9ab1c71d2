"""Warming an account up: watch the feed like a person, and now and then like,
follow, collect and comment."""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable

import attrs
import trio

from ..driver import UiElement, UiTree
from ._comment import comment_here
from ._profile import follow_shown
from ._ui import KEYCODE_BACK, SCREEN_WAIT, STEP_WAIT, Probe, Ui

__all__ = ["WarmupCounts", "WarmupPlan", "warm_up"]

#: Writes a comment for the video whose caption it gets.
CommentWriter = Callable[[str], Awaitable[str]]


@attrs.frozen(kw_only=True)
class WarmupPlan:
    """Seconds to run and to watch each video; chances (0-100) of each action."""

    duration: float
    min_watch: float
    max_watch: float
    like: int = 0
    follow: int = 0
    collect: int = 0
    comment: int = 0
    topic: str | None = None


@attrs.define
class WarmupCounts:
    """What a warm-up did."""

    watched: int = 0
    liked: int = 0
    followed: int = 0
    collected: int = 0
    commented: int = 0
    notes: list[str] = attrs.Factory(list)

    def as_dict(self) -> dict[str, int]:
        return {"watched": self.watched, "liked": self.liked, "followed": self.followed,
                "collected": self.collected, "commented": self.commented}


async def _home(ui: Ui) -> None:
    """Back to the home feed: back out to the bottom bar, then its home tab."""
    for _ in range(4):
        if ui.find(await ui.look(), "tab_home") is not None:
            break
        await ui.back()
    await ui.tap("tab_home", "the home tab")


async def _search(ui: Ui, topic: str) -> None:
    await ui.tap("tab_search", "the search tab")
    await ui.type_into("search_input", topic, "the search field")
    await ui.tap("search_submit", "the search button")
    probes: dict[str, Probe] = {"row": "search_user_name",
              **({"none": "search_empty"} if ui.app.has("search_empty") else {})}
    await ui.wait_any(probes, SCREEN_WAIT)
    await _home(ui)


def _liked(ui: Ui) -> Callable[[UiTree], UiElement | None]:
    selector = ui.app.selector("like_button")
    return lambda tree: next((e for e in tree.find_all(selector) if e.selected), None)


async def _act(ui: Ui, plan: WarmupPlan, counts: WarmupCounts, rng: random.Random,
               write: CommentWriter) -> None:
    """The actions the dice pick for the video on screen."""
    tree = await ui.look()
    if rng.randrange(100) < plan.like and ui.find(tree, _liked(ui)) is None:
        await ui.tap("like_button", "the like button")
        if await ui.wait_any({"liked": _liked(ui)}, STEP_WAIT) is not None:
            counts.liked += 1
    if rng.randrange(100) < plan.collect:
        if ui.app.has("collect_button"):
            await ui.tap("collect_button", "the collect button")
            counts.collected += 1
        elif "collect" not in counts.notes:
            counts.notes.append("collect")
    if rng.randrange(100) < plan.comment:
        caption = ui.find(tree, "video_caption") if ui.app.has("video_caption") else None
        await comment_here(ui, await write(caption.text if caption else ""))
        counts.commented += 1
    if rng.randrange(100) < plan.follow:
        avatar = await ui.tap("video_author_avatar", "the author's avatar")
        found = await ui.wait_any({"button": "follow_button", "missing": "not_found"},
                                  SCREEN_WAIT)
        if found is not None and found[0] == "button":
            counts.followed += await follow_shown(ui, avatar.content_desc or "author",
                                                  found[1])
        await ui.driver.key(KEYCODE_BACK)


async def warm_up(ui: Ui, plan: WarmupPlan, rng: random.Random,
                  write: CommentWriter) -> WarmupCounts:
    """Run `plan` on the app's home feed (the app should be open); the counts.

    Raises:
        StepFailed: a screen did not appear, or a comment could not be written.
    """
    counts = WarmupCounts()
    deadline = trio.current_time() + plan.duration
    await _home(ui)
    if plan.topic:
        await _search(ui, plan.topic)
    while trio.current_time() < deadline:
        video = await ui.wait("video", "the feed's video", SCREEN_WAIT)
        counts.watched += 1
        watch = rng.uniform(plan.min_watch, plan.max_watch)
        await trio.sleep(min(watch, max(0.0, deadline - trio.current_time())))
        await _act(ui, plan, counts, rng, write)
        x, _ = video.center
        top, bottom = video.bounds.top, video.bounds.bottom
        await ui.driver.swipe(x, top + (bottom - top) * 3 // 4, x, top + (bottom - top) // 4)
    return counts
