"""The reviewed frequencies the model must reproduce, and ``abm validate`` that checks them.

Targets are biology.md's 'Frequencies the model must reproduce' (issue 4's table) and the
targets added by the calibration v2 issue (issue 14). ``TRIAL_TARGETS`` are measured on the
validation cohort (``scenarios/validation.toml``): the same virtual patients on first-line
gefitinib, first-line osimertinib, and gefitinib followed by osimertinib at progression.
``DISH_TARGETS`` are measured on the shipped PC-9 dishes (``dish_values``). A target passes
when the simulated value lies within the reviewed range. ``CHECKS`` are shown beside them
with no range: they are never counted as passing or failing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import binom, binomtest

from abm.biology.kinetics import REPORTED_VDT_DAYS
from abm.clinic.recist import DAYS_PER_MONTH
from abm.experiments.trial import Trial, load_trial, run_trial
from abm.experiments.trial_stats import median_pfs, primary_resistant
from abm.io.schema import (
    ARM,
    CI,
    ERADICATED,
    HIGH,
    KEY,
    KIND,
    LOW,
    MECHANISM,
    MECHANISMS_AT_BASELINE,
    MECHANISMS_AT_PROGRESSION,
    MECHANISMS_AT_PROGRESSION2,
    PASSED,
    PATIENTS,
    PFS_DAYS,
    PROGRESSED,
    PROGRESSED2,
    SETTING,
    SIMULATED,
    SOURCE,
    UNIT,
    UNTREATED_DOUBLING_DAYS,
)

ROOT = Path(__file__).resolve().parents[2]
VALIDATION_TRIAL = ROOT / "scenarios" / "validation.toml"

FIRST_GEN = "gefitinib"
OSIMERTINIB = "osimertinib"
SECOND_LINE = "gefitinib then osimertinib"


# The eradication plausibility target counts tumours of at least this many cells at diagnosis.
ERADICATION_MIN_CELLS = 1e9

UNDEFINED = float("nan")


@dataclass(frozen=True)
class Target:
    """One reviewed value: where it is measured, the range that passes, and its source.

    A ``kind = "check"`` has no range (``low`` and ``high`` are NaN): it is shown, never judged.
    """

    key: str  # short and unique: what the calibration and the JSON output name it by
    setting: str
    mechanism: str
    low: float
    high: float
    source: str
    measure: str  # how to measure it (see ``measure``)
    arms: tuple[str, ...]
    unit: str = "share"
    kind: str = "target"


def _check(key: str, setting: str, mechanism: str, source: str, measure: str, arms: tuple[str, ...]) -> Target:
    return Target(key, setting, mechanism, UNDEFINED, UNDEFINED, source, measure, arms, kind="check")


TRIAL_TARGETS: tuple[Target, ...] = (
    Target(
        "t790m_gefitinib",
        "first-line gefitinib/erlotinib",
        "t790m",
        0.50,
        0.70,
        "003 §1 (~60%)",
        "at_progression",
        (FIRST_GEN,),
    ),
    Target(
        "met_gefitinib",
        "first-line gefitinib/erlotinib",
        "met_amplified",
        0.05,
        0.22,
        "003 §3.1.2 (Engelman 22%, Bean 21%, Yu 5%, Sequist 5%)",
        "at_progression",
        (FIRST_GEN,),
    ),
    Target(
        "axl_gefitinib",
        "first-line gefitinib/erlotinib",
        "axl_high",
        0.10,
        0.30,
        "003 §3.3.2 (~20%)",
        "at_progression",
        (FIRST_GEN,),
    ),
    Target(
        "met_untreated",
        "untreated",
        "met_amplified",
        0.01,
        0.06,
        "003 §3.1.2 (Bean 2/62 = 3%)",
        "at_baseline",
        (FIRST_GEN,),
    ),
    Target(
        "met_osimertinib",
        "first-line osimertinib",
        "met_amplified",
        0.10,
        0.20,
        "003 §3.1.2 (15%)",
        "at_progression",
        (OSIMERTINIB,),
    ),
    Target(
        "t790m_osimertinib",
        "first-line osimertinib",
        "t790m",
        0.0,
        0.05,
        "003 §1 (osimertinib hits T790M)",
        "at_progression",
        (OSIMERTINIB,),
    ),
    Target(
        "met_second_line",
        "second-line osimertinib after T790M+ progression",
        "met_amplified",
        0.10,
        0.20,
        "003 §3.1.2 (19%, 10%, 14%)",
        "second_line",
        (SECOND_LINE,),
    ),
    Target(
        "primary_resistance",
        "any first-line EGFR TKI",
        "primary resistance",
        0.04,
        0.10,
        "003 §1 (4-10%); no response and PD within 6 months (Jackman 2010)",
        "primary_resistance",
        (FIRST_GEN, OSIMERTINIB),
    ),
    Target(
        "pfs_gefitinib",
        "first-line gefitinib",
        "median PFS",
        12,
        24,
        "003 §1 (1-2 years)",
        "median_pfs",
        (FIRST_GEN,),
        "months",
    ),
    Target(
        "pfs_osimertinib",
        "first-line osimertinib",
        "median PFS",
        12,
        24,
        "003 §1 (1-2 years)",
        "median_pfs",
        (OSIMERTINIB,),
        "months",
    ),
    Target(
        "c797s_osimertinib",
        "first-line osimertinib",
        "c797s",
        0.07,
        0.15,
        "Ramalingam ESMO 2018; 003 §3.1.2",
        "at_progression",
        (OSIMERTINIB,),
    ),
    Target(
        "her2_gefitinib",
        "first-line gefitinib/erlotinib",
        "her2_amplified",
        0.08,
        0.16,
        "003 §3.5: ~12%, Yu 13%",
        "at_progression",
        (FIRST_GEN,),
    ),
    Target(
        "her2_osimertinib",
        "first-line osimertinib",
        "her2_amplified",
        0.01,
        0.05,
        "003 §3.5: 2% first line, 3% second",
        "at_progression",
        (OSIMERTINIB,),
    ),
    # Each patient's own untreated growth at its size (the same on every arm: one arm is enough).
    Target(
        "vdt_untreated",
        "untreated",
        "volume doubling time",
        REPORTED_VDT_DAYS[0],
        REPORTED_VDT_DAYS[1],
        "Mackintosh 2014 (median ~190 d); abm.biology.kinetics.REPORTED_VDT_DAYS",
        "doubling_time",
        (FIRST_GEN,),
        "days",
    ),
    Target(
        "met_before_met_failure",
        "first-line gefitinib, MET-amplified at progression",
        "MET below 1% before",
        0.5,
        1.0,
        "003 §5.2: Turke 2010, pre-existing MET cells below 1%",
        "met_before",
        (FIRST_GEN,),
    ),
    *(
        Target(
            f"eradication_{name}",
            f"{arm}, tumours >= 1e9 cells",
            "eradicated",
            0.0,
            0.0099,
            "plausibility (issue 14)",
            "eradicated",
            (arm,),
        )
        for name, arm in (("gefitinib", FIRST_GEN), ("osimertinib", OSIMERTINIB), ("sequence", SECOND_LINE))
    ),
)

# Kept for the code that knew only the trial's targets (figures, report, calibration).
TARGETS = TRIAL_TARGETS

# Measured on the PC-9 dishes (``dish_values``), not on the trial table.
DISH_TARGETS: tuple[Target, ...] = (
    Target(
        "dish_survivors",
        "PC-9 dish, osimertinib 9 days",
        "surviving fraction",
        0.003,
        0.05,
        "003 §5.2",
        "dish",
        (),
    ),
    Target(
        "dish_axl_fold",
        "PC-9 dish, + AXL inhibitor",
        "survivors fold lower",
        3.0,
        math.inf,
        "003 §5.2 Taniguchi 2019",
        "dish",
        (),
        "fold",
    ),
    Target(
        "dish_igf1r_fold",
        "PC-9 dish, + IGF-1R inhibitor",
        "survivors fold lower",
        1.05,
        math.inf,
        "003 §5.2 Wang",
        "dish",
        (),
        "fold",
    ),
)

CHECKS: tuple[Target, ...] = (
    _check(
        "igf1r_gefitinib",
        "first-line gefitinib/erlotinib",
        "igf1r_active",
        "003 §3.4: no clinical frequency",
        "at_progression",
        (FIRST_GEN,),
    ),
    _check(
        "igf1r_osimertinib",
        "first-line osimertinib",
        "igf1r_active",
        "003 §3.4: no clinical frequency",
        "at_progression",
        (OSIMERTINIB,),
    ),
    _check(
        "egfr_amp_gefitinib",
        "first-line gefitinib/erlotinib",
        "egfr_amplified",
        "003 §3.2: no share in EGFR-TKI resistance (13% after MET inhibitors)",
        "at_progression",
        (FIRST_GEN,),
    ),
    _check(
        "egfr_amp_osimertinib",
        "first-line osimertinib",
        "egfr_amplified",
        "003 §3.2: no share in EGFR-TKI resistance (13% after MET inhibitors)",
        "at_progression",
        (OSIMERTINIB,),
    ),
    _check(
        "met_exon14_gefitinib",
        "first-line gefitinib/erlotinib",
        "met_exon14",
        "003 §3.1.3: no share in EGFR-TKI resistance (3-4% of NSCLC as a primary driver)",
        "at_progression",
        (FIRST_GEN,),
    ),
    _check(
        "met_exon14_osimertinib",
        "first-line osimertinib",
        "met_exon14",
        "003 §3.1.3: no share in EGFR-TKI resistance (3-4% of NSCLC as a primary driver)",
        "at_progression",
        (OSIMERTINIB,),
    ),
    _check(
        "kras_gefitinib",
        "first-line gefitinib/erlotinib",
        "kras_mutant",
        "003 §3.6.1: reported, no share",
        "at_progression",
        (FIRST_GEN,),
    ),
    _check(
        "kras_osimertinib",
        "first-line osimertinib",
        "kras_mutant",
        "003 §3.6.1: KRAS G12S/G12D/G13D/Q61R reported, no share",
        "at_progression",
        (OSIMERTINIB,),
    ),
    _check(
        "braf_gefitinib",
        "first-line gefitinib/erlotinib",
        "braf_v600e",
        "003 §3.6.1: no share after 1st-gen TKIs",
        "at_progression",
        (FIRST_GEN,),
    ),
    _check(
        "braf_osimertinib",
        "first-line osimertinib",
        "braf_v600e",
        "003 §3.6.1, biology.md: ~3% of osimertinib resistance",
        "at_progression",
        (OSIMERTINIB,),
    ),
    _check(
        "pik3ca_gefitinib",
        "first-line gefitinib/erlotinib",
        "pik3ca_mutant",
        "003 §3.6.2, §4.4: reported; 2-11% of TKI resistance",
        "at_progression",
        (FIRST_GEN,),
    ),
    _check(
        "pik3ca_osimertinib",
        "first-line osimertinib",
        "pik3ca_mutant",
        "003 §3.6.2, biology.md: 4-11% of osimertinib resistance",
        "at_progression",
        (OSIMERTINIB,),
    ),
    _check(
        "nothing_found_gefitinib",
        "first-line gefitinib/erlotinib",
        "nothing found",
        "003 §1: ~20-30% other or unknown",
        "nothing_found",
        (FIRST_GEN,),
    ),
    _check(
        "nothing_found_osimertinib",
        "first-line osimertinib",
        "nothing found",
        "003 §1: ~20-30% other or unknown",
        "nothing_found",
        (OSIMERTINIB,),
    ),
)


def _share(hits: pd.Series) -> tuple[float, list[float]]:
    """A proportion with its Wilson 95% CI."""
    n, k = len(hits), int(hits.sum())
    if n == 0:
        return UNDEFINED, [UNDEFINED, UNDEFINED]
    ci = binomtest(k, n).proportion_ci(method="wilson")
    return k / n, [float(ci.low), float(ci.high)]


def _has(column: pd.Series, mechanism: str) -> pd.Series:
    return column.fillna("").str.split(";").map(lambda found: mechanism in found).astype(bool)


def _hits(target: Target, rows: pd.DataFrame) -> pd.Series:
    """For a share target: one boolean per patient counted (the denominator), True if it counts."""
    kind = target.measure
    if kind == "at_progression":
        return _has(rows.loc[rows[PROGRESSED], MECHANISMS_AT_PROGRESSION], target.mechanism)
    if kind == "at_baseline":
        return _has(rows[MECHANISMS_AT_BASELINE], target.mechanism)
    if kind == "second_line":
        # patients whose first progression showed T790M, then progressing on osimertinib
        rows = rows[_has(rows[MECHANISMS_AT_PROGRESSION], "t790m") & rows[PROGRESSED2]]
        return _has(rows[MECHANISMS_AT_PROGRESSION2], target.mechanism)
    if kind == "primary_resistance":
        return primary_resistant(rows)
    if kind == "met_before":
        # Tumours failing by MET whose diagnostic biopsy did not call MET: the baseline call
        # uses the ctDNA limit (validation.toml: 1% of tumour DNA), so these had MET below it.
        progressed = rows[rows[PROGRESSED]]
        failing = progressed[_has(progressed[MECHANISMS_AT_PROGRESSION], "met_amplified")]
        return ~_has(failing[MECHANISMS_AT_BASELINE], "met_amplified")
    if kind == "eradicated":
        # Without the column every patient has the trial's fixed initial_cells, which the table
        # does not record; the validation cohort varies it, so the column is there.
        if "patient_initial_cells" in rows:
            rows = rows[rows["patient_initial_cells"] >= ERADICATION_MIN_CELLS]
        return rows[ERADICATED].astype(bool)
    if kind == "nothing_found":
        return rows.loc[rows[PROGRESSED], MECHANISMS_AT_PROGRESSION].fillna("") == ""
    raise ValueError(f"unknown measure {target.measure!r}")


def _km_median(durations: np.ndarray, events: np.ndarray) -> float:
    """Kaplan-Meier median (lifelines' definition: the first time the survival drops to <= 0.5);
    inf when not reached."""
    if len(durations) == 0:
        return UNDEFINED
    times = np.unique(durations[events])
    at_risk = np.array([(durations >= t).sum() for t in times])
    deaths = np.array([(events & (durations == t)).sum() for t in times])
    survival = np.cumprod(1.0 - deaths / at_risk)
    below = np.nonzero(survival <= 0.5)[0]
    return float(times[below[0]]) if below.size else math.inf


def _median_ci(values: np.ndarray) -> list[float]:
    """Distribution-free 95% CI of a median from order statistics: [x_(l), x_(n-l+1)] with
    l the largest rank for which P(Binomial(n, 1/2) < l) <= 2.5%; NaN below 6 values."""
    n = len(values)
    rank = int(binom.ppf(0.025, n, 0.5)) if n else 0
    if rank < 1:
        return [UNDEFINED, UNDEFINED]
    ordered = np.sort(values)
    return [float(ordered[rank - 1]), float(ordered[n - rank])]


def measure(target: Target, table: pd.DataFrame) -> tuple[float, list[float], int]:
    """The simulated value of a trial target or check, its 95% CI, and how many patients it rests on."""
    rows = table[table[ARM].isin(target.arms)]
    if target.measure == "median_pfs":
        median, (lo, hi) = median_pfs(rows[PFS_DAYS], rows[PROGRESSED])
        scale = 1.0 / DAYS_PER_MONTH
        value = median * scale if median is not None else math.inf
        ci = [lo * scale if lo is not None else UNDEFINED, hi * scale if hi is not None else math.inf]
        return value, ci, len(rows)
    if target.measure == "doubling_time":
        days = rows[UNTREATED_DOUBLING_DAYS].to_numpy(dtype=float)
        value = float(np.median(days)) if len(days) else UNDEFINED
        return value, _median_ci(days), len(days)
    hits = _hits(target, rows)
    value, ci = _share(hits)
    return value, ci, len(hits)


def target_values(table: pd.DataFrame) -> dict[str, float]:
    """Every trial target's simulated value, without CIs (the calibration's summary statistics):
    NaN where undefined (no patient to count), +inf for a median PFS not reached."""
    values = {}
    for target in TRIAL_TARGETS:
        rows = table[table[ARM].isin(target.arms)]
        if target.measure == "median_pfs":
            days = _km_median(rows[PFS_DAYS].to_numpy(dtype=float), rows[PROGRESSED].to_numpy(dtype=bool))
            values[target.key] = days / DAYS_PER_MONTH
        elif target.measure == "doubling_time":
            days = rows[UNTREATED_DOUBLING_DAYS].to_numpy(dtype=float)
            values[target.key] = float(np.median(days)) if len(days) else UNDEFINED
        else:
            hits = _hits(target, rows)
            values[target.key] = float(hits.mean()) if len(hits) else UNDEFINED
    return values


# --- the PC-9 dishes -------------------------------------------------------------------------
DISHES = ROOT / "scenarios"
DISH_SURVIVORS, DISH_AXL, DISH_IGF1R = "pc9-osimertinib", "pc9-osimertinib-axl", "pc9-osimertinib-igf1r"


def dish_values(overrides: dict[str, float] | None = None, seeds: range = range(3)) -> dict[str, float]:
    """The dish targets' values: the surviving fraction after 9 days of osimertinib in the shipped
    PC-9 dish (mean over ``seeds``), and how many fold the AXL and IGF-1R inhibitors lower it
    (ratios of the means over the same seeds; inf when no cell survives the combination).

    ``overrides``: parameter values the trial runs with (e.g. a calibration point). The dish takes
    every one except those its own file sets (division, death and drug kill of cells in culture,
    no MET): the persister, AXL and IGF-1R biology is the tumour's. ``cohort.*`` keys describe
    the patients, not the cell line, and are left out. Speed (measured on a 2-core box): the nine runs
    of the default three seeds (2000 cells, 9 days each) take ~0.12 s, ~1 s on the first call
    of a process (the spatial model's imports and compiled kernels load).
    """
    from abm.config import scenario as scenarios
    from abm.experiments.run import run_scenario

    fractions = {}
    for name in (DISH_SURVIVORS, DISH_AXL, DISH_IGF1R):
        path = DISHES / f"{name}.toml"
        own = scenarios.read_toml(path).get("parameters", {})
        shared = {
            f"parameters.{k}": v for k, v in (overrides or {}).items() if not k.startswith("cohort.") and k not in own
        }
        survived = []
        for seed in seeds:
            dish = scenarios.load(path, {**shared, "model.seed": seed})
            counts = run_scenario(dish, progress=False, record=False).timeseries["total"]
            survived.append(float(counts.iloc[-1] / counts.iloc[0]))
        fractions[name] = float(np.mean(survived))

    def fold(combination: float) -> float:
        return fractions[DISH_SURVIVORS] / combination if combination > 0 else math.inf

    return {
        "dish_survivors": fractions[DISH_SURVIVORS],
        "dish_axl_fold": fold(fractions[DISH_AXL]),
        "dish_igf1r_fold": fold(fractions[DISH_IGF1R]),
    }


# --- rows ------------------------------------------------------------------------------------
def _row(target: Target, value: float, ci: list[float], n: int | None) -> dict[str, Any]:
    judged = target.kind == "target"
    return {  # the order of schema.VALIDATION_ROW
        KEY: target.key,
        KIND: target.kind,
        SETTING: target.setting,
        MECHANISM: target.mechanism,
        LOW: target.low,
        HIGH: target.high,
        UNIT: target.unit,
        SOURCE: target.source,
        SIMULATED: value,
        CI: ci,
        PATIENTS: n,
        # a check is never judged; NaN (nothing to measure) fails a target
        PASSED: bool(target.low <= value <= target.high) if judged else None,
    }


def evaluate(table: pd.DataFrame, dish: dict[str, float] | None = None) -> list[dict[str, Any]]:
    """One row per trial target, then per dish target (when ``dish`` values are given), then per
    check: reviewed range, simulated value with CI, pass or fail (None for a check)."""
    rows = [_row(t, *measure(t, table)) for t in TRIAL_TARGETS]
    if dish is not None:
        # a dish value is a mean over a few seeded dishes: no CI, no patients
        rows += [_row(t, float(dish[t.key]), [UNDEFINED, UNDEFINED], None) for t in DISH_TARGETS]
    rows += [_row(t, *measure(t, table)) for t in CHECKS]
    return rows


def targets_passed(rows: list[dict[str, Any]]) -> tuple[int, int]:
    """(passing, all) among the rows that are targets: checks do not count."""
    judged = [r for r in rows if r.get(KIND, "target") == "target"]
    return sum(bool(r[PASSED]) for r in judged), len(judged)


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


def changed_parameters(trial: Trial) -> dict[str, Any]:
    """The trial's parameters that differ from the defaults (what the dishes must share)."""
    defaults = type(trial.parameters)()
    return {k: v for k, v in trial.parameters.model_dump().items() if v != getattr(defaults, k)}


def validate(
    trial: Trial, workers: int = 1, progress: bool | None = None, dish: bool = False
) -> tuple[list[dict[str, Any]], pd.DataFrame]:
    """Run the validation cohort and evaluate every target; with ``dish``, the PC-9 dishes too
    (at the trial's parameters)."""
    table = run_trial(trial, workers=workers, progress=progress)
    values = dish_values(changed_parameters(trial)) if dish else None
    return evaluate(table, values), table


def format_value(x: float | None, unit: str) -> str:
    """A row's value as printed: months, days, fold or a percentage; n/a when missing."""
    if x is None or x != x:  # None in JSON, or nan
        return "n/a"
    if x == math.inf:
        return "inf" if unit == "fold" else "not reached"
    if unit == "months":
        return f"{x:.1f}"
    if unit == "days":
        return f"{x:.0f} d"
    if unit == "fold":
        return f"{x:.2f}x"
    return f"{x:.1%}"


def format_rows(rows: list[dict[str, Any]]) -> str:
    """The printed validation table: the targets, then the checks; the last line counts the targets."""
    header = f"{'setting':50s} {'mechanism':24s} {'reviewed':>13s} {'simulated':>10s} {'95% CI':>20s} {'n':>5s}"
    lines = []
    targets = [r for r in rows if r.get(KIND, "target") == "target"]
    checks = [r for r in rows if r.get(KIND) == "check"]
    for title, group in (("targets", targets), ("checks (no reviewed range, not judged)", checks)):
        if not group:
            continue
        lines += [f"{title}:", f"{header}  result  source"]
        for r in group:
            unit = r[UNIT]
            if r.get(KIND, "target") == "check":
                reviewed, result = "-", "check"
            else:
                high = "" if r[HIGH] is None or r[HIGH] == math.inf else format_value(r[HIGH], unit)
                reviewed = f">={format_value(r[LOW], unit)}" if not high else f"{format_value(r[LOW], unit)}-{high}"
                result = "pass" if r[PASSED] else "FAIL"
            ci = f"{format_value(r[CI][0], unit)}-{format_value(r[CI][1], unit)}"
            ci = "-" if ci == "n/a-n/a" else ci  # none: a dish value, or nothing to count
            n = "-" if r[PATIENTS] is None else str(r[PATIENTS])
            lines.append(
                f"{r[SETTING][:50]:50s} {r[MECHANISM][:24]:24s} {reviewed:>13s}"
                f" {format_value(r[SIMULATED], unit):>10s} {ci:>20s} {n:>5s}  {result:6s}  {r[SOURCE]}"
            )
    passed, total = targets_passed(rows)
    lines.append(f"{passed} of {total} targets pass")
    return "\n".join(lines)
