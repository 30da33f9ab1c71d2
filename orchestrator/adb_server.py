"""The ADB server the orchestrator drives: one it is given, or, at start-up and on the
default address only, one it starts itself and says so; never one behind the user's back."""

from __future__ import annotations

import logging
import os
import shutil

import adbutils
import trio

__all__ = ["DEFAULT_ADDRESS", "never_started_behind_our_back", "start_if_absent"]

log = logging.getLogger(__name__)

#: Where `adb` itself looks for its server, and starts one if none answers.
DEFAULT_ADDRESS = ("127.0.0.1", 5037)


def never_started_behind_our_back() -> None:
    """adbutils runs `adb start-server` each time it cannot reach its ADB server, and that
    server listens on 5037 whatever address adbutils was given: one nobody asked for, which
    takes every USB phone of the host and outlives the orchestrator. adbutils' own setting
    (`ADBUTILS_ADB_PATH`) points that call at a program that does nothing."""
    os.environ["ADBUTILS_ADB_PATH"] = shutil.which("true") or "/bin/true"


async def start_if_absent(host: str, port: int) -> None:
    """If `host:port` is the default address and no ADB server answers there, start one
    (as `adb devices` would), and say so; any other address is the user's to run. Called
    before `never_started_behind_our_back`, whose no-op adbutils would name as adb."""
    if (host, port) != DEFAULT_ADDRESS:
        return
    try:
        stream = await trio.open_tcp_stream(host, port)
    except OSError:
        adb = shutil.which("adb") or adbutils.adb_path()
        with trio.fail_after(20):
            await trio.run_process([adb, "start-server"], capture_stdout=True,
                                   capture_stderr=True)
        log.info("no ADB server answered at %s:%d: started one (%s start-server); it "
                 "outlives the orchestrator, as adb's own does", host, port, adb)
    else:
        await stream.aclose()
