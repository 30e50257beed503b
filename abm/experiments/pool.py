"""Worker process pools that start fast, load the model once, and die with their parent.

On Linux, workers are forked from a fork server (``multiprocessing``'s forkserver) that
imported the model once (``PRELOAD``: Mesa, numpy, pandas, scipy, both models, the trial). A
new worker is a copy of it, so it starts in milliseconds instead of importing for a second or
more, and a process that makes many pools (``abm calibrate`` runs a trial per point) pays the
imports once, not once per worker per pool. ``start()`` launches the server early, so that it
imports while this process reads its input. The server is a fresh interpreter, not a fork of
this process: this process may run threads (a progress bar, a Dask client, BLAS), which
forking would copy half-way. Elsewhere (macOS, Windows) workers are spawned and import the
model in their initializer, once each, before their first task.

A pool's workers are separate processes: when the parent is killed (SIGKILL, out of memory)
nothing tells them, and they would go on computing for minutes. Each worker watches a pipe
that only its parent holds open (``multiprocessing.parent_process().sentinel``) and exits the
moment the parent is gone.

``executor`` says where a sweep's runs or a trial's chunks go: this process, such a pool, or a
Dask cluster's executor (waiting for a worker to join; its loss becomes ``ClusterLostError``).
"""

from __future__ import annotations

import contextlib
import importlib
import multiprocessing
import os
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import CancelledError, Executor, ProcessPoolExecutor
from contextlib import contextmanager
from multiprocessing.connection import wait

from abm.io.errors import InputError

# What every worker needs, imported once by the fork server: a sweep's run (abm.experiments.sweep.runner, which
# brings the trial and the clone model), the spatial model (abm.experiments.run) and the run metrics.
PRELOAD = ("abm.experiments.sweep.runner", "abm.experiments.run", "abm.experiments.sweep.metrics")


def start_method() -> str:
    """``forkserver`` on Linux; ``spawn`` elsewhere (macOS system libraries are not safe to fork)."""
    return "forkserver" if sys.platform.startswith("linux") else "spawn"


def _context() -> multiprocessing.context.BaseContext:
    context = multiprocessing.get_context(start_method())
    if start_method() == "forkserver":
        context.set_forkserver_preload(list(PRELOAD))  # read when the server starts; later calls change nothing
    return context


def start() -> None:
    """Start the fork server now (if not yet running), so it imports the model while this process works.

    Returns at once: the server imports in its own process, and the first pool waits for it. If
    this process ends before it made a pool (bad input), the server finishes its imports and
    ends (about a second of CPU in the background).
    """
    if start_method() == "forkserver":
        _context()
        from multiprocessing import forkserver

        forkserver.ensure_running()


def process_pool(workers: int) -> ProcessPoolExecutor:
    """A pool of ``workers`` processes with the model loaded, each ending when this process ends."""
    return ProcessPoolExecutor(max_workers=workers, mp_context=_context(), initializer=start_worker)


def start_worker() -> None:
    """In each worker, before its first task: watch the parent; import the model unless forked with it."""
    watch_parent()
    for module in PRELOAD:
        importlib.import_module(module)  # at once where the fork server preloaded it


def watch_parent() -> None:
    """In a worker: quit as soon as the parent process is gone (killed), instead of lingering.

    The parent holds the write end of a pipe whose read end is the worker's parent sentinel: the
    kernel closes it when the parent dies, however it dies, and the sentinel becomes readable.
    """
    parent = multiprocessing.parent_process()
    if parent is None:  # not a multiprocessing child: nothing to watch
        return

    def watch() -> None:
        wait([parent.sentinel])
        os._exit(1)

    threading.Thread(target=watch, name="abm-watch-parent", daemon=True).start()


# --- where work goes: this process, local workers, or a Dask cluster -------------------------
def always_alive() -> bool:
    """A local pool's health check: a broken process pool says so itself."""
    return True


class ClusterLostError(Exception):
    """The Dask scheduler went away mid-run (a sweep keeps the runs done so far; a new call resumes)."""


# How long a sweep or trial waits for a Dask cluster with no worker before giving up (seconds).
WORKER_WAIT = 60.0


@contextmanager
def executor(
    workers: int, scheduler: str | None, log: Callable[[str], None] | None = None
) -> Iterator[tuple[Executor | None, int, Callable[[], bool]]]:
    """Where work goes: a pool (None: this process; local worker processes; a Dask cluster's
    executor), how many tasks to keep submitted, and whether the pool still works. Sweeps and
    trials both use it."""
    if scheduler is not None:
        with _dask_executor(scheduler, log) as found:
            yield found
        return
    if workers <= 1:
        yield None, 1, always_alive
        return
    pool = process_pool(workers)  # workers with the model loaded, ending with this process
    try:
        yield pool, 2 * workers, always_alive  # a broken process pool says so itself
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


@contextmanager
def _dask_executor(
    scheduler: str, log: Callable[[str], None] | None
) -> Iterator[tuple[Executor, int, Callable[[], bool]]]:
    """A Dask cluster's executor, once it has a worker; its loss mid-run becomes ClusterLostError."""
    try:
        from distributed import Client
    except ImportError:  # pragma: no cover - a dependency of the package
        raise InputError("--scheduler", scheduler, "needs dask.distributed (dask[distributed])") from None
    try:
        client = Client(scheduler, timeout="10s")
    except (OSError, TimeoutError, ValueError) as error:
        raise InputError("--scheduler", scheduler, f"cannot connect to a Dask scheduler: {error}") from None
    try:
        if not client.nthreads():
            if log:
                log(f"waiting up to {WORKER_WAIT:.0f} s for a Dask worker to join {scheduler} ...")
            try:
                client.wait_for_workers(1, timeout=WORKER_WAIT)
            except TimeoutError:  # before OSError, of which it is a kind
                raise InputError(
                    "--scheduler",
                    scheduler,
                    f"no Dask worker joined in {WORKER_WAIT:.0f} s; start one (dask worker {scheduler}), run again",
                ) from None
            except OSError as error:  # the scheduler went away while we waited
                raise InputError("--scheduler", scheduler, f"lost the Dask scheduler: {error}") from None
        threads = sum(client.nthreads().values()) or 1
        try:
            yield client.get_executor(pure=False), 2 * threads, lambda: client.status in ("running", "connecting")
        except (OSError, TimeoutError, CancelledError) as error:  # distributed's CommClosedError is an OSError
            if client.status in ("running", "connecting"):
                raise
            raise ClusterLostError(f"{type(error).__name__}: {error}") from None
    finally:
        with contextlib.suppress(Exception):  # closing a client whose scheduler is gone may complain
            client.close(timeout=5)
