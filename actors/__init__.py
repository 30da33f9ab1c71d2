"""The core: an actor per phone, the scheduler that owns time, and the device watcher.

Actors talk through bounded mailboxes with typed messages (`actors.messages`). This
package imports `scripts` and states what it needs from outside as protocols
(`TaskStore`, `TaskRunner`); `orchestrator` implements and wires them.
"""

from ._backoff import Backoff
from ._clock import WallClock
from ._core import serve_core
from ._device import phone_answers, run_device
from ._errors import (
    ActorBusy,
    ActorClosed,
    ActorCrashed,
    ActorError,
    Refused,
    ScheduleNameTaken,
    ScheduleNotFound,
    TaskNotFound,
    WrongTaskState,
)
from ._events import Event, EventLog
from ._mailbox import Address, Inbox, Reply
from ._model import NewTask, Task, TaskFilter, TaskSource, TaskStats, TaskStatus
from ._ports import (
    Failure,
    Requeue,
    TaskEnd,
    TaskFailed,
    TaskReads,
    TaskRunner,
    TaskStore,
    Waiting,
)
from ._proxy import ProxyRotation, RotationOf, origin_of
from ._runner import ScriptRunner
from ._scheduler import (
    INTERRUPTED_REMARK,
    SchedulerSettings,
    host_lost_remark,
    read_farm,
    recover_dead_hosts,
    recover_interrupted,
    run_scheduler,
    serve_scheduler,
)
from ._schedules import NewSchedule, Planner, Schedule, ScheduleStore, next_slot
from ._supervise import supervise
from ._watcher import DeviceActorFactory, run_watcher

__all__ = [
    "INTERRUPTED_REMARK",
    "ActorBusy",
    "ActorClosed",
    "ActorCrashed",
    "ActorError",
    "Address",
    "Backoff",
    "DeviceActorFactory",
    "Event",
    "EventLog",
    "Failure",
    "Inbox",
    "NewSchedule",
    "NewTask",
    "Planner",
    "ProxyRotation",
    "Refused",
    "Reply",
    "Requeue",
    "RotationOf",
    "Schedule",
    "ScheduleNameTaken",
    "ScheduleNotFound",
    "ScheduleStore",
    "SchedulerSettings",
    "ScriptRunner",
    "Task",
    "TaskEnd",
    "TaskFailed",
    "TaskFilter",
    "TaskNotFound",
    "TaskReads",
    "TaskRunner",
    "TaskSource",
    "TaskStats",
    "TaskStatus",
    "TaskStore",
    "Waiting",
    "WallClock",
    "WrongTaskState",
    "host_lost_remark",
    "next_slot",
    "origin_of",
    "phone_answers",
    "read_farm",
    "recover_dead_hosts",
    "recover_interrupted",
    "run_device",
    "run_scheduler",
    "run_watcher",
    "serve_core",
    "serve_scheduler",
    "supervise",
]
