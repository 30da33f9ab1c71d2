"""Small shell and toybox commands: echo, true, false, sleep, id, whoami, date, test."""

from __future__ import annotations

import datetime
import operator
from collections.abc import Callable

import trio

from .._shell import ShellResult
from ._base import Call, Handler, abspath, fail, ok

__all__ = ["COMMANDS"]

_ECHO_ESCAPES = {"\\": "\\", "a": "\a", "b": "\b", "e": "\x1b", "f": "\f", "n": "\n",
                 "r": "\r", "t": "\t", "v": "\v"}
_ID = ("uid=2000(shell) gid=2000(shell) groups=2000(shell),1004(input),1007(log),1011(adb),"
       "1015(sdcard_rw),1028(sdcard_r),1078(ext_data_rw),1079(ext_obb_rw),3001(net_bt_admin),"
       "3002(net_bt),3003(inet),3006(net_bw_stats),3009(readproc),3011(uhid),3012(readtracefs)"
       " context=u:r:shell:s0\n")


def _unescape(text: str) -> tuple[str, bool]:
    """mksh `echo` escapes; the flag is False once `\\c` asks to stop printing."""
    if "\\" not in text:
        return text, True
    out, index = [], 0
    while index < len(text):
        char = text[index]
        following = text[index + 1:index + 2]
        if char != "\\" or not following:
            out.append(char)
            index += 1
        elif following == "c":
            return "".join(out), False
        elif following == "0":
            end = index + 2
            while end < min(index + 5, len(text)) and text[end] in "01234567":
                end += 1
            out.append(chr(int(text[index + 2:end] or "0", 8)))
            index = end
        else:
            out.append(_ECHO_ESCAPES.get(following, char + following))
            index += 2
    return "".join(out), True


async def echo(call: Call) -> ShellResult:
    """mksh's echo, as `sh` on Android: `-n`, `-e`, `-E`; escapes on by default."""
    args, newline, escapes = list(call.args), True, True
    while args and args[0] in ("-n", "-e", "-E"):
        flag = args.pop(0)
        if flag == "-n":
            newline = False
        else:
            escapes = flag == "-e"
    text = " ".join(args)
    if escapes:
        text, more = _unescape(text)
        newline = newline and more
    return ok(text + "\n" if newline else text)


async def true(call: Call) -> ShellResult:
    return ok()


async def false(call: Call) -> ShellResult:
    return ShellResult(exit_code=1)


async def sleep(call: Call) -> ShellResult:
    """Really sleeps (trio), so hung-looking commands and timeouts can be tested."""
    try:
        seconds = sum(float(arg) for arg in call.args)
    except ValueError:
        return fail(f"sleep: invalid number '{call.args[0]}'\n")
    await trio.sleep(seconds)
    return ok()


async def whoami(call: Call) -> ShellResult:
    return ok("shell\n")


async def id_(call: Call) -> ShellResult:
    return ok(_ID)


async def date(call: Call) -> ShellResult:
    fmt = next((arg[1:] for arg in call.args if arg.startswith("+")), "%a %b %e %H:%M:%S %Z %Y")
    return ok(datetime.datetime.now(datetime.UTC).strftime(fmt) + "\n")


def _file_test(flag: str) -> Callable[[Call, str], bool]:
    def check(call: Call, path: str) -> bool:
        found = call.phone.fs.stat(abspath(path))
        if found is None:
            return False
        return {"-f": not found.is_dir, "-d": found.is_dir, "-s": found.size > 0}.get(flag, True)

    return check


_UNARY: dict[str, Callable[[Call, str], bool]] = {
    **{flag: _file_test(flag) for flag in ("-e", "-f", "-d", "-s", "-r", "-w", "-x")},
    "-z": lambda call, text: not text,
    "-n": lambda call, text: bool(text),
}
_STRING_OPS: dict[str, Callable[[str, str], bool]] = {
    "=": operator.eq, "==": operator.eq, "!=": operator.ne,
}
_NUMBER_OPS: dict[str, Callable[[int, int], bool]] = {
    "-eq": operator.eq, "-ne": operator.ne, "-lt": operator.lt, "-le": operator.le,
    "-gt": operator.gt, "-ge": operator.ge,
}


def _evaluate(call: Call, args: list[str]) -> bool:
    if args[:1] == ["!"]:
        return not _evaluate(call, args[1:])
    if len(args) == 2 and args[0] in _UNARY:
        return _UNARY[args[0]](call, args[1])
    if len(args) == 3 and args[1] in _STRING_OPS:
        return _STRING_OPS[args[1]](args[0], args[2])
    if len(args) == 3 and args[1] in _NUMBER_OPS:
        return _NUMBER_OPS[args[1]](int(args[0]), int(args[2]))
    if len(args) <= 1:
        return bool(args and args[0])
    raise ValueError(" ".join(args))


async def test(call: Call) -> ShellResult:
    """`test` and `[`: file, string and integer tests, with `!`."""
    args = list(call.args)
    if call.argv[0] == "[":
        if args[-1:] != ["]"]:
            return fail("[: missing ]\n", 2)
        args.pop()
    try:
        return ShellResult(exit_code=0 if _evaluate(call, args) else 1)
    except ValueError:
        return fail(f"{call.argv[0]}: syntax error\n", 2)


COMMANDS: dict[str, Handler] = {
    "echo": echo, "true": true, "false": false, "sleep": sleep, "whoami": whoami,
    "id": id_, "date": date, "test": test, "[": test,
}
