"""Simulated apps a script can really drive: a TikTok-like and an Instagram-like app."""

from __future__ import annotations

from .._phone import AppFactory

__all__ = ["default_apps"]


def default_apps() -> list[AppFactory]:
    """The apps every simulated phone gets unless told otherwise."""
    return []
