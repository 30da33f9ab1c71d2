"""`Ui`: one app on one phone, looked at and touched through the app's data.

Flows name views by their logical names (`"follow_button"`); the app's data file
says what those are. Waiting is polling the UI dump, bounded by a timeout whose
expiry is a `StepFailed` with words a person understands.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import trio

from ..apps import AppData
from ..driver import CommandFailed, DeviceDriver, Selector, UiElement, UiTree
from ..errors import StepFailed

__all__ = ["KEYCODE_BACK", "KEYCODE_ENTER", "POLL", "SCREEN_WAIT", "STEP_WAIT", "Probe", "Ui"]

#: Seconds to wait for a screen an intent or a launch opens.
SCREEN_WAIT = 15.0
#: Seconds to wait for a view a tap brings up.
STEP_WAIT = 10.0
#: Seconds between two UI dumps while waiting.
POLL = 0.1
KEYCODE_BACK = 4
KEYCODE_ENTER = 66

#: What to look for: a view's logical name, a selector, or a function of the screen.
Probe = str | Selector | Callable[[UiTree], UiElement | None]


class Ui:
    """The app `app` (installed as `package`) on the phone `driver` drives."""

    def __init__(self, driver: DeviceDriver, app: AppData, package: str) -> None:
        self.driver = driver
        self.app = app
        self.package = package

    @property
    def serial(self) -> str:
        return self.driver.serial

    def text(self, key: str) -> str:
        return self.app.texts[key]

    def find(self, tree: UiTree, probe: Probe) -> UiElement | None:
        """The first view of `tree` that `probe` matches."""
        if isinstance(probe, str):
            probe = self.app.selector(probe)
        if isinstance(probe, Selector):
            return tree.find(probe)
        return probe(tree)

    def named(self, name: str, text: str) -> Callable[[UiTree], UiElement | None]:
        """A probe: the view `name` whose text is `text`, ignoring case."""
        selector, wanted = self.app.selector(name), text.casefold()
        return lambda tree: next((e for e in tree.find_all(selector)
                                  if e.text.casefold() == wanted), None)

    def sent(self, listed: str, box: str, text: str) -> Callable[[UiTree], UiElement | None]:
        """A probe: `text` is the newest of the views `listed` (a comment, a chat message)
        and the input `box` no longer holds it, i.e. it was sent and is shown."""
        selector = self.app.selector(listed)

        def probe(tree: UiTree) -> UiElement | None:
            shown = tree.find_all(selector)
            field = self.find(tree, box)
            cleared = field is None or field.text != text
            return shown[-1] if shown and shown[-1].text == text and cleared else None

        return probe

    async def look(self) -> UiTree:
        return await self.driver.dump_ui()

    async def wait_any(self, probes: Mapping[str, Probe],
                       timeout: float) -> tuple[str, UiElement] | None:  # noqa: ASYNC109
        """The first of `probes` (by key) on screen within `timeout` s, or None."""
        with trio.move_on_after(timeout):
            while True:
                try:
                    tree = await self.look()
                except CommandFailed:  # a screen in transition; look again
                    tree = UiTree(())
                for key, probe in probes.items():
                    if (found := self.find(tree, probe)) is not None:
                        return key, found
                await trio.sleep(POLL)
        return None

    async def wait(self, probe: Probe, what: str,
                   timeout: float = STEP_WAIT) -> UiElement:  # noqa: ASYNC109
        """The view `probe` once it is on screen.

        Raises:
            StepFailed: "<what> did not appear in <timeout> s".
        """
        found = await self.wait_any({"it": probe}, timeout)
        if found is None:
            raise StepFailed(f"{what} did not appear in {timeout:g} s")
        return found[1]

    async def tap(self, probe: Probe, what: str,
                  timeout: float = STEP_WAIT) -> UiElement:  # noqa: ASYNC109
        """Wait for `probe`, tap it, return it."""
        element = await self.wait(probe, what, timeout)
        await self.driver.tap_element(element)
        return element

    async def type_into(self, probe: Probe, text: str, what: str) -> None:
        """Tap the field `probe` (focusing it) and type `text` literally."""
        await self.tap(probe, what)
        await self.driver.type_text(text)

    async def back(self) -> None:
        await self.driver.key(KEYCODE_BACK)

    async def toast(self) -> str | None:
        """The toast or error dialog on screen now, if any."""
        tree = await self.look()
        for name in ("error_message", "toast"):
            if (found := self.find(tree, name)) is not None and found.text:
                return found.text
        return None

    async def open_url(self, url: str) -> None:
        """Open `url` in the app (a VIEW intent to its package).

        Raises:
            StepFailed: the app did not take the link (not installed, wrong link).
        """
        try:
            await self.driver.open_url(url, self.package)
        except CommandFailed as error:
            raise StepFailed(f"{self.app.label} ({self.package}) could not open {url}: "
                             f"{error.output.strip() or 'no app took the link'}") from error

    async def restart(self) -> None:
        """Start the app afresh, on its home feed.

        Raises:
            StepFailed: the app is not installed or its home screen did not appear.
        """
        try:
            await self.driver.stop_app(self.package)
            await self.driver.start_app(self.package)
        except CommandFailed as error:
            raise StepFailed(f"{self.app.label} ({self.package}) is not installed on "
                             f"{self.serial}", permanent=True) from error
        await self.wait("tab_home", f"{self.app.label}'s home screen", SCREEN_WAIT)
