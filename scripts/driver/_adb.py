"""`AdbDriver`: the `DeviceDriver` over adbutils, for real and simulated phones alike.

adbutils blocks, so every call runs in a worker thread, one device's calls under that
device's `CapacityLimiter`, and under two deadlines: trio's (`fail_after`, which frees
the calling task) and the socket's (which ends the abandoned thread later: a thread
cannot be cancelled). A hung phone so costs its own limiter, never the event loop or
another phone.
"""

from __future__ import annotations

import base64
import contextlib
import logging
import re
import shlex
import socket
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

import adbutils
import attrs
import trio
from adbutils.errors import AdbConnectionError, AdbError, AdbTimeout

from ._errors import CommandFailed, DeviceLost, DriverError, DriverTimeout, ElementNotFound
from ._protocol import ShellOutput
from ._selector import Selector, UiElement, UiTree

__all__ = ["AdbDriver"]

T = TypeVar("T")

#: Where `uiautomator dump` writes before the file is pulled (writable by adb's shell user).
UI_DUMP_PATH = "/data/local/tmp/orchestrator-ui.xml"
#: How long `wait_for` pauses between two dumps.
POLL_INTERVAL = 0.25
#: Characters of text per ADBKeyBoard broadcast, keeping each command line short.
TYPE_CHUNK = 512
#: adbutils error texts that mean the phone (or the way to it) is gone.
_LOST = re.compile(r"device .*not found|offline|unauthorized|no devices|closed"
                   r"|Invalid sync cmd|read chunk missing|Unknown data: b''", re.IGNORECASE)
#: Of those, the ones that say why in words a person reads; the others are a connection
#: that broke mid-call (adb's protocol cut short).
_LOST_WORDS = (
    (re.compile(r"device .*not found|no devices", re.IGNORECASE), "it is not connected"),
    (re.compile(r"unauthorized", re.IGNORECASE),
     "it is unauthorized (allow USB debugging on it)"),
    (re.compile(r"offline", re.IGNORECASE), "it is offline"),
)

log = logging.getLogger(__name__)

_PNG = b"\x89PNG\r\n\x1a\n"  # how every PNG file begins


class _BoundedClient(adbutils.AdbClient):  # type: ignore[misc]
    """An adbutils client that bounds every socket and closes what a call leaves open.

    adbutils passes its own 10-minute default timeout to many calls; capping it at
    `socket_timeout` lets an abandoned thread end soon after its trio deadline. And
    adbutils leaves a connection open when a request on it fails (a phone that is
    gone); `run` closes those when the call ends, so a farm of failing phones does
    not pile up sockets until the garbage collector finds them.
    """

    def __init__(self, host: str, port: int, socket_timeout: float) -> None:
        super().__init__(host=host, port=port, socket_timeout=socket_timeout)
        self._cap = socket_timeout
        self._calls = threading.local()
        self._version: int | None = None

    def server_version(self) -> int:
        """The ADB server's version, asked once: adbutils asks again before every device
        call, which costs each call a second connection (and its 10 ms closing sleep)."""
        if self._version is None:
            self._version = int(super().server_version())
        return self._version

    def make_connection(self, timeout: float | None = None) -> Any:
        opened: _Opened | None = getattr(self._calls, "opened", None)
        if opened is not None and opened.aborted:  # given up on: do not even connect
            raise AdbConnectionError("call abandoned")
        connection = super().make_connection(timeout=min(timeout or self._cap, self._cap))
        if opened is not None:
            opened.add(connection)
        return connection

    def run(self, fn: Callable[[], T], opened: _Opened) -> T:
        """Call blocking `fn` in this thread; close the connections it left open."""
        self._calls.opened = opened
        try:
            return fn()
        finally:
            del self._calls.opened
            opened.close()


class _Opened:
    """The connections one blocking call opened, shared with the trio side.

    When the trio side gives up on a call (a stop, a deadline), `abort()` shuts its
    sockets down, so the abandoned thread ends at once and frees the device's limiter
    instead of holding it until its socket times out.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._connections: list[Any] = []
        self._aborted = False

    @property
    def aborted(self) -> bool:
        with self._lock:
            return self._aborted

    def add(self, connection: Any) -> None:
        with self._lock:
            self._connections.append(connection)
            aborted = self._aborted
        if aborted:
            _shutdown(connection)

    def abort(self) -> None:
        with self._lock:
            self._aborted = True
            connections = list(self._connections)
        for connection in connections:
            _shutdown(connection)

    def close(self) -> None:
        with self._lock:
            connections, self._connections = self._connections, []
        for connection in connections:
            connection.close()  # a no-op for those adbutils closed


def _shutdown(connection: Any) -> None:
    with contextlib.suppress(OSError, AdbError):  # closed already: nothing to wake
        connection.conn.shutdown(socket.SHUT_RDWR)


def _failed(output: ShellOutput) -> bool:
    """Whether an `am`/`monkey` command reported an error (they often exit 0 anyway)."""
    lines = (output.stdout + output.stderr).splitlines()
    return output.exit_code != 0 or any(line.startswith(("Error", "**")) for line in lines)


def _message(error: AdbError) -> str:
    return " ".join(map(str, error.args))


def _lost_words(message: str, what: str) -> str:
    """Why the phone is lost, for a person, from adbutils' `message` during `what`."""
    return next((words for pattern, words in _LOST_WORDS if pattern.search(message)),
                f"the connection broke during `{what}`")


def _file_uri(path: str) -> str:
    return "file://" + quote(path)


#: What `run_line` appends to a line, to learn its exit code from the output's end.
_EXIT_MARK = b"__orchestrator_exit__"


@attrs.frozen
class LineOutput:
    """What a shell line printed (stdout and stderr as one, perhaps cut at a limit) and
    its exit code (None: not known, the output having gone past the limit)."""

    output: bytes
    exit_code: int | None
    truncated: bool


#: What an `AdbDriver` tells of each call: its first word, seconds, its error's class name.
CallObserver = Callable[[str, float, str | None], None]


def ignore_call(call: str, seconds: float, error: str | None) -> None:
    """The `CallObserver` that keeps nothing."""


class AdbDriver:
    """Drives the phone `serial` through the ADB server at `client_host:client_port`.

    Args:
        limiter: this device's limiter; every blocking call holds a token of it.
        timeout: deadline in seconds of each call (also the socket timeout).
        transfer_timeout: deadline of `push` and `pull`, which move whole files.
        observe: told of each call: its first word (`input`, `screencap`, `push`), its
            seconds, and the class of its error (None: it worked).

    Cancellation: a cancelled call returns at once; its thread runs on until its
    socket times out, holding the limiter token, so the device's next call waits.
    """

    def __init__(self, client_host: str, client_port: int, serial: str, *,
                 limiter: trio.CapacityLimiter, timeout: float = 20.0,
                 transfer_timeout: float = 120.0, observe: CallObserver = ignore_call) -> None:
        self._serial = serial
        self._observe = observe
        self._limiter = limiter
        self._timeout = timeout
        self._transfer_timeout = transfer_timeout
        self._client = _BoundedClient(client_host, client_port, timeout)
        self._device = self._client.device(serial)

    def __repr__(self) -> str:
        return f"<AdbDriver {self._serial}>"

    @property
    def serial(self) -> str:
        return self._serial

    async def _call(self, what: str, fn: Callable[[], T], *,
                    deadline: float | None = None, call: str | None = None) -> T:
        """Run blocking `fn` off the trio thread, under the deadline; map adbutils' errors;
        tell `observe` how long it took and how it failed (a cancelled call is not told),
        as `call` (by default the first word of `what`)."""
        call = call or what.partition(" ")[0]
        started = time.perf_counter()
        try:
            result = await self._mapped(what, fn, deadline=deadline)
        except DriverError as error:
            self._observe(call, time.perf_counter() - started, type(error).__name__)
            raise
        self._observe(call, time.perf_counter() - started, None)
        return result

    async def _mapped(self, what: str, fn: Callable[[], T], *,
                      deadline: float | None = None) -> T:
        deadline = self._timeout if deadline is None else deadline
        opened = _Opened()
        try:
            with trio.fail_after(deadline):
                return await trio.to_thread.run_sync(self._client.run, fn, opened,
                                                     limiter=self._limiter,
                                                     abandon_on_cancel=True)
        except trio.TooSlowError:
            raise DriverTimeout(self._serial, f"`{what}` got no answer in {deadline:g} s") \
                from None
        except DriverError:  # raised in the thread (`dump_ui`): already ours
            raise
        except (AdbTimeout, TimeoutError) as error:
            self._log(what, error)
            raise DriverTimeout(self._serial, f"`{what}` got no answer in {deadline:g} s") \
                from error
        except AdbConnectionError as error:
            self._log(what, error)
            raise DeviceLost(self._serial, "its ADB server does not answer") from error
        except AdbError as error:
            self._log(what, error)
            message = _message(error)
            if _LOST.search(message):
                raise DeviceLost(self._serial, _lost_words(message, what)) from error
            raise CommandFailed(self._serial, what, message) from error
        except (OSError, EOFError) as error:
            self._log(what, error)
            raise DeviceLost(self._serial, f"the connection broke during `{what}`") from error
        finally:
            opened.abort()  # a thread still running (we gave up on it) ends now

    def _log(self, what: str, error: BaseException) -> None:
        """The technical cause of an error, which its message says in plain words."""
        log.debug("%s: `%s` failed: %r", self._serial, what, error)

    async def shell(self, *argv: str) -> ShellOutput:
        line = shlex.join(argv)
        result = await self._call(line, lambda: self._device.shell2(line, v2=True))
        return ShellOutput(result.stdout, result.stderr, result.returncode)

    async def run_line(self, line: str, *, limit: int, deadline: float) -> LineOutput:
        """`line` as the phone's shell reads it (pipes, `;` and all: an operator's
        command, never text from elsewhere), within `deadline` seconds; its output, stdout
        and stderr as one, at most `limit` bytes (past them the command is cut off)."""
        def run() -> LineOutput:
            connection = self._device.open_shell(f"{line}\necho {_EXIT_MARK.decode()}$?")
            connection.conn.settimeout(deadline)  # quiet for long: `sleep 60; echo done`
            received = b""
            while len(received) <= limit + len(_EXIT_MARK) + 4:
                chunk = connection.recv(65536)
                if not chunk:
                    output, mark, code = received.rpartition(_EXIT_MARK)
                    if mark and code.strip().isdigit():
                        return LineOutput(output, int(code), truncated=False)
                    return LineOutput(received[:limit], None, truncated=len(received) > limit)
                received += chunk
            return LineOutput(received[:limit], None, truncated=True)

        # told as "shell", never by its words: they may hold a password
        return await self._call("the command", run, deadline=deadline, call="shell")

    async def reboot(self) -> None:
        """Have the phone restart (adbd's `reboot:` service, as `adb reboot`): it drops
        off at once and comes back when it has booted."""
        def reboot() -> None:
            connection = self._device.open_transport()
            connection.send_command("reboot:")
            connection.check_okay()
            connection.read_until_close()

        await self._call("reboot", reboot)

    async def _checked(self, *argv: str) -> ShellOutput:
        """`shell`, raising CommandFailed when the command reports an error."""
        output = await self.shell(*argv)
        if _failed(output):
            raise CommandFailed(self._serial, shlex.join(argv), output.stdout + output.stderr)
        return output

    async def open_url(self, url: str, package: str | None = None) -> None:
        target = ("-p", package) if package else ()
        await self._checked("am", "start", "-a", "android.intent.action.VIEW", "-d", url,
                            *target)

    async def share_files(self, package: str, paths: Sequence[str], mime: str,
                          text: str | None = None) -> None:
        if not paths:
            raise ValueError("share_files needs at least one path")
        uris = [_file_uri(path) for path in paths]  # percent-encoded: no commas left
        if len(uris) == 1:
            intent = ("-a", "android.intent.action.SEND", "--eu", "android.intent.extra.STREAM",
                      uris[0])
        else:  # `am` has no Uri-list extra; a string list is the closest it offers
            intent = ("-a", "android.intent.action.SEND_MULTIPLE",
                      "--esal", "android.intent.extra.STREAM", ",".join(uris))
        extra = ("--es", "android.intent.extra.TEXT", text) if text is not None else ()
        await self._checked("am", "start", *intent, "-t", mime, *extra, "-p", package)

    async def start_app(self, package: str) -> None:
        await self._checked("monkey", "-p", package, "-c", "android.intent.category.LAUNCHER",
                            "1")

    async def stop_app(self, package: str) -> None:
        await self._checked("am", "force-stop", package)

    async def dump_ui(self) -> UiTree:
        line = f"rm -f {UI_DUMP_PATH}; uiautomator dump {UI_DUMP_PATH}"

        def dump() -> bytes:
            result = self._device.shell2(line, v2=True)
            try:
                data: bytes = self._device.sync.read_bytes(UI_DUMP_PATH)
            except AdbError as error:
                if _LOST.search(_message(error)):
                    raise
                raise CommandFailed(self._serial, "uiautomator dump",
                                    result.output or str(error)) from None
            return data

        xml = await self._call("uiautomator dump", dump)
        try:
            return UiTree.from_xml(xml)
        except ValueError as error:
            raise CommandFailed(self._serial, "uiautomator dump", str(error)) from None

    async def screenshot(self) -> bytes:
        png: bytes = await self._call(
            "screencap -p", lambda: self._device.shell(["screencap", "-p"], encoding=None))
        if not png.startswith(_PNG):
            raise CommandFailed(self._serial, "screencap -p",
                                png[:200].decode(errors="replace") or "no image")
        return png

    async def tap(self, x: int, y: int) -> None:
        await self.shell("input", "tap", str(x), str(y))

    async def tap_element(self, element: UiElement) -> None:
        await self.tap(*element.center)

    async def swipe(self, x1: int, y1: int, x2: int, y2: int, duration: float = 0.3) -> None:
        await self.shell("input", "swipe", str(x1), str(y1), str(x2), str(y2),
                         str(round(duration * 1000)))

    async def key(self, code: int | str) -> None:
        await self.shell("input", "keyevent", str(code))

    async def type_text(self, text: str) -> None:
        """Type through ADBKeyBoard's `ADB_INPUT_B64` broadcast (it must be the active IME).

        Base64 has no character a shell treats specially, so quotes, `;`, `$()`,
        backticks, newlines and emoji arrive literally; `input text` cannot do that.
        """
        for start in range(0, len(text), TYPE_CHUNK):
            chunk = text[start:start + TYPE_CHUNK].encode()
            await self._checked("am", "broadcast", "-a", "ADB_INPUT_B64",
                                "--es", "msg", base64.b64encode(chunk).decode("ascii"))

    async def push(self, source: Path | bytes, remote_path: str) -> None:
        src = source if isinstance(source, bytes) else str(source)
        await self._call(f"push to {remote_path}",
                         lambda: self._device.sync.push(src, remote_path, mode=0o644),
                         deadline=self._transfer_timeout)

    async def pull(self, remote_path: str) -> bytes:
        data: bytes = await self._call(f"pull {remote_path}",
                                       lambda: self._device.sync.read_bytes(remote_path),
                                       deadline=self._transfer_timeout)
        return data

    async def wait_for(self, selector: Selector, timeout: float) -> UiElement:  # noqa: ASYNC109
        """Re-dump every `POLL_INTERVAL` s; a failed dump (a busy screen) is retried."""
        failure: CommandFailed | None = None
        with trio.move_on_after(timeout):
            while True:
                try:
                    found = (await self.dump_ui()).find(selector)
                except CommandFailed as error:
                    failure, found = error, None
                if found is not None:
                    return found
                await trio.sleep(POLL_INTERVAL)
        raise ElementNotFound(self._serial, str(selector), timeout) from failure
