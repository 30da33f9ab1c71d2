"""The `/accounts` routes (list, one, create, update, delete, import) and the accounts
they give `POST /task` (usernames and multi-account modes)."""

from __future__ import annotations

from typing import Any

import pytest
import trio

from .conftest import DEADLINE, Answer, Api, AppAndCore

ACCOUNT_FIELDS = {"id", "username", "email", "platform", "packagename", "device",
                  "device_online", "logined", "logined_text", "status", "status_text", "tags"}
TIKTOK_APP = "com.zhiliaoapp.musically"


async def add(api: Api, username: str, **fields: Any) -> dict[str, Any]:
    answer = await api("POST", "accounts", {"username": username, **fields})
    assert answer.code == 0, answer
    account: dict[str, Any] = answer.data
    return account


async def post_csv(api: Api, text: str) -> Answer:
    """`POST /accounts/import` with a `text/csv` body."""
    with trio.fail_after(DEADLINE):
        response = await api.client.post("/api/v1/accounts/import", data=text.encode(),
                                          headers={"Content-Type": "text/csv"})
        envelope = await response.get_json()
    return Answer(status=response.status_code, **envelope)


async def usernames(api: Api, **query: str | int) -> list[str]:
    answer = await api("GET", "accounts", query=query)
    assert answer.code == 0, answer
    assert answer.data["total"] == len(answer.data["accounts"])
    return [a["username"] for a in answer.data["accounts"]]


class TestCreateAndRead:
    async def test_create_get_list(self, farm: AppAndCore) -> None:
        """Every field; defaults; `@` dropped; the password never comes back."""
        await farm.plug("p1")
        made = await add(farm.api, "@Alice", email="a@x.io", password="s3cret",
                         device="p1", logined=1, tags=["us", " warm ", "us", ""])
        assert ACCOUNT_FIELDS <= set(made)
        assert "password" not in made
        assert {k: made[k] for k in ACCOUNT_FIELDS - {"id"}} == {
            "username": "Alice", "email": "a@x.io", "platform": "tiktok",
            "packagename": TIKTOK_APP, "device": "p1", "device_online": True,
            "logined": 1, "logined_text": "logged in", "status": 0,
            "status_text": "enabled", "tags": ["us", "warm"]}
        assert (await farm.api("GET", f"accounts/{made['id']}")).data == made
        listed = await farm.api("GET", "accounts")
        assert listed.data == {"accounts": [made], "total": 1, "page": 1, "page_size": 20}
        stored = await farm.store.accounts.get_account(made["id"])
        assert stored is not None
        assert stored.password == "s3cret"

    async def test_clone_app_and_offline_device(self, api: Api) -> None:
        made = await add(api, "bob", platform="instagram", packagename="com.instagram.clone",
                         device="gone", status=1)
        assert (made["packagename"], made["device_online"], made["status_text"]) == (
            "com.instagram.clone", False, "disabled")
        assert (await add(api, "carl", platform="instagram"))["packagename"] == \
            "com.instagram.android"

    @pytest.mark.parametrize(("body", "message"), [
        pytest.param({}, "$.username: required field missing", id="missing"),
        pytest.param({"username": "a b"}, "$.username: expected 1-64 letters", id="bad-name"),
        pytest.param({"username": "@"}, "$.username: expected 1-64", id="only-at"),
        pytest.param({"username": "a", "platform": "vk"}, "$.platform: must be one of",
                     id="platform"),
        pytest.param({"username": "a", "logined": 2}, "$.logined: must be one of", id="logined"),
        pytest.param({"username": "a", "status": "0"}, "$.status: must be one of",
                     id="status-type"),
        pytest.param({"username": "a", "tags": "x"}, "$.tags: expected an array", id="tags"),
        pytest.param({"username": "a", "device": 5}, "$.device", id="device-type"),
    ])
    async def test_invalid(self, api: Api, body: dict[str, Any], message: str) -> None:
        answer = await api("POST", "accounts", body)
        assert (answer.status, answer.code) == (400, 40001)
        assert message in answer.message
        assert await usernames(api) == []

    async def test_duplicate_name(self, api: Api) -> None:
        """Unique per platform whatever the case; the other platform is another account."""
        await add(api, "alice")
        answer = await api("POST", "accounts", {"username": "@ALICE"})
        assert answer.code == 40001
        assert "$.username: @alice already exists on tiktok" in answer.message
        await add(api, "alice", platform="instagram")

    async def test_unknown_id(self, api: Api) -> None:
        for method in ("GET", "DELETE", "PUT"):
            answer = await api(method, "accounts/99", {} if method == "PUT" else None)
            assert (answer.status, answer.code) == (404, 40401)
            assert "account 99 not found" in answer.message

    async def test_filters_and_pages(self, farm: AppAndCore) -> None:
        api = farm.api
        await add(api, "a", device="p1", tags=["us"])
        await add(api, "b", device="p1", logined=1)
        await add(api, "c", device="p2", status=1, tags=["us", "old"])
        await add(api, "d", platform="instagram")
        assert await usernames(api, platform="instagram") == ["d"]
        assert await usernames(api, device="p1") == ["a", "b"]
        assert await usernames(api, logined=1) == ["b"]
        assert await usernames(api, status=1) == ["c"]
        assert await usernames(api, tag="us") == ["a", "c"]
        page = await api("GET", "accounts", query={"page": 2, "page_size": 3})
        assert ([a["username"] for a in page.data["accounts"]], page.data["total"]) == (
            ["d"], 4)
        for query in ({"page_size": 101}, {"page": 0}, {"status": 2}, {"platform": "x"},
                      {"logined": "yes"}):
            answer = await api("GET", "accounts", query=query)
            assert answer.code == 40001, query
            assert f"$.{next(iter(query))}" in answer.message


class TestUpdateAndDelete:
    async def test_partial_update(self, farm: AppAndCore) -> None:
        """Only the given fields change; the password stays unless given."""
        made = await add(farm.api, "alice", password="pw", tags=["x"])
        answer = await farm.api("PUT", f"accounts/{made['id']}",
                                {"device": "p9", "status": 1, "username": "@Alice2"})
        assert answer.code == 0, answer
        assert answer.data == made | {"device": "p9", "status": 1, "status_text": "disabled",
                                      "username": "Alice2"}
        stored = await farm.store.accounts.get_account(made["id"])
        assert stored is not None
        assert stored.password == "pw"
        answer = await farm.api("PUT", f"accounts/{made['id']}", {"device": None,
                                                                  "platform": "instagram"})
        assert (answer.data["device"], answer.data["packagename"]) == (
            None, "com.instagram.android")

    async def test_bad_update_changes_nothing(self, api: Api) -> None:
        alice = await add(api, "alice")
        await add(api, "bob")
        for body, message in (({"username": "BOB"}, "@bob already exists on tiktok"),
                              ({"tags": [1]}, "$.tags[0]: expected a string"),
                              ({"username": ""}, "$.username: expected 1-64")):
            answer = await api("PUT", f"accounts/{alice['id']}", body)
            assert answer.code == 40001
            assert message in answer.message
        assert (await api("GET", f"accounts/{alice['id']}")).data == alice
        answer = await api("PUT", f"accounts/{alice['id']}", raw=b"[1]")
        assert (answer.code, answer.message) == (40001, "the body must be a JSON object")

    async def test_delete(self, api: Api) -> None:
        made = await add(api, "alice")
        answer = await api("DELETE", f"accounts/{made['id']}")
        assert answer.data == {"deleted_count": 1, "account_ids": [made["id"]]}
        assert (await api("GET", f"accounts/{made['id']}")).code == 40401


class TestImport:
    async def test_json(self, api: Api) -> None:
        answer = await api("POST", "accounts/import", [
            {"username": "a1", "device": "p1", "password": "x"},
            {"username": "@a2", "platform": "instagram", "tags": ["t"]}])
        assert answer.code == 0, answer
        assert answer.data["imported_count"] == 2
        assert len(answer.data["account_ids"]) == 2
        assert await usernames(api) == ["a1", "a2"]

    async def test_csv(self, api: Api) -> None:
        """Header names the fields (any order, unknown ones ignored); empty cells are
        defaults; tags split on `|`; a spreadsheet's byte order mark is fine."""
        text = ("\ufeffUsername,password,device,logined,tags,platform,notes\n"
                "c1,pw,p1,1,us|warm,,first\n"
                "\n"
                '"@c2",,,0,,instagram,"a, quoted note"\n')
        answer = await post_csv(api, text)
        assert answer.code == 0, answer
        assert answer.data["imported_count"] == 2
        listed = (await api("GET", "accounts")).data["accounts"]
        assert [(a["username"], a["device"], a["logined"], a["tags"], a["platform"])
                for a in listed] == [("c1", "p1", 1, ["us", "warm"], "tiktok"),
                                     ("c2", None, 0, [], "instagram")]

    async def test_bad_rows_import_nothing(self, api: Api) -> None:
        """Every bad row by line and field; one bad row keeps all the good ones out."""
        await add(api, "taken")
        answer = await api("POST", "accounts/import", [
            {"username": "ok1"}, {"username": "b d"}, {"username": "ok1", "logined": 5},
            "nope", {"username": "OK1"}])
        assert (answer.status, answer.code) == (400, 40001)
        assert answer.message.startswith("4 problem(s), nothing imported; line 2 username:")
        assert [(e["line"], e["field"]) for e in answer.data["errors"]] == [
            (2, "username"), (3, "logined"), (4, None), (5, "username")]
        assert answer.data["errors"][3]["message"] == "@OK1 on tiktok is also on line 1"
        assert await usernames(api) == ["taken"]

    async def test_csv_bad_rows_by_text_line(self, api: Api) -> None:
        """CSV lines count from the header (line 1), blank lines included; a name the
        store has is a fault of its row too."""
        answer = await post_csv(api, "username,status\nfine,0\n\nbad,2\n")
        assert answer.data["errors"] == [
            {"line": 4, "field": "status", "message": "must be one of 0, 1, got '2'"}]
        await add(api, "taken")
        answer = await post_csv(api, "username,status\nfine,0\n\nTAKEN,0\n")
        [error] = answer.data["errors"]
        assert (answer.code, error["line"], error["field"]) == (40001, 4, "username")
        assert "@taken already exists on tiktok" in error["message"]
        assert await usernames(api) == ["taken"]

    @pytest.mark.parametrize(("raw", "message"), [
        (b"{}", "expected a JSON array"), (b"[", "not valid JSON"), (b"[]", "no accounts"),
        (b"\xff", "not UTF-8")])
    async def test_unreadable(self, api: Api, raw: bytes, message: str) -> None:
        answer = await api("POST", "accounts/import", raw=raw)
        assert answer.code == 40001
        assert message in answer.message


class TestTasks:
    async def test_usernames_mode(self, farm: AppAndCore) -> None:
        """Each account's device runs it as that account, with its app's package."""
        await add(farm.api, "alice", device="p1")
        await add(farm.api, "bob", device="p2", platform="instagram",
                  packagename="com.instagram.clone")
        answer = await farm.api("POST", "task", {
            "usernames": ["@ALICE"], "script_name": "follow",
            "script_config": {"target_users": ["x", "y"]}})
        tasks = [await farm.store.get_task(i) for i in answer.data["task_ids"]]
        assert [(t.serial, t.username, t.script_config["target_user"],
                 t.script_config["platform"], t.script_config["package"])
                for t in tasks if t] == [("p1", "alice", "x", "tiktok", TIKTOK_APP),
                                         ("p1", "alice", "y", "tiktok", TIKTOK_APP)]
        answer = await farm.api("POST", "task", {
            "usernames": ["bob"], "script_name": "follow",
            "script_config": {"target_user": "x", "platform": "Instagram"}})
        [task] = [await farm.store.get_task(i) for i in answer.data["task_ids"]]
        assert task is not None
        assert (task.serial, task.script_config["package"]) == ("p2", "com.instagram.clone")

    @pytest.mark.parametrize(("names", "message"), [
        (["alice", "ghost"], "$.usernames[1]: account @ghost not found on tiktok"),
        (["@free"], "$.usernames[0]: account @free is not bound to a device"),
        (["alice", "Off"], "$.usernames[1]: account @Off is disabled"),
        (["bob"], "$.usernames[0]: account @bob not found on tiktok"),
    ])
    async def test_usernames_refused(self, farm: AppAndCore, names: list[str],
                                     message: str) -> None:
        await add(farm.api, "alice", device="p1")
        await add(farm.api, "free")
        await add(farm.api, "off", device="p1", status=1)
        await add(farm.api, "bob", device="p1", platform="instagram")
        answer = await farm.api("POST", "task", {
            "usernames": names, "script_name": "follow", "script_config": {"target_user": "x"}})
        assert (answer.code, answer.message) == (40001, message)
        assert (await farm.store.task_stats()).total == 0

    async def test_multi_account_mode(self, farm: AppAndCore) -> None:
        """One task per enabled account of the platform on each phone, phone by phone."""
        await add(farm.api, "a1", device="p1")
        await add(farm.api, "a2", device="p1", packagename="com.clone.tiktok")
        await add(farm.api, "off", device="p1", status=1)
        await add(farm.api, "insta", device="p1", platform="instagram")
        await add(farm.api, "b1", device="p2")
        answer = await farm.api("POST", "task", {
            "serials": ["p2", "p1"], "enable_multi_account": True, "script_name": "follow",
            "script_config": {"target_user": "x"}, "min_interval": 1, "max_interval": 2})
        tasks = [await farm.store.get_task(i) for i in answer.data["task_ids"]]
        assert [(t.serial, t.username, t.position, t.script_config["package"])
                for t in tasks if t] == [("p2", "b1", 0, TIKTOK_APP), ("p1", "a1", 0, TIKTOK_APP),
                                         ("p1", "a2", 1, "com.clone.tiktok")]
        answer = await farm.api("POST", "task", {
            "serials": ["p1", "p3"], "enable_multi_account": True, "script_name": "follow",
            "script_config": {"target_user": "x"}})
        assert (answer.code, answer.message) == (
            40001, "$.serials[1]: no enabled tiktok account is bound to device p3")
        answer = await farm.api("POST", "task", {
            "serials": ["p1"], "enable_multi_account": True, "script_name": "follow",
            "script_config": {"target_user": "x", "platform": "threads"}})
        assert answer.code == 40001
        assert answer.message.startswith("$.script_config.platform: must be one of")
        assert (await farm.store.task_stats()).total == 3
