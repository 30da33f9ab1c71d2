"""The errors the API answers with, one tree; each class fixes its envelope `code`.

    OrchestratorError
    ├── InvalidParams          40001  a field is missing, of the wrong type or out of range
    ├── ScriptNameMissing      40002  `script_name` absent
    ├── ScriptNotApiEnabled    40003  the script exists but is not accepted through the API
    ├── Unauthorized           40101  a token is set and the request does not carry it
    ├── Forbidden              40301  a foreign browser page (`Origin`) or `Host` name
    │   └── ApiNotAllowed      40301  the configured plan has no API access
    ├── NotFound               40401  no such task, route or method
    ├── InternalError          50001  anything unexpected (a bug, a store that fails)
    └── Unavailable            50301  too busy to take the request now: nothing was done

The HTTP status is the code's first three digits (40001 -> 400).
"""

from __future__ import annotations

from typing import ClassVar

__all__ = [
    "ApiNotAllowed",
    "Forbidden",
    "InternalError",
    "InvalidParams",
    "NotFound",
    "OrchestratorError",
    "ScriptNameMissing",
    "ScriptNotApiEnabled",
    "Unauthorized",
    "Unavailable",
]


class OrchestratorError(Exception):
    """An answer other than success: `code` and a message naming the problem.

    `data` goes into the envelope's `data` (None for most errors).
    """

    code: ClassVar[int] = 50001
    #: HTTP headers the answer carries besides the envelope's.
    headers: ClassVar[tuple[tuple[bytes, bytes], ...]] = ()

    def __init__(self, message: str, *, data: object = None) -> None:
        super().__init__(message)
        self.message = message
        self.data = data

    @property
    def http_status(self) -> int:
        return self.code // 100


class InvalidParams(OrchestratorError, ValueError):
    code = 40001


class ScriptNameMissing(OrchestratorError):
    code = 40002

    def __init__(self) -> None:
        super().__init__("script_name is required")


class ScriptNotApiEnabled(OrchestratorError):
    code = 40003


class Unauthorized(OrchestratorError):
    code = 40101
    headers = ((b"www-authenticate", b"Bearer"),)


class Forbidden(OrchestratorError):
    code = 40301


class ApiNotAllowed(Forbidden):
    pass


class NotFound(OrchestratorError, LookupError):
    code = 40401


class InternalError(OrchestratorError):
    code = 50001


class Unavailable(OrchestratorError):
    """The orchestrator could not take the request in time and did nothing: the client
    may send it again after `Retry-After` seconds (with its `Idempotency-Key`)."""

    code = 50301
    headers = ((b"retry-after", b"1"),)
