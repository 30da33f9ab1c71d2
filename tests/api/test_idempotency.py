"""`Idempotency-Key` on the creating routes, on real parts (the store, the scheduler, the
device actors): a repeat answers the first answer and creates nothing; another request
with the key is 40001; errors are not kept; two at once create once; a key expires after
24 h; the answers outlive the process that kept them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path
from typing import Any

import pytest
import trio

from actors import (
    Address,
    NewTask,
    SchedulerSettings,
    Task,
    TaskFilter,
    WallClock,
    serve_scheduler,
)
from actors.messages import SchedulerMsg
from orchestrator.accounts import AccountFilter
from orchestrator.api._idempotency import KEEP_SECONDS, MAX_KEY_LENGTH
from orchestrator.store import Store, open_sqlite_store

from .conftest import DEADLINE, Answer, Api, AppAndCore
from .test_materials import multipart, stored

KEY = {"Idempotency-Key": "order-7f3a"}
FOLLOW = {"serials": ["p1", "p2"], "script_name": "follow",
          "script_config": {"target_users": ["alice"]}}


async def task_ids(store: Store) -> list[int]:
    tasks, _ = await store.list_tasks(TaskFilter(), offset=0, limit=100, newest_first=False)
    return [task.id for task in tasks]


@asynccontextmanager
async def app_at(farm: AppAndCore, *, wall: float | None = None, store: Store | None = None,
                 scheduler: Address[SchedulerMsg] | None = None) -> AsyncIterator[Api]:
    """Another app of the farm (another process, as a restart makes one), its wall clock
    at `wall` (default: now), on `store` and `scheduler` (default: the farm's)."""
    app = farm.app(scheduler=scheduler or farm.scheduler, store=store or farm.store,
                   clock=WallClock(wall))
    yield Api(client=app.test_client())


class Holding:
    """A store whose `create_tasks` holds on once it has written, until `resume` is set:
    the request that asked for the tasks then surely waits for the scheduler's answer."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self.created = trio.Event()
        self.resume = trio.Event()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    async def create_tasks(self, tasks: Sequence[NewTask], *, created_at: float) -> list[Task]:
        written = await self._store.create_tasks(tasks, created_at=created_at)
        self.created.set()
        await self.resume.wait()
        return written


class TestRepeat:
    async def test_answers_the_first_answer(self, farm: AppAndCore) -> None:
        """The same request with the same key: the same status and body, no new tasks;
        without the key, a repeat creates anew."""
        first = await farm.api("POST", "task", FOLLOW, headers=KEY)
        assert (first.status, first.code, first.data["created_count"]) == (200, 0, 2)
        again = await farm.api("POST", "task", FOLLOW, headers=KEY)
        assert again == first
        assert await task_ids(farm.store) == first.data["task_ids"]
        unkeyed = await farm.api("POST", "task", FOLLOW)
        assert len(await task_ids(farm.store)) == 4
        assert unkeyed.data["task_ids"] != first.data["task_ids"]

    async def test_a_key_is_per_route(self, farm: AppAndCore) -> None:
        """The key of a task request is free on another route."""
        await farm.api("POST", "task", FOLLOW, headers=KEY)
        account = await farm.api("POST", "accounts", {"username": "alice"}, headers=KEY)
        assert (account.code, account.data["username"]) == (0, "alice")

    async def test_another_request_with_the_key_is_refused(self, farm: AppAndCore) -> None:
        """The same key with another body is the caller's mistake: 40001 naming the header,
        nothing created; the first answer stays the key's."""
        first = await farm.api("POST", "task", FOLLOW, headers=KEY)
        other = await farm.api("POST", "task", {**FOLLOW, "serials": ["p3"]}, headers=KEY)
        assert (other.status, other.code) == (400, 40001)
        assert other.message.startswith("Idempotency-Key: 'order-7f3a' was used for another"
                                        " request to POST /api/v1/task"), other.message
        assert await task_ids(farm.store) == first.data["task_ids"]
        assert await farm.api("POST", "task", FOLLOW, headers=KEY) == first

    @pytest.mark.parametrize("key", ["", "x" * (MAX_KEY_LENGTH + 1), "caf\u00e9", "tab\there"])
    async def test_a_bad_key_is_refused(self, farm: AppAndCore, key: str) -> None:
        answer = await farm.api("POST", "task", FOLLOW, headers={"Idempotency-Key": key})
        assert (answer.status, answer.code) == (400, 40001)
        assert answer.message.startswith("Idempotency-Key: "), answer.message
        assert await task_ids(farm.store) == []

    async def test_the_longest_key(self, farm: AppAndCore) -> None:
        key = {"Idempotency-Key": "~ " * (MAX_KEY_LENGTH // 2) + "!"}
        first = await farm.api("POST", "task", FOLLOW, headers=key)
        assert first.code == 0, first
        assert await farm.api("POST", "task", FOLLOW, headers=key) == first


class TestNotKept:
    async def test_an_error_is_not_kept(self, farm: AppAndCore) -> None:
        """A refused request may be sent again with its key, as it was (refused again) or
        fixed (then done, and kept)."""
        broken = {**FOLLOW, "script_config": {}}
        for _ in range(2):
            refused = await farm.api("POST", "task", broken, headers=KEY)
            assert refused.code == 40001
            assert "target" in refused.message, refused.message
        fixed = await farm.api("POST", "task", FOLLOW, headers=KEY)
        assert fixed.code == 0
        assert await farm.api("POST", "task", FOLLOW, headers=KEY) == fixed
        assert await task_ids(farm.store) == fixed.data["task_ids"]


class TestAtOnce:
    async def test_two_at_once_create_once(self, farm: AppAndCore) -> None:
        """Two requests with one key at the same time: the second waits for the first and
        answers its answer."""
        answers: list[Answer] = []

        async def send() -> None:
            answers.append(await farm.api("POST", "task", FOLLOW, headers=KEY))

        async with trio.open_nursery() as nursery:
            nursery.start_soon(send)
            nursery.start_soon(send)
        first, second = answers
        assert first.code == 0
        assert second == first
        assert await task_ids(farm.store) == first.data["task_ids"]

    async def test_a_client_gone_mid_request_still_gets_its_answer_kept(
            self, farm: AppAndCore) -> None:
        """A client that gives up (Quart cancels its request) while the scheduler has
        created its tasks and not yet answered: the request still ends, its answer kept,
        and the client's retry creates nothing."""
        holding = Holding(farm.store)
        scheduler = await farm.nursery.start(partial(
            serve_scheduler, store=holding, clock=farm.clock,
            settings=SchedulerSettings(auto_retry=False)))
        async with app_at(farm, scheduler=scheduler) as api:
            with trio.fail_after(DEADLINE), trio.CancelScope() as gone:
                async with trio.open_nursery() as nursery:
                    nursery.start_soon(partial(api, "POST", "task", FOLLOW, headers=KEY))
                    await holding.created.wait()
                    gone.cancel()
                    holding.resume.set()
            created = await task_ids(farm.store)
            retry = await api("POST", "task", FOLLOW, headers=KEY)
        assert (retry.code, retry.data["task_ids"]) == (0, created)
        assert await task_ids(farm.store) == created


class TestTime:
    async def test_a_key_expires_after_24_hours(self, farm: AppAndCore) -> None:
        """Answered again up to 24 h after the first answer; after that, a new request."""
        first = await farm.api("POST", "task", FOLLOW, headers=KEY)
        now = farm.clock.now()
        async with app_at(farm, wall=now + KEEP_SECONDS - 60) as api:
            assert await api("POST", "task", FOLLOW, headers=KEY) == first
        async with app_at(farm, wall=now + KEEP_SECONDS + 60) as api:
            later = await api("POST", "task", FOLLOW, headers=KEY)
        assert later.code == 0
        assert await task_ids(farm.store) == [*first.data["task_ids"],
                                                  *later.data["task_ids"]]

    async def test_answers_outlive_the_process(self, farm: AppAndCore, tmp_path: Path) -> None:
        """A new process (its app, its store opened anew) answers a key kept before it."""
        first = await farm.api("POST", "task", FOLLOW, headers=KEY)
        async with open_sqlite_store(tmp_path / "tasks.db") as reopened, \
                app_at(farm, store=reopened) as api:
            assert await api("POST", "task", FOLLOW, headers=KEY) == first
        assert await task_ids(farm.store) == first.data["task_ids"]


class TestOtherRoutes:
    async def test_create_account(self, farm: AppAndCore) -> None:
        """A repeat answers the account created (without the key: its name is taken)."""
        first = await farm.api("POST", "accounts", {"username": "alice"}, headers=KEY)
        assert first.code == 0
        assert await farm.api("POST", "accounts", {"username": "alice"}, headers=KEY) == first
        taken = await farm.api("POST", "accounts", {"username": "alice"})
        assert taken.code == 40001

    @pytest.mark.parametrize(("body", "mimetype"), [
        (b'[{"username": "a"}, {"username": "b"}]', "application/json"),
        (b"username,device\na,p1\nb,p2\n", "text/csv"),
    ])
    async def test_import_accounts(self, farm: AppAndCore, body: bytes, mimetype: str) -> None:
        keyed = {**KEY, "Content-Type": mimetype}
        first = await farm.api("POST", "accounts/import", raw=body, headers=keyed)
        assert (first.code, first.data["imported_count"]) == (0, 2)
        assert await farm.api("POST", "accounts/import", raw=body, headers=keyed) == first
        _, total = await farm.store.accounts.list_accounts(AccountFilter(), offset=0, limit=10)
        assert total == 2

    async def test_upload(self, farm: AppAndCore, tmp_path: Path) -> None:
        """The same form again (sent with another boundary, as every sending picks its
        own) answers the first answer and stores nothing: not even with `replace`; other
        files with the key are 40001."""
        form = {"tag": "cats", "replace": "1"}

        async def upload(*files: tuple[str, bytes]) -> Answer:
            body, headers = multipart(*files, **form)
            return await farm.api("POST", "materials", raw=body, headers={**headers, **KEY})

        first = await upload(("a.mp4", b"first"), ("b.jpg", b"photo"))
        assert (first.code, first.data["uploaded_count"]) == (0, 2)
        files = stored(tmp_path)
        clip = tmp_path / "materials" / "cats" / "a.mp4"
        clip.write_bytes(b"edited since")
        assert await upload(("a.mp4", b"first"), ("b.jpg", b"photo")) == first
        assert clip.read_bytes() == b"edited since"
        other = await upload(("a.mp4", b"other"), ("b.jpg", b"photo"))
        assert (other.code, other.message.split(":")[0]) == (40001, "Idempotency-Key")
        assert stored(tmp_path) == files

    async def test_documented(self, farm: AppAndCore) -> None:
        """The OpenAPI document has the header on the creating routes, and there only."""
        response = await farm.api.client.get("/api/v1/openapi.json")
        document: dict[str, Any] = await response.get_json()
        keyed = {(method, path) for path, operations in document["paths"].items()
                 for method, operation in operations.items()
                 if any(parameter["name"] == "Idempotency-Key"
                        for parameter in operation.get("parameters", ()))}
        assert keyed == {("post", "/api/v1/task"), ("post", "/api/v1/accounts"),
                         ("post", "/api/v1/accounts/import"), ("post", "/api/v1/materials"),
                         ("post", "/api/v1/groups"), ("post", "/api/v1/schedules")}
