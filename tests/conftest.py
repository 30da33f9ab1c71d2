"""Test-wide guards: no test may start a stray adb server on 5037."""

from __future__ import annotations

import os

# adbutils runs `adb start-server` when it cannot reach its server. Point it at a
# binary that always fails, so a wrong port is an error, never a server on 5037.
os.environ["ADBUTILS_ADB_PATH"] = "/bin/false"
os.environ.pop("ANDROID_ADB_SERVER_PORT", None)
