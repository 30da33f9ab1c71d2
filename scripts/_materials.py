"""Media files on the host for `post`, and which of them were already posted.

`<data_dir>/materials/` is the library: files in it are untagged, files in a subfolder
carry the folder's name as their tag. The ledger `.used.json` in it records every file
taken, from the library or from a `localFolder`, so no file is posted twice. There is one
`MaterialLibrary` per folder in a process, shared by all tasks and the API: its lock
makes each change one step, so two phones never take the same file.

A file name and a tag are single path segments (no `/`, no leading dot); the tag `""`,
or `_` where an empty one cannot be written (a URL), is the untagged root. The library's
own files (the ledger, its temporary file, uploads under way) start with a dot, so no tag
or file name can take their place (a tag `used.json` once broke the ledger for good; a
ledger of that older name is moved to `.used.json` the first time it is read).

Taking files walks their folders without holding the lock (a big `localFolder` must not
stop the library's other users); a `localFolder` at most `WALK_LIMIT` entries: past that
the task fails and says so (the library itself is walked whole: its files are the
farm's, however many). Only the ledger's read and update happen under the lock. Every file taken
must resolve inside the task's `HostFiles` roots: a symlink in a folder pointing
elsewhere is passed over.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any, TypeVar, TypeVarTuple

import attrs
import trio

from ._host_files import HostFileRefused, HostFiles
from .errors import StepFailed

__all__ = [
    "IMAGE_EXTS",
    "LEDGER",
    "UNTAGGED",
    "VIDEO_EXTS",
    "WALK_LIMIT",
    "Material",
    "MaterialLibrary",
    "MaterialNotFound",
    "MaterialRefused",
    "media_kind",
]

VIDEO_EXTS = frozenset({".mp4", ".mov", ".m4v", ".3gp", ".webm", ".mkv"})
IMAGE_EXTS = frozenset({".jpg", ".jpeg", ".png", ".webp", ".gif", ".heic"})
LEDGER = ".used.json"
#: The ledger's name before it was hidden from the tag namespace; moved to `LEDGER` once.
OLD_LEDGER = "used.json"
#: The most folder entries (files and folders, at any depth) that one claim walks.
WALK_LIMIT = 20_000
#: The tag that stands for the untagged root where `""` cannot be written; never a folder.
UNTAGGED = "_"

R = TypeVar("R")
Ts = TypeVarTuple("Ts")


def media_kind(path: str | Path) -> str | None:
    """"video", "image" or None, by the file name's extension."""
    suffix = Path(path).suffix.lower()
    return "video" if suffix in VIDEO_EXTS else "image" if suffix in IMAGE_EXTS else None


class MaterialRefused(ValueError):
    """A name or tag that is not one plain path segment, an unknown kind, or a name taken."""


class MaterialNotFound(LookupError):
    """No such file in the library."""


def _is_segment(value: str) -> bool:
    return (bool(value) and not value.startswith(".") and value.isprintable()
            and "/" not in value and "\\" not in value and len(value.encode()) <= 200)


def _tag(tag: str) -> str:
    """`tag` checked; `""` for the untagged root (`_` too).

    Raises:
        MaterialRefused: not a plain folder name.
    """
    if tag in ("", UNTAGGED):
        return ""
    if not _is_segment(tag):
        raise MaterialRefused(f"tag {tag!r} is not a plain folder name")
    return tag


def _name(name: str) -> str:
    """`name` checked: a plain file name of a known kind.

    Raises:
        MaterialRefused: a path, a hidden name, or an unknown kind.
    """
    if not _is_segment(name):
        raise MaterialRefused(f"file name {name!r} is not a plain file name")
    if media_kind(name) is None:
        known = " ".join(sorted(VIDEO_EXTS | IMAGE_EXTS))
        raise MaterialRefused(f"file name {name!r} is of no known kind (known: {known})")
    return name


def _where(tag: str) -> str:
    return f"tag {tag!r}" if tag else "the untagged root"


@attrs.frozen(kw_only=True)
class Material:
    """One file of the library; `used_by` and `used_at` (local time) when it was taken."""

    name: str
    tag: str
    kind: str
    size: int
    used: bool
    used_by: str | None
    used_at: str | None
    path: str


def _walk(folders: list[Path], kind: str, host_files: HostFiles, limit: float
          ) -> list[Path]:
    """The `kind` files under `folders`, resolved, deduplicated and sorted; only those
    inside `host_files`' roots (blocking; a claim runs it off the library's lock).
    Symlinked folders are not entered; unreadable subfolders are passed over.

    Raises:
        StepFailed: a folder is refused or missing, or more than `limit` entries are seen.
    """
    found: set[Path] = set()
    seen = 0
    for folder in folders:
        try:
            pending = [host_files.resolve(folder)]
        except HostFileRefused as exc:
            raise StepFailed(f"material folder {folder}: {exc}", permanent=True) from None
        if not pending[0].is_dir():
            raise StepFailed(f"material folder {folder} does not exist", permanent=True)
        while pending:
            try:
                with os.scandir(pending.pop()) as entries:
                    listed = list(entries)
            except OSError:
                continue
            seen += len(listed)
            if seen > limit:
                raise StepFailed(f"material folder {folder} holds more than {limit:.0f} "
                                 "entries (files and folders), more than a task looks "
                                 "through: give a smaller folder", permanent=True)
            for entry in listed:
                if entry.is_dir(follow_symlinks=False):
                    pending.append(Path(entry.path))
                elif media_kind(entry.name) == kind and entry.is_file():
                    try:
                        found.add(host_files.resolve(entry.path))
                    except HostFileRefused:
                        continue
    return sorted(found)


class MaterialLibrary:
    """The material library under `root`, and the ledger of used files.

    Tasks that run at the same time must share one instance (the orchestrator makes
    one per data folder): its lock is what keeps two phones off the same file.
    """

    def __init__(self, root: Path, *, walk_limit: int = WALK_LIMIT) -> None:
        self.root = root.absolute()
        self.walk_limit = walk_limit
        self._lock = trio.Lock()

    def __repr__(self) -> str:
        return f"<MaterialLibrary {self.root}>"

    @property
    def ledger(self) -> Path:
        return self.root / LEDGER

    def folders(self, tags: Sequence[str]) -> list[Path]:
        """The library folders of `tags` (each a subfolder), or the whole library.

        Raises:
            StepFailed: a tag is not a plain folder name.
        """
        try:
            return [self.root / _tag(tag) for tag in tags] if tags else [self.root]
        except MaterialRefused as error:
            raise StepFailed(f"materials_tags: {error}", permanent=True) from None

    async def claim(self, folders: Sequence[Path], kind: str, count: int, *,
                    owner: str, host_files: HostFiles) -> list[Path]:
        """Take `count` unused `kind` ("video" or "image") files from `folders` (at any
        depth), in the order of their resolved paths, and mark them used by `owner`. Only
        files that resolve inside `host_files`' roots are taken. The folders are walked
        without holding the lock.

        Raises:
            StepFailed: a folder is refused by `host_files` or missing, folders outside
                the library hold more than `walk_limit` entries, or too few unused files
                are left.
        """
        ours = all(folder.absolute().is_relative_to(self.root) for folder in folders)
        found = await trio.to_thread.run_sync(
            _walk, list(folders), kind, host_files, math.inf if ours else self.walk_limit)
        where = ", ".join(map(str, folders))
        return await self._locked(self._take, found, kind, count, owner, where)

    async def release(self, paths: Sequence[Path]) -> None:
        """Mark `paths` unused again (their post failed)."""
        await self._locked(self._release, list(paths))

    async def used(self) -> dict[str, Any]:
        """The ledger: absolute path -> who took it and when."""
        return await self._locked(self._read)

    async def catalog(self, *, tag: str | None = None, kind: str | None = None,
                      used: bool | None = None) -> list[Material]:
        """The files of the library (the root's and each tag folder's), by tag and name;
        only those of `tag`, `kind` and `used` state, when given.

        Raises:
            MaterialRefused: a bad tag.
        """
        wanted = None if tag is None else _tag(tag)
        found = await self._locked(self._catalog)
        return [material for material in found
                if wanted in (None, material.tag) and kind in (None, material.kind)
                and used in (None, material.used)]

    async def add(self, tag: str, files: Sequence[tuple[str, IO[bytes]]], *,
                  replace: bool = False) -> list[Material]:
        """Store `files` (name, content) under `tag`, all or none; a replaced file is
        unused again.

        Raises:
            MaterialRefused: a bad tag or name, a name twice, or (unless `replace`) a
                name already in the tag.
        """
        return await self._locked(self._add, _tag(tag), [(_name(n), f) for n, f in files],
                                  replace)

    async def move(self, tag: str, name: str, new_tag: str) -> Material:
        """Give a file another tag; it stays used if it was.

        Raises:
            MaterialRefused: a bad tag or name, or the name is taken in `new_tag`.
            MaterialNotFound: no such file.
        """
        return await self._locked(self._move, _tag(tag), _name(name), _tag(new_tag))

    async def delete(self, tag: str, name: str) -> Material:
        """Delete a file and its used mark; what it was.

        Raises:
            MaterialRefused: a bad tag or name.
            MaterialNotFound: no such file.
        """
        return await self._locked(self._delete, _tag(tag), _name(name))

    async def reset(self, tag: str | None = None) -> int:
        """Clear the used marks of the library's files (of `tag` only, when given); how
        many were cleared. Marks of `localFolder` files stay.

        Raises:
            MaterialRefused: a bad tag.
        """
        return await self._locked(self._reset, None if tag is None else _tag(tag))

    async def _locked(self, fn: Callable[[*Ts], R], *args: *Ts) -> R:
        async with self._lock:
            return await trio.to_thread.run_sync(fn, *args)


    # --- blocking parts, run in a worker thread under the lock ---------------------------
    def _read(self) -> dict[str, Any]:
        old = self.root / OLD_LEDGER
        if not self.ledger.exists() and old.is_file() and not old.is_symlink():
            os.replace(old, self.ledger)
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
        temporary = self.ledger.with_name(f"{LEDGER}.tmp")
        temporary.write_text(json.dumps({"used": used}, indent=1, ensure_ascii=False), "utf-8")
        os.replace(temporary, self.ledger)

    def _take(self, found: list[Path], kind: str, count: int, owner: str, where: str
              ) -> list[Path]:
        used = self._read()
        fresh = [path for path in found if str(path) not in used]
        if len(fresh) < count:
            raise StepFailed(f"not enough unused {kind} files in {where}: "
                             f"need {count}, {len(fresh)} left", permanent=True)
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

    def _file(self, tag: str, name: str) -> Path:
        return self.root / tag / name if tag else self.root / name

    def _material(self, tag: str, path: Path, used: dict[str, Any]) -> Material:
        key = str(path.resolve())
        mark = used.get(key)
        taken = mark if isinstance(mark, dict) else {}
        return Material(name=path.name, tag=tag, kind=media_kind(path) or "",
                        size=path.stat().st_size, used=mark is not None,
                        used_by=taken.get("by"), used_at=taken.get("at"), path=key)

    def _files(self) -> Iterator[tuple[str, Path]]:
        """(tag, path) of every file the library lists: media files of the root and of
        its tag folders (deeper files are `post`'s, not listed)."""
        if not self.root.is_dir():
            return
        for entry in sorted(self.root.iterdir()):
            if entry.is_dir() and _is_segment(entry.name) and entry.name != UNTAGGED:
                yield from ((entry.name, path) for path in sorted(entry.iterdir())
                            if path.is_file() and _is_segment(path.name) and media_kind(path))
            elif entry.is_file() and _is_segment(entry.name) and media_kind(entry):
                yield "", entry

    def _catalog(self) -> list[Material]:
        used = self._read()
        found = [self._material(tag, path, used) for tag, path in self._files()]
        return sorted(found, key=lambda material: (material.tag, material.name))

    def _add(self, tag: str, files: list[tuple[str, IO[bytes]]], replace: bool
             ) -> list[Material]:
        names = [name for name, _ in files]
        twice = sorted({name for name in names if names.count(name) > 1})
        if twice:
            raise MaterialRefused(f"file name {twice[0]!r} is given twice")
        taken = [name for name in names if self._file(tag, name).exists()]
        if taken and not replace:
            raise MaterialRefused(f"file name {taken[0]!r} is already in {_where(tag)} "
                                  "(replace=1 overwrites it)")
        used = self._read()
        folder = self._file(tag, "")
        folder.mkdir(parents=True, exist_ok=True)
        parts = [folder / f".{name}.part" for name in names]
        try:
            for part, (_, content) in zip(parts, files, strict=True):
                with part.open("wb") as out:
                    shutil.copyfileobj(content, out)
        except BaseException:
            for part in parts:
                part.unlink(missing_ok=True)
            raise
        for part, name in zip(parts, names, strict=True):
            os.replace(part, folder / name)
        if taken:
            for name in taken:
                used.pop(str(self._file(tag, name).resolve()), None)
            self._write(used)
        return [self._material(tag, folder / name, used) for name in names]

    def _existing(self, tag: str, name: str) -> Path:
        path = self._file(tag, name)
        if not path.is_file():
            raise MaterialNotFound(f"no file {name!r} in {_where(tag)}")
        return path

    def _move(self, tag: str, name: str, new_tag: str) -> Material:
        source = self._existing(tag, name)
        target = self._file(new_tag, name)
        used = self._read()
        if target != source:
            if target.exists():
                raise MaterialRefused(f"file name {name!r} is already in {_where(new_tag)}")
            target.parent.mkdir(parents=True, exist_ok=True)
            mark = used.pop(str(source.resolve()), None)
            os.rename(source, target)
            if mark is not None:
                used[str(target.resolve())] = mark
                self._write(used)
        return self._material(new_tag, target, used)

    def _delete(self, tag: str, name: str) -> Material:
        path = self._existing(tag, name)
        used = self._read()
        gone = self._material(tag, path, used)
        path.unlink()
        if used.pop(gone.path, None) is not None:
            self._write(used)
        return gone

    def _reset(self, tag: str | None) -> int:
        used = self._read()
        root = self.root.resolve()
        if tag is None:
            cleared = [key for key in used if Path(key).is_relative_to(root)]
        elif tag:
            cleared = [key for key in used if Path(key).is_relative_to(root / tag)]
        else:
            cleared = [key for key in used if Path(key).parent == root]
        for key in cleared:
            del used[key]
        if cleared:
            self._write(used)
        return len(cleared)
