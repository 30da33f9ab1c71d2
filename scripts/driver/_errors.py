"""What can go wrong when a script drives a phone.

    DriverError            base: something about the device call failed
    ├── DeviceLost         the phone is gone, offline or unauthorized (the broken case:
    │                      nothing more can be done on it until it comes back)
    ├── DriverTimeout      one call took longer than its deadline (a hung phone)
    ├── CommandFailed      the phone answered, but a command reported an error
    └── ElementNotFound    the UI never showed what was looked for

Every error names the serial of the phone it happened on.
"""

from __future__ import annotations

__all__ = ["CommandFailed", "DeviceLost", "DriverError", "DriverTimeout", "ElementNotFound"]


class DriverError(Exception):
    """Base of the errors of a `DeviceDriver`; `serial` names the phone, `reason` says
    what went wrong in words a person reads."""

    def __init__(self, serial: str, reason: str) -> None:
        super().__init__(f"{serial}: {reason}")
        self.serial = serial
        self.reason = reason


class DeviceLost(DriverError, ConnectionError):
    """The phone is unplugged, offline or unauthorized: every further call fails too."""


class DriverTimeout(DriverError, TimeoutError):
    """A call did not finish within its deadline; the phone may be hung."""


class CommandFailed(DriverError):
    """A command ran but failed (`am start` found no activity, a dump failed...)."""

    def __init__(self, serial: str, command: str, output: str) -> None:
        super().__init__(serial, f"`{command}` failed: {output.strip() or 'no output'}")
        self.command = command
        self.output = output


class ElementNotFound(DriverError, LookupError):
    """`wait_for` gave up: `selector` (its text form) did not appear within `timeout` s."""

    def __init__(self, serial: str, selector: str, timeout: float) -> None:
        super().__init__(serial, f"no element matching {selector} appeared within {timeout:g} s")
        self.selector = selector
        self.timeout = timeout
