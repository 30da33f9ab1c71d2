"""`account_warmup` on simulated phones, and its comments from a fake OpenAI-compatible
endpoint served on loopback by the test."""

from __future__ import annotations

import json
from functools import partial
from typing import Any

import attrs
import pytest
import trio

from orchestrator.simulator import Simulator
from scripts.errors import StepFailed

from ._steps_helpers import account_of, app_of, run_script, serials, sim

__all__ = ["sim"]

EVERYTHING = {"like_probable": 100, "floow_probable": 100, "collect_probable": 100,
              "comment_probable": 100}


@attrs.define
class FakeChat:
    """A loopback `POST /v1/chat/completions`: answers `status` with `reply`."""

    port: int = 0
    status: int = 200
    reply: str = "Love this one!"
    error: str = "nope"
    requests: list[tuple[str, dict[str, str], dict[str, Any]]] = attrs.Factory(list)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    async def handle(self, stream: trio.SocketStream) -> None:
        data = b""
        while b"\r\n\r\n" not in data:
            data += await stream.receive_some(65536)
        head, _, body = data.partition(b"\r\n\r\n")
        request_line, *fields = head.decode().split("\r\n")
        headers = {k.strip().lower(): v.strip() for k, v in (f.split(":", 1) for f in fields)}
        while len(body) < int(headers.get("content-length", "0")):
            body += await stream.receive_some(65536)
        self.requests.append((request_line, headers, json.loads(body)))
        answer = json.dumps({"choices": [{"message": {"role": "assistant",
                                                      "content": self.reply}}]}
                            if self.status == 200 else {"error": {"message": self.error}}).encode()
        await stream.send_all(
            f"HTTP/1.1 {self.status} X\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(answer)}\r\nConnection: close\r\n\r\n".encode() + answer)
        await stream.aclose()


@pytest.fixture
async def chat(nursery: trio.Nursery) -> FakeChat:
    fake = FakeChat()
    listeners = await nursery.start(partial(trio.serve_tcp, fake.handle, 0, host="127.0.0.1"))
    fake.port = listeners[0].socket.getsockname()[1]
    return fake


class TestWarmup:
    async def test_everything_by_templates(self, sim: Simulator) -> None:
        """With every chance at 100 each watched video is liked, its author followed and
        commented on, comments in sequential order; the topic is searched first."""
        serial = serials(sim)[0]
        raw = {"task_duration": 3, "min_duration": 1, "max_duration": 1, **EVERYTHING,
               "comment": "first one\nsecond one", "comment_order": "sequential",
               "topic": "cats"}
        outcome = await run_script(sim, serial, "account_warmup", raw)
        data = outcome.data
        assert data is not None
        watched = data["watched"]
        assert watched >= 2
        assert data["liked"] == data["commented"] == data["followed"] == watched
        assert data["topic"] == "cats"
        me = account_of(sim, serial)
        assert len(me.liked) == watched
        assert len(me.following) == watched
        comments = list(me.comments.items())
        assert [url for url, _ in comments] == sorted(me.liked, key=list(me.comments).index)
        assert [texts for _, texts in comments] == [
            [("first one", "second one")[i % 2]] for i in range(watched)]
        assert "collected 0" in outcome.remark
        assert "no collect button" in outcome.remark
        phone = sim.farm.get(serial)
        assert phone is not None
        assert phone.typed_text_log[0] == "cats"

    async def test_nothing_but_watching(self, sim: Simulator) -> None:
        serial = serials(sim)[1]
        outcome = await run_script(sim, serial, "account_warmup",
                                   {"task_duration": 2, "min_duration": 1,
                                    "max_duration": 1, "comment_probable": 100})
        assert outcome.data is not None
        assert outcome.data["watched"] >= 2
        assert "no comment templates" in outcome.remark
        me = account_of(sim, serial)
        assert (me.liked, me.following, me.comments) == (set(), set(), {})

    async def test_account_switch(self, sim: Simulator) -> None:
        serial = serials(sim)[0]
        app = app_of(sim, serial, "instagram")
        main, alt = app.accounts
        await run_script(sim, serial, "account_warmup",
                         {"task_duration": 1, "min_duration": 1, "max_duration": 1,
                          "like_probable": 100, "platform": "instagram"},
                         username=alt.username)
        assert alt.liked
        assert not main.liked


class TestChatGPT:
    async def test_comment_written_by_endpoint(self, sim: Simulator, chat: FakeChat) -> None:
        serial = serials(sim)[0]
        settings = {"api_key": "sk-test", "model": "tiny", "prompt": "Be nice.",
                    "max_tokens": 20, "temperature": 0.5, "base_url": chat.base_url}
        outcome = await run_script(sim, serial, "account_warmup",
                                   {"task_duration": 1, "min_duration": 1, "max_duration": 1,
                                    "comment_probable": 100, "generate_by_chatgpt": True,
                                    "chatgpt_settings": settings})
        assert outcome.data is not None
        assert outcome.data["commented"] >= 1
        me = account_of(sim, serial)
        assert list(me.comments.values()) == [["Love this one!"]] * outcome.data["commented"]
        line, headers, body = chat.requests[0]
        assert line.startswith("POST /v1/chat/completions ")
        assert headers["authorization"] == "Bearer sk-test"
        assert (body["model"], body["max_tokens"], body["temperature"]) == ("tiny", 20, 0.5)
        assert body["messages"][0] == {"role": "system", "content": "Be nice."}
        assert body["messages"][1]["content"].startswith("Video caption: #fyp")

    async def test_endpoint_error_fails_with_status(self, sim: Simulator,
                                                    chat: FakeChat) -> None:
        chat.status = 429
        serial = serials(sim)[0]
        with pytest.raises(StepFailed, match="ChatGPT endpoint answered HTTP 429"):
            await run_script(sim, serial, "account_warmup",
                             {"task_duration": 1, "min_duration": 1, "max_duration": 1,
                              "comment_probable": 100, "generate_by_chatgpt": True,
                              "chatgpt_settings": {"base_url": chat.base_url}})
        assert account_of(sim, serial).comments == {}

    async def test_an_echoed_key_stays_out_of_the_remark(self, sim: Simulator,
                                                         chat: FakeChat) -> None:
        """Endpoints answer a wrong key with the key itself in the error text."""
        chat.status, chat.error = 401, "Incorrect API key provided: sk-leaky-key"
        with pytest.raises(StepFailed, match="HTTP 401") as failed:
            await run_script(sim, serials(sim)[0], "account_warmup",
                             {"task_duration": 1, "min_duration": 1, "max_duration": 1,
                              "comment_probable": 100, "generate_by_chatgpt": True,
                              "chatgpt_settings": {"base_url": chat.base_url,
                                                   "api_key": "sk-leaky-key"}})
        assert "sk-leaky-key" not in str(failed.value)
        assert "Incorrect API key provided: ********" in str(failed.value)

    async def test_endpoint_unreachable(self, sim: Simulator) -> None:
        serial = serials(sim)[0]
        with pytest.raises(StepFailed, match="unreachable") as failed:
            await run_script(sim, serial, "account_warmup",
                             {"task_duration": 1, "min_duration": 1, "max_duration": 1,
                              "comment_probable": 100, "generate_by_chatgpt": True,
                              "chatgpt_settings": {"base_url": "http://127.0.0.1:9/v1"}})
        assert "Error(" not in failed.value.remark, failed.value.remark  # words, not a repr
