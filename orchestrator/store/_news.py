"""What a host tells the others that share its database (PostgreSQL's NOTIFY): a change
they may have to act on, sent when the transaction that made it commits."""

from __future__ import annotations

import enum
import json
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import attrs

from ._sql import Cursor

__all__ = ["CHANNEL", "News", "NewsKind", "Tell"]

CHANNEL = "orchestrator"
#: Bytes of one notification's payload, at most (PostgreSQL refuses 8,000 and more).
PAYLOAD_LIMIT = 7000


class NewsKind(enum.Enum):
    PENDING = "pending"  # tasks (ids) became pending: the host of their phone runs them
    RUNNING = "running"  # tasks (ids) a host started: nobody else holds them
    ENDED = "ended"  # tasks (ids) ended or were deleted
    PLACED = "placed"  # phones ([serial, host, state]) a host sees so (absent: no longer)
    STOP = "stop"  # stop a running task: [task id, the host running it, the remark]
    SCHEDULE = "schedule"  # schedules (ids) made, changed or deleted


#: How a store tells the other hosts of a change, in the transaction of the cursor (sent
#: when it commits): `SqlTaskStore._tell`.
Tell = Callable[[Cursor, "NewsKind", Sequence[Any]], None]


@attrs.frozen
class News:
    kind: NewsKind
    host: str  # the host that tells
    items: Sequence[Any]

    def payloads(self) -> Iterator[str]:
        """The news as one or more payloads, each under `PAYLOAD_LIMIT` bytes."""
        room = PAYLOAD_LIMIT - len(self._payload([]).encode())
        chunk: list[str] = []
        used = 0
        for item in self.items:
            text = json.dumps(item)
            size = len(text.encode()) + 1
            if chunk and used + size > room:
                yield self._payload(chunk)
                chunk, used = [], 0
            chunk.append(text)
            used += size
        if chunk:
            yield self._payload(chunk)

    def _payload(self, items: list[str]) -> str:
        return f'{{"k":"{self.kind.value}","h":{json.dumps(self.host)},"x":[{",".join(items)}]}}'

    @classmethod
    def parse(cls, payload: str) -> News:
        """The news a payload carries (ValueError: not one of ours)."""
        try:
            body = json.loads(payload)
            return cls(NewsKind(body["k"]), str(body["h"]), list(body["x"]))
        except (KeyError, TypeError, json.JSONDecodeError) as exc:
            raise ValueError(f"not news of a host: {payload[:80]!r}") from exc
