"""Simulated Android phones behind a real-protocol ADB server.

adbutils and the real `adb` tool cannot tell these phones from real ones. Tests,
benchmarks and a first run without phones stand on them.
"""

from ._adb_server import serve_adb_server
from ._app import App, Intent
from ._chaos import FaultPlan, run_churn
from ._farm import Farm
from ._faults import Faults
from ._fs import FileSystem, Stat
from ._phone import ActivityNotFound, Phone, PhoneUnplugged
from ._shell import ShellResult
from ._simulator import Simulator, open_simulator
from ._transport import attach_to_adb_server, serve_device_transport
from ._ui import Bounds, Node, hierarchy_xml

__all__ = [
    "ActivityNotFound",
    "App",
    "Bounds",
    "Farm",
    "FaultPlan",
    "Faults",
    "FileSystem",
    "Intent",
    "Node",
    "Phone",
    "PhoneUnplugged",
    "ShellResult",
    "Simulator",
    "Stat",
    "attach_to_adb_server",
    "hierarchy_xml",
    "open_simulator",
    "run_churn",
    "serve_adb_server",
    "serve_device_transport",
]
