"""Wiring: the store, the actors, the facade (and simulated phones) in one nursery."""

from __future__ import annotations

import contextlib
import functools
import logging
import os
from contextlib import AsyncExitStack

import attrs
import httpx
import trio

from actors import EventLog, ScriptRunner, WallClock, recover_interrupted, serve_core
from scripts import HostFiles, MaterialLibrary, RunningSteps

from .adb_server import never_started_behind_our_back, start_if_absent
from .api import (
    Access,
    ApiProcess,
    Metrics,
    Phones,
    create_app,
    deliver_webhooks,
    is_loopback,
    is_wildcard,
    schedule_planner,
    serve_api,
)
from .farm import LEASE, keep_lease, listen_to_hosts, relay_news
from .runtime import start_up_frozen, switch_interval
from .settings import Settings
from .simulator import open_simulator
from .startup import starting
from .store import Store, machine_name, open_store

__all__ = ["Running", "run_orchestrator"]

log = logging.getLogger(__name__)


@attrs.frozen
class Running:
    """Where a started orchestrator listens (handed to `nursery.start` callers)."""

    api_port: int
    adb_host: str
    adb_port: int


async def run_orchestrator(settings: Settings,
                           *, task_status: trio.TaskStatus[Running] = trio.TASK_STATUS_IGNORED
                           ) -> None:
    """Run everything until cancelled (the interpreter set as `runtime` says)."""
    with switch_interval():
        await _run(settings, task_status)


def _own_data_dir(settings: Settings) -> None:
    """What the orchestrator keeps in the data folder (the database, with account
    passwords, and the materials) readable by its owner only. A folder it makes is its
    owner's only too; one that was there already keeps its mode (it may be a folder of
    the user's own, `--data-dir ~`), with a warning if others may look into it."""
    made = not settings.data_dir.exists()
    settings.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not made and settings.data_dir.stat().st_mode & 0o077:
        log.warning("other users may list the data folder %s: the database and the "
                    "materials in it are its owner's only", settings.data_dir)
    settings.materials_dir.mkdir(mode=0o700, exist_ok=True)
    settings.materials_dir.chmod(0o700)
    if settings.postgres is None:
        os.close(os.open(settings.sqlite_path, os.O_CREAT | os.O_WRONLY, 0o600))
        for suffix in ("", "-wal", "-shm", "-journal"):  # SQLite gives new ones the file's
            with contextlib.suppress(FileNotFoundError):
                settings.sqlite_path.with_name(settings.sqlite_path.name + suffix).chmod(0o600)


async def _run(settings: Settings, task_status: trio.TaskStatus[Running]) -> None:
    with starting(f"use the data folder {settings.data_dir}"):
        _own_data_dir(settings)
    clock = WallClock()
    scheduling = attrs.evolve(settings.scheduling, device_limit=settings.plan.device_limit)
    access = Access(token=settings.token, bound_host=settings.host,
                    origins=settings.allow_origins, hosts=settings.allow_hosts)
    # Tasks read host files in the data folder and the --allow-path folders, never the
    # database (it holds the accounts' passwords).
    host_files = HostFiles.of(settings.data_dir, settings.allow_paths,
                              private=(settings.sqlite_path,))
    async with AsyncExitStack() as stack:
        freeze_start_up = stack.enter_context(start_up_frozen())
        database = "PostgreSQL" if settings.postgres else str(settings.sqlite_path)
        with starting(f"open the database ({database})"):
            store = await stack.enter_async_context(open_store(
                postgres=settings.postgres, sqlite_path=settings.sqlite_path,
                host_id=settings.host_id))
        with starting(f"join the farm as host {store.host_id!r}"):
            await store.hosts.take_name(lease=LEASE)
            await recover_interrupted(store, clock, scheduling)
            news = (await stack.enter_async_context(listen_to_hosts(settings.postgres))
                    if settings.postgres else None)
        servers = settings.adb_servers
        if settings.simulate:
            with starting("start the simulated phones"):
                sim = await stack.enter_async_context(
                    open_simulator(settings.simulate, prefix=settings.sim_prefix))
            servers = ((sim.host, sim.port),)
        else:
            for host, port in servers:
                with starting(f"start an ADB server on {host}:{port}"):
                    await start_if_absent(host, port)
        adb_host, adb_port = servers[0]
        never_started_behind_our_back()  # from here on
        http = await stack.enter_async_context(httpx.AsyncClient(timeout=60))
        hosts = (await stack.enter_async_context(httpx.AsyncClient(  # the other hosts' APIs
            timeout=httpx.Timeout(60, connect=5), trust_env=False))
            if settings.postgres else None)
        hooks = await stack.enter_async_context(httpx.AsyncClient())  # the webhooks'
        materials = MaterialLibrary(settings.materials_dir)
        nursery = await stack.enter_async_context(trio.open_nursery())
        events, running, metrics = EventLog(), RunningSteps(), Metrics()
        server_of: dict[str, tuple[str, int]] = {}  # each phone's ADB server (the watchers')
        nursery.start_soon(metrics.follow, events)
        scheduler = await nursery.start(functools.partial(
            serve_core, store=store, clock=clock, settings=scheduling, events=events,
            planner=schedule_planner(store=store, host_files=host_files), adb_servers=servers,
            server_of=server_of, runner_for=lambda serial, server: ScriptRunner(
                adb_host=server[0], adb_port=server[1], serial=serial,
                data_dir=settings.data_dir, materials=materials, host_files=host_files,
                running=running, http=http, observe=metrics.adb_call,
                rotation=functools.partial(store.proxies.rotation_of, serial))))
        nursery.start_soon(functools.partial(keep_lease, store=store, clock=clock,
                                             settings=scheduling, scheduler=scheduler))
        if news is not None:
            nursery.start_soon(functools.partial(relay_news, news, store=store,
                                                 scheduler=scheduler, events=events))
        nursery.start_soon(deliver_webhooks, events, settings.webhooks, hooks)
        app = create_app(scheduler=scheduler, events=events, running=running,
                         phones=Phones(server_of, servers=servers, observe=metrics.adb_call),
                         store=store, plan=settings.plan, clock=clock, materials=materials,
                         access=access, host_files=host_files, metrics=metrics, hosts=hosts)
        with starting(f"listen on {settings.host} port {settings.port}"):
            api_port = await nursery.start(functools.partial(
                serve_api, app, host=settings.host, port=settings.port,
                processes=settings.api_processes,
                process=ApiProcess(sqlite_path=settings.sqlite_path, postgres=settings.postgres,
                                   plan=settings.plan, access=access)))
            if hosts is not None:
                await store.hosts.listens(url := settings.api_url or await _api_root(
                    store, settings.host, api_port))
                if (settings.api_url is None and is_loopback(httpx.URL(url).host)
                        and not is_loopback(settings.host)):
                    log.warning("the other hosts of the farm reach this host's API at %s: "
                                "only those on this machine can (--api-url says where the "
                                "others can)", url)
        log.info("task API on http://%s:%d/api/v1/ (plan %s, %s), the console on /; phones "
                 "from the ADB server at %s:%d; data in %s", settings.host, api_port,
                 settings.plan.name, f"{settings.api_processes} API processes"
                 if settings.api_processes else "in this process", adb_host, adb_port,
                 settings.data_dir)
        freeze_start_up()
        task_status.started(Running(api_port=api_port, adb_host=adb_host, adb_port=adb_port))


async def _api_root(store: Store, host: str, port: int) -> str:
    """Where the other hosts reach this one's API: the address it listens on, or (on
    every address) the one the database sees it connect from, else (that is loopback, or
    none) its machine name's. An address, not a name: a host that listens on every
    address takes any address in `Host`, but only names it is told (`--allow-host`)."""
    address = host
    if is_wildcard(host):
        seen = await store.hosts.seen_from()
        address = seen if seen is not None and not is_loopback(seen) else machine_name()
        with contextlib.suppress(OSError):  # no address for that name: it stays a name
            address = str((await trio.socket.getaddrinfo(
                address, None, type=trio.socket.SOCK_STREAM))[0][4][0])
    return str(httpx.URL(scheme="http", host=address, port=port))
