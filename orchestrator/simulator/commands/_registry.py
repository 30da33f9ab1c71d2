"""Every command the phone's shell knows, by name: one table per command family."""

from __future__ import annotations

from . import _am, _basic, _dumpsys, _files, _input, _pm, _props, _screen, _sim
from ._base import Handler, subcommand

__all__ = ["COMMANDS"]

COMMANDS: dict[str, Handler] = {
    **_basic.COMMANDS, **_files.COMMANDS, **_props.COMMANDS, **_dumpsys.COMMANDS,
    **_pm.COMMANDS, **_am.COMMANDS, **_input.COMMANDS, **_screen.COMMANDS,
    **_sim.COMMANDS,
}
#: `cmd SERVICE ...`, the binder shell commands behind `pm`, `am`, `settings`, `input`.
COMMANDS["cmd"] = subcommand("cmd", {
    "package": COMMANDS["pm"], "activity": COMMANDS["am"], "settings": COMMANDS["settings"],
    "input": COMMANDS["input"], "window": COMMANDS["wm"],
})
