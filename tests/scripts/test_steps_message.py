"""`message` on simulated phones: the account's thread with the user holds the text."""

from __future__ import annotations

import pytest

from orchestrator.simulator import Simulator
from scripts.errors import StepFailed

from ._steps_helpers import account_of, app_of, run_script, serials, sim

__all__ = ["sim"]

NASTY = "hi 'there'; $(reboot) `id` 🎉"


class TestMessage:
    @pytest.mark.parametrize("platform", ["tiktok", "instagram"])
    async def test_sends(self, sim: Simulator, platform: str) -> None:
        """Profile, Message, the text typed literally, Send: the thread holds it."""
        serial, other = serials(sim)
        outcome = await run_script(sim, serial, "message",
                                   {"target_user": "@alice_dance", "message_content": NASTY,
                                    "platform": platform})
        assert outcome.remark == f"messaged @alice_dance: {NASTY!r}"
        assert outcome.data == {"messages": {"alice_dance": NASTY}}
        assert account_of(sim, serial, platform).messages == {"alice_dance": [NASTY]}
        assert account_of(sim, other, platform).messages == {}

    async def test_search_sequential_emoji(self, sim: Simulator) -> None:
        """By search; task k sends line k (mod their number) plus an emoji."""
        serial = serials(sim)[0]
        raw = {"target_users": ["ann_1", "bob_2", "cid_3"], "access_method": "search",
               "message_content": "first\n\nsecond", "message_order": "sequential",
               "insert_emoji": True}
        await run_script(sim, serial, "message", raw, task=2)
        ((user, [text]),) = account_of(sim, serial).messages.items()
        assert user == "cid_3"
        assert text.startswith("first ")
        assert len(text) > len("first ")

    async def test_same_text_twice(self, sim: Simulator) -> None:
        """A text already in the thread is sent again, not mistaken for sent."""
        serial = serials(sim)[0]
        account_of(sim, serial).messages["dora"] = ["hello"]
        await run_script(sim, serial, "message", {"target_user": "dora",
                                                  "message_content": "hello"})
        assert account_of(sim, serial).messages == {"dora": ["hello", "hello"]}

    async def test_missing_profile(self, sim: Simulator) -> None:
        serial = serials(sim)[0]
        app_of(sim, serial, "instagram").world.remove_user("ghost")
        with pytest.raises(StepFailed, match=r"^profile @ghost not found$"):
            await run_script(sim, serial, "message",
                             {"target_user": "ghost", "message_content": "hi",
                              "platform": "instagram"})
        assert account_of(sim, serial, "instagram").messages == {}

    async def test_logged_out(self, sim: Simulator) -> None:
        """A logged-out app does not send; the remark carries its toast."""
        serial = serials(sim)[0]
        account_of(sim, serial).logged_in = False
        with pytest.raises(StepFailed,
                           match=r"^message to @erin was not sent: Log in to TikTok$"):
            await run_script(sim, serial, "message", {"target_user": "erin",
                                                      "message_content": "hi"})
