"""Stand-ins for phones in tests that run device actors without an ADB server, and what
tests give the simulated phones."""

from __future__ import annotations

import io
import zipfile

import trio


async def answering() -> bool:
    """A `PhoneCheck` of a phone that is always there."""
    await trio.lowlevel.checkpoint()
    return True


def apk(package: str) -> bytes:
    """An APK as the simulator reads one: a zip whose manifest names its package."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("AndroidManifest.xml", f'<manifest package="{package}"/>')
    return buffer.getvalue()
