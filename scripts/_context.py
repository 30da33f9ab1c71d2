"""What a running script knows besides its config (`ScriptContext`) and what it
returns when it succeeds (`RunResult`); a failure raises `StepFailed` instead."""

from __future__ import annotations

import random
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from ._host_files import HostFiles
from ._materials import MaterialLibrary
from .apps import PLATFORMS, AppData, load_app
from .errors import StepFailed

if TYPE_CHECKING:
    import httpx

__all__ = ["RunResult", "ScriptContext"]


@attrs.frozen
class RunResult:
    """A script's success: the task's remark, and figures for whoever wants them."""

    remark: str
    data: dict[str, Any] | None = None


def _library(context: ScriptContext) -> MaterialLibrary:
    return MaterialLibrary(context.data_dir / "materials")


@attrs.frozen(kw_only=True)
class ScriptContext:
    """One task's surroundings.

    Attributes:
        serial: the phone.
        task_id: the task, for logs and the material ledger.
        username: the account to run as (switched to first), or None for the current one.
        platform: "tiktok" or "instagram" (anything else: ValueError).
        package: the app's package; a clone app's when it differs from the platform's.
        data_dir: the data folder; the material library is its `materials/`.
        rng: every random pick of the task.
        http: the client for HTTP calls (ChatGPT); None makes one when needed.
        materials: the material library of `data_dir/materials`; tasks running at the
            same time must share one (its lock keeps two phones off the same file).
        host_files: the host files the task may read (required: the data folder's
            database is not one of them, and only the orchestrator knows where it is);
            every path it reads goes through it, when the task runs.
    """

    serial: str
    task_id: int
    username: str | None = None
    platform: str = "tiktok"
    package: str = attrs.field(
        default=attrs.Factory(lambda self: load_app(self.platform).package, takes_self=True))
    data_dir: Path = Path(".")
    rng: random.Random = attrs.field(factory=random.Random, eq=False)
    http: httpx.AsyncClient | None = attrs.field(default=None, eq=False)
    materials: MaterialLibrary = attrs.field(
        default=attrs.Factory(_library, takes_self=True), eq=False)
    host_files: HostFiles = attrs.field(eq=False)

    @classmethod
    def for_task(cls, *, serial: str, task_id: int, script_config: Mapping[str, Any],
                 username: str | None = None, platform: str | None = None,
                 **options: Any) -> ScriptContext:
        """The context of a stored task: `platform` (unless given, e.g. from the account)
        and `package` come from the task config's keys of those names.

        Raises:
            StepFailed: the platform is unknown, or `package` is not a string.
        """
        chosen = str(platform or script_config.get("platform") or "tiktok").lower()
        if chosen not in PLATFORMS:
            raise StepFailed(f"unknown platform {chosen!r} (known: {', '.join(PLATFORMS)})",
                             permanent=True)
        package = script_config.get("package") or load_app(chosen).package
        if not isinstance(package, str):
            raise StepFailed(f"script_config.package must be a string, got {package!r}",
                             permanent=True)
        return cls(serial=serial, task_id=task_id, platform=chosen, package=package,
                   username=username.removeprefix("@") if username else None, **options)

    @property
    def app(self) -> AppData:
        """The selectors and texts of this task's app."""
        return load_app(self.platform)

    @property
    def owner(self) -> str:
        """Who takes a material file, for the ledger."""
        return f"task {self.task_id} on {self.serial}"
