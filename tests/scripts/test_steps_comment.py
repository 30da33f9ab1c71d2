"""`comment` on simulated phones: the comment is stored under the post, literally."""

from __future__ import annotations

import pytest

from orchestrator.simulator import Simulator
from scripts.errors import StepFailed

from ._steps_helpers import account_of, app_of, run_script, serials, sim

__all__ = ["sim"]

TIKTOK_POST = "https://www.tiktok.com/@alice_dance/video/7234567890123456789"
INSTAGRAM_POST = "https://www.instagram.com/p/CxYz12345/"
NASTY = "'\"; $(rm -rf /) `id` 🎉"


class TestComment:
    @pytest.mark.parametrize(("platform", "url"), [("tiktok", TIKTOK_POST),
                                                  ("instagram", INSTAGRAM_POST)])
    async def test_comments(self, sim: Simulator, platform: str, url: str) -> None:
        """The comment lands under the post, as the current account, character for
        character (quotes, `;`, `$()` and emoji included)."""
        serial = serials(sim)[0]
        outcome = await run_script(sim, serial, "comment",
                                   {"target_post_url": url, "comment_content": NASTY,
                                    "platform": platform})
        me = account_of(sim, serial, platform)
        assert me.comments == {url: [NASTY]}
        assert outcome.remark == f"commented {NASTY!r} on {url}"
        assert account_of(sim, serials(sim)[1], platform).comments == {}

    async def test_sequential_emoji(self, sim: Simulator) -> None:
        """Task k of a request writes comment k (mod their number) plus its emoji."""
        serial = serials(sim)[0]
        urls = [f"https://www.tiktok.com/@poster/video/{n}" for n in
                ("11112222333", "44445555666")]
        raw = {"target_post_urls": urls, "comment_content": "first\nsecond",
               "comment_order": "sequential", "insert_emoji": True}
        await run_script(sim, serial, "comment", raw, task=1)
        ((url, [text]),) = account_of(sim, serial).comments.items()
        assert url == urls[1]
        assert text.startswith("second ")
        assert len(text) > len("second ")

    async def test_missing_post(self, sim: Simulator) -> None:
        serial = serials(sim)[0]
        app_of(sim, serial).world.remove_post("7234567890123456789")
        with pytest.raises(StepFailed, match=f"^post {TIKTOK_POST} not found$"):
            await run_script(sim, serial, "comment",
                             {"target_post_url": TIKTOK_POST, "comment_content": "hi"})
        assert account_of(sim, serial).comments == {}

    async def test_missing_post_instagram(self, sim: Simulator) -> None:
        """Instagram says "Sorry, this page isn't available." for it."""
        serial = serials(sim)[0]
        app_of(sim, serial, "instagram").world.remove_post("CxYz12345")
        with pytest.raises(StepFailed, match="not found"):
            await run_script(sim, serial, "comment",
                             {"target_post_url": INSTAGRAM_POST, "comment_content": "hi",
                              "platform": "instagram"})

    async def test_image_is_noted(self, sim: Simulator) -> None:
        serial = serials(sim)[0]
        outcome = await run_script(sim, serial, "comment",
                                   {"target_post_url": TIKTOK_POST, "comment_content": "yo",
                                    "comment_image_path": "x.png"})
        assert "comment image not attached" in outcome.remark
        assert account_of(sim, serial).comments == {TIKTOK_POST: ["yo"]}
