"""Which host files a task may read: those inside the data folder or an `--allow-path`
folder, never the database.

A script reads host files that a caller names (`post`'s `material_list` and
`material_path`, `profile`'s `avatar_path`, `comment`'s `comment_image_path`: the fields
marked `Mark.HOST_FILE`). Without a fence any caller of the API could have any file the
orchestrator can read (`/etc/passwd`, the database with the accounts' passwords) pushed
to a phone. So a path is resolved first, symlinks followed and `..` taken away (a
relative path is relative to the data folder), and must then lie inside one of the roots.

It is checked when a task is created (`check`, 40001 naming the field) and again where
the task reads the file (`existing_file`, `allows`): a file swapped for a symlink in
between is refused then. A refusal reads the same whether or not the file exists, so
that nobody learns what the host holds outside the roots.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import attrs
import trio

from ._marks import Mark, marked_values
from .convert import CONFIG_PATH
from .errors import FieldError, InvalidConfig, StepFailed

__all__ = ["NO_HOST_FILES", "REFUSED", "HostFileRefused", "HostFiles"]

#: Why a path is refused; the same for every path, whatever the host holds.
REFUSED = "must lie inside the data folder or an --allow-path folder (symlinks followed)"


class HostFileRefused(ValueError):
    """A path outside the roots (or the database, or not a path at all)."""

    def __init__(self) -> None:
        super().__init__(REFUSED)


def _real(path: Path) -> Path:
    return path.expanduser().resolve()


@attrs.frozen(kw_only=True)
class HostFiles:
    """The host folders whose files tasks may read.

    Attributes:
        roots: absolute, symlinks resolved; the first is the data folder, which relative
            paths are relative to. None at all: every path is refused.
        private: files never read even inside a root (the SQLite database), with the
            files beside them whose names extend theirs (`-wal`, `-shm`, `-journal`).
    """

    roots: tuple[Path, ...] = ()
    private: tuple[Path, ...] = ()

    @classmethod
    def of(cls, data_dir: Path, allowed: Iterable[Path] = (), *,
           private: Iterable[Path] = ()) -> HostFiles:
        """The data folder and the `--allow-path` folders, resolved now (blocking)."""
        return cls(roots=tuple(_real(path) for path in (data_dir, *allowed)),
                   private=tuple(_real(path) for path in private))

    def resolve(self, path: str | Path) -> Path:
        """`path` with symlinks followed and `..` taken away (blocking).

        Raises:
            HostFileRefused: it lies outside the roots, is private, or is no path (a
                NUL byte, a symlink loop).
        """
        if not self.roots:
            raise HostFileRefused
        try:
            real = (self.roots[0] / path).resolve()
        except (OSError, RuntimeError, ValueError):
            raise HostFileRefused from None
        if not any(real.is_relative_to(root) for root in self.roots) or any(
                real.parent == private.parent and real.name.startswith(private.name)
                for private in self.private):
            raise HostFileRefused
        return real

    def allows(self, path: str | Path) -> bool:
        """Whether `path` resolves inside the roots (blocking)."""
        try:
            self.resolve(path)
        except HostFileRefused:
            return False
        return True

    def check(self, config_class: type, config: Mapping[str, Any]) -> None:
        """Refuse `config` (the JSON of a `config_class`) if a path it names at a field
        marked `Mark.HOST_FILE` does not resolve inside the roots (blocking).

        Raises:
            InvalidConfig: naming each such field (`$.script_config.material_list[0]`).
        """
        refused = [FieldError(f"{CONFIG_PATH}.{where}", REFUSED)
                   for where, path in marked_values(config_class, config, Mark.HOST_FILE)
                   if not self.allows(path)]
        if refused:
            raise InvalidConfig(refused)

    async def existing_file(self, path: str, what: str) -> Path:
        """`path` resolved, for a task to read now.

        Raises:
            StepFailed: "{what} {path} ..." refused, or (inside the roots only) it does
                not exist.
        """
        def resolve() -> Path | None:
            real = self.resolve(path)
            return real if real.is_file() else None

        try:
            real = await trio.to_thread.run_sync(resolve)
        except HostFileRefused as exc:
            raise StepFailed(f"{what} {path}: {exc}", permanent=True) from None
        if real is None:
            raise StepFailed(f"{what} {path} does not exist", permanent=True)
        return real


#: No folder at all: every path refused (what is not told which folders are the farm's).
NO_HOST_FILES = HostFiles()
