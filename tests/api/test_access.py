"""Who may talk to the API, through the real server on a loopback port: the token, the
browser's `Origin`, the `Host` header (`orchestrator.api._access`)."""

from __future__ import annotations

import logging

import httpx
import pytest

from orchestrator.api import Access, is_loopback
from orchestrator.api._access import session_cookie

from .conftest import DEADLINE, AppAndCore, answer_head

TOKEN = "t0ken-for-tests"


async def _serve(farm: AppAndCore, access: Access) -> str:
    return await farm.serve(farm.app(access=access))


@pytest.fixture
async def open_url(farm: AppAndCore) -> str:
    """Loopback, no token: as open as the product."""
    return await _serve(farm, Access())


@pytest.fixture
async def token_url(farm: AppAndCore) -> str:
    return await _serve(farm, Access(token=TOKEN, origins=("http://console.example:8080",),
                                     hosts=("farm.lan",)))


async def _ask(method: str, url: str, **options: object) -> httpx.Response:
    async with httpx.AsyncClient(timeout=DEADLINE) as client:
        return await client.request(method, url, **options)  # type: ignore[arg-type]


class TestToken:
    async def test_every_route_needs_it(self, token_url: str) -> None:
        """The hot stats route, a read, a change, an unknown route, the console's files
        and the end of its session: 40101 without the token, with `WWW-Authenticate:
        Bearer`."""
        for method, path in [("GET", "/api/v1/task/stats"), ("GET", "/api/v1/task"),
                             ("POST", "/api/v1/task/retry-all"), ("GET", "/api/v1/nope"),
                             ("GET", "/console/main.js"), ("GET", "/console/style.css"),
                             ("DELETE", "/console/session")]:
            answer = await _ask(method, token_url + path)
            assert answer.status_code == 401, (method, path)
            assert answer.headers["www-authenticate"] == "Bearer"
            assert answer.json()["code"] == 40101
            assert TOKEN not in answer.text

    async def test_the_console_asks_for_it_once(self, token_url: str) -> None:
        """`GET /` without the token is the page that asks for it, and nothing of the
        console; given there, it becomes an HttpOnly, SameSite=Strict cookie that is not
        the token, which then opens the console and the API, also beside cookies of other
        apps of the host name that the stdlib's parser cannot read; the session's end
        clears it from the browser (the value stays good until the token changes)."""
        page = await _ask("GET", token_url + "/")
        assert page.status_code == 401
        assert page.headers["content-type"].startswith("text/html")
        assert 'action="/console/session"' in page.text
        assert "main.js" not in page.text
        assert "frame-ancestors 'none'" in page.headers["content-security-policy"]

        wrong = await _ask("POST", token_url + "/console/session", data={"token": "guess"})
        assert wrong.status_code == 401
        assert "That is not the token this server was given." in wrong.text
        assert "set-cookie" not in wrong.headers
        missing = await _ask("POST", token_url + "/console/session", data={})
        assert missing.json()["code"] == 40001

        given = await _ask("POST", token_url + "/console/session", data={"token": TOKEN})
        assert (given.status_code, given.headers["location"]) == (303, "/")
        cookie = given.headers["set-cookie"]
        assert "HttpOnly" in cookie
        assert "SameSite=Strict" in cookie
        assert TOKEN not in cookie
        async with httpx.AsyncClient(timeout=DEADLINE, cookies=given.cookies) as browser:
            console = await browser.get(token_url + "/")
            assert console.status_code == 200
            assert "/console/main.js" in console.text
            assert (await browser.get(token_url + "/console/main.js")).status_code == 200
            assert (await browser.get(token_url + "/api/v1/task/stats")).json()["code"] == 0
            ended = await browser.delete(token_url + "/console/session")
            assert ended.json()["code"] == 0
            assert "Max-Age=0" in ended.headers["set-cookie"]
            assert (await browser.get(token_url + "/api/v1/task/stats")).status_code == 401

        forged = {"cookie": "orchestrator_session=" + "0" * 64}
        answer = await _ask("GET", token_url + "/api/v1/task/stats", headers=forged)
        assert answer.status_code == 401
        value = given.cookies["orchestrator_session"]
        among = {"cookie": f'pref={{"a":1}}; x=a b; orchestrator_session={value}; y=1'}
        answer = await _ask("GET", token_url + "/api/v1/task/stats", headers=among)
        assert answer.json()["code"] == 0

    async def test_no_other_page_starts_a_session(self, token_url: str) -> None:
        """The session route is outside the token, not outside the browser rules: a page
        of another site cannot post the token there."""
        answer = await _ask("POST", token_url + "/console/session", data={"token": TOKEN},
                            headers={"Origin": "http://evil.example"})
        assert answer.json()["code"] == 40301
        assert "set-cookie" not in answer.headers

    async def test_a_wrong_token_or_scheme_is_refused(self, token_url: str) -> None:
        for header in [f"Bearer {TOKEN}x", f"Basic {TOKEN}", TOKEN, "Bearer", ""]:
            answer = await _ask("GET", f"{token_url}/api/v1/task/stats",
                                headers={"Authorization": header})
            assert answer.json()["code"] == 40101, header

    async def test_the_token_opens_every_route(self, token_url: str) -> None:
        auth = {"Authorization": f"Bearer {TOKEN}"}
        stats = await _ask("GET", f"{token_url}/api/v1/task/stats", headers=auth)
        assert stats.json()["code"] == 0
        created = await _ask("POST", f"{token_url}/api/v1/task", headers=auth, json={
            "serials": ["sim-1"], "script_name": "follow",
            "script_config": {"target_user": "alice"}})
        assert created.json()["code"] == 0
        scheme = await _ask("GET", f"{token_url}/api/v1/task", headers={
            "Authorization": f"bearer   {TOKEN}"})
        assert scheme.json()["data"]["total"] == 1


class TestOrigin:
    async def test_a_foreign_page_cannot_create_tasks(self, open_url: str,
                                                      farm: AppAndCore) -> None:
        """The attack: a page of another site posts `text/plain` (no CORS preflight)."""
        answer = await _ask("POST", f"{open_url}/api/v1/task", headers={
            "Origin": "http://evil.example", "Content-Type": "text/plain"},
            content=b'{"serials": ["sim-1"], "script_name": "follow",'
                    b' "script_config": {"target_user": "alice"}}')
        assert (answer.status_code, answer.json()["code"]) == (403, 40301)
        assert "http://evil.example" in answer.json()["message"]
        assert (await farm.store.task_stats()).total == 0

    async def test_null_and_lookalike_origins_are_refused(self, open_url: str) -> None:
        port = open_url.rpartition(":")[2]
        for origin in ["null", f"http://127.0.0.1:{port}.evil.example", "http://127.0.0.1",
                       f"https://127.0.0.1:{port}", f"http://localhost:{port}"]:
            answer = await _ask("GET", f"{open_url}/api/v1/task/stats",
                                headers={"Origin": origin})
            assert answer.json()["code"] == 40301, origin

    async def test_its_own_page_and_allowed_origins_pass(self, open_url: str,
                                                         token_url: str) -> None:
        own = await _ask("GET", f"{open_url}/api/v1/task/stats", headers={"Origin": open_url})
        assert own.json()["code"] == 0
        allowed = await _ask("GET", f"{token_url}/api/v1/task/stats", headers={
            "Origin": "http://CONSOLE.example:8080", "Authorization": f"Bearer {TOKEN}"})
        assert allowed.json()["code"] == 0

    async def test_clients_without_origin_are_unaffected(self, open_url: str) -> None:
        answer = await _ask("GET", f"{open_url}/api/v1/license/check")
        assert answer.json()["code"] == 0


class TestHost:
    async def test_a_rebound_name_is_refused(self, open_url: str, farm: AppAndCore) -> None:
        """DNS rebinding: `evil.example` resolved to 127.0.0.1 reaches this port."""
        answer = await _ask("POST", f"{open_url}/api/v1/task", headers={
            "Host": "evil.example"}, json={"serials": ["sim-1"], "script_name": "follow",
                                           "script_config": {"target_user": "alice"}})
        assert (answer.status_code, answer.json()["code"]) == (403, 40301)
        assert "--allow-host" in answer.json()["message"]
        assert (await farm.store.task_stats()).total == 0

    async def test_loopback_names_and_allowed_hosts_pass(self, open_url: str,
                                                         token_url: str) -> None:
        for host in ["127.0.0.1:1", "localhost", "LOCALHOST.:80", "[::1]:50809",
                     "127.8.9.10", "app.localhost"]:
            answer = await _ask("GET", f"{open_url}/api/v1/task/stats", headers={"Host": host})
            assert answer.json()["code"] == 0, host
        allowed = await _ask("GET", f"{token_url}/api/v1/task/stats", headers={
            "Host": "farm.lan:50809", "Authorization": f"Bearer {TOKEN}"})
        assert allowed.json()["code"] == 0
        other = await _ask("GET", f"{token_url}/api/v1/task/stats", headers={
            "Host": "farm.lan.evil.example", "Authorization": f"Bearer {TOKEN}"})
        assert other.json()["code"] == 40301

    async def test_a_host_of_no_name_is_refused(self, open_url: str) -> None:
        for host in ["", "127.0.0.1:port", "a b"]:
            answer = await _ask("GET", f"{open_url}/api/v1/task/stats", headers={"Host": host})
            assert answer.json()["code"] == 40301, host


def test_addresses_bound_to_all() -> None:
    """Bound to every address, any IP literal is this machine's; names still need
    `--allow-host`."""
    access = Access(bound_host="0.0.0.0", token=TOKEN)
    assert access._host_refused("10.0.0.5:50809") is None
    assert access._host_refused("[fe80::1]:50809") is None
    assert access._host_refused("farm.lan") is not None
    assert Access(bound_host="10.0.0.5")._host_refused("10.0.0.6") is not None


def test_is_loopback() -> None:
    """What may be bound without a token: loopback addresses and `localhost`; not a name
    below `.localhost`, which the resolver may answer with any address."""
    assert all(map(is_loopback, ["127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost"]))
    assert not any(map(is_loopback, ["0.0.0.0", "::", "", "10.0.0.5", "example.com",
                                     "x.localhost"]))


def test_the_token_is_not_in_its_repr() -> None:
    assert TOKEN not in repr(Access(token=TOKEN))


async def test_a_websocket_upgrade_is_refused(token_url: str,
                                              caplog: pytest.LogCaptureFixture) -> None:
    """No route speaks WebSocket: an upgrade, even with a foreign Host and Origin and no
    token, gets a plain refusal, and nothing is logged as an error."""
    head = await answer_head(token_url, (
        b"GET /api/v1/task HTTP/1.1\r\nHost: evil.example\r\n"
        b"Origin: http://evil.example\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"))
    assert head.startswith(b"HTTP/1.1 403")
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_of_the_cookies_only_the_console_session_goes_to_another_host() -> None:
    """Another host of the farm gets the console's session, and no other cookie of this
    host name (cookies know no ports: they may be another app's)."""
    assert session_cookie("theme=dark; orchestrator_session=9f1c; other=x") == (
        "orchestrator_session=9f1c")
    assert session_cookie("theme=dark") is None
    assert session_cookie('orchestrator_session="a b"') is None  # (none of ours)
    assert session_cookie('orchestrator_session="x\\r\\nEvil: 1"') is None
