"""One scenario run: build the model, step it to the end, summarise.

``timeseries.csv`` columns (one row per day, day 0 is the initial tumour):

- ``day``: days since the start; counts are at the start of that day, doses are those given
  during it.
- ``total``: tumour cells.
- ``sensitive``: cells with no resistance mechanism and not persisters.
- ``persister``, ``axl_high``, ``met_amplified``, ``t790m``, ``c797s``, ``her2_amplified``:
  cells carrying that mechanism (a cell with two mechanisms counts in both).
- one column per drug (``gefitinib`` ... ``trastuzumab``): relative dose that day, 1.0 =
  standard dose.
"""

from __future__ import annotations

import platform
import time
from dataclasses import dataclass
from typing import Any

import mesa
import numpy as np
import pandas as pd
from tqdm import tqdm

from abm import __version__
from abm.clone import CloneTumour
from abm.mechanisms import COUNT_COLUMNS
from abm.scenario import Scenario
from abm.spatial import SpatialTumour


@dataclass
class RunResult:
    """A finished run: the daily table, a summary, and the model in its final state."""

    timeseries: pd.DataFrame
    summary: dict[str, Any]
    model: SpatialTumour | CloneTumour | None = None


def run_scenario(scenario: Scenario, *, progress: bool | None = None) -> RunResult:
    """Run a scenario to its last day (or extinction) and summarise it.

    ``progress``: show a progress bar (None: only on a terminal).
    """
    started = time.perf_counter()
    model = model_for(scenario)
    built = time.perf_counter()
    bar = tqdm(total=model.days, unit="day", disable=None if progress is None else not progress, leave=False)
    with bar:
        while model.running:
            model.step()
            bar.update()
            bar.set_postfix(cells=model.counts["total"], refresh=False)
    finished = time.perf_counter()
    df = model.timeseries()
    return RunResult(df, summarise(scenario, df, setup_s=built - started, loop_s=finished - built), model)


def model_for(scenario: Scenario) -> SpatialTumour | CloneTumour:
    """The model a scenario asks for (``model.kind``)."""
    return CloneTumour(scenario) if scenario.model.kind == "clone" else SpatialTumour(scenario)


def summarise(scenario: Scenario, df: pd.DataFrame, *, setup_s: float, loop_s: float) -> dict[str, Any]:
    """The run's key figures, its inputs and versions, as plain JSON-able data."""
    first, last = df.iloc[0], df.iloc[-1]
    nadir = int(df["total"].idxmin())
    cell_steps = int(df["total"].iloc[:-1].sum())
    return {
        "scenario": scenario.name,
        "description": scenario.description,
        "seed": scenario.model.seed,
        "days_simulated": int(last["day"]),
        "kind": scenario.model.kind,
        "initial": {c: int(first[c]) for c in ("total", *COUNT_COLUMNS)},
        "final": {c: int(last[c]) for c in ("total", *COUNT_COLUMNS)},
        "fraction_alive": float(last["total"] / first["total"]) if first["total"] else 0.0,
        "nadir": {"day": int(df.loc[nadir, "day"]), "total": int(df.loc[nadir, "total"])},
        "extinct": bool(last["total"] == 0),
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
