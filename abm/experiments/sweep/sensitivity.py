"""Sensitivity indices of a finished sweep's metrics, by SALib: Morris screening and Sobol indices.

A Morris sweep (design ``morris``) gives elementary effects: ``mu_star`` (mean absolute effect,
with a bootstrap confidence half-width ``mu_star_conf``) and ``sigma`` (their spread:
interactions or non-linearity). A Sobol sweep (design ``sobol``) gives first-order ``S1`` and
total ``ST`` indices with confidence half-widths. Each setting is analysed on its own [0, 1]
scale (its range, linear or log, or its list of values), so a Morris effect is the change of
the metric over a setting's whole range. A point's metric is the mean over its finished
replicates; every point needs one.
"""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from abm.experiments.sweep.design import unit_problem
from abm.io.errors import InputError, did_you_mean
from abm.io.schema import POINT, SENSITIVITY, STATUS, UNIT_PREFIX

COLUMNS = tuple(SENSITIVITY.names())
METHODS = ("morris", "sobol")


def analyse(out: Path, metrics: list[str] | None = None, method: str | None = None) -> pd.DataFrame:
    """The sensitivity table of a sweep folder: one row per metric and setting, ranked."""
    description = _read_description(out)
    design = description["design"]
    method = method or design
    if method not in METHODS:
        raise InputError(str(out), "design", f"{design!r} has no sensitivity indices; allowed: a morris or sobol sweep")
    if method != design:
        raise InputError("--method", method, f"needs a {method} sweep; this one is {design}; allowed: {design}")
    parameters: list[str] = description["parameters"]
    known: list[str] = description["metrics"]
    for metric in metrics or []:
        if metric not in known:
            hint = did_you_mean(metric, known) or f"allowed: {', '.join(known)}"
            raise InputError("--metric", metric, f"not a metric of this sweep; {hint}")
    runs, unit = _read_table(out / "runs.parquet"), _read_table(out / "design.parquet")
    missing = [c for c in (POINT, STATUS, *(metrics or known)) if c not in runs] + [
        UNIT_PREFIX + p for p in parameters if UNIT_PREFIX + p not in unit
    ]
    if missing:
        raise InputError(
            str(out), "", f"runs.parquet or design.parquet lacks {', '.join(missing)}; run the sweep again"
        )
    x = unit[[UNIT_PREFIX + p for p in parameters]].to_numpy()
    problem = {**unit_problem(len(parameters)), "names": parameters}
    options = description.get("design_options", {})
    seed = int(description["seed"])
    rows = []
    for metric in metrics or known:
        y = _point_means(runs, metric, len(unit), out)
        rows += _indices(method, metric, problem, x, y, options, seed)
    return pd.DataFrame(rows, columns=list(COLUMNS))


# What sensitivity needs of sweep.json, and of which type.
DESCRIPTION_KEYS = {"design": str, "parameters": list, "metrics": list, "seed": int}


def _read_description(out: Path) -> dict[str, Any]:
    path = out / "sweep.json"
    try:
        description = json.loads(path.read_text())
    except FileNotFoundError:
        raise InputError(str(out), "", "no sweep.json: not a sweep folder (run `abm sweep` first)") from None
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise InputError(str(path), "", f"cannot read: {error}") from None
    if not isinstance(description, dict):
        raise InputError(str(path), "", "not the description abm sweep writes (a JSON object)")
    for key, kind in DESCRIPTION_KEYS.items():
        if not isinstance(description.get(key), kind) or isinstance(description.get(key), bool):
            raise InputError(str(path), key, f"missing or not a {kind.__name__}; not the description abm sweep writes")
    options = description.get("design_options", {})
    if not isinstance(options, dict):
        raise InputError(str(path), "design_options", "not a JSON object; not the description abm sweep writes")
    return description


def _read_table(path: Path) -> pd.DataFrame:
    try:
        return pd.read_parquet(path)
    except Exception as error:  # pyarrow has its own error kinds for truncated or foreign files
        raise InputError(str(path), "", f"cannot read the sweep's results: {type(error).__name__}: {error}") from None


def _point_means(runs: pd.DataFrame, metric: str, points: int, out: Path) -> np.ndarray:
    """The metric at each point: the mean over its finished replicates."""
    done = runs[runs[STATUS] == "done"]
    y = done.groupby("point")[metric].mean().reindex(range(points))
    missing = np.flatnonzero(y.isna().to_numpy())
    if missing.size:
        shown = ", ".join(map(str, missing[:5])) + (" ..." if missing.size > 5 else "")
        raise InputError(
            str(out),
            metric,
            f"no value at {missing.size} of {points} points ({shown}): runs failed or not yet run, or the metric is "
            "undefined there; Morris and Sobol indices need every point (resume the sweep, or choose another metric)",
        )
    return y.to_numpy(dtype=float)


def _indices(
    method: str, metric: str, problem: dict[str, Any], x: np.ndarray, y: np.ndarray, options: dict[str, Any], seed: int
) -> list[dict[str, Any]]:
    nan = math.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a metric constant over the sweep gives 0/0 = NaN, and says so
        if method == "morris":
            from SALib.analyze import morris

            si = morris.analyze(problem, x, y, num_levels=options.get("levels", 4), seed=seed)
            rows = [
                {"mu_star": si["mu_star"][i], "mu_star_conf": si["mu_star_conf"][i], "sigma": si["sigma"][i]}
                for i in range(len(problem["names"]))
            ]
            key = "mu_star"
        else:
            from SALib.analyze import sobol

            si = sobol.analyze(problem, y, calc_second_order=options.get("second_order", False), seed=seed)
            rows = [
                {"S1": si["S1"][i], "S1_conf": si["S1_conf"][i], "ST": si["ST"][i], "ST_conf": si["ST_conf"][i]}
                for i in range(len(problem["names"]))
            ]
            key = "ST"
    full = [
        {"method": method, "metric": metric, "parameter": name, **dict.fromkeys(COLUMNS[3:], nan), **row}
        for name, row in zip(problem["names"], rows, strict=True)
    ]
    full = [{k: (float(v) if k in COLUMNS[3:] else v) for k, v in row.items()} for row in full]
    return sorted(full, key=lambda r: -r[key] if not math.isnan(r[key]) else math.inf)


def format_table(table: pd.DataFrame) -> str:
    """The ranked table, one block per metric."""
    lines = []
    for (method, metric), rows in table.groupby(["method", "metric"], sort=False):
        lines.append(f"{metric} ({method}):")
        width = max(len(p) for p in rows["parameter"])
        if method == "morris":
            lines.append(f"  {'rank':>4}  {'parameter':<{width}}  {'mu_star':>10}  {'± conf':>9}  {'sigma':>10}")
            for rank, r in enumerate(rows.itertuples(), 1):
                figures = f"{r.mu_star:>10.4g}  {r.mu_star_conf:>9.3g}  {r.sigma:>10.4g}"
                lines.append(f"  {rank:>4}  {r.parameter:<{width}}  {figures}")
        else:
            lines.append(f"  {'rank':>4}  {'parameter':<{width}}  {'S1':>8}  {'± conf':>8}  {'ST':>8}  {'± conf':>8}")
            for rank, r in enumerate(rows.itertuples(), 1):
                figures = f"{r.S1:>8.3f}  {r.S1_conf:>8.3f}  {r.ST:>8.3f}  {r.ST_conf:>8.3f}"
                lines.append(f"  {rank:>4}  {r.parameter:<{width}}  {figures}")
    return "\n".join(lines)
