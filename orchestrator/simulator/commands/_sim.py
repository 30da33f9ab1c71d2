"""`simstate`: the simulator's own window into a phone's apps (no real phone has it).

It prints, as JSON, what each simulated app holds per account (follows, likes,
comments, posts, messages), so a person driving the simulator through `adb` can see
what the scripts really did: `adb -s sim-0001 shell simstate`.
"""

from __future__ import annotations

import json
from collections.abc import Set

import cattrs

from .._shell import ShellResult
from ..apps import SocialApp
from ._base import Call, Handler, ok

__all__ = ["COMMANDS"]

_converter = cattrs.Converter(unstruct_collection_overrides={Set: sorted})


async def simstate(call: Call) -> ShellResult:
    apps = {
        package: {"current": app.current.username if app.current else None,
                  "accounts": [_converter.unstructure(a) for a in app.accounts]}
        for package, app in sorted(call.phone.apps.items()) if isinstance(app, SocialApp)
    }
    return ok(json.dumps({"serial": call.phone.serial, "apps": apps}, ensure_ascii=False,
                         indent=2) + "\n")


COMMANDS: dict[str, Handler] = {"simstate": simstate}
