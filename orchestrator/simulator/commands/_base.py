"""What every command handler gets and gives back, and the small helpers they share."""

from __future__ import annotations

import posixpath
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING

import attrs

from .._shell import ShellResult

if TYPE_CHECKING:
    from .._phone import Phone

__all__ = ["Call", "Handler", "abspath", "fail", "ok", "subcommand"]


@attrs.frozen
class Call:
    """One command to run: `argv[0]` is its name, `stdin` what a pipe or `<` fed it."""

    phone: Phone
    argv: tuple[str, ...]
    stdin: bytes = b""

    @property
    def args(self) -> tuple[str, ...]:
        return self.argv[1:]

    def shift(self) -> Call:
        """The call a subcommand sees: `am start -n x` becomes `start -n x`."""
        return attrs.evolve(self, argv=self.argv[1:])


Handler = Callable[[Call], Awaitable[ShellResult]]

_OK = ShellResult()


def ok(text: str | bytes = "") -> ShellResult:
    """Success, printing `text` (str is UTF-8 encoded) on stdout."""
    if not text:
        return _OK
    return ShellResult(stdout=text.encode() if isinstance(text, str) else text)


def fail(text: str, code: int = 1, *, stdout: str = "") -> ShellResult:
    """Failure with `text` on stderr (and, optionally, what was printed before it)."""
    return ShellResult(stdout=stdout.encode(), stderr=text.encode(), exit_code=code)


def abspath(path: str) -> str:
    """A path as the shell resolves it; `adb shell` starts in `/`."""
    return posixpath.normpath(posixpath.join("/", path))


def subcommand(tool: str, table: Mapping[str, Handler]) -> Handler:
    """A handler dispatching `tool <sub> ...` through `table` (am, pm, wm, settings...)."""

    async def dispatch(call: Call) -> ShellResult:
        handler = table.get(call.args[0]) if call.args else None
        if handler is None:
            name = call.args[0] if call.args else ""
            return fail(f"{tool}: unknown command '{name}'\n" if name
                        else f"{tool}: missing command\n", 255)
        return await handler(call.shift())

    return dispatch
