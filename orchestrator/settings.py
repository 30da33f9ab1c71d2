"""What one orchestrator process is told: where to listen, where to keep data, which ADB."""

from __future__ import annotations

import os
from pathlib import Path

import attrs

from actors import SchedulerSettings

from .api import Webhooks
from .plans import Plan, default_plan

__all__ = ["Settings", "default_data_dir"]


def default_data_dir() -> Path:
    """`$XDG_DATA_HOME/device-orchestrator`, else `~/.local/share/device-orchestrator`."""
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "device-orchestrator"


@attrs.frozen(kw_only=True)
class Settings:
    """Configuration of `orchestrator serve`; every field has a command-line flag."""

    host: str = "127.0.0.1"
    port: int = 50809
    data_dir: Path = attrs.field(factory=default_data_dir, converter=Path)
    adb_host: str = "127.0.0.1"
    adb_port: int = 5037
    #: ADB servers besides the first (`--adb` given again): a watcher each, one farm.
    more_adb: tuple[tuple[str, int], ...] = ()
    plan: Plan = attrs.field(factory=default_plan)
    simulate: int = attrs.field(default=0, validator=attrs.validators.ge(0))
    #: What the simulated phones' serials begin with (`sim-0001`...).
    sim_prefix: str = "sim-"
    #: This host's name in the farm, as device objects show it (None: the machine's).
    host_id: str | None = None
    postgres: str | None = None  # a PostgreSQL DSN; None: SQLite in `data_dir`
    #: Where the other hosts of the farm reach this host's API, its root (None: found out).
    api_url: str | None = None
    scheduling: SchedulerSettings = attrs.field(factory=SchedulerSettings)
    #: API processes of its own (0: the API runs in the core's process); see `api._serve`.
    api_processes: int = attrs.field(default=0, validator=attrs.validators.ge(0))
    #: The bearer token every request must carry (None: none needed; loopback only).
    token: str | None = attrs.field(default=None, repr=False)
    #: Browser origins besides the server's own that may call the API (`--allow-origin`).
    allow_origins: tuple[str, ...] = ()
    #: `Host` names besides loopback and the bound address that are served (`--allow-host`).
    allow_hosts: tuple[str, ...] = ()
    #: Host folders besides the data folder whose files scripts may read (`--allow-path`).
    allow_paths: tuple[Path, ...] = ()
    #: Where each task's end is posted (`--webhook`, `--webhook-secret`).
    webhooks: Webhooks = attrs.field(factory=Webhooks)

    @property
    def adb_servers(self) -> tuple[tuple[str, int], ...]:
        """Every ADB server whose phones this host drives, the first one first."""
        return ((self.adb_host, self.adb_port), *self.more_adb)

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "orchestrator.db"

    @property
    def materials_dir(self) -> Path:
        """The material library's folder."""
        return self.data_dir / "materials"
