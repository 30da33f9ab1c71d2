"""The phone's `/system/bin/sh`: parses a command line and runs the phone's commands.

Owned by the shell work (see tests/simulator/test_shell.py). Placeholder signature:
the implementation replaces the body of `run_shell`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

if TYPE_CHECKING:
    from ._phone import Phone

__all__ = ["ShellResult", "run_shell"]


@attrs.frozen
class ShellResult:
    """What one command line printed and how it exited."""

    stdout: bytes = b""
    stderr: bytes = b""
    exit_code: int = 0


async def run_shell(phone: Phone, command: str) -> ShellResult:
    raise NotImplementedError
