"""File commands as toybox prints them: cat, ls, rm, mkdir, touch, grep."""

from __future__ import annotations

import posixpath
import re
import stat as stat_mod
import time

from .._fs import Stat
from .._shell import ShellResult
from ._base import Call, Handler, abspath

__all__ = ["COMMANDS"]

_MISSING = "No such file or directory"
_OWNERS = (("/sdcard", "root sdcard_rw"), ("/data/local/tmp", "shell shell"))


def _split(args: tuple[str, ...]) -> tuple[set[str], list[str]]:
    """Single-letter flags (`-rf` is `-r -f`) and the operands."""
    flags: set[str] = set()
    operands: list[str] = []
    for arg in args:
        if arg.startswith("-") and len(arg) > 1 and not operands:
            flags.update(arg[1:])
        else:
            operands.append(arg)
    return flags, operands


def _result(tool: str, errors: list[str], stdout: bytes = b"") -> ShellResult:
    return ShellResult(stdout=stdout,
                       stderr="".join(f"{tool}: {e}\n" for e in errors).encode(),
                       exit_code=1 if errors else 0)


async def cat(call: Call) -> ShellResult:
    fs = call.phone.fs
    chunks, errors = [], []
    for name in call.args or ("-",):
        try:
            chunks.append(call.stdin if name == "-" else fs.read(abspath(name)))
        except FileNotFoundError:
            errors.append(f"{name}: {_MISSING}")
        except IsADirectoryError:
            errors.append(f"{name}: Is a directory")
    return _result("cat", errors, b"".join(chunks))


def _long(name: str, path: str, found: Stat) -> str:
    owner = next((o for prefix, o in _OWNERS if path.startswith(prefix)), "root root")
    size = 3452 if found.is_dir else found.size
    when = time.strftime("%Y-%m-%d %H:%M", time.gmtime(found.mtime))
    links = 2 if found.is_dir else 1
    return f"{stat_mod.filemode(found.mode)} {links} {owner} {size:>5} {when} {name}\n"


def _listing(call: Call, flags: set[str], name: str, out: list[str]) -> str | None:
    """Append `ls` lines for operand `name`; return an error, if any."""
    fs, path = call.phone.fs, abspath(name)
    found = fs.stat(path)
    if found is None:
        return f"{name}: {_MISSING}"
    if not found.is_dir or "d" in flags:
        out.append(_long(name, path, found) if "l" in flags else f"{name}\n")
        return None
    entries = fs.listdir(path)
    if "a" in flags:
        parent = fs.stat(posixpath.dirname(path)) or found
        entries = [(".", found), ("..", parent), *entries]
    else:
        entries = [(n, s) for n, s in entries if not n.startswith(".")]
    if "l" in flags:
        out.append(f"total {len(entries) * 4}\n")
        out.extend(_long(n, posixpath.join(path, n), s) for n, s in entries)
    else:
        out.extend(f"{n}\n" for n, _ in entries)
    return None


async def ls(call: Call) -> ShellResult:
    flags, operands = _split(call.args)
    out: list[str] = []
    errors = []
    for index, name in enumerate(operands or ["."]):
        if len(operands) > 1 and call.phone.fs.is_dir(abspath(name)):
            out.append(f"{chr(10) if index else ''}{name}:\n")
        error = _listing(call, flags, name, out)
        if error:
            errors.append(error)
    return _result("ls", errors, "".join(out).encode())


async def rm(call: Call) -> ShellResult:
    flags, operands = _split(call.args)
    recursive, force = bool(flags & {"r", "R"}), "f" in flags
    errors = []
    for name in operands:
        try:
            call.phone.fs.remove(abspath(name), recursive=recursive)
        except FileNotFoundError:
            if not force:
                errors.append(f"{name}: {_MISSING}")
        except IsADirectoryError:
            errors.append(f"{name}: Is a directory")
    return _result("rm", errors)


async def mkdir(call: Call) -> ShellResult:
    flags, operands = _split(call.args)
    fs, errors = call.phone.fs, []
    for name in operands:
        path = abspath(name)
        if fs.exists(path) and not ("p" in flags and fs.is_dir(path)):
            errors.append(f"'{name}': File exists")
        elif "p" not in flags and not fs.is_dir(posixpath.dirname(path)):
            errors.append(f"'{name}': {_MISSING}")
        else:
            fs.makedirs(path)
    return _result("mkdir", errors)


async def touch(call: Call) -> ShellResult:
    _, operands = _split(call.args)
    fs, errors = call.phone.fs, []
    for name in operands:
        path = abspath(name)
        if fs.is_dir(path):
            continue
        if not fs.is_dir(posixpath.dirname(path)):
            errors.append(f"'{name}': {_MISSING}")
        else:
            fs.write(path, fs.read(path) if fs.exists(path) else b"")
    return _result("touch", errors)


async def grep(call: Call) -> ShellResult:
    """grep [-viFEqc] PATTERN [FILE...]: enough for `... | grep x` and checks on files."""
    flags, operands = _split(call.args)
    if not operands:
        return _result("grep", ["no pattern"])
    pattern = re.escape(operands[0]) if "F" in flags else operands[0]
    try:
        regex = re.compile(pattern, re.IGNORECASE if "i" in flags else 0)
    except re.error:
        return ShellResult(stderr=f"grep: bad regex '{operands[0]}'\n".encode(), exit_code=2)
    sources = operands[1:]
    read = await cat(Call(call.phone, ("cat", *sources), call.stdin))
    lines = [line for line in read.stdout.decode(errors="replace").splitlines()
             if (regex.search(line) is None) == ("v" in flags)]
    text = "" if "q" in flags else f"{len(lines)}\n" if "c" in flags else \
        "".join(f"{line}\n" for line in lines)
    return ShellResult(stdout=text.encode(), stderr=read.stderr.replace(b"cat:", b"grep:"),
                       exit_code=2 if read.exit_code else 0 if lines else 1)


COMMANDS: dict[str, Handler] = {
    "cat": cat, "ls": ls, "rm": rm, "mkdir": mkdir, "touch": touch, "grep": grep,
}
