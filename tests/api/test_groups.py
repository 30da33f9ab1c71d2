"""The `/groups` routes: create, list, one, change some fields, delete; a caller's
mistake is a 40001 naming the field."""

from __future__ import annotations

from .conftest import Api


async def test_a_group_from_creation_to_deletion(api: Api) -> None:
    made = await api("POST", "groups", {"name": " Shelf A ", "serials": ["s2", "s1", "s2"],
                                        "description": "top row"})
    assert made.code == 0, made
    group = made.data
    assert group == {"id": group["id"], "name": "Shelf A", "serials": ["s2", "s1"],
                     "description": "top row"}
    assert (await api("GET", f"groups/{group['id']}")).data == group
    listed = (await api("GET", "groups")).data
    assert listed == {"groups": [group], "total": 1}

    changed = await api("PUT", f"groups/{group['id']}", {"serials": ["s3"]})
    assert changed.data == {**group, "serials": ["s3"]}
    renamed = await api("PUT", f"groups/{group['id']}", {"name": "Shelf B"})
    assert renamed.data == {**group, "name": "Shelf B", "serials": ["s3"]}

    gone = await api("DELETE", f"groups/{group['id']}")
    assert gone.data == {"deleted_count": 1, "group_ids": [group["id"]]}
    again = await api("GET", f"groups/{group['id']}")
    assert (again.code, again.message) == (40401, f"group {group['id']} not found")
    assert (await api("DELETE", f"groups/{group['id']}")).code == 40401
    assert (await api("PUT", "groups/999", {"name": "x"})).code == 40401


async def test_a_mistake_names_its_field(api: Api) -> None:
    await api("POST", "groups", {"name": "Shelf A"})
    for body, message in [
        ({"name": "shelf a"}, "$.name: a group named 'Shelf A' exists already (group 1)"),
        ({"name": "  "}, "$.name: 1 to 64 characters, got 0"),
        ({"name": "x" * 65}, "$.name: 1 to 64 characters, got 65"),
        ({"name": "n", "serials": ["a", " "]}, "$.serials: a serial is empty"),
        ({"name": "n", "description": "d" * 1001}, "$.description: at most 1000 characters"),
    ]:
        answer = await api("POST", "groups", body)
        assert (answer.code, answer.message) == (40001, message), body
    wrong = await api("POST", "groups", {"name": "n", "serials": "a"})
    assert wrong.code == 40001
    assert wrong.message.startswith("$.serials")
    other = (await api("POST", "groups", {"name": "B"})).data
    taken = await api("PUT", f"groups/{other['id']}", {"name": "SHELF A"})
    assert (taken.code, taken.message) == (
        40001, "$.name: a group named 'Shelf A' exists already (group 1)")


async def test_a_keyed_repeat_creates_one_group(api: Api) -> None:
    headers = {"Idempotency-Key": "group-1"}
    first = await api("POST", "groups", {"name": "A"}, headers=headers)
    second = await api("POST", "groups", {"name": "A"}, headers=headers)
    assert first.data == second.data
    assert (await api("GET", "groups")).data["total"] == 1
