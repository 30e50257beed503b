"""Trial statistics from the per-patient table: Kaplan-Meier medians, response, mechanisms, HRs.

Survival analysis is lifelines': ``KaplanMeierFitter`` for median PFS and its 95% CI,
``CoxPHFitter`` for the hazard ratio of each arm against the first (reference) arm.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import pandas as pd
from lifelines import CoxPHFitter, KaplanMeierFitter
from lifelines.utils import median_survival_times
from scipy.stats import binomtest

from abm.clinic.readouts import BIOPSY_COLUMNS
from abm.clinic.recist import DAYS_PER_MONTH
from abm.io.schema import (
    ARM,
    ARMS,
    BEST_RESPONSE2,
    CI,
    HAZARD_RATIOS,
    HAZARD_RATIOS_PFS2,
    HR,
    MECHANISMS_AT_PROGRESSION,
    MEDIAN_PFS2_CI,
    MEDIAN_PFS2_DAYS,
    MEDIAN_PFS_CI,
    MEDIAN_PFS_DAYS,
    ORR,
    ORR2,
    ORR2_BY_FINDING,
    PATIENTS,
    PFS2_DAYS,
    PFS_DAYS,
    PRIMARY_RESISTANCE,
    PROGRESSED,
    PROGRESSED2,
    REFERENCE,
    RESPONDED,
    RESPONDED2,
)


def _finite(x: float) -> float | None:
    """JSON-friendly: None for a median not reached (infinite) or undefined."""
    return float(x) if x is not None and math.isfinite(x) else None


def median_pfs(durations: pd.Series, events: pd.Series) -> tuple[float | None, list[float | None]]:
    """Kaplan-Meier median and its 95% confidence interval (None where not reached)."""
    kmf = KaplanMeierFitter().fit(durations, event_observed=events)
    ci = median_survival_times(kmf.confidence_interval_)
    return _finite(kmf.median_survival_time_), [_finite(ci.iloc[0, 0]), _finite(ci.iloc[0, 1])]


def wilson_ci(k: int, n: int) -> tuple[float | None, float | None]:
    """Wilson 95% confidence interval of a share of ``k`` in ``n`` (None, None when n is 0)."""
    if n == 0:
        return None, None
    ci = binomtest(int(k), int(n)).proportion_ci(method="wilson")
    return float(ci.low), float(ci.high)


# Primary resistance as the clinic defines it (Jackman et al. 2010 J Clin Oncol 28:357): acquired
# resistance needs an objective response or >= 6 months of stable disease first, so a patient who
# progresses within 6 months without ever responding had primary resistance. With scans every
# 56 days that is progression at one of the first three scans (day 56, 112 or 168).
PRIMARY_RESISTANCE_DAYS = 183


def primary_resistant(rows: pd.DataFrame) -> pd.Series:
    """Per patient: progressed within ``PRIMARY_RESISTANCE_DAYS`` without ever responding."""
    return rows[PROGRESSED] & (rows[PFS_DAYS] <= PRIMARY_RESISTANCE_DAYS) & ~rows[RESPONDED]


def second_line_response(rows: pd.DataFrame) -> tuple[float | None, dict[str, dict[str, Any]]]:
    """Second-line ORR among patients with a second-line scan (None: no such patient), and the
    same per mechanism the first progression's rebiopsy found (a trial enrolling by finding)."""
    if BEST_RESPONSE2 not in rows:
        return None, {}
    evaluable = rows[rows[BEST_RESPONSE2] != "NE"]
    if evaluable.empty:
        return None, {}
    found = evaluable[MECHANISMS_AT_PROGRESSION].fillna("").str.split(";")
    by_finding = {}
    for m in BIOPSY_COLUMNS:
        with_m = evaluable[found.map(lambda ms, m=m: m in ms)]
        if len(with_m):
            by_finding[m] = {PATIENTS: len(with_m), ORR: float(with_m[RESPONDED2].mean())}
    return float(evaluable[RESPONDED2].mean()), by_finding


def arm_summary(rows: pd.DataFrame) -> dict[str, Any]:
    """One arm's figures."""
    median, ci = median_pfs(rows[PFS_DAYS], rows[PROGRESSED])
    median2, ci2 = median_pfs(rows[PFS2_DAYS], rows[PROGRESSED2])
    progressed = rows[rows[PROGRESSED]]
    found = progressed[MECHANISMS_AT_PROGRESSION].fillna("").str.split(";")
    shares = {m: float(found.map(lambda ms, m=m: m in ms).mean()) if len(found) else 0.0 for m in BIOPSY_COLUMNS}
    orr2, by_finding = second_line_response(rows)
    return {
        PATIENTS: len(rows),
        PROGRESSED: int(rows[PROGRESSED].sum()),
        MEDIAN_PFS_DAYS: median,
        MEDIAN_PFS_CI: ci,
        ORR: float(rows[RESPONDED].mean()),
        PRIMARY_RESISTANCE: float(primary_resistant(rows).mean()) if len(rows) else 0.0,
        MECHANISMS_AT_PROGRESSION: shares,
        MEDIAN_PFS2_DAYS: median2,
        MEDIAN_PFS2_CI: ci2,
        ORR2: orr2,
        ORR2_BY_FINDING: by_finding,
    }


def hazard_ratio(
    table: pd.DataFrame, arm: str, reference: str, days: str = PFS_DAYS, event: str = PROGRESSED
) -> dict[str, Any]:
    """Cox hazard ratio of ``arm`` against ``reference`` for PFS (or, with ``days`` and ``event``
    the PFS2 columns, PFS2), with its 95% CI."""
    two = table[table[ARM].isin([arm, reference])]
    data = pd.DataFrame(
        {
            PFS_DAYS: two[days].astype(float),
            PROGRESSED: two[event].astype(int),
            "treated": (two[ARM] == arm).astype(int),
        }
    )
    result = {ARM: arm, REFERENCE: reference, HR: None, CI: [None, None]}
    # An arm without a single progression leaves the Cox likelihood without a maximum (the estimate
    # runs off to 0 or infinity with an unbounded CI): not estimable, as with no events at all.
    events = data.groupby("treated")[PROGRESSED].sum()
    if data["treated"].nunique() < 2 or (events == 0).any():
        return result
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cph = CoxPHFitter().fit(data, duration_col=PFS_DAYS, event_col=PROGRESSED)
    summary = cph.summary.loc["treated"]
    result[HR] = _finite(summary["exp(coef)"])
    result[CI] = [_finite(summary["exp(coef) lower 95%"]), _finite(summary["exp(coef) upper 95%"])]
    return result


def has_second_line(rows: pd.DataFrame) -> bool:
    """Whether the arm followed patients past a first progression (a scan of a second line)."""
    return BEST_RESPONSE2 in rows and bool((rows[BEST_RESPONSE2] != "NE").any())


def summarise_trial(table: pd.DataFrame, arms: list[str]) -> dict[str, Any]:
    """Everything ``abm trial --json`` prints: per-arm figures and hazard ratios vs the first arm."""
    return {
        ARMS: {arm: arm_summary(table[table[ARM] == arm]) for arm in arms},
        HAZARD_RATIOS: [hazard_ratio(table, arm, arms[0]) for arm in arms[1:]],
        # PFS2 only between arms that both have a second line (a one-line arm stops at progression)
        HAZARD_RATIOS_PFS2: [
            hazard_ratio(table, arm, arms[0], PFS2_DAYS, PROGRESSED2)
            for arm in arms[1:]
            if all(has_second_line(table[table[ARM] == a]) for a in (arm, arms[0]))
        ],
    }


def median_months(days: float | None, ci: list[float | None]) -> str:
    """A Kaplan-Meier median in months (as the figures draw it) with its 95% CI, in words where not reached:
    '22.3 months (95% CI 20.1-24.0)', 'not reached (95% CI from 20.1 months)', 'not reached'."""
    lo, hi = (None if x is None else x / DAYS_PER_MONTH for x in ci)
    if days is None:
        return "not reached" + ("" if lo is None else f" (95% CI from {lo:.1f} months)")
    if lo is None:
        return f"{days / DAYS_PER_MONTH:.1f} months (95% CI not estimable)"
    upper = "not reached" if hi is None else f"{hi:.1f}"
    return f"{days / DAYS_PER_MONTH:.1f} months (95% CI {lo:.1f}-{upper})"


def format_summary(name: str, summary: dict[str, Any]) -> str:
    """The printed summary: one block per arm, the hazard ratios, then the finding in one line."""
    lines = [name]
    for arm, s in summary[ARMS].items():
        mechanisms = ", ".join(f"{m} {v:.0%}" for m, v in s[MECHANISMS_AT_PROGRESSION].items() if v > 0)
        lines += [
            f"  {arm}: {s[PATIENTS]} patients, {s[PROGRESSED]} progressed",
            f"    median PFS {median_months(s[MEDIAN_PFS_DAYS], s[MEDIAN_PFS_CI])};"
            f" ORR {s[ORR]:.0%}; primary resistance {s[PRIMARY_RESISTANCE]:.0%}",
            f"    at progression: {mechanisms or 'none detected'}",
        ]
        if s[MEDIAN_PFS2_DAYS] is not None:
            lines.append(f"    median PFS2 {median_months(s[MEDIAN_PFS2_DAYS], s[MEDIAN_PFS2_CI])}")
        if s.get(ORR2) is not None:
            findings = ", ".join(f"{m} {v[ORR]:.0%} (n={v[PATIENTS]})" for m, v in s[ORR2_BY_FINDING].items())
            lines.append(
                f"    second line from the progression scan: ORR {s[ORR2]:.0%}; by finding: {findings or 'none'}"
            )
    for label, key in (("HR", HAZARD_RATIOS), ("HR for PFS2", HAZARD_RATIOS_PFS2)):
        for hr in summary.get(key, []):
            lo, hi = hr[CI]
            if hr[HR] is None:
                lines.append(f"  {label} {hr[ARM]} vs {hr[REFERENCE]}: not estimable")
            elif lo is None or hi is None:
                lines.append(f"  {label} {hr[ARM]} vs {hr[REFERENCE]}: {hr[HR]:.2f} (95% CI not estimable)")
            else:
                lines.append(f"  {label} {hr[ARM]} vs {hr[REFERENCE]}: {hr[HR]:.2f} (95% CI {lo:.2f}-{hi:.2f})")
    finding = headline(summary)
    return "\n".join([*lines, f"  finding: {finding}"] if finding else lines)


def headline(summary: dict[str, Any]) -> str | None:
    """What the trial found, in one sentence: the arm with the longest median PFS against the
    first (reference) arm, and whether its hazard ratio's 95% CI excludes 1. None for one arm."""
    arms = summary[ARMS]
    if len(arms) < 2:
        return None
    reference = next(iter(arms))
    best = max(arms, key=lambda a: math.inf if arms[a][MEDIAN_PFS_DAYS] is None else arms[a][MEDIAN_PFS_DAYS])
    if best == reference or arms[best][MEDIAN_PFS_DAYS] == arms[reference][MEDIAN_PFS_DAYS]:
        return f"no arm had a longer median PFS than the reference arm {reference}"
    hr = next((h for h in summary[HAZARD_RATIOS] if h[ARM] == best), None)
    best_median, reference_median = (
        median_months(arms[a][MEDIAN_PFS_DAYS], [None, None]).split(" (")[0] for a in (best, reference)
    )
    text = f"longest median PFS on {best} ({best_median} vs {reference}'s {reference_median})"
    if hr is None or hr[HR] is None or None in hr[CI]:
        return text + "; hazard ratio not estimable"
    lo, hi = hr[CI]
    verdict = "a difference the 95% CI supports" if hi < 1 else "within chance: the 95% CI includes 1"
    return text + f"; HR {hr[HR]:.2f} (95% CI {lo:.2f}-{hi:.2f}), {verdict}"
