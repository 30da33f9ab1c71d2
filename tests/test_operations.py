"""Running a farm, through the whole orchestrator on simulated phones (in its process
and behind an API process): a Prometheus scrape, and webhooks to a real receiver."""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import trio
from prometheus_client.parser import text_string_to_metric_families

from orchestrator.api import Webhooks, serve_api
from orchestrator.simulator import open_simulator

from .api.test_webhooks import Receiver
from .test_end_to_end import API_PLACES, DEADLINE, ServiceAndPhones, ended, open_farm


@API_PLACES
async def farm(tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[ServiceAndPhones]:
    async with open_simulator(3) as sim, open_farm(sim, tmp_path,
                                                   api_processes=request.param) as farm:
        yield farm


def _samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {(sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


async def test_a_scrape_of_a_farm_at_work(farm: ServiceAndPhones) -> None:
    """After two follows that work and one of a user who is gone: tasks by status, phones by state,
    the runs' durations and start lateness per script, adb calls by their first word,
    and the API's requests by route (its rule, not the path)."""
    farm.tiktok("sim-0001").world.remove_user("ghost_user")
    with trio.fail_after(DEADLINE):
        ids = await farm.follow("sim-0001", "alice", "bob", "ghost_user")
        for task_id in ids:
            await farm.wait_for(task_id, ended)
        answer = await farm.api.get("/metrics")
    assert answer.headers["content-type"].startswith("text/plain; version=")
    got = _samples(answer.text)

    def value(name: str, **labels: str) -> float:
        return got[(name, frozenset(labels.items()))]

    assert (value("orchestrator_tasks", status="completed"),
            value("orchestrator_tasks", status="failed"),
            value("orchestrator_tasks", status="pending")) == (2, 1, 0)
    assert (value("orchestrator_devices", state="device"),
            value("orchestrator_devices", state="offline")) == (3, 0)
    assert value("orchestrator_task_duration_seconds_count", script="follow") == 3
    assert value("orchestrator_task_start_lateness_seconds_count", script="follow") == 3
    assert value("orchestrator_adb_call_seconds_count", call="am") >= 3  # a URL opened each
    assert value("orchestrator_api_requests_total", method="POST", route="/api/v1/task",
                 status="200") == 1
    assert not any(name == "orchestrator_api_requests_total" and ("route", "/api/v1/task/1")
                   in labels for name, labels in got)
    assert value("process_resident_memory_bytes") > 0


async def test_webhooks_of_a_farm_at_work(tmp_path: Path) -> None:
    """`--webhook` and `--webhook-secret` on the real service: each end, signed."""
    receiver = Receiver(status=200)
    async with trio.open_nursery() as nursery:
        port = await nursery.start(functools.partial(serve_api, receiver.app(),
                                                     host="127.0.0.1", port=0))
        hooks = Webhooks(urls=(f"http://127.0.0.1:{port}/hook",), secret="k")
        async with open_simulator(2) as sim, open_farm(sim, tmp_path, webhooks=hooks) as farm:
            farm.tiktok("sim-0002").world.remove_user("ghost_user")
            with trio.fail_after(DEADLINE):
                ids = await farm.follow("sim-0002", "alice", "ghost_user")
                for task_id in ids:
                    await farm.wait_for(task_id, ended)
                while len(receiver.taken()) < 2:  # noqa: ASYNC110 (a server's state)
                    await trio.sleep(0.02)
        nursery.cancel_scope.cancel()
    sent = {}
    for headers, body in receiver.taken():
        assert headers["x-orchestrator-signature"] == (
            "sha256=" + hmac.new(b"k", body, hashlib.sha256).hexdigest())
        end = json.loads(body)
        sent[end["task"]["id"]] = (end["event"], end["task"]["serial"])
    assert sent == {ids[0]: ("task.completed", "sim-0002"), ids[1]: ("task.failed", "sim-0002")}
