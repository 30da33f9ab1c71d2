"""Runs a parsed command line: and-or lists, pipes, redirections, `$?`.

Pipes run their commands one after the other, each reading the whole output of the
one before (the simulated commands never stream). Output stays in memory; `output`
keeps stdout and stderr in the order they were written, as `shell:` (v1) shows them.
"""

from __future__ import annotations

import functools
import posixpath
from typing import TYPE_CHECKING

from .._shell import ShellResult
from ._base import Call, abspath, fail
from ._registry import COMMANDS
from ._syntax import Command, ShellSyntaxError, Step, expand, parse

if TYPE_CHECKING:
    from .._phone import Phone

__all__ = ["run_line"]

SH = "/system/bin/sh"
_BIN_DIRS = frozenset({"/system/bin", "/system/xbin", "/vendor/bin", "/product/bin"})
_BASE_ENV = {
    "$": "4242", "#": "0", "0": SH, "HOME": "/", "USER": "shell", "SHELL": SH,
    "PATH": "/product/bin:/apex/com.android.runtime/bin:/apex/com.android.art/bin"
            ":/system_ext/bin:/system/bin:/system/xbin:/odm/bin:/vendor/bin:/vendor/xbin",
    "TMPDIR": "/data/local/tmp", "EXTERNAL_STORAGE": "/sdcard", "ANDROID_DATA": "/data",
    "ANDROID_ROOT": "/system", "ANDROID_STORAGE": "/storage",
}
# Where a command's fd 1 or 2 goes: the line's stdout or stderr, the next command of a
# pipe, nowhere, or (any other value) a file path.
_OUT, _ERR, _PIPE, _NULL = "@out", "@err", "@pipe", "@null"
_DEVICES = {"/dev/null": _NULL, "/dev/stdout": _OUT, "/dev/tty": _OUT, "/dev/stderr": _ERR}


class _Redirected(Exception):
    """A redirection failed; the command does not run (message as sh prints it)."""


@functools.lru_cache(maxsize=4096)
def _parse(line: str) -> tuple[Step, ...]:
    """Parsed lines are immutable, and farms send the same few lines over and over."""
    return parse(line)


async def run_line(phone: Phone, line: str) -> ShellResult:
    """Run one `sh -c` line on `phone`."""
    try:
        steps = _parse(line)
    except ShellSyntaxError as error:
        return fail(f"{SH}: {error}\n")
    run = _Run(phone)
    for step in steps:
        if (step.connector == "&&" and run.status) or (step.connector == "||"
                                                       and not run.status):
            continue
        stdin = b""
        for position, command in enumerate(step.pipeline, 1):
            stdin = await run.command(command, stdin, piped=position < len(step.pipeline))
        if run.exited:
            break
    return ShellResult(stdout=bytes(run.out), stderr=bytes(run.err), exit_code=run.status,
                       output=bytes(run.both))


class _Run:
    """The state of one line being run: what it printed so far and the last status."""

    def __init__(self, phone: Phone) -> None:
        self.phone = phone
        self.out = bytearray()
        self.err = bytearray()
        self.both = bytearray()
        self.env = dict(_BASE_ENV, **{"?": "0"})
        self.status = 0
        self.exited = False

    def _set_status(self, status: int) -> None:
        self.status = status & 0xFF
        self.env["?"] = str(self.status)

    async def command(self, command: Command, stdin: bytes, *, piped: bool) -> bytes:
        """Run one simple command; return what it sends down the pipe."""
        argv = [text for text in (expand(w, self.env) for w in command.words) if text is not None]
        fds = {1: _PIPE if piped else _OUT, 2: _ERR}
        try:
            stdin = self._redirect(command, fds, stdin)
        except _Redirected as error:
            self._write(_ERR, f"{SH}: {error}\n".encode())
            self._set_status(1)
            return b""
        result = await self._execute(argv, stdin)
        self._set_status(result.exit_code)
        piped_out = self._write(fds[1], result.stdout) + self._write(fds[2], result.stderr)
        return piped_out

    async def _execute(self, argv: list[str], stdin: bytes) -> ShellResult:
        if not argv:
            return ShellResult()
        name = argv[0]
        if name == "exit":
            self.exited = True
            return ShellResult(exit_code=int(argv[1]) if argv[1:] and argv[1].isdigit()
                               else self.status)
        if "/" in name and posixpath.dirname(name) in _BIN_DIRS:
            name = posixpath.basename(name)
        handler = COMMANDS.get(name)
        if handler is None:
            return fail(f"{SH}: {argv[0]}: inaccessible or not found\n", 127)
        return await handler(Call(self.phone, (name, *argv[1:]), stdin))

    def _redirect(self, command: Command, fds: dict[int, str], stdin: bytes) -> bytes:
        """Apply `command`'s redirections to `fds`, opening files as sh does; new stdin."""
        fs = self.phone.fs
        for redirect in command.redirects:
            target = expand(redirect.target, self.env) or ""
            if redirect.op in (">&", "<&"):
                fds[redirect.fd] = _duplicate(fds, target)
                continue
            path = abspath(target)
            if redirect.op == "<":
                try:
                    stdin = fs.read(path) if path not in _DEVICES else b""
                except (FileNotFoundError, IsADirectoryError) as error:
                    raise _Redirected(f"can't open {target}: {_reason(error)}") from None
                continue
            fds[redirect.fd] = _DEVICES.get(path) or self._open(path, target,
                                                                append=redirect.op == ">>")
        return stdin

    def _open(self, path: str, shown: str, *, append: bool) -> str:
        fs = self.phone.fs
        if fs.is_dir(path):
            raise _Redirected(f"can't create {shown}: Is a directory")
        if not fs.is_dir(posixpath.dirname(path)):
            raise _Redirected(f"can't create {shown}: No such file or directory")
        if not (append and fs.exists(path)):
            fs.write(path, b"")
        return path

    def _write(self, target: str, data: bytes) -> bytes:
        """Send `data` to `target`; return it if it goes down the pipe."""
        if not data or target == _NULL:
            return b""
        if target == _PIPE:
            return data
        if target == _OUT:
            self.out += data
        elif target == _ERR:
            self.err += data
        else:
            fs = self.phone.fs
            fs.write(target, fs.read(target) + data)
            return b""
        self.both += data
        return b""


def _duplicate(fds: dict[int, str], target: str) -> str:
    """Where `n>&target` points fd n: where fd `target` goes now (`-` closes it)."""
    if target == "-":
        return _NULL
    if not target.isdigit():
        raise _Redirected(f"{target}: illegal file descriptor name")
    return fds.get(int(target), _NULL)


def _reason(error: OSError) -> str:
    return "Is a directory" if isinstance(error, IsADirectoryError) \
        else "No such file or directory"
