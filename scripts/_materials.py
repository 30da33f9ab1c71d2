"""Media files on the host for `post`, and which of them were already posted.

`<data_dir>/materials/` is the library (a subfolder name is a tag); `used.json` in it
records every file taken, from the library or from a `localFolder`, so no file is
posted twice. There is one `MaterialLibrary` per folder in a process
(`MaterialLibrary.at`), shared by all tasks: its lock makes taking files one step, so
two phones never take the same file.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import trio

from .errors import StepFailed

__all__ = ["IMAGE_EXTS", "LEDGER", "VIDEO_EXTS", "MaterialLibrary", "media_kind"]

VIDEO_EXTS = frozenset({".mp4", ".mov", ".m4v", ".3gp", ".webm", ".mkv"})
IMAGE_EXTS = frozenset({".jpg", ".jpeg", ".png", ".webp", ".gif", ".heic"})
LEDGER = "used.json"


def media_kind(path: str | Path) -> str | None:
    """"video", "image" or None, by the file name's extension."""
    suffix = Path(path).suffix.lower()
    return "video" if suffix in VIDEO_EXTS else "image" if suffix in IMAGE_EXTS else None


class MaterialLibrary:
    """The material library under `root`, and the ledger of used files.

    Tasks that run at the same time must share one instance (the orchestrator makes
    one per data folder): its lock is what keeps two phones off the same file.
    """

    def __init__(self, root: Path) -> None:
        self.root = root.absolute()
        self._lock = trio.Lock()

    def __repr__(self) -> str:
        return f"<MaterialLibrary {self.root}>"

    @property
    def ledger(self) -> Path:
        return self.root / LEDGER

    def folders(self, tags: Sequence[str]) -> list[Path]:
        """The library folders of `tags` (each a subfolder), or the whole library."""
        return [self.root / tag for tag in tags] if tags else [self.root]

    async def claim(self, folders: Sequence[Path], kind: str, count: int, *,
                    owner: str) -> list[Path]:
        """Take `count` unused `kind` ("video" or "image") files from `folders`, in name
        order, and mark them used by `owner`.

        Raises:
            StepFailed: a folder is missing, or too few unused files are left.
        """
        async with self._lock:
            return await trio.to_thread.run_sync(self._claim, list(folders), kind, count,
                                                 owner)

    async def release(self, paths: Sequence[Path]) -> None:
        """Mark `paths` unused again (their post failed)."""
        async with self._lock:
            await trio.to_thread.run_sync(self._release, list(paths))

    async def used(self) -> dict[str, Any]:
        """The ledger: absolute path -> who took it and when."""
        async with self._lock:
            return await trio.to_thread.run_sync(self._read)

    # --- blocking parts, run in a worker thread under the lock ---------------------------
    def _read(self) -> dict[str, Any]:
        try:
            data = json.loads(self.ledger.read_text("utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as error:
            raise StepFailed(f"material ledger {self.ledger} is unreadable: {error}") from None
        used = data.get("used", {}) if isinstance(data, dict) else {}
        return used if isinstance(used, dict) else {}

    def _write(self, used: dict[str, Any]) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        temporary = self.ledger.with_suffix(".tmp")
        temporary.write_text(json.dumps({"used": used}, indent=1, ensure_ascii=False), "utf-8")
        os.replace(temporary, self.ledger)

    def _claim(self, folders: list[Path], kind: str, count: int, owner: str) -> list[Path]:
        absent = [str(folder) for folder in folders if not folder.is_dir()]
        if absent:
            raise StepFailed(f"material folder {', '.join(absent)} does not exist")
        used = self._read()
        found = sorted({path.resolve() for folder in folders for path in folder.rglob("*")
                        if path.is_file() and path.name != LEDGER and media_kind(path) == kind})
        fresh = [path for path in found if str(path) not in used]
        if len(fresh) < count:
            where = ", ".join(map(str, folders))
            raise StepFailed(f"not enough unused {kind} files in {where}: "
                             f"need {count}, {len(fresh)} left")
        taken = fresh[:count]
        stamp = time.strftime("%Y-%m-%d %H:%M:%S")
        used.update({str(path): {"by": owner, "at": stamp} for path in taken})
        self._write(used)
        return taken

    def _release(self, paths: list[Path]) -> None:
        used = self._read()
        for path in paths:
            used.pop(str(path.resolve()), None)
        self._write(used)
