"""`scrape_user` on simulated phones: what the result holds is what the world says."""

from __future__ import annotations

import pytest

from orchestrator.simulator import Simulator
from scripts.errors import StepFailed

from ._steps_helpers import app_of, run_script, serials, sim

__all__ = ["sim"]


def _rounded(count: int) -> int:
    """A count as the app prints it, read back ("46.7K" -> 46700)."""
    for limit in (1_000_000, 1_000):
        if count >= limit:
            return round(float(f"{count / limit:.1f}") * limit)
    return count


class TestProfiles:
    @pytest.mark.parametrize("platform", ["tiktok", "instagram"])
    async def test_profile(self, sim: Simulator, platform: str) -> None:
        """Username, nickname, bio and the three counts, as the profile shows them."""
        serial = serials(sim)[0]
        world = app_of(sim, serial, platform).world
        truth = world.profile("carla")
        assert truth is not None
        outcome = await run_script(sim, serial, "scrape_user",
                                   {"target_user": "@carla", "platform": platform})
        assert outcome.data == {"profiles": [{
            "username": "carla", "nickname": truth.nickname, "bio": truth.bio,
            "followers": _rounded(truth.followers), "following": truth.following,
            "posts": len(truth.post_ids)}]}
        assert outcome.remark.startswith("scraped @carla (")

    async def test_second_task_by_search(self, sim: Simulator) -> None:
        serial = serials(sim)[0]
        outcome = await run_script(sim, serial, "scrape_user",
                                   {"target_user": "carla, bob.cooks",
                                    "access_method": "search"}, task=1)
        assert outcome.data is not None
        assert [p["username"] for p in outcome.data["profiles"]] == ["bob.cooks"]

    async def test_missing(self, sim: Simulator) -> None:
        serial = serials(sim)[0]
        app_of(sim, serial).world.remove_user("ghost")
        with pytest.raises(StepFailed, match=r"^profile @ghost not found$"):
            await run_script(sim, serial, "scrape_user", {"target_user": "ghost"})


class TestFollowers:
    @pytest.mark.parametrize("platform", ["tiktok", "instagram"])
    async def test_up_to_limit(self, sim: Simulator, platform: str) -> None:
        """The follower list is scrolled until `limit` names are read, in list order."""
        serial = serials(sim)[0]
        truth = app_of(sim, serial, platform).world.profile("alice_dance")
        assert truth is not None
        outcome = await run_script(sim, serial, "scrape_user",
                                   {"followers_of": "@alice_dance", "limit": 45,
                                    "platform": platform})
        assert outcome.data == {"followers_of": "alice_dance",
                                "followers": truth.follower_names(45)}
        assert outcome.remark == "collected 45 followers of @alice_dance"

    async def test_end_of_list(self, sim: Simulator) -> None:
        """A list shorter than `limit` ends when a swipe brings no new row."""
        serial = serials(sim)[0]
        truth = app_of(sim, serial).world.profile("tiny_19144")
        assert truth is not None
        assert truth.followers == 14
        outcome = await run_script(sim, serial, "scrape_user", {"followers_of": "tiny_19144"})
        assert outcome.data is not None
        assert outcome.data["followers"] == truth.follower_names(100)
        assert len(outcome.data["followers"]) == 14

    async def test_missing(self, sim: Simulator) -> None:
        serial = serials(sim)[0]
        app_of(sim, serial).world.remove_user("ghost")
        with pytest.raises(StepFailed, match=r"^profile @ghost not found$"):
            await run_script(sim, serial, "scrape_user", {"followers_of": "ghost"})
