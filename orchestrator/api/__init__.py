"""The REST facade: the TikMatrix-compatible task API on Quart-Trio and hypercorn."""

from ._access import Access, is_http_url, is_loopback, is_origin, is_wildcard
from ._api_process import POSTGRES_VARIABLE, TOKEN_VARIABLE, ApiProcess, run_api_process
from ._app import API_PREFIX, create_app
from ._hypercorn import ACCESS_LOG
from ._metrics import Metrics
from ._phones import Phones
from ._schedules import schedule_planner
from ._serve import serve_api
from ._webhooks import SIGNATURE_HEADER, WEBHOOK_SECRET_VARIABLE, Webhooks, deliver_webhooks

__all__ = [
    "ACCESS_LOG",
    "API_PREFIX",
    "POSTGRES_VARIABLE",
    "SIGNATURE_HEADER",
    "TOKEN_VARIABLE",
    "WEBHOOK_SECRET_VARIABLE",
    "Access",
    "ApiProcess",
    "Metrics",
    "Phones",
    "Webhooks",
    "create_app",
    "deliver_webhooks",
    "is_http_url",
    "is_loopback",
    "is_origin",
    "is_wildcard",
    "run_api_process",
    "schedule_planner",
    "serve_api",
]
