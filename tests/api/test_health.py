"""`GET /health`: each part of the farm, and HTTP 503 naming the part that does not
answer (here the ADB server: nothing listens on the discard port these phones use)."""

from __future__ import annotations

from .conftest import AppAndCore


async def test_a_part_that_does_not_answer(farm: AppAndCore) -> None:
    response = await farm.api.client.get("/health")
    body = await response.get_json()
    assert response.status_code == 503
    assert response.headers["retry-after"] == "1"
    assert body["code"] == 50301
    assert (body["data"]["store"], body["data"]["scheduler"]) == ("ok", "ok")
    assert body["data"]["adb"].startswith("the ADB server at 127.0.0.1:9 does not answer: ")
    assert body["message"] == f"not healthy: adb: {body['data']['adb']}"
