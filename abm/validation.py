"""The reviewed frequencies the model must reproduce, and ``abm validate`` that checks them.

Targets are biology.md's 'Frequencies the model must reproduce' (issue 4's table). Each is
measured on the validation cohort (``scenarios/validation.toml``): the same virtual patients
on first-line gefitinib, first-line osimertinib, and gefitinib followed by osimertinib at
progression. A target passes when the simulated value lies within the reviewed range.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from scipy.stats import binomtest

from abm.trial import Trial, load_trial, run_trial
from abm.trial_stats import median_pfs

VALIDATION_TRIAL = Path(__file__).resolve().parent.parent / "scenarios" / "validation.toml"
DAYS_PER_MONTH = 30.4375

FIRST_GEN = "gefitinib"
OSIMERTINIB = "osimertinib"
SECOND_LINE = "gefitinib then osimertinib"


@dataclass(frozen=True)
class Target:
    """One reviewed value: where it is measured, the range that passes, and its source."""

    setting: str
    mechanism: str
    low: float
    high: float
    source: str
    measure: str  # how to measure it on the validation table (see ``measure``)
    arms: tuple[str, ...]
    unit: str = "share"


TARGETS: tuple[Target, ...] = (
    Target("first-line gefitinib/erlotinib", "t790m", 0.50, 0.70, "003 §1 (~60%)", "at_progression", (FIRST_GEN,)),
    Target(
        "first-line gefitinib/erlotinib",
        "met_amplified",
        0.05,
        0.22,
        "003 §3.1.2 (Engelman 22%, Bean 21%, Yu 5%, Sequist 5%)",
        "at_progression",
        (FIRST_GEN,),
    ),
    Target(
        "first-line gefitinib/erlotinib", "axl_high", 0.10, 0.30, "003 §3.3.2 (~20%)", "at_progression", (FIRST_GEN,)
    ),
    Target("untreated", "met_amplified", 0.01, 0.06, "003 §3.1.2 (Bean 2/62 = 3%)", "at_baseline", (FIRST_GEN,)),
    Target("first-line osimertinib", "met_amplified", 0.10, 0.20, "003 §3.1.2 (15%)", "at_progression", (OSIMERTINIB,)),
    Target(
        "first-line osimertinib",
        "t790m",
        0.0,
        0.05,
        "003 §1 (osimertinib hits T790M)",
        "at_progression",
        (OSIMERTINIB,),
    ),
    Target(
        "second-line osimertinib after T790M+ progression",
        "met_amplified",
        0.10,
        0.20,
        "003 §3.1.2 (19%, 10%, 14%)",
        "second_line",
        (SECOND_LINE,),
    ),
    Target(
        "any first-line EGFR TKI",
        "primary resistance",
        0.04,
        0.10,
        "003 §1 (4-10%)",
        "primary_resistance",
        (FIRST_GEN, OSIMERTINIB),
    ),
    Target("first-line gefitinib", "median PFS", 12, 24, "003 §1 (1-2 years)", "median_pfs", (FIRST_GEN,), "months"),
    Target(
        "first-line osimertinib", "median PFS", 12, 24, "003 §1 (1-2 years)", "median_pfs", (OSIMERTINIB,), "months"
    ),
)


def _share(hits: pd.Series) -> tuple[float, list[float]]:
    """A proportion with its Wilson 95% CI."""
    n, k = len(hits), int(hits.sum())
    if n == 0:
        return float("nan"), [float("nan"), float("nan")]
    ci = binomtest(k, n).proportion_ci(method="wilson")
    return k / n, [float(ci.low), float(ci.high)]


def _has(column: pd.Series, mechanism: str) -> pd.Series:
    return column.fillna("").str.split(";").map(lambda found: mechanism in found)


def measure(target: Target, table: pd.DataFrame) -> tuple[float, list[float], int]:
    """The simulated value of a target, its 95% CI, and how many patients it rests on."""
    rows = table[table["arm"].isin(target.arms)]
    if target.measure == "at_progression":
        rows = rows[rows["progressed"]]
        value, ci = _share(_has(rows["mechanisms_at_progression"], target.mechanism))
    elif target.measure == "at_baseline":
        value, ci = _share(_has(rows["mechanisms_at_baseline"], target.mechanism))
    elif target.measure == "second_line":
        # patients whose first progression showed T790M, then progressing on osimertinib
        rows = rows[_has(rows["mechanisms_at_progression"], "t790m") & rows["progressed2"]]
        value, ci = _share(_has(rows["mechanisms_at_progression2"], target.mechanism))
    elif target.measure == "primary_resistance":
        value, ci = _share(rows["best_response"] == "PD")
    elif target.measure == "median_pfs":
        median, (lo, hi) = median_pfs(rows["pfs_days"], rows["progressed"])
        scale = 1.0 / DAYS_PER_MONTH
        value = median * scale if median is not None else float("inf")
        ci = [lo * scale if lo is not None else float("nan"), hi * scale if hi is not None else float("inf")]
    else:
        raise ValueError(f"unknown measure {target.measure!r}")
    return value, ci, len(rows)


def evaluate(table: pd.DataFrame) -> list[dict[str, Any]]:
    """One row per target: reviewed range, simulated value with CI, pass or fail."""
    rows = []
    for target in TARGETS:
        value, ci, n = measure(target, table)
        rows.append(
            {
                "setting": target.setting,
                "mechanism": target.mechanism,
                "low": target.low,
                "high": target.high,
                "unit": target.unit,
                "source": target.source,
                "simulated": value,
                "ci": ci,
                "patients": n,
                "pass": bool(target.low <= value <= target.high),
            }
        )
    return rows


def json_ready(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows with non-finite numbers (a median not reached, an empty share) as None, for JSON."""

    def clean(x: Any) -> Any:
        if isinstance(x, float) and not math.isfinite(x):
            return None
        return [clean(v) for v in x] if isinstance(x, list) else x

    return [{k: clean(v) for k, v in row.items()} for row in rows]


def validation_trial(patients: int | None = None, seed: int | None = None, path: Path = VALIDATION_TRIAL) -> Trial:
    """The validation cohort, optionally resized or reseeded."""
    overrides = {k: v for k, v in (("patients", patients), ("seed", seed)) if v is not None}
    return load_trial(path, overrides)


def validate(trial: Trial, workers: int = 1, progress: bool | None = None) -> tuple[list[dict[str, Any]], pd.DataFrame]:
    """Run the validation cohort and evaluate every target."""
    table = run_trial(trial, workers=workers, progress=progress)
    return evaluate(table), table


def format_rows(rows: list[dict[str, Any]]) -> str:
    """The printed validation table."""

    def fmt(x: float | None, unit: str) -> str:
        if x is None or x != x:  # not reached in JSON, or nan
            return "n/a"
        if x == float("inf"):
            return "not reached"
        return f"{x:.1f}" if unit == "months" else f"{x:.1%}"

    lines = [
        f"{'setting':50s} {'mechanism':20s} {'reviewed':>12s} {'simulated':>10s} {'95% CI':>22s}  result  source",
    ]
    for r in rows:
        unit = r["unit"]
        reviewed = f"{fmt(r['low'], unit)}-{fmt(r['high'], unit)}"
        ci = f"{fmt(r['ci'][0], unit)}-{fmt(r['ci'][1], unit)}"
        result = "pass" if r["pass"] else "FAIL"
        lines.append(
            f"{r['setting']:50s} {r['mechanism']:20s} {reviewed:>12s} {fmt(r['simulated'], unit):>10s} {ci:>22s}"
            f"  {result:6s}  {r['source']}"
        )
    passed = sum(r["pass"] for r in rows)
    lines.append(f"{passed} of {len(rows)} targets pass")
    return "\n".join(lines)


# shim until issue14-validation merges: Target.key, TRIAL_TARGETS and target_values (the
# shared interface of issue 14), computed from the ten TARGETS above. Delete this block when
# issue14-validation brings the real ones.
_SHIM_KEYS = {
    ("first-line gefitinib/erlotinib", "t790m"): "t790m_gefitinib",
    ("first-line gefitinib/erlotinib", "met_amplified"): "met_gefitinib",
    ("first-line gefitinib/erlotinib", "axl_high"): "axl_gefitinib",
    ("untreated", "met_amplified"): "met_untreated",
    ("first-line osimertinib", "met_amplified"): "met_osimertinib",
    ("first-line osimertinib", "t790m"): "t790m_osimertinib",
    ("second-line osimertinib after T790M+ progression", "met_amplified"): "met_second_line",
    ("any first-line EGFR TKI", "primary resistance"): "primary_resistance",
    ("first-line gefitinib", "median PFS"): "pfs_gefitinib",
    ("first-line osimertinib", "median PFS"): "pfs_osimertinib",
}
if not hasattr(Target, "key"):
    Target.key = property(lambda self: _SHIM_KEYS[(self.setting, self.mechanism)])  # type: ignore[attr-defined]
TRIAL_TARGETS: tuple[Target, ...] = TARGETS


def target_values(table: pd.DataFrame) -> dict[str, float]:
    """The simulated value of every trial target on a validation-trial table (shim)."""
    return {t.key: measure(t, table)[0] for t in TRIAL_TARGETS}  # type: ignore[attr-defined]
