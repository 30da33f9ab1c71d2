"""The one way scripts touch a phone: the `DeviceDriver` protocol.

Scripts are written against this protocol only. Its real implementation is
`AdbDriver` (adbutils); tests reach simulated phones through that same driver over
real ADB sockets, so every test walks the path real phones take.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import attrs

from ._selector import Selector, UiElement, UiTree

__all__ = ["DeviceDriver", "ShellOutput"]


@attrs.frozen
class ShellOutput:
    """What one shell command printed (decoded as UTF-8) and how it exited."""

    stdout: str
    stderr: str
    exit_code: int


class DeviceDriver(Protocol):
    """Drive one phone. Every method is a checkpoint and has a deadline.

    Raises (every method):
        DeviceLost: the phone is gone, offline or unauthorized.
        DriverTimeout: the phone did not answer within the deadline.

    Cancellation: every method may be cancelled; the phone may or may not have
    carried out a cancelled command.
    """

    @property
    def serial(self) -> str: ...

    async def shell(self, *argv: str) -> ShellOutput:
        """Run `argv` (each argument quoted, never interpreted by the phone's shell)."""
        ...

    async def open_url(self, url: str, package: str | None = None) -> None:
        """Send a VIEW intent for `url`, to `package` if given.

        Raises:
            CommandFailed: no app took the intent.
        """
        ...

    async def share_files(self, package: str, paths: Sequence[str], mime: str,
                          text: str | None = None) -> None:
        """Share files already on the phone (`paths`) with `package`, as the share sheet does.

        Raises:
            CommandFailed: the app did not take the intent.
        """
        ...

    async def start_app(self, package: str) -> None:
        """Launch `package` at its launcher activity. Raises CommandFailed if it has none."""
        ...

    async def stop_app(self, package: str) -> None:
        """Force-stop `package`."""
        ...

    async def dump_ui(self) -> UiTree:
        """The screen's current UI hierarchy. Raises CommandFailed if the dump failed."""
        ...

    async def screenshot(self) -> bytes:
        """The screen as a PNG. Raises CommandFailed if the phone gave no image."""
        ...

    async def tap(self, x: int, y: int) -> None: ...

    async def tap_element(self, element: UiElement) -> None:
        """Tap the center of `element`."""
        ...

    async def swipe(self, x1: int, y1: int, x2: int, y2: int, duration: float = 0.3) -> None:
        ...

    async def key(self, code: int | str) -> None:
        """Press a key: a keycode number or name (`4`, `"KEYCODE_BACK"`)."""
        ...

    async def type_text(self, text: str) -> None:
        """Type `text` into the focused field, literally, whatever characters it holds."""
        ...

    async def push(self, source: Path | bytes, remote_path: str) -> None:
        """Copy a local file (or bytes) to `remote_path`; parent folders are created."""
        ...

    async def pull(self, remote_path: str) -> bytes:
        """The content of a file on the phone. Raises CommandFailed if it cannot be read."""
        ...

    # Not a cancel scope: running out of time is an answer here (ElementNotFound).
    async def wait_for(self, selector: Selector, timeout: float) -> UiElement:  # noqa: ASYNC109
        """Dump the UI until `selector` matches; return the first match.

        Raises:
            ElementNotFound: nothing matched within `timeout` seconds.
        """
        ...
