"""Worker process pools that die with their parent.

A pool's workers are separate processes: when the parent is killed (SIGKILL, out of memory)
nothing tells them, and they would go on computing for minutes. Each worker watches its parent
and exits as soon as it is gone. Spawned, not forked: the parent may run threads (a progress
bar, a Dask client, BLAS).
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor

# How often a worker looks for its parent (seconds): the longest it outlives it.
WATCH_INTERVAL = 0.5


def process_pool(workers: int) -> ProcessPoolExecutor:
    """A spawn-context pool of ``workers`` processes, each ending when this process ends."""
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=watch_parent,
        initargs=(os.getpid(),),
    )


def watch_parent(parent: int) -> None:
    """In each worker: quit when the parent process is gone (killed), instead of lingering."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(WATCH_INTERVAL)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()
