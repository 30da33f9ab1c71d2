"""`am` intent arguments: parsing them into an `Intent`, and printing one as Android does.

`describe` is `Intent.toString()`: `Intent { act=... cat=[...] dat=... typ=... flg=0x...
pkg=... cmp=... (has extras) }`, with the data URI shortened as `Uri.toSafeString()` does.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import attrs

from .._app import Intent

__all__ = ["IntentArgs", "IntentError", "component_long", "component_short", "describe",
           "parse_intent"]

FLAG_ACTIVITY_NEW_TASK = 0x10000000
_FLAG_OPTIONS = {
    "--grant-read-uri-permission": 0x1, "--grant-write-uri-permission": 0x2,
    "--debug-log-resolution": 0x8, "--exclude-stopped-packages": 0x10,
    "--include-stopped-packages": 0x20, "--grant-persistable-uri-permission": 0x40,
    "--grant-prefix-uri-permission": 0x80, "--activity-match-external": 0x800,
    "--activity-task-on-home": 0x4000, "--activity-clear-task": 0x8000,
    "--activity-no-animation": 0x10000, "--activity-reorder-to-front": 0x20000,
    "--activity-no-user-action": 0x40000, "--activity-clear-when-task-reset": 0x80000,
    "--activity-launched-from-history": 0x100000, "--activity-reset-task-if-needed": 0x200000,
    "--activity-brought-to-front": 0x400000, "--activity-exclude-from-recents": 0x800000,
    "--activity-previous-is-top": 0x1000000, "--receiver-include-background": 0x1000000,
    "--activity-clear-top": 0x4000000, "--activity-multiple-task": 0x8000000,
    "--receiver-no-abort": 0x8000000, "--receiver-foreground": 0x10000000,
    "--activity-single-top": 0x20000000, "--receiver-replace-pending": 0x20000000,
    "--activity-no-history": 0x40000000, "--receiver-registered-only": 0x40000000,
}
_FIELDS = {"-a": "action", "-d": "data", "-t": "mime_type", "-n": "component", "-p": "package"}
_EXTRAS = frozenset({"--es", "--ei", "--el", "--ef", "--ed", "--eu", "--ecn", "--ez", "--eia",
                     "--eial", "--ela", "--elal", "--efa", "--efal", "--esa", "--esal"})
#: Options of `am start`/`am broadcast` themselves: those taking a value, and switches.
_OWN_VALUED = frozenset({"-P", "--start-profiler", "--sampling", "--attach-agent", "-R",
                         "--user", "--display", "--windowingMode", "--activityType", "--task",
                         "--receiver-permission"})
_OWN_SWITCHES = frozenset({"-W", "-S", "-D", "-N", "--streaming", "--async", "--task-overlay",
                           "--lock-task", "--allow-background-activity-starts"})
_ONE_VALUE = _OWN_VALUED | _FIELDS.keys() | {"-c", "-f", "--esn"}
_SAFE_SCHEMES = frozenset({"http", "https", "ftp", "rtsp"})
_PRIVATE_SCHEMES = frozenset({"tel", "sip", "sms", "smsto", "mailto", "nfc"})


class IntentError(ValueError):
    """Bad intent arguments; the message is what the Java side throws."""


@attrs.frozen
class IntentArgs:
    intent: Intent
    switches: frozenset[str]


def parse_intent(args: tuple[str, ...]) -> IntentArgs:
    """Parse `am start`-style arguments (options, extras, then an optional URI)."""
    fields: dict[str, str] = {}
    categories: list[str] = []
    extras: dict[str, str] = {}
    switches: set[str] = set()
    flags, index = 0, 0
    while index < len(args):
        option = args[index]
        index += 1
        needed = 2 if option in _EXTRAS else 1 if option in _ONE_VALUE else 0
        values = args[index:index + needed]
        if len(values) < needed:
            raise IntentError(f"Argument expected after \"{option}\"")
        index += needed
        if option in _FIELDS:
            fields[_FIELDS[option]] = values[0]
        elif option == "-c":
            categories.append(values[0])
        elif option == "-f":
            flags |= int(values[0], 0)
        elif option in _EXTRAS:
            extras[values[0]] = values[1]
        elif option == "--esn":
            extras[values[0]] = ""
        elif option in _FLAG_OPTIONS:
            flags |= _FLAG_OPTIONS[option]
        elif option in _OWN_SWITCHES:
            switches.add(option)
        elif option.startswith("-") and option not in _OWN_VALUED:
            raise IntentError(f"Unknown option: {option}")
        elif not option.startswith("-"):
            _positional(option, fields)
    return IntentArgs(Intent(categories=tuple(categories), extras=extras, flags=flags,
                             **fields), frozenset(switches))


def _positional(arg: str, fields: dict[str, str]) -> None:
    """The trailing URI / component / package, as `am` guesses which one it is."""
    if ":" in arg:
        fields["data"] = arg
    elif "/" in arg:
        fields["component"] = arg
    else:
        fields["package"] = arg


def _safe_uri(uri: str) -> str:
    scheme, colon, rest = uri.partition(":")
    if not colon:
        return uri
    if scheme.lower() in _SAFE_SCHEMES:
        parts = urlsplit(uri)
        port = f":{parts.port}" if parts.port else ""
        return f"{scheme}://{parts.hostname or ''}{port}/..."
    if scheme.lower() in _PRIVATE_SCHEMES:
        return scheme + ":" + "".join(c if c in "-@." else "x" for c in rest)
    return scheme + ":" + rest.partition("#")[0]


def _split_component(component: str) -> tuple[str, str]:
    package, _, cls = component.partition("/")
    return package, package + cls if cls.startswith(".") else cls


def component_short(component: str) -> str:
    """`ComponentName.flattenToShortString()`: `pkg/.Main` for a class in the package."""
    package, cls = _split_component(component)
    return f"{package}/{cls.removeprefix(package)}" if cls.startswith(package + ".") \
        else f"{package}/{cls}"


def component_long(component: str) -> str:
    """`ComponentName.toShortString()`: `{pkg/pkg.Main}`."""
    package, cls = _split_component(component)
    return f"{{{package}/{cls}}}"


def describe(intent: Intent, *, extra_flags: int = 0) -> str:
    """`Intent.toString()` as `am` prints it."""
    parts = []
    if intent.action:
        parts.append(f"act={intent.action}")
    if intent.categories:
        parts.append(f"cat=[{','.join(intent.categories)}]")
    if intent.data:
        parts.append(f"dat={_safe_uri(intent.data)}")
    if intent.mime_type:
        parts.append(f"typ={intent.mime_type}")
    if intent.flags | extra_flags:
        parts.append(f"flg=0x{intent.flags | extra_flags:x}")
    if intent.package:
        parts.append(f"pkg={intent.package}")
    if intent.component:
        parts.append(f"cmp={component_short(intent.component)}")
    if intent.extras:
        parts.append("(has extras)")
    return "Intent { " + " ".join(parts) + " }"
