"""The app data files: both load, and a broken one says what is wrong."""

from __future__ import annotations

import tomllib
from importlib import resources

import pytest

from scripts.apps import PLATFORMS, REQUIRED, AppData, load_app
from scripts.driver import Selector


def raw(platform: str) -> dict[str, object]:
    text = resources.files("scripts.apps").joinpath(f"{platform}.toml").read_text("utf-8")
    return tomllib.loads(text)


class TestAppData:
    @pytest.mark.parametrize("platform", PLATFORMS)
    def test_loads(self, platform: str) -> None:
        """Every required view has a selector; the platform and package are its own."""
        app = load_app(platform)
        assert app.platform == platform
        assert REQUIRED <= app.selectors.keys()
        assert isinstance(app.selector("follow_button"), Selector)

    def test_placements(self) -> None:
        assert set(load_app("instagram").placements) == {"reel", "story"}
        assert not load_app("tiktok").placements

    def test_missing_selector_is_named(self) -> None:
        data = raw("tiktok")
        selectors = dict(data["selectors"])  # type: ignore[call-overload]
        del selectors["follow_button"]
        with pytest.raises(ValueError, match="selectors: missing follow_button"):
            AppData.from_toml({**data, "selectors": selectors})

    def test_bad_selector_field(self) -> None:
        data = raw("tiktok")
        selectors = {**data["selectors"], "toast": {"id": "x"}}  # type: ignore[dict-item]
        with pytest.raises(ValueError, match="unknown selector field"):
            AppData.from_toml({**data, "selectors": selectors})

    def test_unknown_platform(self) -> None:
        with pytest.raises(ValueError, match="unknown platform 'vine'"):
            load_app("vine")
