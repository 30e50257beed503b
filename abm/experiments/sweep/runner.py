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
import os
import re
import time
import traceback
from collections.abc import Callable, Iterator
from concurrent.futures import (
    FIRST_COMPLETED,
    BrokenExecutor,
    Executor,
    Future,
    wait,
)
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from tqdm import tqdm

from abm.biology.drugs import DRUG_NAMES
from abm.biology.mechanisms import COUNT_COLUMNS
from abm.config.scenario import ScenarioConfig
from abm.experiments.pool import ClusterLostError, always_alive, executor
from abm.experiments.sweep.design import Run, Sweep
from abm.io.errors import InputError
from abm.io.output import atomic_write, write_json, write_parquet
from abm.io.schema import DAY, ERROR, POINT, REPLICATE, RUN, SECONDS, SEED, STATUS, UNIT_PREFIX

RUN_COLUMNS = (RUN, POINT, REPLICATE, SEED)
RUN_FILE = re.compile(r"[0-9]{7}\.json")  # DIR/runs/<run>.json, as Store.keep names them
STATUS_COLUMNS = (STATUS, ERROR, SECONDS)


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
    lost: str | None = None  # why the Dask cluster was lost mid-sweep


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
    from abm.experiments.sweep.metrics import run_metrics, trial_metrics

    if not isinstance(config, ScenarioConfig):  # a Trial
        from abm.experiments.trial import run_trial

        return trial_metrics(config, run_trial(config, workers=1, progress=False), metrics), None
    from abm.experiments.run import run_scenario

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

    def check(self, sweep: Sweep) -> None:
        """Before any work or write: DIR is new, empty, or holds this very sweep, and can be written."""
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
        where = self.out if self.out.is_dir() else next(p for p in self.out.parents if p.exists())
        if not os.access(where, os.W_OK | os.X_OK):
            raise InputError("--out", str(self.out), f"cannot write in {where}: permission denied")

    def open(self, sweep: Sweep) -> None:
        """Create DIR for this sweep (after ``check``), or keep the one that holds it."""
        description = sweep.description()
        existing = self.out / "sweep.json"
        write_json(description, existing)
        write_parquet(design_table(sweep), self.out / "design.parquet")
        for folder in (self.out, self.runs_dir, self.series_dir):  # half-written files of a killed sweep
            for stale in folder.glob(".*.tmp") if folder.is_dir() else []:
                stale.unlink(missing_ok=True)

    def finished(self, runs: int | None = None) -> dict[int, dict[str, Any]]:
        """The rows of the runs already in DIR/runs, by run (of the first ``runs``, when given).

        Only files this store writes count: ``<run, 7 digits>.json`` holding that run's row. A
        stray or malformed file (a copy, an editor's backup) is not a run.
        """
        rows = {}
        for path in sorted(self.runs_dir.glob("*.json")) if self.runs_dir.is_dir() else []:
            if not RUN_FILE.fullmatch(path.name):
                continue
            try:
                row = json.loads(path.read_text())
            except (OSError, UnicodeDecodeError, ValueError):
                continue  # written atomically, so this is not ours: ignore it
            number = int(path.stem)
            if not isinstance(row, dict) or row.get("run") != number or not isinstance(row.get("status"), str):
                continue
            if runs is None or number < runs:
                rows[number] = row
        return rows

    def keep(self, outcome: Outcome) -> None:
        """Write one finished run: its series first, so a row marked done always has its series."""
        run = int(outcome.row[RUN])
        if outcome.series is not None:
            write_parquet(outcome.series, self.series_dir / f"{run:07d}.parquet")
        atomic_write(self.runs_dir / f"{run:07d}.json", lambda f: f.write(json.dumps(outcome.row) + "\n"))

    def gather(self, sweep: Sweep) -> pd.DataFrame:
        """DIR/runs.parquet (and DIR/series.parquet) from the per-run files; the runs table."""
        rows = self.finished(sweep.n_runs)
        columns = [*RUN_COLUMNS, *sweep.parameters, *sweep.metrics, *STATUS_COLUMNS]
        table = pd.DataFrame([rows[r] for r in sorted(rows)], columns=columns)
        table = table.astype(
            {
                **dict.fromkeys(RUN_COLUMNS, "int64"),
                **dict.fromkeys(sweep.metrics, "float64"),
                STATUS: "str",
                ERROR: "str",
                SECONDS: "float64",
            }
        )
        write_parquet(table, self.out / "runs.parquet")
        if sweep.file.series:
            done = table.loc[table[STATUS] == "done", RUN].tolist()
            parts = [pd.read_parquet(self.series_dir / f"{r:07d}.parquet").assign(**{RUN: r}) for r in done]
            series = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=[RUN, DAY])
            write_parquet(series[[RUN, *[c for c in series.columns if c != RUN]]], self.out / "series.parquet")
        return table


def design_table(sweep: Sweep) -> pd.DataFrame:
    """One row per point: its varied values and, for sampled designs, ``unit.<name>`` positions in [0, 1]."""
    table = pd.DataFrame(sweep.points, columns=sweep.parameters)
    table.insert(0, POINT, range(len(sweep.points)))
    if sweep.unit is not None:
        for k, name in enumerate(sweep.parameters):
            table[UNIT_PREFIX + name] = sweep.unit[:, k]
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
    store.check(sweep)  # nothing is written until the workers are there (a bad scheduler leaves no files)
    started = time.perf_counter()
    done = failed = 0
    interrupted, lost = False, None
    already: set[int] = set()
    opened = False
    try:
        with executor(workers, scheduler, log) as (pool, slots, alive):
            store.open(sweep)
            opened = True
            already = {r for r, row in store.finished(sweep.n_runs).items() if row.get("status") == "done"}
            todo = [run for run in sweep.runs() if run.run not in already]
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
                for outcome in _completions(pool, slots, sweep, todo, alive):
                    store.keep(outcome)
                    if outcome.row[STATUS] == "done":
                        done += 1
                    else:
                        failed += 1
                        if log:
                            log(f"run {outcome.row['run']} failed: {outcome.row['error']}")
                    bar.update()
                    bar.set_postfix(done=len(already) + done, failed=failed, refresh=False)
    except KeyboardInterrupt:
        if not opened:
            raise
        interrupted = True
    except ClusterLostError as error:
        lost = str(error)
    table = store.gather(sweep)
    summary = Summary(sweep.n_runs, done, failed, len(already), time.perf_counter() - started, interrupted, lost)
    return summary, table


# Seconds between checks that the pool can still finish what it was given.
HEALTH_CHECK = 5.0


def _completions(
    pool: Executor | None, slots: int, sweep: Sweep, todo: list[Run], alive: Callable[[], bool] = always_alive
) -> Iterator[Outcome]:
    """Outcomes as runs finish, keeping at most ``slots`` runs submitted at a time.

    ``alive`` says whether the pool can still finish runs (a Dask client whose scheduler is gone
    cannot, and its futures would never complete): checked whenever nothing finished for a while.
    """
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
            finished, _ = wait(pending, timeout=HEALTH_CHECK, return_when=FIRST_COMPLETED)
            if not finished and not alive():
                raise ClusterLostError("the Dask scheduler stopped answering")
            for future in finished:
                run = pending.pop(future)
                try:
                    yield future.result()
                except Exception as error:  # the worker itself died (out of memory, killed)
                    if not alive():  # not this run's fault: the whole cluster is gone
                        raise ClusterLostError(f"{type(error).__name__} of run {run.run}") from None
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
