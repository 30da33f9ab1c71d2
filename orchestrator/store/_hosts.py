"""The hosts that share a database: each holds its name with a lease it renews (a beat),
measured by the database's clock, so hosts whose clocks differ agree on who is alive."""

from __future__ import annotations

import os
import secrets
import socket

from ._sql import Cursor, Dialect, Lane

__all__ = ["HostNameLost", "HostNameTaken", "SqlHostStore", "machine_name", "machine_of",
           "this_instance"]


def machine_name() -> str:
    """The name a host goes by when it is not given one (`serve --host-id`)."""
    return socket.gethostname()


def machine_of(instance: str) -> str:
    """The machine of a process that holds a host name (`this_instance`)."""
    return instance.rsplit(":", 2)[0]


def this_instance() -> str:
    """A store of this process, as the hosts table records who holds a name: machine,
    pid, and a token of its own."""
    return f"{machine_name()}:{os.getpid()}:{secrets.token_hex(4)}"


class HostNameTaken(RuntimeError):
    """Another process that is alive holds this host's name."""


class HostNameLost(RuntimeError):
    """The other hosts took this one for dead: it starts no task until it holds its name
    again (`SqlHostStore.beat` takes it back)."""


class SqlHostStore:
    """The hosts table, on the lanes of the task store it shares a database with."""

    def __init__(self, dialect: Dialect, host_id: str, *, read: Lane, write: Lane) -> None:
        self.host_id = host_id
        self.instance = this_instance()
        self._taken = False  # whether this store holds its name (tests may not)
        self._api_url = ""  # where its API answers ('' until it listens: `listens`)
        self._read = read
        self._write = write
        now = dialect.now
        self._add = dialect.sql(
            "INSERT INTO hosts (host_id, instance, started_at, beat_at) VALUES (?, ?, 0, 0)"
            " ON CONFLICT (host_id) DO NOTHING")
        self._held = dialect.sql(
            f"SELECT instance, {now} - beat_at FROM hosts WHERE host_id = ?{dialect.lock_row}")
        self._take = dialect.sql(
            f"UPDATE hosts SET instance = ?, started_at = {now}, beat_at = {now}, api_url = ?"
            " WHERE host_id = ?")
        self._mine = dialect.sql(
            f"SELECT 1 FROM hosts WHERE host_id = ? AND instance = ?{dialect.lock_row}")
        self._beat = dialect.sql(
            f"UPDATE hosts SET beat_at = {now} WHERE host_id = ? AND instance = ?"
            " RETURNING host_id")
        self._leave = dialect.sql("UPDATE hosts SET beat_at = 0 WHERE host_id = ? AND instance = ?")
        self._listen = dialect.sql(
            "UPDATE hosts SET api_url = ? WHERE host_id = ? AND instance = ?")
        self._seen_from = dialect.seen_from

    async def take_name(self, *, lease: float, alive: bool | None = None) -> None:
        """Hold this host's name from now on. Refused (`HostNameTaken`) while another
        process renews it: its beat is younger than `lease` seconds and, if it ran on
        this machine, its pid is still there (a restart after a crash takes its name back
        at once). `alive` decides for a test instead of the pid."""
        def take(cur: Cursor) -> None:
            cur.execute(self._add, [self.host_id, self.instance])  # a row to lock
            cur.execute(self._held, [self.host_id])
            holder, age = cur.fetchone()
            if holder != self.instance and float(age) < lease:
                pid = str(holder).rsplit(":", 2)[1]
                running = alive if alive is not None else (
                    machine_of(str(holder)) != machine_name() or _pid_alive(int(pid)))
                if running:
                    raise HostNameTaken(
                        f"the host name {self.host_id!r} is held by {holder}, which renewed"
                        f" it {float(age):.0f} s ago: give each host its own --host-id")
            cur.execute(self._take, [self.instance, self._api_url, self.host_id])

        await self._write(take)
        self._taken = True

    def check_held(self, cur: Cursor) -> None:
        """In the transaction of `cur`: this host still holds its name, and the others
        cannot take it for dead before the transaction ends (its row locked).

        Raises:
            HostNameLost: they took it for dead (a store that never took its name, as a
                test's, is not checked).
        """
        if self._taken:
            cur.execute(self._mine, [self.host_id, self.instance])
            if cur.fetchone() is None:
                raise HostNameLost(f"the other hosts took this host ({self.host_id}) for dead")

    async def beat(self) -> bool:
        """Renew this host's lease; False if it no longer holds its name (the others took
        it for dead, and failed its running tasks)."""
        def beat(cur: Cursor) -> bool:
            cur.execute(self._beat, [self.host_id, self.instance])
            return cur.fetchone() is not None

        return await self._write(beat)

    async def listens(self, url: str) -> None:
        """This host's API answers at `url` (its root): the other hosts pass it the
        requests about its phones (said again whenever it takes its name back)."""
        self._api_url = url
        await self._write(lambda cur: cur.execute(self._listen,
                                                  [url, self.host_id, self.instance]))

    async def seen_from(self) -> str | None:
        """The address the database sees this host's connections come from (None: not
        over a network, or the engine does not say): one the other hosts can reach."""
        def seen(cur: Cursor) -> str | None:
            if not self._seen_from:
                return None
            cur.execute(self._seen_from)
            row = cur.fetchone()
            return None if row is None or row[0] is None else str(row[0])

        return await self._read(seen)

    async def leave(self) -> None:
        """Let the lease go at once (a clean stop): the others need not wait for it to
        end before they take over what this host leaves (`fail_interrupted`)."""
        await self._write(lambda cur: cur.execute(self._leave, [self.host_id, self.instance]))


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():  # a container's process, restarted with the same pid
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
