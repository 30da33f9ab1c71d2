"""One set of adbutils calls, run against both front ends: the fake ADB server, and the
real adb server with the same simulated phones attached over the device transport.

Whatever passes here behaves as adbutils expects from real phones on a real server,
and the fake server is held to what the real one does with the same phones.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path
from xml.etree import ElementTree

import pytest
import trio
from adbutils import DeviceEvent

from orchestrator.simulator._transport import AdbServerError, adb_server_request

from .conftest import PHONES, FrontEnd

TIMEOUT = 30
LAUNCHER = "com.google.android.apps.nexuslauncher"


def first(front: FrontEnd) -> str:
    return next(iter(front.farm)).serial


async def test_server_version(front: FrontEnd) -> None:
    """Both answer 41, what the adb client expects (or it restarts the server)."""
    with trio.fail_after(TIMEOUT):
        assert await front.call(front.client.server_version) == 41


async def test_device_list_and_state(front: FrontEnd) -> None:
    with trio.fail_after(TIMEOUT):
        infos = await front.call(front.client.list)
        expected = {(front.serial(phone.serial), "device") for phone in front.farm}
        assert {(info.serial, info.state) for info in infos} == expected
        assert len(await front.call(front.client.device_list)) == PHONES
        device = front.device(first(front))
        assert await front.call(device.get_state) == "device"
        assert await front.call(device.get_serialno) == front.serial(first(front))


async def test_device_list_long(front: FrontEnd) -> None:
    with trio.fail_after(TIMEOUT):
        infos = await front.call(front.client.list, extended=True)
        info = next(i for i in infos if i.serial == front.serial(first(front)))
        assert info.tags["model"] == "Pixel_7"
        assert info.tags["product"] == info.tags["device"] == "pixel_7"
        assert info.transport_id is not None


@pytest.mark.parametrize("state", ["unauthorized", "offline"])
async def test_state_changes_are_listed(front: FrontEnd, state: str) -> None:
    """A phone that turns unauthorized or offline is listed so, and refused with the same text.

    The refusal is read with a raw request: adbutils leaks its socket when a
    transport request FAILs, which the warnings-as-errors run would report.
    """
    with trio.fail_after(TIMEOUT):
        phone = next(iter(front.farm))
        serial = front.serial(phone.serial)

        phone.state = state  # type: ignore[assignment]
        # Polled: the real server does not announce a turn to unauthorized on
        # track-devices (its auth code changes the state without notifying).
        while True:
            infos = await front.call(front.client.list)
            if (serial, state) in {(info.serial, info.state) for info in infos}:
                break
            await trio.sleep(0.05)
        with pytest.raises(AdbServerError) as refused:
            await adb_server_request(front.port, f"host-serial:{serial}:get-state")
        assert str(refused.value).startswith(f"device {state}")


async def test_getprop(front: FrontEnd) -> None:
    with trio.fail_after(TIMEOUT):
        device = front.device(first(front))
        assert await front.call(device.getprop, "ro.product.model") == "Pixel 7"
        assert await front.call(lambda: device.prop.model) == "Pixel 7"
        assert await front.call(device.getprop, "ro.serialno") == first(front)


async def test_shell_v1(front: FrontEnd) -> None:
    with trio.fail_after(TIMEOUT):
        device = front.device(first(front))
        assert await front.call(device.shell, "echo hello") == "hello"
        assert await front.call(device.shell, "echo a; echo b") == "a\nb"
        result = await front.call(device.shell2, "nosuchcmd")
        assert result.returncode == 127
        assert "nosuchcmd: inaccessible or not found" in result.output


async def test_shell_v2(front: FrontEnd) -> None:
    """shell,v2 keeps stdout and stderr apart and carries the exit code."""
    with trio.fail_after(TIMEOUT):
        device = front.device(first(front))
        result = await front.call(device.shell2, "echo hello", v2=True)
        assert (result.returncode, result.stdout, result.stderr) == (0, "hello\n", "")
        result = await front.call(device.shell2, "nosuchcmd", v2=True)
        assert result.returncode == 127
        assert result.stdout == ""
        assert "nosuchcmd: inaccessible or not found" in result.stderr


async def test_sync_push_stat_list_pull(front: FrontEnd, tmp_path: Path) -> None:
    """A 300 KB file goes out and back in several DATA chunks, byte for byte."""
    with trio.fail_after(TIMEOUT):
        device = front.device(first(front))
        payload = os.urandom(300 * 1024 + 17)
        remote = "/sdcard/Download/blob.bin"
        assert await front.call(device.sync.push, payload, remote) == len(payload)
        info = await front.call(device.sync.stat, remote)
        assert info.size == len(payload)
        assert stat.S_ISREG(info.mode)
        names = [entry.path for entry in await front.call(device.sync.list, "/sdcard/Download")]
        assert "blob.bin" in names
        assert await front.call(device.sync.read_bytes, remote) == payload
        local = tmp_path / "blob.bin"
        assert await front.call(device.sync.pull, remote, local) == len(payload)
        assert await trio.Path(local).read_bytes() == payload
        assert next(iter(front.farm)).fs.read(remote) == payload


async def test_screen_queries(front: FrontEnd) -> None:
    with trio.fail_after(TIMEOUT):
        device = front.device(first(front))
        assert tuple(await front.call(device.window_size)) == (1080, 2400)
        assert await front.call(device.rotation) == 0
        current = await front.call(device.app_current)
        assert current.package == LAUNCHER


async def test_input_reaches_the_phone(front: FrontEnd) -> None:
    """A tap on a launcher icon opens its app, HOME closes it, typed text arrives."""
    with trio.fail_after(TIMEOUT):
        phone = next(iter(front.farm))
        device = front.device(phone.serial)
        screen = ElementTree.fromstring(await front.call(device.dump_hierarchy))
        icon = next(node for node in screen.iter("node") if node.get("clickable") == "true")
        left, top, right, bottom = map(int, re.findall(r"\d+", icon.attrib["bounds"]))
        await front.call(device.click, (left + right) // 2, (top + bottom) // 2)
        opened = await front.call(device.app_current)
        assert phone.foreground is not None
        assert opened.package == phone.foreground.package
        assert opened.package != LAUNCHER
        await front.call(device.keyevent, "KEYCODE_HOME")
        assert (await front.call(device.app_current)).package == LAUNCHER
        await front.call(device.send_keys, "hello")
        assert phone.typed_text_log[-1] == "hello"


async def test_dump_hierarchy(front: FrontEnd) -> None:
    with trio.fail_after(TIMEOUT):
        xml = await front.call(front.device(first(front)).dump_hierarchy)
        assert xml.startswith("<?xml")
        assert "<hierarchy" in xml


async def test_screenshot(front: FrontEnd) -> None:
    with trio.fail_after(TIMEOUT):
        image = await front.call(front.device(first(front)).screenshot, error_ok=False)
        assert image.size == (1080, 2400)


async def test_track_devices_sees_phones_go_and_come(front: FrontEnd) -> None:
    with trio.fail_after(TIMEOUT):
        gone = front.serial(first(front))
        events = await front.watch_devices(lambda e: e.serial == gone and not e.present,
                                           lambda: front.farm.unplug(first(front)))
        assert {e.serial for e in events if e.present} >= {gone}
        assert events[-1] == DeviceEvent(False, gone, "absent")
        infos = await front.call(front.client.list)
        assert gone not in {info.serial for info in infos}

        before = {front.serial(phone.serial) for phone in front.farm}
        added: list[str] = []

        def plug_one() -> None:
            added.extend(phone.serial for phone in front.farm.add(1))

        def came(event: DeviceEvent) -> bool:
            return event.present and event.status == "device" and event.serial not in before

        events = await front.watch_devices(came, plug_one)
        assert events[-1].serial == front.serial(added[0])
