"""`like` on simulated phones: the account's likes hold the post, once."""

from __future__ import annotations

import pytest

from orchestrator.simulator import Simulator
from scripts.errors import StepFailed

from ._steps_helpers import account_of, app_of, run_script, serials, sim

__all__ = ["sim"]

TIKTOK_POST = "https://www.tiktok.com/@alice_dance/video/7234567890123456789"
INSTAGRAM_POST = "https://www.instagram.com/p/CxYz12345/"


class TestLike:
    @pytest.mark.parametrize(("platform", "url"), [("tiktok", TIKTOK_POST),
                                                  ("instagram", INSTAGRAM_POST)])
    async def test_likes(self, sim: Simulator, platform: str, url: str) -> None:
        """The post ends up liked by the current account of this phone only."""
        serial, other = serials(sim)
        outcome = await run_script(sim, serial, "like",
                                   {"target_post_url": url, "platform": platform})
        assert outcome.remark == f"liked {url}"
        assert outcome.data == {"posts": {url: "liked"}}
        assert account_of(sim, serial, platform).liked == {url}
        assert account_of(sim, other, platform).liked == set()

    async def test_already_liked(self, sim: Simulator) -> None:
        """A post liked already stays liked (a second tap would unlike it): success."""
        serial = serials(sim)[0]
        account_of(sim, serial).liked.add(TIKTOK_POST)
        outcome = await run_script(sim, serial, "like", {"target_post_urls": [TIKTOK_POST]})
        assert outcome.remark == f"already liked {TIKTOK_POST}"
        assert account_of(sim, serial).liked == {TIKTOK_POST}

    async def test_second_task(self, sim: Simulator) -> None:
        """Each fanned-out task likes its own post only."""
        serial = serials(sim)[0]
        second = "https://www.tiktok.com/@bob/video/12345678901"
        await run_script(sim, serial, "like", {"target_post_url": f"{TIKTOK_POST}\n{second}"},
                         task=1)
        assert account_of(sim, serial).liked == {second}

    async def test_missing_post(self, sim: Simulator) -> None:
        serial = serials(sim)[0]
        app_of(sim, serial).world.remove_post("7234567890123456789")
        with pytest.raises(StepFailed, match=f"^post {TIKTOK_POST} not found$"):
            await run_script(sim, serial, "like", {"target_post_url": TIKTOK_POST})
        assert account_of(sim, serial).liked == set()

    async def test_logged_out(self, sim: Simulator) -> None:
        """A logged-out app refuses the like; the remark carries its toast."""
        serial = serials(sim)[0]
        account_of(sim, serial).logged_in = False
        with pytest.raises(StepFailed, match="could not like the post: Log in to TikTok"):
            await run_script(sim, serial, "like", {"target_post_url": TIKTOK_POST})
