"""One simulated phone: the device "brain" behind both ADB front ends.

The phone owns its state (ADB state, properties, files, apps, what is on screen)
and routes input to the app in front. Front ends (the fake ADB server and the
device-side transport) open a `session()` for every service stream they serve, so
that unplugging the phone cuts each of them mid-way, as a pulled cable does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Literal

import trio

from ._app import App, Intent
from ._faults import Faults
from ._fs import FileSystem
from ._shell import ShellResult, run_shell
from ._ui import Bounds, Node

__all__ = ["ActivityNotFound", "AppFactory", "Phone", "PhoneUnplugged", "State"]

State = Literal["device", "offline", "unauthorized"]
AppFactory = Callable[..., App]

KEYCODE_HOME = 3
KEYCODE_BACK = 4

#: Packages every phone has besides the simulated apps (`pm list packages`).
SYSTEM_PACKAGES = (
    "android", "com.android.settings", "com.android.systemui", "com.android.shell",
    "com.android.chrome", "com.google.android.gms", "com.android.vending",
    "com.google.android.apps.nexuslauncher", "com.android.providers.media",
    "com.google.android.inputmethod.latin", "com.android.adbkeyboard",
)
LAUNCHER_PACKAGE = "com.google.android.apps.nexuslauncher"
LAUNCHER_ACTIVITY = "com.google.android.apps.nexuslauncher.NexusLauncherActivity"


class PhoneUnplugged(Exception):
    """The phone dropped off the bus while serving a command."""


class ActivityNotFound(LookupError):
    """No installed app can handle an intent (`am start` prints an error)."""


def default_props(serial: str, model: str) -> dict[str, str]:
    return {
        "ro.serialno": serial,
        "ro.product.model": model,
        "ro.product.brand": "google",
        "ro.product.manufacturer": "Google",
        "ro.product.name": model.lower().replace(" ", "_"),
        "ro.product.device": model.lower().replace(" ", "_"),
        "ro.product.cpu.abi": "arm64-v8a",
        "ro.build.version.release": "13",
        "ro.build.version.sdk": "33",
        "ro.build.id": "TQ3A.230901.001",
        "ro.build.type": "user",
        "ro.build.characteristics": "nosdcard",
        "ro.sf.lcd_density": "420",
        "sys.boot_completed": "1",
        "persist.sys.locale": "en-US",
        "persist.sys.timezone": "UTC",
        "ro.debuggable": "0",
        "service.adb.root": "0",
    }


class Phone:
    """A simulated Android phone. Mutated only from the trio thread that runs it."""

    def __init__(self, serial: str, *, model: str = "Pixel 7",
                 apps: Sequence[AppFactory] = (), width: int = 1080,
                 height: int = 2400, density: int = 420) -> None:
        self.serial = serial
        self.model = model
        self.width = width
        self.height = height
        self.density = density
        self.rotation = 0
        self.battery_level = 87
        #: Seconds a reboot keeps the phone offline (a real one takes 30-60).
        self.boot_seconds = 2.0
        self.booted_at: float | None = None  # trio time a reboot under way ends
        #: Packages installed from an APK (`pm install`), beside the simulated apps.
        self.installed: set[str] = set()
        self.props = default_props(serial, model)
        self.fs = FileSystem()
        self.faults = Faults()
        self.apps: dict[str, App] = {}
        for factory in apps:
            app = factory(fs=self.fs, width=width, height=height)
            self.apps[app.package] = app
        self.foreground: App | None = None
        self.typed_text_log: list[str] = []
        self._state: State = "device"
        self._sessions: set[trio.CancelScope] = set()
        self.on_change: Callable[[Phone], None] = lambda phone: None
        self.on_unplug: Callable[[Phone], None] = lambda phone: None

    def __repr__(self) -> str:
        return f"<Phone {self.serial} {self._state}>"

    # --- ADB state --------------------------------------------------------
    @property
    def state(self) -> State:
        if self.booted_at is not None and trio.current_time() >= self.booted_at:
            self.booted_at = None
            self.state = "device"
        return self._state

    @state.setter
    def state(self, value: State) -> None:
        if value != self._state:
            self._state = value
            if value != "device":
                self.cut_streams()
            self.on_change(self)

    @property
    def packages(self) -> list[str]:
        return sorted({*SYSTEM_PACKAGES, *self.apps, *self.installed})

    def reboot(self) -> None:
        """Go offline for `boot_seconds` (every stream cut, the apps closed), then come
        back; reading `state` after that moment finds it back (`Farm` wakes for it)."""
        self.foreground = None
        self.booted_at = trio.current_time() + self.boot_seconds
        self.state = "offline"

    @contextmanager
    def session(self) -> Iterator[trio.CancelScope]:
        """Scope one service stream; `unplug()` cancels every open one."""
        with trio.CancelScope() as scope:
            self._sessions.add(scope)
            try:
                yield scope
            finally:
                self._sessions.discard(scope)

    def unplug(self) -> None:
        """Drop off the bus: every open stream is cut and the phone leaves its farm."""
        self.cut_streams()
        self.on_unplug(self)

    def cut_streams(self) -> None:
        """Close every open stream to the phone (it stays where it is)."""
        for scope in list(self._sessions):
            scope.cancel()

    async def fail_midway(self) -> None:
        """Unplug now, in the middle of serving something; never returns."""
        self.unplug()
        await trio.lowlevel.checkpoint()  # inside a session this raises Cancelled
        raise PhoneUnplugged(self.serial)

    # --- shell ------------------------------------------------------------
    async def shell(self, command: str) -> ShellResult:
        """Run one `shell:` command line, applying this phone's faults."""
        if self.faults.latency:
            await trio.sleep(self.faults.latency)
        await self.faults.hold(command)
        if self.faults.disconnects(command):
            self.faults.disconnect_on = None
            await self.fail_midway()
        if self.faults.crashes(command) and self.foreground is not None:
            self.faults.crash_on = None
            self.crash_app(self.foreground.package)
        return await run_shell(self, command)

    # --- screen and input -------------------------------------------------
    def screen(self) -> Node:
        """What is on screen now: the app in front, or the launcher."""
        if self.foreground is not None and self.foreground.running:
            return self.foreground.screen()
        self.foreground = None
        return self._launcher_screen()

    def current_focus(self) -> str:
        """`package/activity` of the focused window, as `dumpsys window` reports it."""
        app = self.foreground
        if app is not None and app.running:
            return f"{app.package}/{app.current_activity()}"
        return f"{LAUNCHER_PACKAGE}/{LAUNCHER_ACTIVITY}"

    def tap(self, x: int, y: int) -> None:
        node = self.screen().hit(x, y)
        if node is None or node.action is None:
            return
        if self.foreground is None:
            if node.action.startswith("launch:"):
                self.launch(node.action.removeprefix("launch:"))
            return
        self.foreground.tap(node)

    def swipe(self, x1: int, y1: int, x2: int, y2: int) -> None:
        if self.foreground is not None and self.foreground.running:
            self.foreground.swipe(x1, y1, x2, y2)

    def type_text(self, text: str) -> None:
        self.typed_text_log.append(text)
        if self.foreground is not None and self.foreground.running:
            self.foreground.type_text(text)

    def key(self, keycode: int) -> None:
        if keycode == KEYCODE_HOME:
            self.foreground = None
        elif self.foreground is not None and self.foreground.running:
            if not self.foreground.key(keycode) and keycode == KEYCODE_BACK:
                self.foreground = None

    # --- apps -------------------------------------------------------------
    def launch(self, package: str) -> App:
        """Start an app at its launcher activity and bring it to the front."""
        app = self.apps.get(package)
        if app is None:
            raise ActivityNotFound(package)
        app.launch()
        self.foreground = app
        return app

    def start_activity(self, intent: Intent) -> App:
        """Resolve and deliver an intent (`am start`); the app that took it comes forward."""
        target = intent.target_package
        if target is not None:
            candidates = [self.apps[target]] if target in self.apps else []
        else:
            candidates = [app for app in self.apps.values() if app.accepts(intent)]
        if intent.action in (None, "android.intent.action.MAIN") and intent.data is None \
                and target is not None and candidates:
            return self.launch(target)
        for app in candidates:
            if app.handle_intent(intent):
                self.foreground = app
                return app
        raise ActivityNotFound(str(intent))

    def force_stop(self, package: str) -> None:
        app = self.apps.get(package)
        if app is not None:
            app.force_stop()
            if self.foreground is app:
                self.foreground = None

    def crash_app(self, package: str) -> None:
        """Fault: the app's process dies; its screen disappears."""
        app = self.apps.get(package)
        if app is not None:
            app.crash()
            if self.foreground is app:
                self.foreground = None

    def _launcher_screen(self) -> Node:
        icons = []
        size = self.width // 4
        for i, app in enumerate(sorted(self.apps.values(), key=lambda a: a.label)):
            left, top = (i % 4) * size, 300 + (i // 4) * size
            icons.append(Node(cls="android.widget.TextView", package=LAUNCHER_PACKAGE,
                              text=app.label, content_desc=app.label, clickable=True,
                              focusable=True, bounds=Bounds(left, top, left + size, top + size),
                              action=f"launch:{app.package}"))
        grid = Node(cls="android.view.ViewGroup", package=LAUNCHER_PACKAGE,
                    resource_id=f"{LAUNCHER_PACKAGE}:id/workspace",
                    bounds=Bounds(0, 0, self.width, self.height), children=tuple(icons))
        return Node(cls="android.widget.FrameLayout", package=LAUNCHER_PACKAGE,
                    bounds=Bounds(0, 0, self.width, self.height), children=(grid,))
