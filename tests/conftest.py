"""Test-wide guards (no test may start a stray adb server on 5037), and the browser the
console's tests drive."""

from __future__ import annotations

import os
import shutil

import pytest

# adbutils runs `adb start-server` when it cannot reach its server. Point it at a
# binary that always fails, so a wrong port is an error, never a server on 5037.
os.environ["ADBUTILS_ADB_PATH"] = "/bin/false"
os.environ.pop("ANDROID_ADB_SERVER_PORT", None)


@pytest.fixture
def chromium() -> str:
    """Debian's chromium: skipped where it is not installed, but a failure under CI,
    which installs it (`.ci/run`)."""
    found = shutil.which("chromium")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("no chromium: `.ci/run` installs Debian's")
        pytest.skip("no chromium to drive the console in (`apt-get install chromium`)")
    return found
