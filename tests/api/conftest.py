"""The facade on real parts: a SQLite store in tmp_path, the real scheduler actor, and
real device actors whose task runner does what each task's config asks (an unknown
`outcome` key, which the scripts keep)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path
from typing import Any

import attrs
import pytest
import trio
from quart.typing import TestClientProtocol
from quart_trio import QuartTrio

from actors import (
    Address,
    EventLog,
    SchedulerSettings,
    Task,
    TaskFailed,
    TaskStatus,
    WallClock,
    run_device,
    serve_scheduler,
    supervise,
)
from actors.messages import DeviceUp, GetDevice, SchedulerMsg
from orchestrator.api import API_PREFIX, Phones, create_app, schedule_planner, serve_api
from orchestrator.plans import Plan, default_plan
from orchestrator.store import Store, open_sqlite_store
from scripts import HostFiles, MaterialLibrary, RunningSteps, RunResult, StepLog
from tests._phones import answering

DEADLINE = 10.0  # seconds, for every request and every wait of these tests
NO_RETRY = SchedulerSettings(auto_retry=False)


async def run_task(task: Task, steps: StepLog) -> RunResult:
    """The test phones' script: `outcome` "hold" runs until stopped, "fail" fails."""
    match task.script_config.get("outcome"):
        case "hold":
            await trio.sleep_forever()
        case "fail":
            raise TaskFailed("profile @ghost not found")
    return RunResult(remark="followed 1 user", data={"followed": 1})


@attrs.frozen(kw_only=True)
class Answer:
    """One HTTP answer, its envelope taken apart."""

    status: int
    code: int
    message: str
    data: Any
    headers: Mapping[str, str] = attrs.field(factory=dict, eq=False)


@attrs.frozen(kw_only=True)
class Api:
    """Requests to the app through Quart's test client; paths are below `/api/v1/`
    unless they start with `/`."""

    client: TestClientProtocol

    async def __call__(self, method: str, path: str, body: object = None, *,
                       raw: bytes | None = None,
                       query: Mapping[str, str | int] | None = None,
                       headers: Mapping[str, str] | None = None) -> Answer:
        url = path if path.startswith("/") else f"{API_PREFIX}/{path}"
        payload: dict[str, Any] = ({"data": raw} if raw is not None
                                   else {} if body is None else {"json": body})
        with trio.fail_after(DEADLINE):
            response = await self.client.open(url, method=method,
                                              query_string=dict(query or {}),
                                              headers=dict(headers or {}), **payload)
            assert response.mimetype == "application/json"
            envelope = await response.get_json()
        assert set(envelope) == {"code", "message", "data"}, envelope
        return Answer(status=response.status_code, headers=response.headers, **envelope)

    async def create(self, serials: list[str], targets: list[str], **extra: Any) -> list[int]:
        """Create follow tasks (one per device and target); their ids."""
        config = {"target_users": targets, **extra.pop("config", {})}
        answer = await self("POST", "task", {"serials": serials, "script_name": "follow",
                                             "script_config": config, **extra})
        assert answer.code == 0, answer
        ids: list[int] = answer.data["task_ids"]
        return ids


@attrs.frozen(kw_only=True)
class AppAndCore:
    """The app (through its test client) and the core behind it: the store, the scheduler,
    and the device actors that `plug` starts."""

    api: Api
    store: Store
    scheduler: Address[SchedulerMsg]
    events: EventLog
    #: Screens and input: of an ADB server that is not there (these phones are actors
    #: alone); tests of screens run a simulator.
    phones: Phones
    clock: WallClock
    materials: MaterialLibrary
    #: What tasks may read: `tmp_path` is the data folder (its database excluded).
    host_files: HostFiles
    nursery: trio.Nursery

    def app(self, **changes: Any) -> QuartTrio:
        """Another app on this core, as the service makes one (the default plan), with
        `changes` to what it is given (another scheduler, store, plan, clock, access)."""
        given: dict[str, Any] = {
            "scheduler": self.scheduler, "events": self.events, "running": RunningSteps(),
            "phones": self.phones,
            "store": self.store, "plan": default_plan(), "clock": self.clock,
            "materials": self.materials}
        return create_app(**(given | changes))

    async def serve(self, app: QuartTrio) -> str:
        """`app` on a loopback port of its own, until the test ends; its URL."""
        port = await self.nursery.start(partial(serve_api, app, host="127.0.0.1", port=0))
        return f"http://127.0.0.1:{port}"

    async def plug(self, serial: str, model: str = "Pixel 7") -> None:
        """A phone comes online: its device actor starts and the scheduler has heard of it
        (it answers a question asked after, in order)."""
        address = await self.nursery.start(partial(
            supervise, f"device {serial}",
            partial(run_device, serial=serial, runner=run_task, answers=answering,
                    scheduler=self.scheduler, clock=self.clock)))
        await self.scheduler.send(DeviceUp(serial=serial, model=model, address=address))
        await self.scheduler.request(lambda reply: GetDevice(serial=serial, reply=reply),
                                     timeout=DEADLINE)

    async def wait_status(self, task_id: int, status: TaskStatus) -> Task:
        """The task once it has `status` (bounded: worker threads do the writes)."""
        with trio.fail_after(DEADLINE):
            while True:
                task = await self.store.get_task(task_id)
                if task is not None and task.status == status:
                    return task
                await trio.sleep(0.005)


async def answer_head(url: str, request: bytes) -> bytes:
    """The status line and headers the server at `url` (`http://host:port`, any path
    after it ignored) answers to the raw bytes `request`, sent as they are."""
    host, _, port = url.removeprefix("http://").partition("/")[0].rpartition(":")
    with trio.fail_after(DEADLINE):
        stream = await trio.open_tcp_stream(host, int(port))
        async with stream:
            await stream.send_all(request)
            head = b""
            while b"\r\n\r\n" not in head:
                head += await stream.receive_some()
    return head.partition(b"\r\n\r\n")[0]


@pytest.fixture
def plan() -> Plan:
    return default_plan()


@asynccontextmanager
async def open_farm(tmp_path: Path, plan: Plan, *, clock: WallClock | None = None,
                    settings: SchedulerSettings = NO_RETRY,
                    inline: bool = False) -> AsyncIterator[AppAndCore]:
    """The core and its app as the service wires them, on a SQLite store in `tmp_path`
    (`inline`: it answers in virtual time), without phones until `plug`."""
    async with open_sqlite_store(tmp_path / "tasks.db", inline=inline) as store, \
            trio.open_nursery() as nursery:
        clock = clock or WallClock()
        events = EventLog()
        host_files = HostFiles.of(tmp_path, private=[tmp_path / "tasks.db"])
        scheduler = await nursery.start(partial(
            serve_scheduler, store=store, clock=clock, events=events, settings=settings,
            planner=schedule_planner(store=store, host_files=host_files)))
        materials = MaterialLibrary(tmp_path / "materials")
        phones = Phones({}, servers=[("127.0.0.1", 9)])  # the discard port: no ADB server
        app = create_app(scheduler=scheduler, events=events, running=RunningSteps(),
                         phones=phones, store=store,
                         plan=plan, clock=clock, materials=materials, host_files=host_files)
        yield AppAndCore(api=Api(client=app.test_client()), store=store, scheduler=scheduler,
                         events=events, phones=phones,
                         clock=clock, materials=materials, host_files=host_files,
                         nursery=nursery)
        nursery.cancel_scope.cancel(reason="test over")


@pytest.fixture
async def farm(tmp_path: Path, plan: Plan) -> AsyncIterator[AppAndCore]:
    async with open_farm(tmp_path, plan) as farm:
        yield farm


@pytest.fixture
def api(farm: AppAndCore) -> Api:
    return farm.api
