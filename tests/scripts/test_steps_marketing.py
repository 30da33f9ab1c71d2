"""`super_marketing` on simulated phones: one task visits every target; the app's
state shows each step the dice picked, and the result counts them."""

from __future__ import annotations

import pytest
import trio

from orchestrator.simulator import Simulator
from orchestrator.simulator.apps import SocialApp
from scripts.errors import StepFailed

from ._steps_helpers import account_of, app_of, run_script, serials, sim

__all__ = ["sim"]

ALL_STEPS = {"follow_probable": 100, "like_probable": 100, "message_probable": 100,
             "min_interval": 0, "max_interval": 0}


def _latest_urls(app: SocialApp, user: str, count: int) -> set[str]:
    """The canonical URLs of @user's `count` latest posts."""
    profile = app.world.profile(user)
    assert profile is not None
    urls = set()
    for post_id in profile.post_ids[:count]:
        post = app.world.post(post_id, user)
        assert post is not None
        urls.add(app.world.post_url(post))
    return urls


class TestCampaign:
    @pytest.mark.parametrize("platform", ["tiktok", "instagram"])
    async def test_every_step(self, sim: Simulator, platform: str) -> None:
        """At 100 %, every target is followed, messaged in order, and has its latest
        `like_count` posts liked, in one task."""
        serial = serials(sim)[0]
        raw = {**ALL_STEPS, "target_user": "ann_1\nbob_2", "like_count": 2,
               "message_content": "hello\nhi there", "message_order": "sequential",
               "platform": platform}
        outcome = await run_script(sim, serial, "super_marketing", raw)
        app = app_of(sim, serial, platform)
        me = account_of(sim, serial, platform)
        assert me.following == {"ann_1", "bob_2"}
        assert me.messages == {"ann_1": ["hello"], "bob_2": ["hi there"]}
        assert me.liked == _latest_urls(app, "ann_1", 2) | _latest_urls(app, "bob_2", 2)
        assert outcome.data == {"targets": 2, "visited": 2, "followed": 2, "liked": 4,
                                "messaged": 2, "failed": {}}
        assert outcome.remark == "2 of 2 targets: followed 2, liked 4 posts, messaged 2"

    async def test_zero_chance_steps_skipped(self, sim: Simulator) -> None:
        """A step at 0 % never runs; following already is not counted again."""
        serial = serials(sim)[0]
        me = account_of(sim, serial)
        me.following.add("cid_3")
        outcome = await run_script(sim, serial, "super_marketing",
                                   {"target_users": ["cid_3", "dee_4"], "min_interval": 0,
                                    "max_interval": 0})
        assert me.following == {"cid_3", "dee_4"}
        assert (me.liked, me.messages) == (set(), {})
        assert outcome.data is not None
        assert outcome.data["followed"] == 1

    async def test_missing_target_noted(self, sim: Simulator) -> None:
        """A target that fails is noted in the result; the others are still visited."""
        serial = serials(sim)[0]
        app_of(sim, serial).world.remove_user("ghost")
        outcome = await run_script(sim, serial, "super_marketing",
                                   {"target_user": "ghost, eve_5", "min_interval": 0,
                                    "max_interval": 0})
        assert account_of(sim, serial).following == {"eve_5"}
        assert outcome.data is not None
        assert outcome.data["failed"] == {"ghost": "profile @ghost not found"}
        assert outcome.remark.endswith("; failed: profile @ghost not found")

    async def test_all_failed(self, sim: Simulator) -> None:
        serial = serials(sim)[0]
        app_of(sim, serial).world.remove_user("ghost")
        with pytest.raises(StepFailed, match=r"^every target failed: profile @ghost not found$"):
            await run_script(sim, serial, "super_marketing",
                             {"target_user": "ghost", "min_interval": 0, "max_interval": 0})

    async def test_waits_between_targets(self, sim: Simulator) -> None:
        """The wait between two targets lies in [min_interval, max_interval] s; none
        before the first or after the last."""
        serial = serials(sim)[0]
        began = trio.current_time()
        await run_script(sim, serial, "super_marketing",
                         {"target_user": "fay_6, gus_7", "min_interval": 1,
                          "max_interval": 1})
        assert 1 <= trio.current_time() - began < 5
        assert account_of(sim, serial).following == {"fay_6", "gus_7"}
