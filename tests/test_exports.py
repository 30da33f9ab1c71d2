"""The curated public surface of each package: every exported name really there.

(ruff's RUF022 keeps each `__all__` sorted.)"""

from __future__ import annotations

import importlib

import pytest

PACKAGES = ["actors", "actors.messages", "orchestrator.simulator", "orchestrator.store",
            "scripts"]


@pytest.mark.parametrize("name", PACKAGES)
def test_all_names_exist(name: str) -> None:
    """`__all__` names only what the package really has, without duplicates."""
    module = importlib.import_module(name)
    exported = list(module.__all__)
    assert len(set(exported)) == len(exported)
    for attr in exported:
        assert hasattr(module, attr), f"{name}.{attr} is exported but missing"
