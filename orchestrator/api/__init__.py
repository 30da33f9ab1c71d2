"""The REST facade: the TikMatrix-compatible task API on Quart-Trio and hypercorn."""

from ._api_process import ApiProcess, run_api_process
from ._app import API_PREFIX, create_app
from ._serve import serve_api

__all__ = ["API_PREFIX", "ApiProcess", "create_app", "run_api_process", "serve_api"]
