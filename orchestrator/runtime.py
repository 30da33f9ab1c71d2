"""How a process of ours is set: the GIL's switch interval, what the cyclic garbage
collector leaves out, and the signals that stop it.

All are process-wide: the process's entry (`run_orchestrator`, an API process, a
benchmark's core) sets them, and puts back what it found on its way out.
"""

from __future__ import annotations

import gc
import logging
import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import trio

__all__ = ["GIL_SWITCH_INTERVAL", "start_up_frozen", "stop_on_signals", "switch_interval"]

log = logging.getLogger(__name__)

#: How long CPython lets a thread keep the GIL while another waits (its default: 5 ms).
#: The store's lanes and every adb call run in threads beside the event loop; while the
#: loop is busy (the API under load), each of their many GIL hand-offs per transaction or
#: call waited up to the whole interval (bench/README.md, Timing).
GIL_SWITCH_INTERVAL = 0.0005


@contextmanager
def switch_interval(seconds: float = GIL_SWITCH_INTERVAL) -> Iterator[None]:
    """The GIL's switch interval is `seconds` until the block exits."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(seconds)
    try:
        yield
    finally:
        sys.setswitchinterval(before)


@contextmanager
def start_up_frozen() -> Iterator[Callable[[], None]]:
    """Yield `freeze`: called once start-up is done, it leaves every object alive then
    (modules, the store, the simulator, phones already plugged in) out of the collector's
    later passes, until the block exits.

    Enter it before what start-up builds, so that it exits after all of that has ended.

    A full collection scans every tracked object and stops the event loop meanwhile: with
    1,000 phones it took 70-130 ms, and one that fell between a burst's hand-over and its
    moment made all 1,000 start that much late. What start-up made mostly lives as long as
    the process, so scanning it finds nothing (about 100,000 objects, 30 ms, are the
    imports alone). What of it dies in a reference cycle before the block exits (an actor
    of a phone pulled out) stays until then: a bounded cost, once per object.
    """
    def freeze() -> None:
        gc.collect()
        gc.freeze()

    try:
        yield freeze
    finally:
        gc.unfreeze()


async def stop_on_signals(scope: trio.CancelScope, what: str = "the orchestrator", *,
                          task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED
                          ) -> None:
    """Cancel `scope` at the first SIGTERM or SIGINT: everything unwinds as on any
    cancellation (the store closes, API processes end, their socket folder goes), instead
    of the process dying where it stands. Tasks that were running are failed as
    interrupted at the next start, as after a crash. `what` names the process in the log.
    Started (`nursery.start`) once the signals are caught: a process says it is up after.
    """
    with trio.open_signal_receiver(signal.SIGTERM, signal.SIGINT) as signals:
        task_status.started()
        async for signum in signals:
            name = signal.Signals(signum).name
            log.info("%s: stopping %s", name, what)
            scope.cancel(reason=f"stopped by {name}")
            return
