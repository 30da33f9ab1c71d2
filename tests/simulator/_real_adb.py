"""Which real adb binary the tests run: `SIM_REAL_ADB`, else Debian's, else adbutils' own.

adbutils' wheel ships an adb build, so the real-adb tests can always run; CI also
installs Debian's, which is preferred when present.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import adbutils

__all__ = ["REAL_ADB"]


def _find() -> str:
    chosen = os.environ.get("SIM_REAL_ADB") or shutil.which("adb")
    if chosen:
        return chosen
    return str(Path(adbutils.__file__).parent / "binaries" / "adb")


REAL_ADB = _find()
