"""The phone's `/system/bin/sh`: parses a command line and runs the phone's commands.

The parser and the commands live in `orchestrator.simulator.commands`; this module is
the seam the phone calls, and holds the result type both sides share.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

if TYPE_CHECKING:
    from ._phone import Phone

__all__ = ["ShellResult", "run_shell"]


def _joined(result: ShellResult) -> bytes:
    return result.stdout + result.stderr


@attrs.frozen
class ShellResult:
    """What one command line printed and how it exited.

    `output` is stdout and stderr interleaved as a terminal shows them: what `shell:`
    (v1) sends, where one stream carries both. `shell,v2:` sends `stdout` and `stderr`
    apart. It defaults to stdout followed by stderr.
    """

    stdout: bytes = b""
    stderr: bytes = b""
    exit_code: int = 0
    output: bytes = attrs.field(default=attrs.Factory(_joined, takes_self=True))


async def run_shell(phone: Phone, command: str) -> ShellResult:
    """Run `command` as `sh -c` would on `phone`: never evaluates text, only runs commands."""
    # Imported here: the commands need `_phone`, which imports this module.
    from .commands import run_line

    return await run_line(phone, command)
