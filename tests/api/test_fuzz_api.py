"""Property-based: schemathesis makes requests for every operation of the OpenAPI document
the real server serves (`GET /api/v1/openapi.json`), valid ones and invalid ones, and sends
them to that server on a loopback port. Every answer must hold:

- no 5xx;
- the envelope `{code, message, data}`, its code agreeing with the HTTP status (0 with 200,
  else the code's first three digits), except the successes the document says are not
  the envelope (the document itself, the docs page and its files);
- what the document says: a documented status, its media type, its schema.

A stream (the event stream, `text/event-stream`) is read up to its head: its status and
media type are checked, its body never ends.

Bounded: `MAX_EXAMPLES` requests per operation and kind (valid, invalid), no shrinking,
no deadlines (loopback timing is not what is tested), derandomized so that a run is the
same run every time. Schemathesis is synchronous: it runs in a worker thread while trio
serves the app in this one.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import hypothesis
import pytest
import requests
import schemathesis
import trio
from hypothesis import HealthCheck, Phase, given
from hypothesis.errors import Unsatisfiable
from schemathesis import APIOperation, Case, GenerationMode, Response
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from orchestrator.api._hypercorn import serve_on

from .conftest import DEADLINE, AppAndCore
from .test_forward import serving_front

#: Requests per operation and kind: about 1,400 in all, 15-30 s on two cores.
MAX_EXAMPLES = 30
HEAD_CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance]
CHECKS = [*HEAD_CHECKS, response_schema_conformance]
STREAM = "text/event-stream"


@pytest.fixture(params=["api-here", "api-process"])
async def origin(farm: AppAndCore, tmp_path: Path, request: pytest.FixtureRequest
                 ) -> AsyncIterator[str]:
    """The real server, with two phones, so that tasks run and devices answer: the app
    itself, or an API process's app forwarding to it over a Unix socket."""
    for serial in ("sim-0001", "sim-0002"):
        await farm.plug(serial)
    app = farm.app()
    if request.param == "api-here":
        yield await farm.serve(app)
        return
    await farm.nursery.start(serve_on, app, [f"unix:{tmp_path / 'core.sock'}"])
    async with serving_front(farm, tmp_path / "core.sock") as front:
        yield front


def _not_enveloped(document: dict[str, Any]) -> set[str]:
    """The operations (`METHOD /path`) whose success is not the envelope."""
    return {f"{method.upper()} {path}" for path, operations in document["paths"].items()
            for method, operation in operations.items()
            if "application/json" not in operation["responses"]["200"]["content"]
            or "code" not in operation["responses"]["200"]["content"]["application/json"][
                "schema"].get("properties", {})}


def _envelope_problem(response: Response, raw_success: bool) -> str | None:
    """What is wrong with an answer as an envelope, if anything."""
    if raw_success and response.status_code == 200:
        return None
    media = next(iter(response.headers.get("content-type", [])), "")
    if not media.startswith("application/json"):
        return f"not the envelope: {media or 'no'} content type"
    try:
        body = response.json()
    except ValueError:
        return "not the envelope: not JSON"
    if not isinstance(body, dict) or set(body) != {"code", "message", "data"}:
        return f"not the envelope: {str(body)[:200]}"
    code, message = body["code"], body["message"]
    if not isinstance(code, int) or not isinstance(message, str):
        return f"not the envelope: code {code!r}, message {message!r}"
    if (code == 0) != (response.status_code == 200) or (code and code // 100 !=
                                                         response.status_code):
        return f"code {code} with HTTP status {response.status_code}"
    return None


def _streams(document: dict[str, Any]) -> set[str]:
    """The operations (`METHOD /path`) whose success is a stream."""
    return {f"{method.upper()} {path}" for path, operations in document["paths"].items()
            for method, operation in operations.items()
            if STREAM in operation["responses"]["200"]["content"]}


def _call_head(case: Case, origin: str) -> Response:
    """`case` sent, its answer read up to its head if it is a stream (its body never
    ends), else whole."""
    kwargs = case.as_transport_kwargs(base_url=origin)
    with requests.request(**kwargs, stream=True, timeout=DEADLINE) as raw:
        content = b"" if raw.headers.get("content-type", "").startswith(STREAM) \
            else raw.content
        return Response(status_code=raw.status_code, content=content, request=raw.request,
                        headers={name: raw.raw.headers.getlist(name) for name in raw.headers},
                        elapsed=raw.elapsed.total_seconds(), message=raw.reason,
                        encoding=raw.encoding, verify=True)


def _fuzz_operation(operation: APIOperation, mode: GenerationMode, origin: str, *,
                    raw_success: bool, stream: bool,
                    found: dict[tuple[str, str], str]) -> None:
    """Send `operation`'s requests of kind `mode`; add each kind of failure once to
    `found`: the request as curl, the answer, what is wrong."""

    @hypothesis.settings(max_examples=MAX_EXAMPLES, deadline=None, database=None,
                         derandomize=True, phases=[Phase.explicit, Phase.generate],
                         suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(generation_mode=mode))
    def check(case: Case) -> None:
        try:
            response = (_call_head(case, origin) if stream
                        else case.call(base_url=origin, timeout=DEADLINE))
        except requests.RequestException as exc:  # no answer in time, or a dropped one
            found.setdefault((operation.label, type(exc).__name__), (
                f"{operation.label} ({mode.value}): {case.as_curl_command(base_url=origin)}\n"
                f"  -> no answer: {exc}"))
            return
        problems = []
        streaming = stream and response.status_code == 200
        if (problem := _envelope_problem(response, raw_success)) is not None:
            problems.append(problem)
        checks = HEAD_CHECKS if streaming else CHECKS
        if response.status_code == 503 and "503" in operation.definition.raw["responses"]:
            # documented (`GET /health` with no ADB server here): an answer, not a fault
            checks = [check for check in checks if check is not not_a_server_error]
        try:
            case.validate_response(response, checks=checks)
        except FailureGroup as failures:
            problems += [f"{failure.title}: {failure.message.strip()[:500]}"
                         for failure in failures.exceptions]
        for problem in problems:
            found.setdefault((operation.label, problem.partition(":")[0]), (
                f"{operation.label} ({mode.value}): {case.as_curl_command(base_url=origin)}\n"
                f"  -> {response.status_code} "
                f"{'(a stream)' if streaming else response.text[:300]}\n  {problem}"))

    try:
        check()
    except Unsatisfiable:
        pass  # nothing to make invalid (no parameters, or only free text)


def _fuzz(origin: str) -> list[str]:
    """Every kind of failure found, once per operation (see `_fuzz_operation`)."""
    document = requests.get(f"{origin}/api/v1/openapi.json", timeout=DEADLINE).json()
    raw, streams = _not_enveloped(document), _streams(document)
    found: dict[tuple[str, str], str] = {}
    for result in schemathesis.openapi.from_dict(document).get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            _fuzz_operation(operation, mode, origin, raw_success=operation.label in raw,
                            stream=operation.label in streams, found=found)
    return list(found.values())


async def test_every_answer_matches_the_document(origin: str) -> None:
    failures = await trio.to_thread.run_sync(_fuzz, origin)
    if failures:
        pytest.fail("\n\n".join(failures), pytrace=False)
