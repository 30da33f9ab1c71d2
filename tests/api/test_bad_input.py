"""No input a client can send is a 50001 or a traceback: each is 40001 naming what is wrong
(or 40401 for an id no row can have), always the envelope. Through the real hypercorn
server on a free loopback port, the store on disk behind it."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import attrs
import httpx
import pytest
import trio
import trio.testing

from .conftest import DEADLINE, Answer, AppAndCore

JSON = {"Content-Type": "application/json"}
CSV = {"Content-Type": "text/csv"}
INT64_MAX = 2**63 - 1
FOLLOW = b'"script_name": "follow", "serials": ["s1"]'


@attrs.frozen(kw_only=True)
class Client:
    """Requests to the served API (paths below `/api/v1/`), each answer's envelope apart."""

    http: httpx.AsyncClient

    async def __call__(self, method: str, path: str, body: bytes | AsyncIterator[bytes] = b"",
                       **options: Any) -> Answer:
        response = await self.http.request(method, path, content=body, **options)
        envelope = response.json()
        assert set(envelope) == {"code", "message", "data"}, envelope
        return Answer(status=response.status_code, headers=response.headers, **envelope)


@pytest.fixture
async def api(farm: AppAndCore, caplog: pytest.LogCaptureFixture) -> AsyncIterator[Client]:
    """The API on a free port; no request may log an error (a traceback)."""
    url = await farm.serve(farm.app())
    with caplog.at_level(logging.ERROR):
        async with httpx.AsyncClient(base_url=f"{url}/api/v1/",
                                     timeout=DEADLINE) as http:
            yield Client(http=http)
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


def _bad(answer: Answer, message: str) -> None:
    assert (answer.status, answer.code, answer.message) == (400, 40001, message)


class TestText:
    """Bytes that are not UTF-8, and text neither store can keep (NUL: PostgreSQL; lone
    surrogates: both), refused before they reach a store, naming the field."""

    @pytest.mark.parametrize(("method", "path"), [
        ("POST", "task"), ("PUT", "accounts/1"), ("POST", "accounts"),
        ("DELETE", "task/batch"), ("POST", "materials/reset-used")])
    async def test_invalid_utf8_body(self, api: Client, method: str, path: str) -> None:
        answer = await api(method, path, b'{"email": "\xff"}', headers=JSON)
        assert (answer.status, answer.code) == (400, 40001)
        assert answer.message.startswith("the body is not UTF-8 text: 'utf-8' codec can't")

    @pytest.mark.parametrize(("body", "message"), [
        (b'{"serials": ["\\ud800"], "script_name": "follow"}',
         "$.serials[0]: must not contain a lone surrogate ('\\ud800')"),
        (b'{"serials": ["s1\\u0000"], "script_name": "follow"}',
         "$.serials[0]: must not contain a NUL character (\\u0000)"),
        (b'{' + FOLLOW + b', "script_config": {"target_users": ["a\\udfff"]}}',
         "$.script_config.target_users[0]: must not contain a lone surrogate ('\\udfff')"),
        (b'{' + FOLLOW + b', "script_config": {"target_user": "a", "kept": ["\\u0000"]}}',
         "$.script_config.kept[0]: must not contain a NUL character (\\u0000)"),
        (b'{' + FOLLOW + b', "script_config": {"target_user": "a", "\\ud800": 1}}',
         "$.script_config: a key must not contain a lone surrogate ('\\ud800')"),
    ])
    async def test_in_a_task(self, api: Client, farm: AppAndCore, body: bytes,
                             message: str) -> None:
        _bad(await api("POST", "task", body, headers=JSON), message)
        assert (await farm.store.task_stats()).total == 0

    async def test_in_an_account(self, api: Client) -> None:
        _bad(await api("POST", "accounts", b'{"username": "anna", "email": "\\ud800"}'),
             "$.email: must not contain a lone surrogate ('\\ud800')")
        _bad(await api("POST", "accounts", b'{"username": "anna", "password": "a\\u0000"}'),
             "$.password: must not contain a NUL character (\\u0000)")

    async def test_in_a_query(self, api: Client) -> None:
        _bad(await api("GET", "task?serial=s%00"),
             "$.serial: must not contain a NUL character (\\u0000)")
        _bad(await api("GET", "accounts?tag=%00"),
             "$.tag: must not contain a NUL character (\\u0000)")

    async def test_in_an_import(self, api: Client) -> None:
        answer = await api("POST", "accounts/import", b"username,email\nanna,a\x00b\n",
                           headers=CSV)
        _bad(answer, "1 problem(s), nothing imported; line 2 email: must not contain a NUL"
                     " character (\\u0000)")
        _bad(await api("POST", "accounts/import", b'[{"username": "\\ud800"}]', headers=JSON),
             "$[0].username: must not contain a lone surrogate ('\\ud800')")


class TestIds:
    """An id in a path beyond a 64-bit integer cannot exist (40401); one in a body is a
    field out of range (40001). Neither reaches a store."""

    @pytest.mark.parametrize("task_id", [str(INT64_MAX + 1), str(10**22), "9" * 5000])
    async def test_task_beyond_64_bits(self, api: Client, task_id: str) -> None:
        """5,000 digits: more than `int()` converts (it was a bare 500)."""
        for method, path in [("GET", "task/{}"), ("DELETE", "task/{}"),
                             ("POST", "task/{}/stop"), ("POST", "task/{}/retry")]:
            answer = await api(method, path.format(task_id))
            assert (answer.status, answer.code, answer.message) == (
                404, 40401, f"task {task_id} not found"), method

    @pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
    async def test_account_beyond_64_bits(self, api: Client, method: str) -> None:
        answer = await api(method, f"accounts/{INT64_MAX + 1}", b'{"status": 1}')
        assert (answer.status, answer.code, answer.message) == (
            404, 40401, f"account {INT64_MAX + 1} not found")

    async def test_the_largest_id_is_looked_up(self, api: Client) -> None:
        """The last id a store can hold is looked up; the next is no task either."""
        for task_id in (INT64_MAX, INT64_MAX + 1):
            answer = await api("GET", f"task/{task_id}")
            assert (answer.code, answer.message) == (40401, f"task {task_id} not found")

    async def test_other_digits_are_no_id(self, api: Client, farm: AppAndCore) -> None:
        """`\\d` matches Arabic-Indic digits; `/task/٣` was task 3."""
        [task_id] = await farm.api.create(["s1"], ["alice"])
        answer = await api("GET", f"task/{chr(0x0660 + task_id)}")
        assert (answer.status, answer.code) == (404, 40401)
        assert answer.message.startswith("no such route: GET /api/v1/task/")

    @pytest.mark.parametrize("task_id", [2**70, -(2**70), INT64_MAX + 1])
    async def test_in_a_body(self, api: Client, task_id: int) -> None:
        _bad(await api("DELETE", "task/batch", f'{{"task_ids": [1, {task_id}]}}'.encode()),
             "$.task_ids[1]: must fit a signed 64-bit integer"
             " (-9223372036854775808 to 9223372036854775807)")


class TestIntegers:
    """Every integer the API takes fits a signed 64-bit integer, named when it does not."""

    @pytest.mark.parametrize(("field", "value"), [
        ("min_interval", 2**70), ("max_interval", INT64_MAX + 1),
        ("min_interval", -(2**63) - 1)])
    async def test_task_fields(self, api: Client, field: str, value: int) -> None:
        body = f'{{"serials": ["s1"], "script_name": "follow", "{field}": {value},'
        body += ' "script_config": {"target_user": "a"}}'
        _bad(await api("POST", "task", body.encode(), headers=JSON),
             f"$.{field}: must fit a signed 64-bit integer"
             " (-9223372036854775808 to 9223372036854775807)")

    @pytest.mark.parametrize("path", ["task", "accounts", "materials"])
    @pytest.mark.parametrize("query", [f"page={2**70}", f"page_size={-(2**70)}",
                                       "page=" + "9" * 5000])
    async def test_paging(self, api: Client, path: str, query: str) -> None:
        field = query.partition("=")[0]
        _bad(await api("GET", f"{path}?{query}"),
             f"$.{field}: must fit a signed 64-bit integer"
             " (-9223372036854775808 to 9223372036854775807)")

    @pytest.mark.parametrize("path", ["task", "accounts"])
    async def test_a_page_whose_offset_overflows(self, api: Client, path: str) -> None:
        """`page` fits 64 bits, but (page - 1) * page_size would not."""
        _bad(await api("GET", f"{path}?page={2**62}&page_size=100"),
             f"$.page: must be at most {INT64_MAX // 100 + 1}, got {2**62}")
        last = await api("GET", f"{path}?page={INT64_MAX // 100 + 1}&page_size=100")
        assert last.code == 0


class TestJson:
    @pytest.mark.parametrize("body", [b"[" * 2000 + b"]" * 2000,
                                      b'{"a": ' * 2000 + b"1" + b"}" * 2000],
                             ids=["arrays", "objects"])
    @pytest.mark.parametrize(("method", "path"), [("POST", "task"),
                                                  ("POST", "accounts/import")])
    async def test_nested_past_the_recursion_limit(self, api: Client, body: bytes,
                                                   method: str, path: str) -> None:
        answer = await api(method, path, body, headers=JSON)
        assert (answer.status, answer.code) == (400, 40001)
        assert answer.message.endswith("the body is nested too deeply"
                                       " (at most 32 levels of arrays and objects)")

    async def test_deep_config_is_not_stored(self, api: Client, farm: AppAndCore) -> None:
        """A config nested 900 deep parsed, was stored, and then every page listing its
        task answered 50001 (RecursionError)."""
        body = b'{' + FOLLOW + b', "script_config": {"target_user": "a", "x": '
        body += b"[" * 900 + b"]" * 900 + b"}}"
        answer = await api("POST", "task", body, headers=JSON)
        assert (answer.status, answer.code) == (400, 40001)
        assert answer.message == ("$.script_config.x" + "[0]" * 30 + ": this value is nested"
                                  " too deeply (at most 32 levels of arrays and objects)")
        assert (await api("GET", "task")).code == 0

    @pytest.mark.parametrize(("number", "problem"), [
        (b"NaN", "NaN is not a JSON number"), (b"-Infinity", "-Infinity is not a JSON number"),
        (b"1e400", "the number 1e400 is beyond a float's range")])
    async def test_numbers_no_client_could_read_back(self, api: Client, number: bytes,
                                                     problem: str) -> None:
        body = b'{' + FOLLOW + b', "script_config": {"target_user": "a", "x": ' + number + b"}}"
        _bad(await api("POST", "task", body, headers=JSON),
             f"the body is not valid JSON: {problem}")


class TestCsv:
    async def test_a_field_over_the_csv_limit_names_its_line(self, api: Client) -> None:
        body = b"username,email\nanna,a@b.c\nbob," + b"x" * (128 * 1024 + 1) + b"\n"
        _bad(await api("POST", "accounts/import", body, headers=CSV),
             "$: line 3: field larger than field limit (131072)")


async def _chunks(size: int) -> AsyncIterator[bytes]:
    """A JSON body of about `size` bytes, sent without a Content-Length (chunked)."""
    yield b'{"serials": ["'
    for _ in range(size // 65536):
        yield b"s" * 65536
    yield b'"]}'


async def _refused(api: Client, method: str, path: str, head: str, body: bytes) -> Answer:
    """Send a request the server answers before reading all of its body, on a socket of its
    own (an httpx body left unsent would be garbage collected unexhausted)."""
    url = api.http.base_url
    with trio.fail_after(DEADLINE):
        stream = await trio.open_tcp_stream(url.host, url.port or 80)
        async with stream:
            await stream.send_all(f"{method} {url.path}{path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                  f"Content-Type: application/json\r\n{head}\r\n".encode())
            await stream.send_all(body)
            received = b""
            while b"\r\n\r\n" not in received:
                received += await stream.receive_some()
            top, _, content = received.partition(b"\r\n\r\n")
            status, *lines = top.decode().split("\r\n")
            headers = httpx.Headers([line.split(": ", 1) for line in lines])
            while len(content) < int(headers["content-length"]):
                content += await stream.receive_some()
            # Close once the server is done with the answer: a close while hypercorn
            # still sends its end races with hypercorn's own close of the socket (its
            # `send_eof` takes no lock), logged as "Error in ASGI Framework".
            await trio.testing.wait_all_tasks_blocked()
    envelope = json.loads(content)
    return Answer(status=int(status.split()[1]), headers=headers, **envelope)


class TestBodyLimit:
    """A JSON body is at most 1 MiB (API.md, Safety), with or without a Content-Length; an
    upload may be larger."""

    MESSAGE = "the body is larger than 1 MiB, the most this route takes"
    OVER = 1024**2 + 1

    @pytest.mark.parametrize(("method", "path"), [
        ("POST", "task"), ("PUT", "accounts/1"), ("POST", "accounts/import"),
        ("DELETE", "task/batch"), ("PUT", "materials/a/b.mp4")])
    async def test_with_a_length(self, api: Client, farm: AppAndCore, method: str,
                                 path: str) -> None:
        """Answered at once, from the Content-Length; the connection ends with the answer
        (the rest of the body may still be coming), so the next request goes on a new one."""
        answer = await _refused(api, method, path, f"Content-Length: {self.OVER}\r\n",
                                b"{" * 1000)
        _bad(answer, self.MESSAGE)
        assert answer.headers["connection"] == "close"
        assert (await api("GET", "task/stats")).code == 0
        assert (await farm.store.task_stats()).total == 0

    async def test_chunked(self, api: Client, farm: AppAndCore) -> None:
        """Read up to the limit only; just under it is read."""
        answer = await api("POST", "task", _chunks(1024**2 - 65536), headers=JSON)
        assert (answer.code, answer.message) == (40002, "script_name is required")
        chunk = b"s" * 65536
        body = b"%x\r\n%s\r\n" % (len(chunk), chunk) * (self.OVER // len(chunk) + 1)
        answer = await _refused(api, "POST", "task", "Transfer-Encoding: chunked\r\n", body)
        _bad(answer, self.MESSAGE)
        assert answer.headers["connection"] == "close"
        assert (await farm.store.task_stats()).total == 0

    async def test_an_upload_takes_more(self, api: Client) -> None:
        """A 3 MiB upload is taken; 3 MiB of JSON is not."""
        size = 3 * 1024**2
        response = await api.http.post("materials", files={"file": ("a.mp4", b"\0" * size)},
                                       data={"tag": "big"})
        assert response.json()["data"]["uploaded_count"] == 1
        answer = await _refused(api, "PUT", "materials/big/a.mp4",
                                f"Content-Length: {size}\r\n", b"{")
        _bad(answer, self.MESSAGE)
