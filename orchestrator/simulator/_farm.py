"""The set of phones one simulator hosts, and change notification for `track-devices`."""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence

import trio

from ._phone import AppFactory, Phone
from .apps import default_apps

__all__ = ["Farm"]


class Farm:
    """Phones by serial, in plug-in order. Every change bumps `version` and wakes waiters."""

    def __init__(self) -> None:
        self._phones: dict[str, Phone] = {}
        self.version = 0
        self._changed = trio.Event()
        self._booting: set[Phone] = set()  # phones a reboot keeps offline

    def __len__(self) -> int:
        return len(self._phones)

    def __iter__(self) -> Iterator[Phone]:
        return iter(list(self._phones.values()))

    def __contains__(self, serial: object) -> bool:
        return serial in self._phones

    def get(self, serial: str) -> Phone | None:
        return self._phones.get(serial)

    def plug(self, phone: Phone) -> Phone:
        """Attach a phone; `track-devices` listeners see it appear."""
        if phone.serial in self._phones:
            raise ValueError(f"a phone with serial {phone.serial!r} is already plugged in")
        phone.on_change = self._phone_changed
        phone.on_unplug = self._phone_unplugged
        self._phones[phone.serial] = phone
        self._bump()
        return phone

    def add(self, count: int, *, prefix: str = "sim-", model: str = "Pixel 7",
            apps: Sequence[AppFactory] | None = None) -> list[Phone]:
        """Plug in `count` new phones named `<prefix>0001`... after the highest existing."""
        factories = default_apps() if apps is None else apps
        start = len(self._phones) + 1
        while any(f"{prefix}{i:04d}" in self._phones for i in range(start, start + count)):
            start += count
        return [self.plug(Phone(f"{prefix}{i:04d}", model=model, apps=factories))
                for i in range(start, start + count)]

    def unplug(self, serial: str) -> Phone:
        """Detach a phone: open streams to it are cut, listeners see it vanish."""
        phone = self._phones[serial]
        phone.unplug()
        return phone

    def devices(self) -> list[tuple[str, str]]:
        """(serial, state) of each attached phone, as `host:devices` lists them."""
        return [(p.serial, p.state) for p in self._phones.values()]

    async def wait_changed(self, seen_version: int) -> int:
        """Wait until the farm differs from `seen_version`; return the new version. A
        phone's reboot ending is a change: waiters wake for it."""
        while self.version == seen_version:
            with trio.move_on_at(min((p.booted_at or math.inf for p in self._booting),
                                     default=math.inf)):
                await self._changed.wait()
            for phone in list(self._booting):
                phone.state  # noqa: B018 (read: a reboot that is over ends)
        return self.version

    def _phone_changed(self, phone: Phone) -> None:
        if phone.booted_at is not None:
            self._booting.add(phone)
        else:
            self._booting.discard(phone)
        self._bump()

    def _phone_unplugged(self, phone: Phone) -> None:
        if self._phones.get(phone.serial) is phone:
            del self._phones[phone.serial]
            self._booting.discard(phone)
            phone.on_change = phone.on_unplug = lambda p: None
            self._bump()

    def _bump(self) -> None:
        self.version += 1
        self._changed.set()
        self._changed = trio.Event()
