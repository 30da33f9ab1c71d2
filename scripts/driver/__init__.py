"""The device driver: the one way scripts touch a phone.

Scripts depend on the `DeviceDriver` protocol; `AdbDriver` implements it over
adbutils for real phones and simulated ones alike. UI queries use `Selector`s, which
data files describe (`Selector.from_mapping`).
"""

from ._adb import AdbDriver, CallObserver, LineOutput, ignore_call
from ._errors import CommandFailed, DeviceLost, DriverError, DriverTimeout, ElementNotFound
from ._protocol import DeviceDriver, ShellOutput
from ._recorded import Recorded
from ._selector import Bounds, Selector, UiElement, UiTree

__all__ = [
    "AdbDriver",
    "Bounds",
    "CallObserver",
    "CommandFailed",
    "DeviceDriver",
    "DeviceLost",
    "DriverError",
    "DriverTimeout",
    "ElementNotFound",
    "LineOutput",
    "Recorded",
    "Selector",
    "ShellOutput",
    "UiElement",
    "UiTree",
    "ignore_call",
]
