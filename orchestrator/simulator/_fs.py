"""A phone's file system, in memory.

Paths are absolute POSIX paths. Writes create missing parent folders, as adbd does
for a push. Sizes stay small (test media, UI dumps), so whole-file bytes are fine.
"""

from __future__ import annotations

import posixpath
import stat as stat_mod
import time

import attrs

__all__ = ["FileSystem", "Stat"]

_DIR_MODE = stat_mod.S_IFDIR | 0o771
_FILE_MODE = stat_mod.S_IFREG | 0o660


@attrs.frozen
class Stat:
    """What `sync: STAT` and `ls -l` report of one path."""

    mode: int
    size: int
    mtime: int

    @property
    def is_dir(self) -> bool:
        return stat_mod.S_ISDIR(self.mode)


@attrs.define
class _Entry:
    mode: int
    mtime: int
    data: bytes = b""


def _norm(path: str) -> str:
    if not path.startswith("/"):
        raise FileNotFoundError(path)
    return posixpath.normpath(path).replace("//", "/")


@attrs.define
class FileSystem:
    """Files and folders of one simulated phone."""

    _entries: dict[str, _Entry] = attrs.field(factory=dict, alias="entries")

    def __attrs_post_init__(self) -> None:
        for folder in ("/", "/sdcard", "/sdcard/DCIM", "/sdcard/Download", "/sdcard/Pictures",
                       "/sdcard/Movies", "/data/local/tmp", "/system/bin"):
            self.makedirs(folder)

    def stat(self, path: str) -> Stat | None:
        """The entry at `path`, or None when nothing is there."""
        entry = self._entries.get(_norm(path))
        if entry is None:
            return None
        return Stat(mode=entry.mode, size=len(entry.data), mtime=entry.mtime)

    def exists(self, path: str) -> bool:
        return _norm(path) in self._entries

    def is_dir(self, path: str) -> bool:
        entry = self._entries.get(_norm(path))
        return entry is not None and stat_mod.S_ISDIR(entry.mode)

    def listdir(self, path: str) -> list[tuple[str, Stat]]:
        """Names and stats of the entries directly in folder `path`, sorted by name."""
        folder = _norm(path)
        if not self.is_dir(folder):
            raise NotADirectoryError(path) if self.exists(folder) else FileNotFoundError(path)
        prefix = folder.rstrip("/") + "/"
        found = []
        for name, entry in self._entries.items():
            if name != folder and name.startswith(prefix) and "/" not in name[len(prefix):]:
                found.append((name[len(prefix):],
                              Stat(mode=entry.mode, size=len(entry.data), mtime=entry.mtime)))
        return sorted(found)

    def read(self, path: str) -> bytes:
        entry = self._entries.get(_norm(path))
        if entry is None:
            raise FileNotFoundError(path)
        if stat_mod.S_ISDIR(entry.mode):
            raise IsADirectoryError(path)
        return entry.data

    def write(self, path: str, data: bytes, *, mode: int | None = None,
              mtime: int | None = None) -> None:
        """Create or replace a file; missing parent folders are created."""
        full = _norm(path)
        if self.is_dir(full):
            raise IsADirectoryError(path)
        self.makedirs(posixpath.dirname(full))
        file_mode = stat_mod.S_IFREG | (mode & 0o7777) if mode else _FILE_MODE
        self._entries[full] = _Entry(mode=file_mode,
                                     mtime=int(time.time()) if mtime is None else mtime,
                                     data=bytes(data))

    def makedirs(self, path: str) -> None:
        full = _norm(path)
        parts = [p for p in full.split("/") if p]
        current = "/"
        self._entries.setdefault("/", _Entry(mode=_DIR_MODE, mtime=int(time.time())))
        for part in parts:
            current = posixpath.join(current, part)
            entry = self._entries.get(current)
            if entry is None:
                self._entries[current] = _Entry(mode=_DIR_MODE, mtime=int(time.time()))
            elif not stat_mod.S_ISDIR(entry.mode):
                raise NotADirectoryError(current)

    def remove(self, path: str, *, recursive: bool = False) -> None:
        full = _norm(path)
        if full not in self._entries:
            raise FileNotFoundError(path)
        if self.is_dir(full):
            children = [n for n in self._entries if n.startswith(full.rstrip("/") + "/")]
            if children and not recursive:
                raise IsADirectoryError(path)
            for name in children:
                del self._entries[name]
        del self._entries[full]

    def files_under(self, folder: str) -> list[str]:
        """Every file path below `folder`, sorted, for tests that check what landed."""
        prefix = _norm(folder).rstrip("/") + "/"
        return sorted(n for n, e in self._entries.items()
                      if n.startswith(prefix) and not stat_mod.S_ISDIR(e.mode))
