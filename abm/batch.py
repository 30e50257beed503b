"""Running a sweep: worker processes or a Dask cluster, every finished run kept at once.

Each run is a pure function of its config and seed (``execute``), so results do not depend on
where or in which order runs happen. The sweep process writes each finished run as its own
small file (``DIR/runs/<run>.json``, and ``DIR/series/<run>.parquet`` when series are kept),
atomically, as soon as it arrives; ``DIR/runs.parquet`` (and ``DIR/series.parquet``) gather
them at the end. Running the same sweep again on the same DIR skips the runs already done, so
a killed sweep loses only the runs that were in flight. A run that raises is recorded as
failed with its error, and run again on the next resume.
"""

from __future__ import annotations

import json
import math
import multiprocessing
import os
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, BrokenExecutor, Executor, Future, ProcessPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from tqdm import tqdm

from abm.drugs import DRUG_NAMES
from abm.errors import InputError
from abm.mechanisms import COUNT_COLUMNS
from abm.output import atomic_write, write_json, write_parquet
from abm.sweep import Run, Sweep
from abm.trial import Trial

RUN_COLUMNS = ("run", "point", "replicate", "seed")
STATUS_COLUMNS = ("status", "error", "seconds")


@dataclass
class Outcome:
    """What a worker sends back: the run's row and, when asked, its daily table."""

    row: dict[str, Any]
    series: pd.DataFrame | None = None


@dataclass
class Summary:
    """How a sweep call ended."""

    runs: int
    done: int
    failed: int
    skipped: int  # already done in DIR before this call
    seconds: float
    interrupted: bool = False


# --- one run (in a worker) ------------------------------------------------------------------
def execute(run: Run, values: dict[str, Any], metrics: tuple[str, ...], series: bool) -> Outcome:
    """Simulate one run and return its row; an exception becomes a failed row, not a crash."""
    started = time.perf_counter()
    row: dict[str, Any] = {"run": run.run, "point": run.point, "replicate": run.replicate, "seed": run.seed, **values}
    table = None
    try:
        figures, table = simulate(run.config, metrics, series)
        row.update(figures, status="done", error="")
    except Exception as error:  # a run's failure is data: the sweep goes on
        row.update(dict.fromkeys(metrics, math.nan), status="failed", error=_describe(error))
    row["seconds"] = time.perf_counter() - started
    return Outcome(row, table)


def simulate(config: Any, metrics: tuple[str, ...], series: bool) -> tuple[dict[str, float], pd.DataFrame | None]:
    """Run a scenario or a trial and compute the named metrics (and the daily table)."""
    from abm.metrics import run_metrics, trial_metrics

    if isinstance(config, Trial):
        from abm.trial import run_trial

        return trial_metrics(config, run_trial(config, workers=1, progress=False), metrics), None
    from abm.run import run_scenario

    result = run_scenario(config, progress=False, record=False)
    assert result.model is not None
    figures = run_metrics(config, result.timeseries, result.model.course, metrics)
    return figures, (series_table(result.timeseries) if series else None)


def series_table(timeseries: pd.DataFrame) -> pd.DataFrame:
    """A run's daily table in series.parquet's column order (run is added when gathering)."""
    first = ["day", *COUNT_COLUMNS, "total", *DRUG_NAMES]
    return timeseries[first + [c for c in timeseries.columns if c not in first]]


def _describe(error: BaseException) -> str:
    """One line: the exception and where it was raised."""
    where = traceback.extract_tb(error.__traceback__)[-1] if error.__traceback__ else None
    place = f" ({Path(where.filename).name}:{where.lineno})" if where else ""
    return f"{type(error).__name__}: {error}{place}".replace("\n", " ")


# --- the output folder ------------------------------------------------------------------------
class Store:
    """DIR: sweep.json, design.parquet, runs/<run>.json, series/<run>.parquet, the gathered tables."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.runs_dir = out / "runs"
        self.series_dir = out / "series"

    def open(self, sweep: Sweep) -> None:
        """Create DIR for this sweep, or check that DIR holds this very sweep."""
        if self.out.exists() and not self.out.is_dir():
            raise InputError("--out", str(self.out), "exists and is not a folder")
        description = sweep.description()
        existing = self.out / "sweep.json"
        if existing.exists():
            try:
                found = json.loads(existing.read_text()).get("fingerprint")
            except (OSError, ValueError):
                found = None
            if found != description["fingerprint"]:
                raise InputError(
                    "--out",
                    str(self.out),
                    "holds results of a different sweep (or of an edited sweep or base file); "
                    "allowed: the folder of this same sweep, to resume it, or a new folder",
                )
        elif self.out.exists() and any(self.out.iterdir()):
            raise InputError("--out", str(self.out), "is not empty and holds no sweep; allowed: a new or empty folder")
        write_json(description, existing)
        write_parquet(design_table(sweep), self.out / "design.parquet")
        for folder in (self.out, self.runs_dir, self.series_dir):  # half-written files of a killed sweep
            for stale in folder.glob(".*.tmp") if folder.is_dir() else []:
                stale.unlink(missing_ok=True)

    def finished(self) -> dict[int, dict[str, Any]]:
        """The rows of the runs already in DIR/runs, by run."""
        rows = {}
        for path in sorted(self.runs_dir.glob("*.json")) if self.runs_dir.is_dir() else []:
            try:
                row = json.loads(path.read_text())
            except (OSError, ValueError):
                continue  # written atomically, so this is not ours: ignore it
            rows[int(row["run"])] = row
        return rows

    def keep(self, outcome: Outcome) -> None:
        """Write one finished run: its series first, so a row marked done always has its series."""
        run = int(outcome.row["run"])
        if outcome.series is not None:
            write_parquet(outcome.series, self.series_dir / f"{run:07d}.parquet")
        atomic_write(self.runs_dir / f"{run:07d}.json", lambda f: f.write(json.dumps(outcome.row) + "\n"))

    def gather(self, sweep: Sweep) -> pd.DataFrame:
        """DIR/runs.parquet (and DIR/series.parquet) from the per-run files; the runs table."""
        rows = self.finished()
        columns = [*RUN_COLUMNS, *sweep.parameters, *sweep.metrics, *STATUS_COLUMNS]
        table = pd.DataFrame([rows[r] for r in sorted(rows)], columns=columns)
        table = table.astype(
            {
                **dict.fromkeys(("run", "point", "replicate", "seed"), "int64"),
                **dict.fromkeys(sweep.metrics, "float64"),
                "status": "str",
                "error": "str",
                "seconds": "float64",
            }
        )
        write_parquet(table, self.out / "runs.parquet")
        if sweep.file.series:
            done = table.loc[table["status"] == "done", "run"].tolist()
            parts = [pd.read_parquet(self.series_dir / f"{r:07d}.parquet").assign(run=r) for r in done]
            series = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["run", "day"])
            write_parquet(series[["run", *[c for c in series.columns if c != "run"]]], self.out / "series.parquet")
        return table


def design_table(sweep: Sweep) -> pd.DataFrame:
    """One row per point: its varied values and, for sampled designs, ``unit.<name>`` positions in [0, 1]."""
    table = pd.DataFrame(sweep.points, columns=sweep.parameters)
    table.insert(0, "point", range(len(sweep.points)))
    if sweep.unit is not None:
        for k, name in enumerate(sweep.parameters):
            table[f"unit.{name}"] = sweep.unit[:, k]
    return table


# --- running ----------------------------------------------------------------------------------
def run_sweep(
    sweep: Sweep,
    out: Path,
    *,
    workers: int = 1,
    scheduler: str | None = None,
    progress: bool | None = None,
    log: Callable[[str], None] | None = None,
    on_start: Callable[[], None] | None = None,
) -> tuple[Summary, pd.DataFrame]:
    """Run every run of ``sweep`` not yet done in ``out``; return the summary and the runs table.

    ``workers``: local worker processes (1: in this process). ``scheduler``: the address of a
    Dask distributed scheduler (``tcp://host:port``) to run on instead. ``log`` hears of failed
    runs; ``on_start`` is called once the workers are ready.
    """
    store = Store(out)
    store.open(sweep)
    already = {r for r, row in store.finished().items() if row.get("status") == "done"}
    todo = [run for run in sweep.runs() if run.run not in already]
    started = time.perf_counter()
    done = failed = 0
    interrupted = False
    try:
        with _executor(workers, scheduler) as (pool, slots):
            if on_start:
                on_start()
            bar = tqdm(
                total=sweep.n_runs,
                initial=len(already),
                unit="run",
                disable=None if progress is None else not progress,
                dynamic_ncols=True,
            )
            with bar:
                for outcome in _completions(pool, slots, sweep, todo):
                    store.keep(outcome)
                    if outcome.row["status"] == "done":
                        done += 1
                    else:
                        failed += 1
                        if log:
                            log(f"run {outcome.row['run']} failed: {outcome.row['error']}")
                    bar.update()
                    bar.set_postfix(done=len(already) + done, failed=failed, refresh=False)
    except KeyboardInterrupt:
        interrupted = True
    table = store.gather(sweep)
    summary = Summary(sweep.n_runs, done, failed, len(already), time.perf_counter() - started, interrupted)
    return summary, table


def _completions(pool: Executor | None, slots: int, sweep: Sweep, todo: list[Run]) -> Iterator[Outcome]:
    """Outcomes as runs finish, keeping at most ``slots`` runs submitted at a time."""
    metrics, series = sweep.metrics, sweep.file.series
    if pool is None:
        for run in todo:
            yield execute(run, sweep.points[run.point], metrics, series)
        return
    queue = iter(todo)
    pending: dict[Future[Outcome], Run] = {}
    try:
        while True:
            for run in queue:
                try:
                    pending[pool.submit(execute, run, sweep.points[run.point], metrics, series)] = run
                except BrokenExecutor:  # a worker died and took the pool with it: stop submitting
                    queue = iter(())
                    break
                if len(pending) >= slots:
                    break
            if not pending:
                return
            finished, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                run = pending.pop(future)
                try:
                    yield future.result()
                except Exception as error:  # the worker itself died (out of memory, killed)
                    row = {
                        "run": run.run,
                        "point": run.point,
                        "replicate": run.replicate,
                        "seed": run.seed,
                        **sweep.points[run.point],
                        **dict.fromkeys(metrics, math.nan),
                        "status": "failed",
                        "error": f"worker lost: {_describe(error)}",
                        "seconds": math.nan,
                    }
                    yield Outcome(row)
    finally:
        for future in pending:
            future.cancel()


@contextmanager
def _executor(workers: int, scheduler: str | None) -> Iterator[tuple[Executor | None, int]]:
    """The pool runs go to, and how many to keep submitted: None runs them in this process."""
    if scheduler is not None:
        try:
            from distributed import Client
        except ImportError:  # pragma: no cover - a dependency of the package
            raise InputError("--scheduler", scheduler, "needs dask.distributed (dask[distributed])") from None
        try:
            client = Client(scheduler, timeout="10s")
        except (OSError, TimeoutError, ValueError) as error:
            raise InputError("--scheduler", scheduler, f"cannot connect to a Dask scheduler: {error}") from None
        try:
            threads = sum(client.nthreads().values()) or 1
            yield client.get_executor(pure=False), 2 * threads
        finally:
            client.close()
        return
    if workers <= 1:
        yield None, 1
        return
    # spawn, not fork: the parent may run threads (a progress bar, a Dask client)
    pool = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_watch_parent,
        initargs=(os.getpid(),),
    )
    try:
        yield pool, 2 * workers
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _watch_parent(parent: int) -> None:
    """In each worker: quit when the sweep process is gone (killed), instead of lingering."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()
