"""The commands of a simulated phone's shell, and the shell that runs them.

One module per command family, each with a `COMMANDS` table of name -> handler; a
handler gets a `Call` (the phone, argv, stdin) and returns a `ShellResult`.
"""

from __future__ import annotations

from ._base import Call, Handler
from ._registry import COMMANDS
from ._runner import run_line

__all__ = ["COMMANDS", "Call", "Handler", "run_line"]
