"""The device watcher when its ADB server goes away and comes back: the phones go and
come back, and the log says so once each way, not once a second."""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterator

import pytest
import trio

from actors import Inbox, run_watcher, supervise
from actors.messages import DeviceDown, DeviceMsg, DeviceUp, SchedulerMsg
from orchestrator.adb_server import never_started_behind_our_back
from orchestrator.simulator import open_simulator

DEADLINE = 60  # seconds: only a hang reaches it


async def _idle_phone(inbox: Inbox[DeviceMsg]) -> None:
    async for _ in inbox:
        pass


class _When(logging.Handler):
    """Sets `event` when a line containing `text` is logged (on the trio thread)."""

    def __init__(self, text: str, event: trio.Event) -> None:
        super().__init__()
        self.text, self.event = text, event

    def emit(self, record: logging.LogRecord) -> None:
        if self.text in record.getMessage():
            self.event.set()


@pytest.fixture
def lost() -> Iterator[trio.Event]:
    """Set once the watcher logs that its ADB server does not answer."""
    event, watcher = trio.Event(), logging.getLogger("actors._watcher")
    handler = _When("no answer from the ADB server", event)
    watcher.addHandler(handler)
    yield event
    watcher.removeHandler(handler)


async def test_an_adb_server_lost_and_back(caplog: pytest.LogCaptureFixture,
                                           lost: trio.Event) -> None:
    caplog.set_level(logging.INFO, logger="actors")
    never_started_behind_our_back()  # no adb server of adbutils' own on 5037 meanwhile
    heard: trio.MemorySendChannel[SchedulerMsg]
    heard, hearing = trio.open_memory_channel[SchedulerMsg](100)

    async def scheduler(inbox: Inbox[SchedulerMsg]) -> None:
        async for msg in inbox:
            await heard.send(msg)

    async def next_news() -> DeviceUp | DeviceDown:
        while True:
            msg = await hearing.receive()
            if isinstance(msg, DeviceUp | DeviceDown):
                return msg

    with trio.fail_after(DEADLINE):
        async with trio.open_nursery() as nursery:
            address = await nursery.start(supervise, "scheduler", scheduler)
            async with open_simulator(1) as sim:
                port = sim.port
                await nursery.start(functools.partial(
                    run_watcher, adb_host=sim.host, adb_port=port, scheduler=address,
                    device_actor=lambda serial: _idle_phone))
                assert isinstance(await next_news(), DeviceUp)
            down = await next_news()
            assert isinstance(down, DeviceDown)
            assert (down.serial, down.state) == ("sim-0001", "absent")
            await lost.wait()
            async with open_simulator(1, port=port):
                while not isinstance(await next_news(), DeviceUp):
                    pass
                nursery.cancel_scope.cancel()
    lines = [r.getMessage() for r in caplog.records if r.name == "actors._watcher"]
    assert len(lines) == 3, lines  # not a line per phone besides
    assert lines[0] == f"1 phone(s) on the ADB server at 127.0.0.1:{port}"
    assert lines[1].startswith(f"no answer from the ADB server at 127.0.0.1:{port}")
    assert lines[2] == f"the ADB server at 127.0.0.1:{port} answers again, with 1 phone(s)"
