"""The curated public surface of each package, pinned name by name.

As httpx's `tests/test_exported_members.py` does: each package's `__all__` is written out
here, so adding, renaming or dropping a public name is a visible change of this file, not
a side effect of an edit elsewhere. ruff's RUF022 keeps each `__all__` sorted, so the
lists below are in that order too. Public modules (`scripts.convert`, the error modules)
are pinned as packages are.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# `orchestrator` itself is a namespace of modules (the CLI, the service): no names of its own.
NO_SURFACE = {"orchestrator"}

PUBLIC: dict[str, list[str]] = {
    "actors": [
        "INTERRUPTED_REMARK", "ActorBusy", "ActorClosed", "ActorCrashed", "ActorError", "Address",
        "Backoff", "DeviceActorFactory", "Event", "EventLog", "Failure", "Inbox", "NewSchedule",
        "NewTask", "Planner", "ProxyRotation", "Refused", "Reply", "Requeue", "RotationOf",
        "Schedule", "ScheduleNameTaken",
        "ScheduleNotFound", "ScheduleStore", "SchedulerSettings", "ScriptRunner", "Task",
        "TaskEnd",
        "TaskFailed", "TaskFilter", "TaskNotFound", "TaskReads", "TaskRunner", "TaskSource",
        "TaskStats", "TaskStatus", "TaskStore", "Waiting", "WallClock", "WrongTaskState",
        "host_lost_remark", "next_slot", "origin_of", "phone_answers", "read_farm",
        "recover_dead_hosts",
        "recover_interrupted", "run_device",
        "run_scheduler", "run_watcher", "serve_core", "serve_scheduler", "supervise",
    ],
    "actors.messages": [
        "AwaitPhone", "CancelRun", "CountDevices", "DeleteSchedule", "DeleteTasks", "DeviceBack",
        "DeviceDown", "DeviceMsg",
        "DeviceSnapshot", "DeviceUp", "DevicesListed", "FarmAsItIs", "GetDevice", "ListDevices",
        "PhonesPlaced", "PlacesLost", "PutSchedule", "RetryTasks", "RunTask", "ScheduleChanged",
        "SchedulerMsg", "StopAsked",
        "StopTask", "SubmitTasks", "TaskEnded", "TasksPending", "TasksTaken",
    ],
    "scripts": [
        "NO_HOST_FILES", "SCRIPTS", "AccountWarmupConfig", "ChatGPTSettings", "CommentConfig",
        "FanOut", "FieldError", "FollowConfig", "HostFiles", "InvalidConfig", "LikeConfig", "Mark",
        "MaterialLibrary", "MessageConfig", "PostConfig", "ProfileConfig", "RunResult",
        "RunningSteps",
        "ScrapeUserConfig", "Script", "ScriptContext", "ScriptError", "ScriptNotEnabled",
        "ScriptSpec", "Step", "StepFailed", "StepLog", "SuperMarketingConfig", "UnfollowConfig",
        "UnknownScript",
        "api_script", "marked", "plan_tasks", "public_config", "run_task", "validate",
    ],
    "scripts.convert": [
        "CONFIG_PATH", "INT64_MAX", "INT64_MIN", "FieldProblem", "check_int64", "describe",
        "int64_of", "json_type", "load", "make_converter", "problems", "task_config",
    ],
    "scripts.apps": ["OPTIONAL", "PLATFORMS", "REQUIRED", "AppData", "load_app"],
    "scripts.driver": [
        "AdbDriver", "Bounds", "CallObserver", "CommandFailed", "DeviceDriver", "DeviceLost",
        "DriverError", "DriverTimeout", "ElementNotFound", "LineOutput", "Recorded", "Selector",
        "ShellOutput", "UiElement", "UiTree", "ignore_call",
    ],
    "scripts.errors": [
        "FieldError", "InvalidConfig", "ScriptError", "ScriptNotEnabled", "StepFailed",
        "UnknownScript",
    ],
    "scripts.flows": [
        "PROFILE_FIELDS", "Probe", "Ui", "WarmupCounts", "WarmupPlan", "as_account",
        "chat_comment", "comment_here", "edit_profile", "follow", "follow_shown", "like_here",
        "like_latest", "like_post", "message_shown", "open_post", "open_profile",
        "parse_count", "read_followers", "read_profile", "send_message", "switch_account",
        "unfollow", "upload", "warm_up",
    ],
    "orchestrator.adb_server": [
        "DEFAULT_ADDRESS", "never_started_behind_our_back", "start_if_absent",
    ],
    "orchestrator.accounts": [
        "Account", "AccountExists", "AccountFilter", "AccountStatus", "AccountStore",
        "LoginState", "NewAccount", "Platform",
    ],
    "orchestrator.api": [
        "ACCESS_LOG", "API_PREFIX", "POSTGRES_VARIABLE", "SIGNATURE_HEADER", "TOKEN_VARIABLE",
        "WEBHOOK_SECRET_VARIABLE", "Access", "ApiProcess", "Metrics", "Phones", "Webhooks",
        "create_app", "deliver_webhooks", "is_http_url", "is_loopback", "is_origin", "is_wildcard",
        "run_api_process", "schedule_planner", "serve_api",
    ],
    "orchestrator.converter": ["Range", "make_converter"],
    "orchestrator.errors": [
        "ApiNotAllowed", "Forbidden", "InternalError", "InvalidParams", "NotFound",
        "OrchestratorError", "ScriptNameMissing", "ScriptNotApiEnabled", "Unauthorized",
        "Unavailable",
    ],
    "orchestrator.simulator": [
        "ActivityNotFound", "App", "Bounds", "Farm", "FaultPlan", "Faults", "FileSystem",
        "Intent", "Node", "Phone", "PhoneUnplugged", "ShellResult", "Simulator", "Stat",
        "attach_to_adb_server", "hierarchy_xml", "open_simulator", "run_churn",
        "serve_adb_server", "serve_device_transport",
    ],
    "orchestrator.simulator.apps": [
        "INSTAGRAM", "TIKTOK", "Account", "AppSpec", "Comment", "Post", "PostedMedia",
        "Profile", "SocialApp", "World", "default_apps", "load_spec",
    ],
    "orchestrator.simulator.commands": ["COMMANDS", "Call", "Handler", "run_line"],
    "orchestrator.farm": [
        "BEAT", "CAUGHT_UP", "LEASE", "keep_lease", "listen_to_hosts", "relay_news",
    ],
    "orchestrator.store": [
        "CHANNEL", "DATABASE_ERRORS", "AnswerStore", "HostNameLost", "HostNameTaken",
        "KeptAnswer", "News", "NewsKind", "SchemaTooNew", "Store", "machine_name",
        "open_postgres_reads", "open_postgres_store", "open_reads", "open_sqlite_reads",
        "open_sqlite_store", "open_store",
    ],
}


@pytest.mark.parametrize(("name", "expected"), PUBLIC.items(), ids=list(PUBLIC))
def test_exported_members(name: str, expected: list[str]) -> None:
    """`__all__` is exactly the pinned list, in order, and names only what is there."""
    module = importlib.import_module(name)
    assert list(module.__all__) == expected
    missing = [attr for attr in expected if not hasattr(module, attr)]
    assert missing == [], f"{name} exports names it does not have"


def test_every_package_is_pinned() -> None:
    """A new package cannot slip past the pin: every package of the three is listed."""
    packages = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for top in ("actors", "scripts", "orchestrator")
        for init in (ROOT / top).rglob("__init__.py")
    }
    assert packages - NO_SURFACE - set(PUBLIC) == set()
