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
"""

from __future__ import annotations

import importlib
import multiprocessing
import os
import sys
import threading
from concurrent.futures import ProcessPoolExecutor
from multiprocessing.connection import wait

# What every worker needs, imported once by the fork server: a sweep's run (abm.batch, which
# brings the trial and the clone model), the spatial model (abm.run) and the run metrics.
PRELOAD = ("abm.batch", "abm.run", "abm.metrics")


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
