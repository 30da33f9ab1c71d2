"""`follow` and `unfollow` on simulated phones: the app's state says who follows whom."""

from __future__ import annotations

import pytest

from orchestrator.simulator import Simulator
from scripts.errors import StepFailed

from ._steps_helpers import account_of, app_of, run_script, serials, sim

__all__ = ["sim"]


class TestFollow:
    @pytest.mark.parametrize("platform", ["tiktok", "instagram"])
    async def test_direct(self, sim: Simulator, platform: str) -> None:
        """Opening the profile URL and tapping Follow makes the account follow them."""
        serial = serials(sim)[0]
        outcome = await run_script(sim, serial, "follow",
                                   {"target_user": "@alice_dance", "platform": platform})
        assert outcome.remark == "followed @alice_dance"
        assert account_of(sim, serial, platform).follows("alice_dance")
        assert not account_of(sim, serials(sim)[1], platform).follows("alice_dance")

    async def test_search(self, sim: Simulator) -> None:
        """By search: the exact name's row is tapped, not its look-alikes."""
        serial = serials(sim)[0]
        outcome = await run_script(sim, serial, "follow",
                                   {"target_users": ["bob.cooks"], "access_method": "search"})
        assert outcome.remark == "followed @bob.cooks"
        assert account_of(sim, serial).following == {"bob.cooks"}

    async def test_already(self, sim: Simulator) -> None:
        """Following already is a success that says so; nothing changes."""
        serial = serials(sim)[0]
        account_of(sim, serial).following.add("carol")
        outcome = await run_script(sim, serial, "follow", {"target_user": "carol"})
        assert outcome.remark == "already following @carol"
        assert account_of(sim, serial).following == {"carol"}

    @pytest.mark.parametrize("method", ["direct", "search"])
    async def test_missing_profile(self, sim: Simulator, method: str) -> None:
        """A user who does not exist fails the task with a remark naming them."""
        serial = serials(sim)[0]
        app_of(sim, serial).world.remove_user("ghost_user")
        with pytest.raises(StepFailed, match=r"^profile @ghost_user not found$") as failed:
            await run_script(sim, serial, "follow",
                             {"target_user": "ghost_user", "access_method": method})
        assert failed.value.permanent  # trying again would find no one either
        assert account_of(sim, serial).following == set()

    async def test_second_task_of_request(self, sim: Simulator) -> None:
        """Each fanned-out task follows its own target only."""
        serial = serials(sim)[0]
        await run_script(sim, serial, "follow", {"target_user": "a_one, b_two"}, task=1)
        assert account_of(sim, serial).following == {"b_two"}


class TestUnfollow:
    @pytest.mark.parametrize("platform", ["tiktok", "instagram"])
    async def test_direct(self, sim: Simulator, platform: str) -> None:
        """TikTok unfollows at once; Instagram asks, and the sheet is confirmed."""
        serial = serials(sim)[0]
        me = account_of(sim, serial, platform)
        me.following.update({"dave", "erin"})
        outcome = await run_script(sim, serial, "unfollow",
                                   {"target_user": "dave", "platform": platform})
        assert outcome.remark == "unfollowed @dave"
        assert me.following == {"erin"}

    async def test_search(self, sim: Simulator) -> None:
        serial = serials(sim)[0]
        me = account_of(sim, serial, "instagram")
        me.following.add("frank_1")
        outcome = await run_script(sim, serial, "unfollow",
                                   {"target_user": "frank_1", "access_method": "search",
                                    "platform": "instagram"})
        assert outcome.remark == "unfollowed @frank_1"
        assert me.following == set()

    async def test_not_following(self, sim: Simulator) -> None:
        serial = serials(sim)[0]
        outcome = await run_script(sim, serial, "unfollow", {"target_user": "gina"})
        assert outcome.remark == "not following @gina"

    async def test_missing_profile(self, sim: Simulator) -> None:
        serial = serials(sim)[0]
        app_of(sim, serial, "instagram").world.remove_user("gone")
        with pytest.raises(StepFailed, match="profile @gone not found"):
            await run_script(sim, serial, "unfollow",
                             {"target_user": "gone", "platform": "instagram"})


class TestAccounts:
    @pytest.mark.parametrize("platform", ["tiktok", "instagram"])
    async def test_switch(self, sim: Simulator, platform: str) -> None:
        """With a username the app is switched to that account, which then follows."""
        serial = serials(sim)[0]
        app = app_of(sim, serial, platform)
        main, alt = app.accounts
        outcome = await run_script(sim, serial, "follow",
                                   {"target_user": "hana", "platform": platform},
                                   username=f"@{alt.username}")
        assert outcome.remark == "followed @hana"
        assert app.current is alt
        assert alt.follows("hana")
        assert not main.follows("hana")

    async def test_unknown_account(self, sim: Simulator) -> None:
        serial = serials(sim)[0]
        with pytest.raises(StepFailed,
                           match=f"^account @nobody is not logged in on {serial}$"):
            await run_script(sim, serial, "follow", {"target_user": "hana"},
                             username="nobody")
        assert not account_of(sim, serial).follows("hana")

    async def test_logged_out_account(self, sim: Simulator) -> None:
        """An account the phone remembers but whose session expired is refused too."""
        serial = serials(sim)[0]
        app_of(sim, serial).add_account("sleepy", logged_in=False)
        with pytest.raises(StepFailed, match="account @sleepy is not logged in"):
            await run_script(sim, serial, "follow", {"target_user": "hana"},
                             username="sleepy")
