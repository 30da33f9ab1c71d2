"""The REST facade: the TikMatrix-compatible task API on Quart-Trio and hypercorn."""

from ._app import API_PREFIX, create_app
from ._serve import serve_api

__all__ = ["API_PREFIX", "create_app", "serve_api"]
