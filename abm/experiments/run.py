"""One scenario run: build the model, step it to the end, summarise.

``timeseries.csv`` columns (one row per day, day 0 is the initial tumour):

- ``day``: days since the start; counts are at the start of that day, doses are those given
  during it.
- ``total``: tumour cells.
- ``sensitive``: cells with no resistance mechanism and not persisters.
- ``persister``, ``axl_high``, ``met_amplified``, ``t790m``, ``c797s``, ``her2_amplified``:
  cells carrying that mechanism (a cell with two mechanisms counts in both).
- one column per drug (``gefitinib`` ... ``pemetrexed``, in ``DRUG_NAMES`` order): relative dose that day, 1.0 =
  standard dose.
- (clone runs) ``clones``: living clones.
- ``concentration_<drug>``, one per drug in the same order: the day's average plasma concentration
  (ng/mL) the doses taken give (``abm.biology.pharmacokinetics.daily_concentrations``); what the
  model acts on when ``[clinical] pk = true``, a readout only when it is false; 0 for a drug never
  given or washed out (below a millionth of its standard steady state: ``TRACE``).

Alongside it (see docs/howto/scenario.md, 'Output'): ``states.csv`` (cells in each state, the partition the
mechanism columns overlap over), for clone runs ``lineage.csv`` (one row per clone, with its
parent) and ``clones.csv`` (cells per living clone per day), and for spatial runs
``snapshots.npz`` (the lattice of states on chosen days).
"""

from __future__ import annotations

import platform
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mesa
import numpy as np
import pandas as pd
from tqdm import tqdm

from abm.biology.drugs import DRUG_NAMES, DRUGS
from abm.biology.mechanisms import COUNT_COLUMNS, describe
from abm.biology.pharmacokinetics import NG_PER_ML_PER_MG_PER_L, daily_concentrations
from abm.config.scenario import ScenarioConfig
from abm.io.schema import CELLS, CLONE, CONCENTRATION_PREFIX, DAY, DAYS_SIMULATED
from abm.models.clone import CloneTumour
from abm.models.spatial import SpatialTumour
from abm.version import __version__


@dataclass
class RunResult:
    """A finished run: the daily table and a summary, plus what the figures need and the final model."""

    timeseries: pd.DataFrame
    summary: dict[str, Any]
    states: pd.DataFrame | None = None  # day, then cells per state (states ever occupied)
    lineage: pd.DataFrame | None = None  # clone runs: CloneTumour.ancestry()
    clones: pd.DataFrame | None = None  # clone runs: day, clone, cells (living clones only)
    snapshots: dict[int, np.ndarray] | None = None  # spatial runs: day -> lattice of states (-1 empty)
    model: SpatialTumour | CloneTumour | None = None  # in its final state


def snapshot_days(days: int) -> tuple[int, ...]:
    """Default lattice snapshot days: the start, each quarter of the run and its last day."""
    return tuple(sorted({0, days // 4, days // 2, 3 * days // 4, days}))


def run_scenario(
    scenario: ScenarioConfig,
    *,
    progress: bool | None = None,
    snapshots: tuple[int, ...] | None = None,
    record: bool = True,
) -> RunResult:
    """Run a scenario to its last day (or extinction) and summarise it.

    ``progress``: show a progress bar (None: only on a terminal). ``snapshots``: days on which
    a spatial run keeps its lattice (None: ``snapshot_days``; a day past the end is skipped).
    ``record``: keep what the figures need (states, clones, snapshots); a sweep needs none of it.
    """
    started = time.perf_counter()
    model = model_for(scenario)
    built = time.perf_counter()
    recorder = Recorder(model, snapshot_days(model.days) if snapshots is None else snapshots) if record else None
    bar = tqdm(total=model.days, unit="day", disable=None if progress is None else not progress, leave=False)
    with bar:
        while model.running:
            model.step()
            if recorder is not None:
                recorder()
            bar.update()
            bar.set_postfix(cells=model.counts["total"], refresh=False)
    finished = time.perf_counter()
    df = model.timeseries()
    summary = summarise(scenario, df, setup_s=built - started, loop_s=finished - built)
    if record:
        df = with_concentrations(df, model)
    return RunResult(df, summary, model=model, **(recorder.results() if recorder is not None else {}))


# A concentration below this share of the standard regimen's steady-state average is written as 0:
# a washed-out drug (a millionth is ~20 half-lives), far below any assay, not a 1e-300 ng/mL.
TRACE = 1e-6


def with_concentrations(df: pd.DataFrame, model: SpatialTumour | CloneTumour) -> pd.DataFrame:
    """The daily table with ``concentration_<drug>`` columns appended: each day's average plasma
    concentration (ng/mL, 4 significant digits; 0 below ``TRACE`` of the standard regimen's
    steady-state average) from the dose columns, the patient's missed doses left out
    (``[clinical] adherence``)."""
    dosing = model.course.dosing
    missed = dosing is not None and dosing.adherence < 1.0
    columns = {}
    for number, name in enumerate(DRUG_NAMES):
        doses = df[name].to_numpy(dtype=float)
        if not (doses > 0.0).any():
            columns[CONCENTRATION_PREFIX + name] = np.zeros(len(df))
            continue
        # the very draws the course took its doses by (one per drug, day and administration)
        taken = (lambda day, k, n=number: dosing.taken(n, day, k)) if missed else None  # type: ignore[union-attr]
        levels = daily_concentrations(DRUGS[name].pk, doses.tolist(), taken)
        floor = TRACE * DRUGS[name].pk.standard_average_mg_l * NG_PER_ML_PER_MG_PER_L
        columns[CONCENTRATION_PREFIX + name] = [float(f"{c:.4g}") if c >= floor else 0.0 for c in levels]
    return pd.concat([df, pd.DataFrame(columns, index=df.index)], axis=1)


class Recorder:
    """Keeps, day by day, the counts by state, the clones' counts and the lattice snapshots."""

    def __init__(self, model: SpatialTumour | CloneTumour, snapshots: tuple[int, ...]) -> None:
        self.model = model
        self.days: list[int] = []
        self.by_state: list[np.ndarray] = []
        self.clone_rows: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self.wanted = set(snapshots)
        self.snapshots: dict[int, np.ndarray] = {}
        self()

    def __call__(self) -> None:
        model, day = self.model, self.model.day
        self.days.append(day)
        self.by_state.append(model.counts_by_state.copy())
        if isinstance(model, CloneTumour):
            living = np.flatnonzero(model._counts)
            ids = np.array([model._clones[i].unique_id for i in living.tolist()], dtype=np.int64)
            self.clone_rows.append((np.full(living.size, day), ids, model._counts[living]))
        elif day in self.wanted:
            self.snapshots[day] = model.lattice.copy()

    def results(self) -> dict[str, Any]:
        matrix = np.array(self.by_state, dtype=np.int64)
        seen = np.flatnonzero(matrix.any(axis=0))
        states = pd.DataFrame(matrix[:, seen], columns=[describe(int(s)) for s in seen])
        states.insert(0, DAY, self.days)
        out: dict[str, Any] = {"states": states}
        if isinstance(self.model, CloneTumour):
            day, clone, cells = (np.concatenate(parts) for parts in zip(*self.clone_rows, strict=True))
            out["clones"] = pd.DataFrame({DAY: day, CLONE: clone, CELLS: cells})
            out["lineage"] = self.model.ancestry()
        else:
            out["snapshots"] = self.snapshots
        return out


def model_for(scenario: ScenarioConfig) -> SpatialTumour | CloneTumour:
    """The model a scenario asks for (``model.kind``)."""
    return CloneTumour(scenario) if scenario.model.kind == "clone" else SpatialTumour(scenario)


def regrowth(df: pd.DataFrame, nadir: int) -> dict[str, Any] | None:
    """After a response, what the tumour regrew by: each column's share of the cells gained since the
    nadir, largest first, ``sensitive`` (cells with no mechanism: a regrowth off the drug or under a
    drug that does not stop them, chemotherapy alone) among them. Persisters, which barely divide,
    are left out. None when it did not regrow by 20% over the nadir."""
    low, last = df.iloc[nadir], df.iloc[-1]
    if nadir == len(df) - 1 or last["total"] < 1.2 * max(low["total"], 1):
        return None
    gained = {c: int(last[c] - low[c]) for c in COUNT_COLUMNS if c != "persister"}
    total = sum(g for g in gained.values() if g > 0)
    shares = {c: round(g / total, 3) for c, g in sorted(gained.items(), key=lambda kv: -kv[1]) if g > 0}
    return {"from_day": int(low[DAY]), "cells_gained": int(last["total"] - low["total"]), "by": shares}


def summarise(scenario: ScenarioConfig, df: pd.DataFrame, *, setup_s: float, loop_s: float) -> dict[str, Any]:
    """The run's key figures, its inputs and versions, as plain JSON-able data."""
    first, last = df.iloc[0], df.iloc[-1]
    nadir = int(df["total"].idxmin())
    cell_steps = int(df["total"].iloc[:-1].sum())
    return {
        "scenario": scenario.name,
        "description": scenario.description,
        "seed": scenario.model.seed,
        DAYS_SIMULATED: int(last[DAY]),
        "kind": scenario.model.kind,
        "initial": {c: int(first[c]) for c in ("total", *COUNT_COLUMNS)},
        "final": {c: int(last[c]) for c in ("total", *COUNT_COLUMNS)},
        "fraction_alive": float(last["total"] / first["total"]) if first["total"] else 0.0,
        "nadir": {"day": int(df.loc[nadir, "day"]), "total": int(df.loc[nadir, "total"])},
        "extinct": bool(last["total"] == 0),
        "regrowth": regrowth(df, nadir),
        "timing": {
            "setup_s": round(setup_s, 3),
            "loop_s": round(loop_s, 3),
            "days_per_s": round(len(df) / loop_s, 1) if loop_s > 0 else None,
            "cell_steps_per_s": round(cell_steps / loop_s) if loop_s > 0 and scenario.model.kind == "spatial" else None,
        },
        "model": scenario.model.model_dump(),
        "parameters": scenario.parameters.model_dump(),
        "schedule": [b.model_dump(exclude_defaults=True) for b in scenario.schedule],
        "versions": {
            "abm": __version__,
            "mesa": mesa.__version__,
            "numpy": np.__version__,
            "python": platform.python_version(),
        },
    }


def write_run(result: RunResult, out: Path) -> list[Path]:
    """Write every output file of a run into ``out``; returns the paths written."""
    from abm.io.output import write_csv, write_json, write_npz

    written = [out / "timeseries.csv", out / "summary.json"]
    write_csv(result.timeseries, written[0])
    write_json(result.summary, written[1])
    if result.states is not None:
        write_csv(result.states, out / "states.csv")
        written.append(out / "states.csv")
    if result.lineage is not None and result.clones is not None:
        write_csv(result.lineage, out / "lineage.csv")
        write_csv(result.clones, out / "clones.csv")
        written += [out / "lineage.csv", out / "clones.csv"]
    if result.snapshots:
        days = sorted(result.snapshots)
        arrays = {f"day_{d}": result.snapshots[d] for d in days}
        write_npz({"days": np.array(days, dtype=np.int64), **arrays}, out / "snapshots.npz")
        written.append(out / "snapshots.npz")
    return written
