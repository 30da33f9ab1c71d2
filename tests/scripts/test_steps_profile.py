"""`profile` on simulated phones: Edit profile writes the account's fields and photo."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestrator.simulator import Simulator
from scripts.errors import StepFailed

from ._steps_helpers import account_of, run_script, serials, sim

__all__ = ["sim"]

NASTY = "Ünïcode 'quotes'; $(x) 🎉"


class TestProfile:
    @pytest.mark.parametrize("platform", ["tiktok", "instagram"])
    async def test_all_fields(self, sim: Simulator, platform: str, tmp_path: Path) -> None:
        """Each field replaces the old text (the world's default bio included), the
        photo is pushed and picked; only this phone's account changes."""
        serial, other = serials(sim)
        photo = tmp_path / "me.png"
        photo.write_bytes(b"\x89PNG fake")
        raw = {"nickname": "Sim Star", "bio": NASTY, "website": "https://example.com/x",
               "avatar_path": str(photo), "platform": platform}
        outcome = await run_script(sim, serial, "profile", raw, data_dir=tmp_path)
        assert outcome.remark == "profile updated: nickname, bio, website, avatar"
        me = account_of(sim, serial, platform)
        assert (me.nickname, me.bio, me.website) == ("Sim Star", NASTY, "https://example.com/x")
        assert me.avatar == "/sdcard/DCIM/Camera/me.png"
        phone = sim.farm.get(serial)
        assert phone is not None
        assert phone.fs.exists("/sdcard/DCIM/Camera/me.png")
        assert account_of(sim, other, platform).nickname == ""

    async def test_one_field_keeps_others(self, sim: Simulator) -> None:
        """Only the given field changes; an empty string clears one."""
        serial = serials(sim)[0]
        me = account_of(sim, serial)
        me.nickname, me.bio, me.website = "Old", "old bio", "old.site"
        await run_script(sim, serial, "profile", {"bio": "new bio", "website": ""})
        assert (me.nickname, me.bio, me.website, me.avatar) == ("Old", "new bio", "", None)

    async def test_as_account(self, sim: Simulator) -> None:
        """With a username, that account's profile is edited, not the main one's."""
        serial = serials(sim)[0]
        app_main = account_of(sim, serial)
        outcome = await run_script(sim, serial, "profile", {"nickname": "Alt"},
                                   username="tt_sim_alt")
        assert outcome.data == {"profile": {"nickname": "Alt"}}
        assert account_of(sim, serial).username == "tt_sim_alt"
        assert account_of(sim, serial).nickname == "Alt"
        assert app_main.nickname == ""

    async def test_missing_avatar_file(self, sim: Simulator, tmp_path: Path) -> None:
        serial = serials(sim)[0]
        missing = tmp_path / "nope.png"
        with pytest.raises(StepFailed, match=f"^avatar file {missing} does not exist$"):
            await run_script(sim, serial, "profile", {"avatar_path": str(missing)},
                             data_dir=tmp_path)
        assert account_of(sim, serial).avatar is None
