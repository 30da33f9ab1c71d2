"""`GET /license/check`, the plans' gate, and `GET /devices`."""

from __future__ import annotations

import socket

import pytest

from actors import TaskStatus
from orchestrator.plans import PLANS, Plan, default_plan, plan_named

from .conftest import Api, AppAndCore


async def test_default_plan_limits_nothing(api: Api) -> None:
    answer = await api("GET", "license/check")
    assert answer.data == {"plan_name": "Unlimited", "api_enabled": True,
                           "device_limit": 1_000_000, "message": "API access enabled"}


class TestPlans:
    def test_product_plans(self) -> None:
        assert [(p.name, p.api_enabled, p.device_limit) for p in PLANS.values()] == [
            ("Starter", False, 5), ("Pro", True, 20), ("Team", True, 50),
            ("Business", True, 100), ("Unlimited", True, 1_000_000)]
        assert default_plan() is plan_named("UNLIMITED")

    def test_unknown_plan(self) -> None:
        with pytest.raises(ValueError, match="unknown plan 'gold'; choose one of Starter, Pro"):
            plan_named("gold")


class TestPro:
    @pytest.fixture
    def plan(self) -> Plan:
        return plan_named("pro")

    async def test_license(self, api: Api) -> None:
        """The overview page's example answer."""
        answer = await api("GET", "license/check")
        assert answer.data == {"plan_name": "Pro", "api_enabled": True, "device_limit": 20,
                               "message": "API access enabled"}


class TestStarter:
    @pytest.fixture
    def plan(self) -> Plan:
        return plan_named("starter")

    @pytest.mark.parametrize(("method", "path"), [
        ("GET", "license/check"), ("GET", "task"), ("POST", "task"), ("GET", "task/1"),
        ("DELETE", "task/batch"), ("GET", "task/stats"), ("POST", "task/retry-all"),
        ("GET", "devices"), ("GET", "nowhere"), ("PUT", "task/stats")])
    async def test_every_api_route_forbidden(self, api: Api, method: str, path: str) -> None:
        """Every `/api/v1` route answers 40301; the data says which plan is configured."""
        answer = await api(method, path, {"serials": ["s1"]})
        assert (answer.status, answer.code) == (403, 40301)
        assert answer.message.startswith("API access requires a Pro, Team or Business plan")
        assert answer.data == {"plan_name": "Starter", "api_enabled": False,
                               "device_limit": 5, "message": answer.message}

    async def test_outside_the_api(self, api: Api) -> None:
        assert (await api("GET", "/nothing")).code == 40401


async def test_devices(farm: AppAndCore) -> None:
    """Online phones, the task each runs, and phones that are offline but have work."""
    assert (await farm.api("GET", "devices")).data == {"devices": [], "total": 0}
    await farm.plug("s1", model="Pixel 7")
    (held,) = await farm.api.create(["s1"], ["a"], config={"outcome": "hold"})
    await farm.wait_status(held, TaskStatus.RUNNING)
    await farm.api.create(["s1", "s9"], ["b"])
    await farm.api("POST", "groups", {"name": "shelf", "serials": ["s9", "s1"]})
    await farm.api("POST", "groups", {"name": "odd", "serials": ["s9"]})
    answer = await farm.api("GET", "devices")
    host = socket.gethostname()
    assert answer.data == {"total": 2, "devices": [
        {"serial": "s1", "state": "device", "model": "Pixel 7", "host": host,
         "groups": ["shelf"], "current_task_id": held, "pending_count": 1},
        {"serial": "s9", "state": "absent", "model": "", "host": host,
         "groups": ["shelf", "odd"], "current_task_id": None, "pending_count": 1}]}
