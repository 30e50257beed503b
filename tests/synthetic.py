"""Small result folders in the fixed file schemas, built without running the model."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

SWEEP_METRIC = "median_pfs_days"
SWEEP_X, SWEEP_Y = "axl_start_day", "axl_duration_days"


def write_grid_sweep(folder: Path, replicates: int = 3, failed: tuple[int, ...] = (4,)) -> pd.DataFrame:
    """A 3x4 grid sweep (start day x duration -> median PFS) with known replicate values; run
    numbers in ``failed`` are marked failed with a NaN metric. Returns the runs table."""
    folder.mkdir(parents=True, exist_ok=True)
    starts, durations = [0, 30, 90], [14, 28, 56, 112]
    rows = []
    for point, (start, duration) in enumerate((s, d) for s in starts for d in durations):
        for rep in range(replicates):
            run = len(rows)
            value = 300.0 + duration - start + 10.0 * rep  # replicate mean = 310 + duration - start
            rows.append(
                {
                    "run": run,
                    "point": point,
                    "replicate": rep,
                    "seed": 1000 + run,
                    SWEEP_X: float(start),
                    SWEEP_Y: float(duration),
                    SWEEP_METRIC: np.nan if run in failed else value,
                    "orr": 0.5 + 0.001 * duration,
                    "status": "failed" if run in failed else "done",
                    "error": "InputError: bad" if run in failed else "",
                    "seconds": 0.5,
                }
            )
    runs = pd.DataFrame(rows)
    runs.to_parquet(folder / "runs.parquet", index=False)
    spec = {
        "name": "AXL-inhibitor timing",
        "base": "scenarios/trial-axl-timing.toml",
        "design": "grid",
        "parameters": [SWEEP_X, SWEEP_Y],
        "metrics": [SWEEP_METRIC, "orr"],
        "replicates": replicates,
        "seed": 0,
        "kind": "trial",
    }
    (folder / "sweep.json").write_text(json.dumps(spec))
    return runs


def write_sensitivity(folder: Path) -> pd.DataFrame:
    """A sensitivity table with a Morris and a Sobol analysis of one metric over three parameters."""
    params = ["division_rate", "persister_entry_fraction", "axl_bypass_capacity"]
    rows = []
    for k, p in enumerate(params):
        rows.append(
            {
                "method": "morris",
                "metric": SWEEP_METRIC,
                "parameter": p,
                "mu_star": [50.0, 5.0, 20.0][k],
                "mu_star_conf": 2.0,
                "sigma": 3.0,
                "S1": np.nan,
                "S1_conf": np.nan,
                "ST": np.nan,
                "ST_conf": np.nan,
            }
        )
        rows.append(
            {
                "method": "sobol",
                "metric": SWEEP_METRIC,
                "parameter": p,
                "mu_star": np.nan,
                "mu_star_conf": np.nan,
                "sigma": np.nan,
                "S1": [0.5, 0.02, 0.2][k],
                "S1_conf": 0.05,
                "ST": [0.6, 0.05, 0.3][k],
                "ST_conf": 0.05,
            }
        )
    table = pd.DataFrame(rows)
    table.to_csv(folder / "sensitivity.csv", index=False)
    return table
