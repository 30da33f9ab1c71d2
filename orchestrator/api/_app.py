"""The Quart-Trio app: routes under `/api/v1`, the plan's gate, and one error handler
that answers every failure with the envelope, never an HTML page.

Our choices where the API is silent: an unknown route and a wrong method both answer
40401 with HTTP 404 (the status follows the code; the message names the method and the
allowed ones); a `{id}` that is not an integer is an unknown route (40401), one that no
row can have (beyond a 64-bit integer) is no such task or account (40401). A body is at
most 1 MiB but on the materials upload (`_body`).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Sequence

import httpx
from quart import Blueprint, Response, request
from quart_trio import QuartTrio
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.routing import Map

from actors import Address, EventLog, TaskReads, WallClock
from actors.messages import SchedulerMsg
from scripts import NO_HOST_FILES, HostFiles, MaterialLibrary, RunningSteps

from ..errors import ApiNotAllowed, InternalError, InvalidParams, NotFound, OrchestratorError
from ..plans import Plan
from ..store import DATABASE_ERRORS, Store
from ._access import OPEN, Access, Guard
from ._accounts import account_routes
from ._body import LimitedRequest, limit_body
from ._console import console_routes, login
from ._devices import device_routes
from ._docs import docs_routes
from ._events import event_routes
from ._facade import Facade
from ._far import OtherHosts
from ._forward import ForwardToCore, ForwardToHost, answered_here
from ._groups import GroupsOfPhones, group_routes
from ._health import health_routes
from ._hot import ASGIApp, HotRoutes
from ._idempotency import Idempotency
from ._keepalive import CloseUnread
from ._materials import MAX_UPLOAD_BYTES, material_routes
from ._meta import meta_routes
from ._metrics import CountRequests, Metrics, metrics_routes
from ._operations import operation_routes
from ._phones import Phones
from ._proxies import proxy_routes
from ._records import task_records
from ._render import License
from ._schedules import schedule_routes
from ._tasks import task_commands, task_reads
from ._wire import IdConverter, NoSuchId, envelope, envelope_body

__all__ = ["API_PREFIX", "create_app", "create_reads_app"]

API_PREFIX = "/api/v1"

log = logging.getLogger(__name__)


def _as_error(exc: Exception) -> OrchestratorError:
    match exc:
        case OrchestratorError():
            return exc
        case MethodNotAllowed(valid_methods=allowed):
            return NotFound(f"method {request.method} is not allowed on {request.path}"
                            f" (allowed: {', '.join(sorted(allowed or ()))})")
        case NoSuchId(description=description):
            return NotFound(str(description))
        case HTTPException(code=404):
            return NotFound(f"no such route: {request.method} {request.path}")
        case HTTPException(code=code, description=description) if code and code < 500:
            return InvalidParams(f"bad request: {description}")
    log.error("%s %s failed", request.method, request.path, exc_info=exc)
    if isinstance(exc, DATABASE_ERRORS):  # the machine's (a full disk), said as it is
        reason = str(exc).partition("\n")[0]
        return InternalError(f"internal error: the database refused it ({reason})")
    return InternalError(f"internal error: {type(exc).__name__}")


async def _answer_error(exc: Exception) -> Response:
    error = _as_error(exc)
    answer = envelope(error.data, code=error.code, message=error.message,
                      status=error.http_status)
    answer.headers.update({name.decode(): value.decode() for name, value in error.headers})
    return answer


#: The routes about one phone (`serial`): answered by the host it is on (`ForwardToHost`).
ONE_PHONE = frozenset({"devices.one", "devices.screenshot", "devices.input_one",
                       "operations.reboot"})


def create_app(*, scheduler: Address[SchedulerMsg], events: EventLog, running: RunningSteps,
               phones: Phones, store: Store, plan: Plan, clock: WallClock,
               materials: MaterialLibrary,
               access: Access = OPEN, host_files: HostFiles = NO_HOST_FILES,
               queue_timeout: float = 10.0, metrics: Metrics | None = None,
               hosts: httpx.AsyncClient | None = None) -> QuartTrio:
    """The core's API app, every route: changes go to `scheduler` (each taken from its
    queue within `queue_timeout` seconds, else refused with 50301), reads and accounts
    go to `store`; the event stream follows `events`, the log the scheduler writes; a task's
    log, the steps stored with its ends and, while it runs, those in `running`; the
    phones' screens and input go to `phones`; `plan` gates `/api/v1`; `/materials`
    manages `materials`, the library `post` draws from; `access` says who may ask
    (`_access`: ahead of everything); a new task may name only host files `host_files`
    allows (default: none). The console (`_console`) is at `/`, the health check at `/health`,
    `metrics` (a registry of the app's own by default) at `/metrics`, counting every
    request; device objects name the store's host as theirs. With `hosts` (a farm of
    several), a request about one phone another host sees goes to that host through it
    (`ForwardToHost`)."""
    metrics = metrics or Metrics()
    facade = Facade(scheduler=scheduler, store=store, plan=plan, clock=clock,
                    queue_timeout=queue_timeout, host_files=host_files)
    idempotent = Idempotency(store.answers, clock)
    held = GroupsOfPhones(store.groups)
    others = OtherHosts(hosts, facade)
    app = _app(plan, access, store, metrics=metrics, blueprints=[
        task_reads(store), task_commands(facade, idempotent), meta_routes(facade),
        device_routes(facade, phones, held, others), operation_routes(facade, phones, others),
        account_routes(facade, idempotent), group_routes(facade, idempotent, held),
        schedule_routes(facade, idempotent), proxy_routes(facade),
        material_routes(materials, idempotent),
        task_records(store, running), event_routes(events, facade, held), docs_routes()],
        elsewhere=None if hosts is None else functools.partial(
            ForwardToHost, client=hosts, routes=ONE_PHONE, api_of=facade.api_of,
            host_id=facade.host_id))
    app.register_blueprint(console_routes(access))
    app.register_blueprint(health_routes(facade, phones))
    app.register_blueprint(metrics_routes(facade, metrics))
    return app


def create_reads_app(*, store: TaskReads, plan: Plan, core: httpx.AsyncClient,
                     access: Access = OPEN) -> QuartTrio:
    """An API process's app: the task reads, answered from `store`; every other request
    (any route this app lacks) is forwarded to the core's app through `core` (`_forward`),
    after `access` has let it in."""
    return _app(plan, access, store, blueprints=[task_reads(store)], core=core)


def _app(plan: Plan, access: Access, store: TaskReads, *, blueprints: Sequence[Blueprint],
         core: httpx.AsyncClient | None = None, metrics: Metrics | None = None,
         elsewhere: Callable[[ASGIApp, Map], ASGIApp] | None = None) -> QuartTrio:
    """The app both kinds share: `blueprints` under `/api/v1`, gated by `plan`, every
    failure answered with the envelope, the stats answered ahead of Quart from `store`,
    what `core` gets (if given): the requests no route of the app takes, what
    `elsewhere` passes on (if given: the middleware over the app and its routes), and
    what `metrics` counts (if given): every request."""
    app = QuartTrio(__name__)
    # No redirects: `/task/` is `/task`, and `//` is not merged into a 308.
    app.url_map.strict_slashes = False
    app.url_map.merge_slashes = False
    app.url_map.converters["id"] = IdConverter
    app.request_class = LimitedRequest
    # No bodiless automatic OPTIONS answers: every answer is the envelope.
    app.config["PROVIDE_AUTOMATIC_OPTIONS"] = False
    # The most any route takes (uploads of videos); `limit_body` lowers it for the others.
    app.config["MAX_CONTENT_LENGTH"] = MAX_UPLOAD_BYTES
    app.before_request(limit_body)

    @app.before_request
    async def gate() -> None:
        if not plan.api_enabled and request.path.startswith(API_PREFIX):
            raise ApiNotAllowed(plan.message, data=License.of(plan))

    for blueprint in blueprints:
        app.register_blueprint(blueprint, url_prefix=API_PREFIX)
    app.register_error_handler(Exception, _answer_error)

    async def stats() -> bytes | None:
        if not plan.api_enabled:
            return None  # Quart's gate answers
        try:
            return envelope_body(await store.task_stats())
        except Exception:  # Quart asks again and answers the error as every route does
            return None

    # Quart's documented way in for ASGI middleware (mypy dislikes assigning to a method),
    # outermost first: what is counted, connections closed after an unread body, who may
    # ask, the forwarding of an API process or to another host, the hot routes.
    answered: ASGIApp = HotRoutes(app.asgi_app, {f"{API_PREFIX}/task/stats": stats})
    if elsewhere is not None:
        answered = elsewhere(answered, app.url_map)
    if core is not None:
        answered = ForwardToCore(answered, core, answered_here(app.url_map))
    guarded: ASGIApp = CloseUnread(Guard(answered, access, login))
    if metrics is not None:
        guarded = CountRequests(guarded, metrics, app.url_map)
    app.asgi_app = guarded  # type: ignore[method-assign,assignment]
    return app
