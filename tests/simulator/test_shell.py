"""The phone's shell: its grammar, its commands, and adbutils' own parsers reading them."""

from __future__ import annotations

import base64
import io
import json
import shlex
from typing import Any

import pytest
import trio
from adbutils._device_base import BaseDevice
from adbutils.shell import ShellExtension
from PIL import Image

from orchestrator.simulator._app import App, Intent
from orchestrator.simulator._phone import Phone
from orchestrator.simulator._shell import ShellResult
from orchestrator.simulator._ui import Bounds, Node
from orchestrator.simulator.apps import TIKTOK, SocialApp, default_apps

VIEW = "android.intent.action.VIEW"


class Notes(App):
    """A tiny app that records what reaches it."""

    package = "com.example.notes"
    label = "Notes"
    launcher_activity = ".MainActivity"
    version_name = "2.5.1"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.taps: list[str | None] = []
        self.typed: list[str] = []
        self.keys: list[int] = []
        self.swipes: list[tuple[int, int, int, int]] = []
        self.opened: list[str] = []

    def launch(self) -> None:
        self.running = True

    def accepts(self, intent: Intent) -> bool:
        return intent.action == VIEW and (intent.data or "").startswith("https://notes.example/")

    def handle_intent(self, intent: Intent) -> bool:
        if not self.accepts(intent):
            return False
        self.running = True
        self.opened.append(intent.data or "")
        return True

    def tap(self, node: Node) -> None:
        self.taps.append(node.action)

    def type_text(self, text: str) -> None:
        self.typed.append(text)

    def key(self, keycode: int) -> bool:
        self.keys.append(keycode)
        return keycode != 4

    def swipe(self, x1: int, y1: int, x2: int, y2: int) -> None:
        self.swipes.append((x1, y1, x2, y2))

    def screen(self) -> Node:
        save = Node(cls="android.widget.Button", package=self.package, text="Save",
                    resource_id=f"{self.package}:id/save", clickable=True,
                    bounds=Bounds(0, 0, 540, 200), action="save")
        return Node(cls="android.widget.FrameLayout", package=self.package,
                    bounds=Bounds(0, 0, self.width, self.height), children=(save,))

    def current_activity(self) -> str:
        return ".MainActivity"


@pytest.fixture
def phone() -> Phone:
    return Phone("sim-0001", apps=[Notes])


def notes(phone: Phone) -> Notes:
    app = phone.apps["com.example.notes"]
    assert isinstance(app, Notes)
    return app


async def sh(phone: Phone, command: str) -> ShellResult:
    with trio.fail_after(5):
        return await phone.shell(command)


async def out(phone: Phone, command: str) -> str:
    return (await sh(phone, command)).output.decode()


class AdbutilsView(ShellExtension):  # type: ignore[misc]
    """adbutils' real shell-parsing code, fed by the phone's shell instead of a socket."""

    def __init__(self, phone: Phone) -> None:
        self.phone = phone

    def shell(self, cmdargs: str | list[str], encoding: str | None = "utf-8",
              rstrip: bool = True, **_: Any) -> Any:
        command = cmdargs if isinstance(cmdargs, str) else " ".join(map(shlex.quote, cmdargs))
        output = trio.from_thread.run(self.phone.shell, command).output
        if encoding is None:
            return output
        text = output.decode(encoding)
        return text.rstrip() if rstrip else text

    @property
    def sync(self) -> Any:
        raise NotImplementedError


async def adbutils_call(phone: Phone, method: str, *args: Any) -> Any:
    view = AdbutilsView(phone)
    with trio.fail_after(5):
        if method == "_shell_v1":
            return await trio.to_thread.run_sync(BaseDevice._shell_v1, view, *args)
        return await trio.to_thread.run_sync(getattr(view, method), *args)


class TestGrammar:
    async def test_exit_code_marker_as_adbutils_appends_it(self, phone: Phone) -> None:
        """`; echo X4EXIT:$?` reports the status of the command before it."""
        for command, code in (("true", 0), ("false", 1), ("ls /nope", 1), ("nope", 127)):
            raw = await adbutils_call(phone, "_shell_v1", command)
            assert raw.returncode == code, command

    async def test_quotes_and_expansion(self, phone: Phone) -> None:
        """Single quotes are literal, double quotes expand `$?` and keep blanks."""
        assert await out(phone, "echo 'a  b' \"c  $?\" d\\ e") == "a  b c  0 d e\n"
        assert await out(phone, "false; echo $? ${?} \"$HOME\"") == "1 1 /\n"
        assert await out(phone, "echo $UNSET x") == "x\n"

    async def test_text_is_never_evaluated(self, phone: Phone) -> None:
        """Command substitution stays literal text, quoted or not."""
        result = await out(phone, "echo '$(rm -r /sdcard)' $(rm -r /sdcard) `rm -r /sdcard`")
        assert result == "$(rm -r /sdcard) $(rm -r /sdcard) `rm -r /sdcard`\n"
        assert phone.fs.is_dir("/sdcard")

    async def test_and_or_lists(self, phone: Phone) -> None:
        assert await out(phone, "false && echo no || echo yes") == "yes\n"
        assert await out(phone, "true || echo no && echo yes") == "yes\n"
        assert await out(phone, "echo a; echo b # comment") == "a\nb\n"

    async def test_redirections(self, phone: Phone) -> None:
        """`>`, `>>`, `<`, `2>/dev/null`, `2>&1` and an fd-less command."""
        await sh(phone, "echo one > /sdcard/f.txt; echo two >> /sdcard/f.txt")
        assert phone.fs.read("/sdcard/f.txt") == b"one\ntwo\n"
        assert await out(phone, "cat < /sdcard/f.txt") == "one\ntwo\n"
        quiet = await sh(phone, "ls /nope 2>/dev/null")
        assert (quiet.output, quiet.exit_code) == (b"", 1)
        merged = await sh(phone, "ls /nope 2>&1")
        assert merged.stdout.startswith(b"ls: /nope")
        assert merged.stderr == b""
        await sh(phone, "> /sdcard/empty")
        assert phone.fs.read("/sdcard/empty") == b""
        failed = await sh(phone, "echo x > /nope/f")
        assert failed.exit_code == 1
        assert failed.stderr == b"/system/bin/sh: can't create /nope/f: No such file or directory\n"

    async def test_pipe(self, phone: Phone) -> None:
        assert await out(phone, "pm list packages | grep -F notes") == \
            "package:com.example.notes\n"
        assert (await sh(phone, "echo abc | grep -q x")).exit_code == 1

    async def test_unknown_command(self, phone: Phone) -> None:
        result = await sh(phone, "frobnicate --now")
        assert result.exit_code == 127
        assert result.stderr == b"/system/bin/sh: frobnicate: inaccessible or not found\n"
        assert await out(phone, "/system/bin/echo hi") == "hi\n"

    @pytest.mark.parametrize("line", ["echo 'open", "; echo", "echo a &&", "echo |"])
    async def test_syntax_errors(self, phone: Phone, line: str) -> None:
        result = await sh(phone, line)
        assert result.exit_code == 1
        assert result.stderr.startswith(b"/system/bin/sh: ")

    async def test_interleaved_output_keeps_order(self, phone: Phone) -> None:
        """v1 shows stderr and stdout in the order written; v2 keeps them apart."""
        result = await sh(phone, "echo a; ls /nope; echo b")
        assert result.output == b"a\nls: /nope: No such file or directory\nb\n"
        assert result.stdout == b"a\nb\n"

    async def test_exit_stops_the_line(self, phone: Phone) -> None:
        result = await sh(phone, "echo a; exit 3; echo b")
        assert (result.output, result.exit_code) == (b"a\n", 3)


class TestFiles:
    async def test_mkdir_touch_ls_rm(self, phone: Phone) -> None:
        await sh(phone, "mkdir -p /sdcard/a/b && touch /sdcard/a/b/c.txt")
        assert await out(phone, "ls /sdcard/a/b") == "c.txt\n"
        listing = await out(phone, "ls -l /sdcard/a/b")
        assert listing.startswith("total 4\n-rw-rw---- 1 root sdcard_rw")
        assert (await sh(phone, "rm /sdcard/a")).stderr == b"rm: /sdcard/a: Is a directory\n"
        assert (await sh(phone, "rm -rf /sdcard/a /sdcard/none")).exit_code == 0
        assert not phone.fs.exists("/sdcard/a")

    async def test_errors_as_toybox_prints_them(self, phone: Phone) -> None:
        assert (await sh(phone, "cat /nope")).stderr == b"cat: /nope: No such file or directory\n"
        assert (await sh(phone, "mkdir /sdcard")).stderr == b"mkdir: '/sdcard': File exists\n"
        assert (await sh(phone, "test -d /sdcard && [ -e /nope ]")).exit_code == 1

    async def test_identity_and_sleep(self, phone: Phone, autojump_clock: Any) -> None:
        assert await out(phone, "whoami") == "shell\n"
        assert (await out(phone, "id")).startswith("uid=2000(shell) gid=2000(shell)")
        start = trio.current_time()
        await sh(phone, "sleep 2")
        assert trio.current_time() - start == pytest.approx(2)


class TestSystem:
    async def test_props_and_settings(self, phone: Phone) -> None:
        assert await adbutils_call(phone, "getprop", "ro.product.model") == "Pixel 7"
        assert "[ro.serialno]: [sim-0001]\n" in await out(phone, "getprop")
        assert (await sh(phone, "setprop ro.serialno x")).exit_code == 1
        await sh(phone, "setprop debug.x 1")
        assert await out(phone, "getprop debug.x") == "1\n"
        await sh(phone, "settings put system screen_brightness 200")
        assert await out(phone, "settings get system screen_brightness") == "200\n"
        assert await out(phone, "settings get global nothing") == "null\n"

    async def test_window_size_and_rotation(self, phone: Phone) -> None:
        size = await adbutils_call(phone, "window_size")
        assert (size.width, size.height) == (1080, 2400)
        await sh(phone, "settings put system user_rotation 1")
        assert await adbutils_call(phone, "rotation") == 1
        size = await adbutils_call(phone, "window_size")
        assert (size.width, size.height) == (2400, 1080)

    async def test_battery_and_power(self, phone: Phone) -> None:
        battery = await adbutils_call(phone, "battery")
        assert (battery.level, battery.temperature, battery.usb_powered) == (87, 25.0, True)
        assert await adbutils_call(phone, "is_screen_on") is True

    async def test_packages(self, phone: Phone) -> None:
        packages = await adbutils_call(phone, "list_packages", ["-3"])
        assert packages == ["com.example.notes"]
        assert "com.android.settings" in await adbutils_call(phone, "list_packages")
        info = await adbutils_call(phone, "app_info", "com.example.notes")
        assert (info.version_name, info.version_code) == ("2.5.1", 20501)
        assert info.path.startswith("/data/app/~~")
        assert info.path.endswith("/base.apk")
        assert await adbutils_call(phone, "app_info", "com.nope") is None
        assert (await sh(phone, "pm path com.nope")).exit_code == 1


class TestActivities:
    async def test_view_intent_reaches_the_app(self, phone: Phone) -> None:
        result = await sh(phone, f"am start -a {VIEW} -d https://notes.example/n/1")
        assert result.stdout == (b"Starting: Intent { act=android.intent.action.VIEW"
                                 b" dat=https://notes.example/... }\n")
        assert result.exit_code == 0
        assert notes(phone).opened == ["https://notes.example/n/1"]
        current = await adbutils_call(phone, "app_current")
        assert (current.package, current.activity) == ("com.example.notes", ".MainActivity")

    async def test_unresolved_intent(self, phone: Phone) -> None:
        result = await sh(phone, f"am start -a {VIEW} -d 'myapp://x?y=1'")
        assert result.exit_code == 1
        assert result.stderr == (b"Error: Activity not started, unable to resolve Intent {"
                                 b" act=android.intent.action.VIEW dat=myapp://x?y=1"
                                 b" flg=0x10000000 }\n")
        missing = await sh(phone, "am start -n com.nope/.Main")
        assert missing.stderr == (b"Error type 3\nError: Activity class {com.nope/com.nope.Main}"
                                  b" does not exist.\n")

    async def test_start_wait_and_stop(self, phone: Phone) -> None:
        result = await out(phone, "am start -W -S -n com.example.notes/.MainActivity "
                                  "--es k v --activity-clear-top")
        assert result.startswith("Starting: Intent { flg=0x4000000 cmp=com.example.notes/"
                                 ".MainActivity (has extras) }\nStatus: ok\nLaunchState: COLD\n")
        assert result.endswith("Activity: com.example.notes/.MainActivity\nTotalTime: 412\n"
                               "WaitTime: 416\nComplete\n")
        await adbutils_call(phone, "app_stop", "com.example.notes")
        assert phone.foreground is None
        assert not notes(phone).running

    async def test_monkey_launches(self, phone: Phone) -> None:
        await adbutils_call(phone, "app_start", "com.example.notes")
        assert phone.foreground is notes(phone)
        result = await out(phone, "monkey -p com.example.notes -c "
                                  "android.intent.category.LAUNCHER 1")
        assert "Events injected: 1\n" in result
        failed = await sh(phone, "monkey -p com.nope 1")
        assert failed.exit_code == 252
        assert failed.stderr == b"** No activities found to run, monkey aborted.\n"


class TestInput:
    async def test_input_is_routed_to_the_app(self, phone: Phone) -> None:
        phone.launch("com.example.notes")
        app = notes(phone)
        await adbutils_call(phone, "click", 100, 100)
        await adbutils_call(phone, "swipe", 500, 2000, 500, 500, 0.2)
        await adbutils_call(phone, "send_keys", "hi there%sfriend")
        await adbutils_call(phone, "keyevent", "KEYCODE_ENTER")
        await sh(phone, "input keyevent 67 DEL")
        assert app.taps == ["save"]
        assert app.swipes == [(500, 2000, 500, 500)]
        assert app.typed == ["hi there friend"]
        assert app.keys == [66, 67, 67]
        await sh(phone, "input keyevent HOME")
        assert phone.foreground is None

    async def test_adb_keyboard_broadcasts(self, phone: Phone) -> None:
        """ADBKeyBoard's broadcasts type any text, even what `input text` cannot."""
        phone.launch("com.example.notes")
        encoded = base64.b64encode("héllo 🌍 'x'".encode()).decode()
        result = await out(phone, f"am broadcast -a ADB_INPUT_B64 --es msg {encoded}")
        assert result == ("Broadcasting: Intent { act=ADB_INPUT_B64 flg=0x400000 (has extras) }"
                          "\nBroadcast completed: result=0\n")
        await sh(phone, "am broadcast -a ADB_INPUT_TEXT --es msg 'a b'")
        assert notes(phone).typed == ["héllo 🌍 'x'", "a b"]


class TestScreen:
    async def test_dump_as_adbutils_runs_it(self, phone: Phone) -> None:
        phone.launch("com.example.notes")
        target = "/data/local/tmp/uidump.xml"
        result = await out(phone, f"rm -f {target}; uiautomator dump {target} && echo success")
        assert result == f"UI hierchary dumped to: {target}\nsuccess\n"
        xml = phone.fs.read(target).decode()
        assert xml.startswith("<?xml")
        assert 'resource-id="com.example.notes:id/save"' in xml
        tty = await out(phone, "uiautomator dump /dev/tty")
        assert tty == xml + "UI hierchary dumped to: /dev/tty\n"
        assert await out(phone, "uiautomator dump") == \
            "UI hierchary dumped to: /sdcard/window_dump.xml\n"

    async def test_dump_faults(self, phone: Phone, autojump_clock: Any) -> None:
        phone.faults.dump_delay = 3.0
        start = trio.current_time()
        await sh(phone, "uiautomator dump")
        assert trio.current_time() - start == pytest.approx(3.0)
        phone.faults.dump_fails = True
        result = await sh(phone, "uiautomator dump /sdcard/x.xml")
        assert result.stderr == b"ERROR: could not get idle state.\n"
        assert not phone.fs.exists("/sdcard/x.xml")

    async def test_screencap_png(self, phone: Phone) -> None:
        png = (await sh(phone, "screencap -p")).stdout
        assert Image.open(io.BytesIO(png)).size == (1080, 2400)
        await sh(phone, "screencap -p /sdcard/shot.png")
        assert phone.fs.read("/sdcard/shot.png") == png
        phone.launch("com.example.notes")
        assert (await sh(phone, "screencap -p")).stdout != png


async def test_a_screenshot_shows_what_a_tap_there_presses() -> None:
    """The screen is drawn from its UI tree: the "Edit profile" button is painted where
    the tree has it, and `input tap` at that painted place opens the screen it names."""
    phone = Phone("sim-9", apps=default_apps())
    phone.launch(TIKTOK)
    phone.tap(*phone.screen().find(resource_id=f"{TIKTOK}:id/tab_profile").bounds.center)
    button = phone.screen().find(text="Edit profile")
    assert button is not None
    png = (await sh(phone, "screencap -p")).stdout
    shot = Image.open(io.BytesIO(png)).convert("RGB")
    inside = shot.getpixel((button.bounds.left + 8, button.bounds.center[1]))
    above = shot.getpixel((button.bounds.left + 8, button.bounds.top - 8))
    assert inside != above  # the button is there, in its colour over the page's

    await sh(phone, "input tap {} {}".format(*button.bounds.center))
    fields = [n for n in phone.screen().walk() if n.cls == "android.widget.EditText"]
    assert fields  # the Edit profile screen
    assert (await sh(phone, "screencap -p")).stdout != png
    raw = (await sh(phone, "screencap")).stdout
    assert len(raw) == 16 + 1080 * 2400 * 4


async def test_round_trips_in_a_row(phone: Phone) -> None:
    """The benchmark's hot path, a tap and its exit status as adbutils' v1 shell asks,
    2,000 times on one phone: every one is answered, and answered alike.

    How fast is for `bench/simulator.py` to measure: a wall-clock budget in a unit test
    fails on a busy machine, not on a slow phone."""
    answers = [await sh(phone, "input tap 10 10; echo X4EXIT:$?") for _ in range(2000)]
    assert len(answers) == 2000
    assert {(a.output, a.exit_code) for a in answers} == {(b"X4EXIT:0\n", 0)}


async def test_simstate_shows_what_the_apps_hold() -> None:
    """`simstate` prints each social app's accounts as JSON: what scripts really did."""
    phone = Phone("sim-9", apps=default_apps())
    app = phone.apps[TIKTOK]
    assert isinstance(app, SocialApp)
    assert app.current is not None
    app.current.following.update({"bob", "alice"})
    result = await phone.shell("simstate")
    state = json.loads(result.stdout)
    tiktok = state["apps"][TIKTOK]
    assert result.exit_code == 0
    assert tiktok["current"] == app.current.username
    assert tiktok["accounts"][0]["following"] == ["alice", "bob"]
