"""Secrets a task holds (`chatgpt_settings.api_key`) never come back from the API: not
from one task, a page, a stop or a retry; the stored task keeps them to run with."""

from __future__ import annotations

import json
from typing import Any

from .conftest import Answer, AppAndCore

KEY = "sk-live-0123456789abcdef"
MASK = "********"


def warmup(api_key: str) -> dict[str, Any]:
    return {"serials": ["s1"], "script_name": "account_warmup",
            "script_config": {"generate_by_chatgpt": True, "comment_probable": 50,
                              "chatgpt_settings": {"api_key": api_key, "model": "m"}}}


def shown_key(answer: Answer) -> object:
    assert answer.code == 0, answer
    assert KEY not in json.dumps(answer.data)
    return answer.data["script_config"]["chatgpt_settings"]["api_key"]


async def test_never_answered(farm: AppAndCore) -> None:
    """Masked in the task, its page, and the stop and retry answers (no phone is
    plugged: the task waits, pending, until stopped); an empty key is shown as it is,
    so a reader sees that none is set."""
    api = farm.api
    (task_id,) = (await api("POST", "task", warmup(KEY))).data["task_ids"]
    assert shown_key(await api("GET", f"task/{task_id}")) == MASK
    page = await api("GET", "task")
    assert KEY not in json.dumps(page.data)
    assert page.data["tasks"][0]["script_config"]["chatgpt_settings"]["api_key"] == MASK
    assert shown_key(await api("POST", f"task/{task_id}/stop")) == MASK
    assert shown_key(await api("POST", f"task/{task_id}/retry")) == MASK
    stored = await farm.store.get_task(task_id)
    assert stored is not None
    assert stored.script_config["chatgpt_settings"]["api_key"] == KEY
    (unset,) = (await api("POST", "task", warmup(""))).data["task_ids"]
    assert (await api("GET", f"task/{unset}")).data["script_config"][
        "chatgpt_settings"]["api_key"] == ""
