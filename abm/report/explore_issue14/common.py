"""Shared tooling of the issue-14 exploration: run the validation cohort at any parameter point
and measure every target of issue 14 (the ten of ``abm.experiments.validation`` and the extra ones).

Nothing here changes the model: a point is the validation trial (``scenarios/validation.toml``)
with some ``[parameters]`` replaced and some ``[cohort]`` entries replaced or removed, run on
the cohort engine exactly as ``abm validate`` runs it (``abm.experiments.trial.simulate_courses``), but
keeping the raw mechanism shares at baseline and at each progression, which the extra targets
need (``abm.experiments.trial.patient_row`` keeps only the mechanisms above the detection limits).

    from abm.report.explore_issue14.common import Point, run_point, evaluate_all, format_table
    point = Point(params={"t790m_mutation_rate": 1e-9}, cohort={"axl_bypass_capacity": None})
    table = run_point(point, patients=300, workers=1)
    print(format_table(evaluate_all(table, point)))
"""

from __future__ import annotations

import json
import math
import time
from concurrent.futures import as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import binomtest

from abm.biology.kinetics import REPORTED_VDT_DAYS, untreated_growth
from abm.config import scenario as scenarios
from abm.experiments.pool import process_pool
from abm.experiments.run import run_scenario
from abm.experiments.trial import CHUNK, Trial, patient_row, read_trial_data, simulate_courses, validate_trial
from abm.experiments.validation import VALIDATION_TRIAL, evaluate

ROOT = Path(__file__).resolve().parents[3]
SCENARIOS = ROOT / "scenarios"
RESULTS = ROOT / "analysis" / "explore_issue14" / "results"

# Raw shares kept per patient (baseline, first and second progression).
KEPT = ("t790m", "met_amplified", "c797s", "her2_amplified", "axl_high", "persister", "igf1r_active")

# Parameters of the kinetics and the persister/AXL biology that a PC-9 dish shares with the
# tumour (the dish sets its own division, death and drug kill: cells in culture).
DISH_SHARED = (
    "persister_entry_fraction",
    "persister_axl_share",
    "persister_reversion_rate",
    "persister_division_rate",
    "persister_death_rate",
    "persister_kill_rate",
    "axl_induction_rate",
    "axl_induction_rate_persister",
    "axl_reversion_rate",
    "axl_bypass_capacity",
    "igf1r_induction_rate",
    "igf1r_reversion_rate",
    "igf1r_bypass_capacity",
)


@dataclass
class Point:
    """A point of parameter space: validation-trial parameters and cohort entries to replace.

    ``cohort[name] = None`` removes that entry (the parameter is then the same for every patient);
    a dict is a distribution as in a trial file; a number a fixed value. ``trial`` overrides
    ``[trial]`` keys (e.g. ``carrying_capacity``), ``clinical`` overrides ``[clinical]`` keys.
    """

    params: dict[str, float] = field(default_factory=dict)
    cohort: dict[str, Any] = field(default_factory=dict)
    trial: dict[str, Any] = field(default_factory=dict)
    clinical: dict[str, Any] = field(default_factory=dict)
    label: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "params": self.params,
            "cohort": self.cohort,
            "trial": self.trial,
            "clinical": self.clinical,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Point:
        return cls(
            **{k: data.get(k, {}) for k in ("params", "cohort", "trial", "clinical")}, label=data.get("label", "")
        )


def make_trial(point: Point, patients: int = 300, seed: int = 0) -> Trial:
    """The validation trial at ``point``, with ``patients`` per arm and root ``seed``."""
    data = read_trial_data(VALIDATION_TRIAL)
    data["parameters"] = {**data.get("parameters", {}), **point.params}
    cohort = dict(data.get("cohort", {}))
    for name, spec in point.cohort.items():
        if spec is None:
            cohort.pop(name, None)
        else:
            cohort[name] = spec
    data["cohort"] = cohort
    data["trial"] = {**data.get("trial", {}), **point.trial, "patients": patients, "seed": seed}
    data["clinical"] = {**data.get("clinical", {}), **point.clinical}
    return validate_trial(data, f"validation.toml at {point.label or 'a point'}")


def _chunk_rows(trial: Trial, arm_index: int, chunk: int) -> list[dict[str, Any]]:
    """``abm.experiments.trial.simulate_chunk`` plus each patient's raw shares and untreated doubling time."""
    arm = trial.arms[arm_index]
    patients = range(chunk * CHUNK, min(trial.trial.patients, (chunk + 1) * CHUNK))
    courses, characteristics = simulate_courses(trial, arm_index, patients)
    rows = []
    for i, course, c in zip(patients, courses, characteristics, strict=True):
        row = patient_row(trial, arm, i, course, c)
        at = [*course.at_progression, None, None]
        for label, shares in (("base", course.at_baseline), ("prog1", at[0]), ("prog2", at[1])):
            for m in KEPT:
                row[f"{label}_{m}"] = float(shares[m]) if shares else float("nan")
        if arm_index == 0:  # the same patient on every arm: once is enough
            params = course.params
            cells = course.config.model.initial_cells
            row["vdt_days"] = untreated_growth(params, cells, course.config.model.carrying_capacity).doubling_days
        rows.append(row)
    return rows


def run_trial_raw(trial: Trial, workers: int = 1) -> pd.DataFrame:
    """Every arm on every patient (as ``abm.experiments.trial.run_trial``), with the raw-share columns."""
    chunks = range((trial.trial.patients + CHUNK - 1) // CHUNK)
    tasks = [(arm, chunk) for arm in range(len(trial.arms)) for chunk in chunks]
    rows: list[dict[str, Any]] = []
    if workers <= 1:
        for arm, chunk in tasks:
            rows += _chunk_rows(trial, arm, chunk)
    else:
        with process_pool(workers) as pool:
            futures = [pool.submit(_chunk_rows, trial, arm, chunk) for arm, chunk in tasks]
            for future in as_completed(futures):
                rows += future.result()
    order = {arm.name: k for k, arm in enumerate(trial.arms)}
    df = pd.DataFrame(rows)
    df["_arm"] = df["arm"].map(order)
    return df.sort_values(["_arm", "patient"]).drop(columns="_arm").reset_index(drop=True)


def run_point(point: Point, patients: int = 300, seed: int = 0, workers: int = 1) -> pd.DataFrame:
    return run_trial_raw(make_trial(point, patients, seed), workers)


# --- the extra targets of issue 14 ---------------------------------------------------------------


def _share(hits: pd.Series) -> tuple[float, list[float], int]:
    n, k = len(hits), int(hits.sum())
    if n == 0:
        return float("nan"), [float("nan"), float("nan")], 0
    ci = binomtest(k, n).proportion_ci(method="wilson")
    return k / n, [float(ci.low), float(ci.high)], n


def _found(table: pd.DataFrame, column: str, mechanism: str) -> pd.Series:
    return table[column].fillna("").str.split(";").map(lambda found: mechanism in found)


def _row(setting, mechanism, low, high, source, value, ci, n, unit="share", passed=None) -> dict[str, Any]:
    ok = (low <= value <= high) if passed is None else passed
    return {
        "setting": setting,
        "mechanism": mechanism,
        "low": low,
        "high": high,
        "unit": unit,
        "source": source,
        "simulated": value,
        "ci": ci,
        "patients": n,
        "pass": bool(ok),
    }


def extra_rows(table: pd.DataFrame) -> list[dict[str, Any]]:
    """Issue 14's targets beyond the ten (except the dish, see ``dish_rows``)."""
    rows = []
    gef = table[table["arm"] == "gefitinib"]
    osi = table[table["arm"] == "osimertinib"]
    prog_osi, prog_gef = osi[osi["progressed"]], gef[gef["progressed"]]
    v, ci, n = _share(_found(prog_osi, "mechanisms_at_progression", "c797s"))
    rows.append(_row("first-line osimertinib", "c797s", 0.07, 0.15, "Ramalingam ESMO 2018 (~7%, 7-15%)", v, ci, n))
    v, ci, n = _share(_found(prog_gef, "mechanisms_at_progression", "her2_amplified"))
    rows.append(_row("first-line gefitinib/erlotinib", "her2_amplified", 0.08, 0.16, "003 §3.5 (~12-13%)", v, ci, n))
    v, ci, n = _share(_found(prog_osi, "mechanisms_at_progression", "her2_amplified"))
    rows.append(_row("first-line osimertinib", "her2_amplified", 0.01, 0.05, "003 §3.5 (2%; 3% 2nd line)", v, ci, n))
    # untreated doubling time, cohort median (each patient at its own size and rates)
    vdt = gef["vdt_days"].to_numpy(dtype=float)
    med = float(np.median(vdt)) if vdt.size else float("nan")
    q = [float(x) for x in np.quantile(vdt, [0.25, 0.75])] if vdt.size else [math.nan, math.nan]
    lo, hi = REPORTED_VDT_DAYS
    rows.append(_row("untreated", "doubling time (days)", lo, hi, "Mackintosh 2014 (~190 d)", med, q, len(vdt), "days"))
    # MET before treatment in tumours that fail by MET (first-line gefitinib): share with < 1% of cells
    met_fail = prog_gef[_found(prog_gef, "mechanisms_at_progression", "met_amplified")]
    below = met_fail["base_met_amplified"] < 0.01
    v, ci, n = _share(below)
    rows.append(
        _row("gefitinib, failing by MET", "MET <1% before", 0.5, 1.0, "003 §5.2 Turke (<1% of cells)", v, ci, n)
    )
    # checks without a reviewed range: IGF-1R-active (003 §3.4 gives no clinical frequency) and
    # progressions where the rebiopsy finds nothing
    for arm_name, prog in (("first-line gefitinib/erlotinib", prog_gef), ("first-line osimertinib", prog_osi)):
        v, ci, n = _share(_found(prog, "mechanisms_at_progression", "igf1r_active"))
        rows.append(_row(arm_name, "igf1r_active (check)", 0.0, 1.0, "no reviewed frequency", v, ci, n))
        v, ci, n = _share(prog["mechanisms_at_progression"].fillna("") == "")
        rows.append(_row(arm_name, "nothing found (check)", 0.0, 1.0, "003 §1: ~20-30% other", v, ci, n))
    # primary resistance as many trials count it: no response and progression by the second scan
    # (16 weeks); abm validate counts only PD at the first scan (8 weeks)
    both = table[table["arm"].isin(["gefitinib", "osimertinib"])]
    early = both["progressed"] & (both["pfs_days"] <= 112) & ~both["responded"]
    v, ci, n = _share(early)
    rows.append(
        _row("any first-line EGFR TKI", "no response, PD <=16 w (check)", 0.04, 0.10, "003 §1 (4-10%)", v, ci, n)
    )
    # plausibility: no targeted arm eradicates >= 1% of tumours of >= 1e9 cells
    for arm, rows_arm in table.groupby("arm", sort=False):
        big = rows_arm[rows_arm["patient_initial_cells"] >= 1e9] if "patient_initial_cells" in rows_arm else rows_arm
        v, ci, n = _share(big["eradicated"])
        rows.append(_row(str(arm), "eradicated", 0.0, 0.0099, "plausibility (issue 14)", v, ci, n))
    return rows


def dish_fractions(params: dict[str, float], seeds: range = range(5)) -> dict[str, float]:
    """Mean surviving fraction after 9 days in the shipped PC-9 dishes, with the point's persister
    and AXL/IGF-1R parameters (the dish keeps its own division, death and drug kill)."""
    shared = {f"parameters.{k}": v for k, v in params.items() if k in DISH_SHARED}
    out = {}
    for name in ("pc9-osimertinib", "pc9-osimertinib-axl", "pc9-osimertinib-igf1r"):
        fractions = []
        for seed in seeds:
            sc = scenarios.load(SCENARIOS / f"{name}.toml", {**shared, "model.seed": seed})
            df = run_scenario(sc, progress=False, record=False).timeseries
            fractions.append(float(df["total"].iloc[-1] / df["total"].iloc[0]))
        out[name] = float(np.mean(fractions))
    return out


def dish_rows(fractions: dict[str, float]) -> list[dict[str, Any]]:
    osi, axl, igf = (fractions[k] for k in ("pc9-osimertinib", "pc9-osimertinib-axl", "pc9-osimertinib-igf1r"))
    nan2 = [float("nan")] * 2
    return [
        _row("PC-9 dish, osimertinib 9 d", "surviving fraction", 0.003, 0.05, "003 §5.2 (0.3-5%)", osi, nan2, 0),
        _row(
            "PC-9 dish, + AXL inhibitor",
            "fold lower",
            3.0,
            math.inf,
            "003 §5.2 Taniguchi",
            osi / max(axl, 1e-12),
            nan2,
            0,
            "fold",
        ),
        _row(
            "PC-9 dish, + IGF-1R inhibitor",
            "fold lower",
            1.05,
            math.inf,
            "003 §5.2 Wang",
            osi / max(igf, 1e-12),
            nan2,
            0,
            "fold",
        ),
    ]


def summary_stats(table: pd.DataFrame) -> dict[str, Any]:
    """What else is worth seeing: PFS quartiles, never-progressed share, mechanism co-occurrence."""
    out: dict[str, Any] = {}
    for arm, rows in table.groupby("arm", sort=False):
        pfs = rows.loc[rows["progressed"], "pfs_days"] / 30.4375
        out[str(arm)] = {
            "progressed": float(rows["progressed"].mean()),
            "pfs_q25_q50_q75_months": [round(float(x), 1) for x in np.quantile(pfs, [0.25, 0.5, 0.75])]
            if len(pfs)
            else None,
            "best_response": rows["best_response"].value_counts(normalize=True).round(3).to_dict(),
            "none_found_at_progression": float((rows.loc[rows["progressed"], "mechanisms_at_progression"] == "").mean())
            if len(pfs)
            else None,
        }
    return out


def evaluate_all(table: pd.DataFrame, dish: dict[str, float] | None = None) -> list[dict[str, Any]]:
    """The ten rows of ``abm.experiments.validation`` then the extra rows of issue 14 (and the dish's, if run)."""
    rows = evaluate(table) + extra_rows(table)
    if dish is not None:
        rows += dish_rows(dish)
    return rows


def fmt(x: float | None, unit: str) -> str:
    if x is None or x != x:
        return "n/a"
    if x == float("inf"):
        return "inf" if unit == "fold" else "not reached"
    if unit in ("months",):
        return f"{x:.1f}"
    if unit in ("days",):
        return f"{x:.0f}"
    if unit == "fold":
        return f"{x:.2f}x"
    return f"{x:.1%}"


def format_table(rows: list[dict[str, Any]]) -> str:
    lines = [f"{'setting':48s} {'mechanism':22s} {'reviewed':>13s} {'simulated':>10s} {'95% CI / IQR':>22s}  result"]
    for r in rows:
        unit = r["unit"]
        reviewed = f"{fmt(r['low'], unit)}-{fmt(r['high'], unit)}"
        ci = f"{fmt(r['ci'][0], unit)}-{fmt(r['ci'][1], unit)}"
        lines.append(
            f"{r['setting'][:48]:48s} {r['mechanism'][:22]:22s} {reviewed:>13s} {fmt(r['simulated'], unit):>10s}"
            f" {ci:>22s}  {'pass' if r['pass'] else 'FAIL'}"
        )
    ten = rows[:10]
    lines.append(
        f"{sum(r['pass'] for r in ten)} of 10 validation targets pass; "
        f"{sum(r['pass'] for r in rows)} of {len(rows)} rows"
    )
    return "\n".join(lines)


def distance(rows: list[dict[str, Any]], which: str = "ten") -> float:
    """Sum over targets of ((value - nearest range edge) / range width)^2, 0 inside the range.

    ``which``: "ten" for the ten validation rows, "all" for every finite-range row too.
    """
    total = 0.0
    for r in rows[:10] if which == "ten" else rows:
        lo, hi, v = r["low"], r["high"], r["simulated"]
        if v != v:
            total += 1.0
            continue
        width = (hi - lo) if math.isfinite(hi) else max(lo, 1e-9)
        width = max(width, 0.02 if r["unit"] == "share" else width)
        if v == float("inf"):
            total += 25.0
        elif v < lo:
            total += ((lo - v) / width) ** 2
        elif v > hi:
            total += ((v - hi) / width) ** 2
    return total


def json_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    def clean(x: Any) -> Any:
        if isinstance(x, float) and not math.isfinite(x):
            return None
        return [clean(v) for v in x] if isinstance(x, list) else x

    return [{k: clean(v) for k, v in r.items()} for r in rows]


def record(path: Path, point: Point, rows: list[dict[str, Any]], extra: dict[str, Any] | None = None) -> None:
    """Append one evaluated point as a JSON line."""
    path.parent.mkdir(parents=True, exist_ok=True)
    entry = {"time": time.strftime("%Y-%m-%d %H:%M:%S"), **point.to_json(), "rows": json_rows(rows), **(extra or {})}
    with path.open("a") as f:
        f.write(json.dumps(entry) + "\n")
