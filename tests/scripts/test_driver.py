"""`AdbDriver` against simulated phones, over the fake ADB server's real sockets."""

from __future__ import annotations

import functools
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
import trio

import scripts.driver
from orchestrator.simulator._adb_server import serve_adb_server
from orchestrator.simulator._farm import Farm
from orchestrator.simulator._phone import Phone
from orchestrator.simulator.apps import TIKTOK, SocialApp
from scripts.driver import (
    AdbDriver,
    Bounds,
    CommandFailed,
    DeviceDriver,
    DeviceLost,
    DriverTimeout,
    ElementNotFound,
    Selector,
    UiElement,
    UiTree,
)

#: Every test ends within this, whatever happens.
DEADLINE = 20
#: Each driver call's own deadline in these tests.
CALL_TIMEOUT = 2.0
NASTY = "'\"; $(rm -rf /) `id` 🎉\nline2"
PROFILE_URL = "https://www.tiktok.com/@alice_dance"

MakeDriver = Callable[[Phone], AdbDriver]


@pytest.fixture
def farm() -> Farm:
    farm = Farm()
    farm.add(2)
    return farm


@pytest.fixture
def phones(farm: Farm) -> list[Phone]:
    return list(farm)


@pytest.fixture
async def make_driver(nursery: trio.Nursery, farm: Farm) -> AsyncIterator[MakeDriver]:
    """A driver factory for the farm's phones, each driver with its own limiter.

    Before the server stops, every thread a test abandoned (a cancelled call runs on
    until its socket times out) must end: it holds its limiter until then.
    """
    port = await nursery.start(functools.partial(serve_adb_server, farm, host="127.0.0.1",
                                                 port=0))
    limiters: list[trio.CapacityLimiter] = []

    def make(phone: Phone) -> AdbDriver:
        limiters.append(trio.CapacityLimiter(1))
        return AdbDriver("127.0.0.1", port, phone.serial, limiter=limiters[-1],
                         timeout=CALL_TIMEOUT)

    yield make
    with trio.fail_after(CALL_TIMEOUT * 2):
        for limiter in limiters:
            async with limiter:
                pass


@pytest.fixture
def driver(make_driver: MakeDriver, phones: list[Phone]) -> AdbDriver:
    return make_driver(phones[0])


def tiktok(phone: Phone) -> SocialApp:
    app = phone.apps[TIKTOK]
    assert isinstance(app, SocialApp)
    return app


class TestShell:
    async def test_arguments_round_trip_through_echo(self, driver: AdbDriver) -> None:
        """Each argument reaches the phone as one word, quotes and `$()` untouched."""
        with trio.fail_after(DEADLINE):
            arg = "it's  \"quoted\"; $(id) `id` && | > /sdcard/x"
            output = await driver.shell("echo", arg, "second")
            assert (output.stdout, output.stderr, output.exit_code) == (f"{arg} second\n", "", 0)

    async def test_exit_code_and_stderr(self, driver: AdbDriver) -> None:
        with trio.fail_after(DEADLINE):
            assert (await driver.shell("false")).exit_code == 1
            output = await driver.shell("no such command")
            assert output.exit_code == 127
            assert "inaccessible or not found" in output.stderr


class TestInput:
    async def test_type_text_arrives_literally(self, driver: AdbDriver,
                                               phones: list[Phone]) -> None:
        """Quotes, `;`, `$()`, backticks, a newline and emoji land as typed."""
        with trio.fail_after(DEADLINE):
            await driver.start_app(TIKTOK)
            await driver.tap_element(await driver.wait_for(Selector(resource_id="tab_discover"),
                                                           CALL_TIMEOUT))
            field = await driver.wait_for(Selector(resource_id="search_edit_text"), CALL_TIMEOUT)
            await driver.tap_element(field)
            await driver.type_text(NASTY)
            assert phones[0].typed_text_log == [NASTY]
            typed = await driver.wait_for(Selector(resource_id="search_edit_text"), CALL_TIMEOUT)
            assert typed.text == NASTY

    async def test_long_text_is_typed_in_order(self, driver: AdbDriver,
                                               phones: list[Phone]) -> None:
        with trio.fail_after(DEADLINE):
            text = "🎉ab" * 400
            await driver.type_text(text)
            assert "".join(phones[0].typed_text_log) == text

    async def test_keys_and_swipes(self, driver: AdbDriver, phones: list[Phone]) -> None:
        with trio.fail_after(DEADLINE):
            await driver.start_app(TIKTOK)
            video = Selector(resource_id="video_view")
            before = (await driver.wait_for(video, CALL_TIMEOUT)).content_desc
            await driver.swipe(540, 1800, 540, 600, duration=0.1)
            assert (await driver.wait_for(video, CALL_TIMEOUT)).content_desc != before
            await driver.key("KEYCODE_HOME")
            assert phones[0].foreground is None


class TestApps:
    async def test_open_url_lands_on_profile(self, driver: AdbDriver,
                                             phones: list[Phone]) -> None:
        """A profile URL opens TikTok there; tapping Follow really follows."""
        with trio.fail_after(DEADLINE):
            await driver.open_url(PROFILE_URL, TIKTOK)
            assert phones[0].foreground is tiktok(phones[0])
            tree = await driver.dump_ui()
            button = tree.find(Selector(resource_id="follow_btn", text="Follow"))
            assert button is not None
            await driver.tap_element(button)
            assert tiktok(phones[0]).accounts[0].follows("alice_dance")
            await driver.wait_for(Selector(resource_id=f"{TIKTOK}:id/follow_btn",
                                           text="Following"), CALL_TIMEOUT)

    async def test_open_url_nobody_takes(self, driver: AdbDriver) -> None:
        with trio.fail_after(DEADLINE), pytest.raises(CommandFailed, match="unable to resolve"):
            await driver.open_url("https://example.com/nothing", TIKTOK)

    async def test_start_and_stop_app(self, driver: AdbDriver, phones: list[Phone]) -> None:
        with trio.fail_after(DEADLINE):
            await driver.start_app(TIKTOK)
            assert phones[0].foreground is tiktok(phones[0])
            await driver.stop_app(TIKTOK)
            assert phones[0].foreground is None
            with pytest.raises(CommandFailed, match="No activities"):
                await driver.start_app("com.example.missing")

    async def test_share_pushed_files(self, driver: AdbDriver) -> None:
        """A pushed video shared with TikTok opens its caption screen with the text."""
        with trio.fail_after(DEADLINE):
            await driver.push(b"\0\0\0\x18ftypmp42", "/sdcard/DCIM/my clip.mp4")
            await driver.share_files(TIKTOK, ["/sdcard/DCIM/my clip.mp4"], "video/mp4",
                                     text=NASTY)
            caption = await driver.wait_for(Selector(resource_id="publish_desc_edit"),
                                            CALL_TIMEOUT)
            assert caption.text == NASTY

    async def test_share_several_files(self, driver: AdbDriver, phones: list[Phone]) -> None:
        with trio.fail_after(DEADLINE):
            paths = ["/sdcard/DCIM/a,1.jpg", "/sdcard/DCIM/b.jpg"]
            for path in paths:
                await driver.push(b"\xff\xd8\xff", path)
            await driver.share_files(TIKTOK, paths, "image/*")
            await driver.wait_for(Selector(resource_id="publish_desc_edit"), CALL_TIMEOUT)
            assert phones[0].foreground is tiktok(phones[0])


class TestFiles:
    async def test_push_pull_round_trip(self, driver: AdbDriver, phones: list[Phone],
                                        tmp_path: Path) -> None:
        with trio.fail_after(DEADLINE):
            payload = bytes(range(256)) * 1000
            await driver.push(payload, "/sdcard/Download/blob.bin")
            assert phones[0].fs.read("/sdcard/Download/blob.bin") == payload
            assert await driver.pull("/sdcard/Download/blob.bin") == payload
            local = tmp_path / "local.bin"
            await trio.Path(local).write_bytes(b"from a file")
            await driver.push(local, "/sdcard/Movies/new/local.bin")
            assert await driver.pull("/sdcard/Movies/new/local.bin") == b"from a file"

    async def test_pull_missing_file(self, driver: AdbDriver) -> None:
        with trio.fail_after(DEADLINE), pytest.raises(CommandFailed):
            await driver.pull("/sdcard/nothing-here")


class TestWaitFor:
    async def test_times_out_naming_the_selector(self, driver: AdbDriver) -> None:
        with trio.fail_after(DEADLINE):
            start = trio.current_time()
            with pytest.raises(ElementNotFound, match="text='Nope'") as info:
                await driver.wait_for(Selector(text="Nope"), 0.6)
            assert 0.6 <= trio.current_time() - start < 0.6 + CALL_TIMEOUT
            assert info.value.serial == driver.serial

    async def test_failed_dumps_are_retried(self, driver: AdbDriver,
                                            phones: list[Phone]) -> None:
        """A dump that fails (a busy screen) raises, and `wait_for` dumps again."""
        with trio.fail_after(DEADLINE):
            phones[0].faults.dump_fails = True
            with pytest.raises(CommandFailed, match="idle state"):
                await driver.dump_ui()
            with pytest.raises(ElementNotFound) as info:
                await driver.wait_for(Selector(text="TikTok"), 0.5)
            assert isinstance(info.value.__cause__, CommandFailed)
            phones[0].faults.dump_fails = False
            assert (await driver.wait_for(Selector(text="TikTok"), CALL_TIMEOUT)).clickable


class TestFaults:
    async def test_hung_phone_times_out_while_another_works(
            self, make_driver: MakeDriver, phones: list[Phone]) -> None:
        """The hung phone raises DriverTimeout at its deadline; the other is not held up."""
        hung, healthy = make_driver(phones[0]), make_driver(phones[1])
        phones[0].faults.hang = ""
        answers: list[str] = []

        async def keep_working() -> None:
            for i in range(5):
                answers.append((await healthy.shell("echo", str(i))).stdout)

        with trio.fail_after(DEADLINE):
            async with trio.open_nursery() as nursery:
                nursery.start_soon(keep_working)
                start = trio.current_time()
                with pytest.raises(DriverTimeout, match=phones[0].serial):
                    await hung.shell("echo", "never")
                assert CALL_TIMEOUT <= trio.current_time() - start < CALL_TIMEOUT + 1
            assert answers == [f"{i}\n" for i in range(5)]

    async def test_unplugged_phone_is_lost(self, make_driver: MakeDriver, farm: Farm,
                                           phones: list[Phone]) -> None:
        with trio.fail_after(DEADLINE):
            driver = make_driver(phones[0])
            farm.unplug(phones[0].serial)
            with pytest.raises(DeviceLost):
                await driver.shell("echo", "hi")
            with pytest.raises(DeviceLost):
                await driver.pull("/sdcard/Download")

    async def test_disconnect_mid_command_is_lost(self, driver: AdbDriver,
                                                  phones: list[Phone]) -> None:
        with trio.fail_after(DEADLINE):
            phones[0].faults.disconnect_on = "echo"
            with pytest.raises(DeviceLost):
                await driver.shell("echo", "hi")

    async def test_offline_phone_is_lost(self, driver: AdbDriver, phones: list[Phone]) -> None:
        with trio.fail_after(DEADLINE):
            phones[0].state = "offline"
            with pytest.raises(DeviceLost, match="offline"):
                await driver.dump_ui()


XML = ("<?xml version='1.0' encoding='UTF-8' standalone='yes' ?><hierarchy rotation=\"1\">"
       '<node index="0" text="" resource-id="" class="android.widget.FrameLayout" package="p"'
       ' content-desc="" clickable="false" enabled="true" bounds="[0,0][1080,2400]">'
       '<node index="0" text="Follow back" resource-id="p:id/follow_btn"'
       ' class="android.widget.Button" package="p" content-desc="Follow"'
       ' clickable="true" enabled="false" bounds="[100,200][301,251]" /></node></hierarchy>')


class TestSelector:
    def test_tree_parses_nodes_in_document_order(self) -> None:
        tree = UiTree.from_xml(XML)
        assert tree.rotation == 1
        assert [e.class_name for e in tree] == ["android.widget.FrameLayout",
                                                "android.widget.Button"]
        button = tree.elements[1]
        assert button.bounds == Bounds(100, 200, 301, 251)
        assert button.center == (200, 225)
        assert (button.clickable, button.enabled) == (True, False)

    def test_element_from_xml(self) -> None:
        node = ET.fromstring('<node text="hi" bounds="[1,2][3,4]" />')
        element = UiElement.from_xml(node)
        assert (element.text, element.bounds, element.resource_id) == ("hi", Bounds(1, 2, 3, 4),
                                                                       "")

    @pytest.mark.parametrize(("fields", "found"), [
        ({"resource_id": "follow_btn"}, True),
        ({"resource_id": "p:id/follow_btn"}, True),
        ({"resource_id": "q:id/follow_btn"}, False),
        ({"resource_id": "btn"}, False),
        ({"text": "Follow"}, False),
        ({"text_contains": "Follow"}, True),
        ({"content_desc": "Follow", "class_name": "android.widget.Button"}, True),
        ({"content_desc": "Follow", "class_name": "android.widget.TextView"}, False),
    ])
    def test_every_given_field_must_match(self, fields: dict[str, str], found: bool) -> None:
        tree = UiTree.from_xml(XML)
        selector = Selector.from_mapping(fields)
        assert (tree.find(selector) is not None) is found
        assert len(tree.find_all(selector)) == int(found)

    def test_from_mapping_rejects_unknown_fields(self) -> None:
        with pytest.raises(ValueError, match="unknown selector field"):
            Selector.from_mapping({"id": "x"})
        with pytest.raises(TypeError, match="must be a string"):
            Selector.from_mapping({"text": 3})

    def test_needs_a_field(self) -> None:
        with pytest.raises(ValueError, match="at least one"):
            Selector()

    def test_str_names_given_fields(self) -> None:
        assert str(Selector(text="a", class_name="b")) == "{text='a', class_name='b'}"

    def test_not_a_hierarchy(self) -> None:
        with pytest.raises(ValueError, match="not a UI hierarchy"):
            UiTree.from_xml("<html/>")


async def test_adb_driver_is_a_device_driver(driver: AdbDriver, phones: list[Phone]) -> None:
    """Checked by mypy: `AdbDriver` has every method of the protocol scripts use."""
    protocol: DeviceDriver = driver
    assert protocol.serial == phones[0].serial


def test_exports() -> None:
    assert scripts.driver.__all__ == sorted(scripts.driver.__all__)
    assert all(hasattr(scripts.driver, name) for name in scripts.driver.__all__)
