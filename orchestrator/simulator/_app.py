"""What a simulated app is to its phone: the seam between the phone and the apps.

The phone owns input routing (taps are hit-tested against the app's current screen)
and the intent plumbing; an app owns its screens and its state. Apps live in
`orchestrator.simulator.apps`; the phone only knows this base class.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping

import attrs

from ._fs import FileSystem
from ._ui import Node

__all__ = ["App", "Intent"]


@attrs.frozen(kw_only=True)
class Intent:
    """An `am start` intent, as parsed from its command line."""

    action: str | None = None
    data: str | None = None
    mime_type: str | None = None
    component: str | None = None
    package: str | None = None
    categories: tuple[str, ...] = ()
    extras: Mapping[str, str] = attrs.field(factory=dict)
    flags: int = 0

    @property
    def target_package(self) -> str | None:
        """The package named by `-n pkg/.Activity` or `-p pkg`, if any."""
        if self.component:
            return self.component.split("/", 1)[0]
        return self.package


class App(abc.ABC):
    """A simulated app: screens rendered as UI trees, state changed by input.

    `fs` is the phone's file system, so an app can read the media a share intent
    points at. Coordinates are the phone's screen pixels.
    """

    package: str
    label: str
    launcher_activity: str
    version_name: str = "1.0.0"

    def __init__(self, *, fs: FileSystem, width: int, height: int) -> None:
        self.fs = fs
        self.width = width
        self.height = height
        self.running = False

    # lifecycle
    @abc.abstractmethod
    def launch(self) -> None:
        """Start (or bring forward) the app at its main screen."""

    def force_stop(self) -> None:
        """`am force-stop`: the process is gone; state on 'disk' (accounts, posts) stays."""
        self.running = False

    def crash(self) -> None:
        """The process died unexpectedly; for the phone this is the same as a force-stop."""
        self.force_stop()

    # input
    @abc.abstractmethod
    def handle_intent(self, intent: Intent) -> bool:
        """Handle a VIEW/SEND intent routed to this app; False if the app does not take it."""

    def accepts(self, intent: Intent) -> bool:
        """Whether the app would handle `intent` without a package named (intent resolution)."""
        return False

    @abc.abstractmethod
    def tap(self, node: Node) -> None:
        """A tap landed on `node`, a node of the current screen that has an action."""

    @abc.abstractmethod
    def type_text(self, text: str) -> None:
        """Text typed into the focused field (nothing happens if none is focused)."""

    @abc.abstractmethod
    def key(self, keycode: int) -> bool:
        """A key press. Return False for BACK on the app's root screen (the app leaves)."""

    @abc.abstractmethod
    def swipe(self, x1: int, y1: int, x2: int, y2: int) -> None:
        """A swipe; apps with feeds scroll on it."""

    # output
    @abc.abstractmethod
    def screen(self) -> Node:
        """The current screen as a UI tree rooted at a full-screen FrameLayout."""

    @abc.abstractmethod
    def current_activity(self) -> str:
        """The focused activity's class name, e.g. `.main.MainActivity`."""
