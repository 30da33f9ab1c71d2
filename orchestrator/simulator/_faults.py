"""Faults a simulated phone can be told to show, from tests or from the CLI."""

from __future__ import annotations

import attrs
import trio

__all__ = ["Faults"]


def _wake_the_hung(faults: Faults, _: attrs.Attribute[str | None], value: str | None
                   ) -> str | None:
    faults._hang_changed.set()  # the hung commands look again, once this value is set
    faults._hang_changed = trio.Event()
    return value


@attrs.define(kw_only=True)
class Faults:
    """Per-phone fault knobs; change them at any time, they apply to the next command.

    - `latency`: seconds added before every shell command and sync request is answered.
    - `hang`: a shell command whose text contains this does not answer while this is set
      ("" hangs every one); cleared, the commands it held run.
    - `dump_delay`: extra seconds `uiautomator dump` takes.
    - `dump_fails`: `uiautomator dump` fails as it does on a busy screen.
    - `disconnect_on`: the phone drops off the bus in the middle of the next shell
      command containing this text (`"push"` means: in the middle of the next push).
    - `crash_on`: the app in front crashes (its screen disappears) just before the next
      shell command containing this text runs.
    - `unreachable`: the phone stays listed, but every stream to it is closed as it
      opens, as adb 29 keeps listing a network phone that died for some 30 s
      (`Phone.cut_streams` closes those open already).
    """

    latency: float = attrs.field(default=0.0, validator=attrs.validators.ge(0.0))
    hang: str | None = attrs.field(default=None, on_setattr=_wake_the_hung)
    dump_delay: float = attrs.field(default=0.0, validator=attrs.validators.ge(0.0))
    dump_fails: bool = False
    disconnect_on: str | None = None
    crash_on: str | None = None
    unreachable: bool = False
    _hang_changed: trio.Event = attrs.field(factory=trio.Event, init=False, repr=False,
                                            eq=False)

    def hangs(self, command: str) -> bool:
        return self.hang is not None and self.hang in command

    async def hold(self, command: str) -> None:
        """Return once `command` does not hang (at once, if it does not)."""
        while self.hangs(command):
            await self._hang_changed.wait()

    def disconnects(self, command: str) -> bool:
        return self.disconnect_on is not None and self.disconnect_on in command

    def crashes(self, command: str) -> bool:
        return self.crash_on is not None and self.crash_on in command
