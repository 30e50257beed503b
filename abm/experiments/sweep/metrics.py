"""Figures a sweep keeps of each run: one number per metric, named in the sweep file.

Scenario runs (spatial or clone model) offer ``RUN_METRICS``, computed from the daily table
and the tumour's course. Trial runs offer ``TRIAL_STATISTICS`` of one arm, named
``statistic:arm`` (``statistic`` alone when the trial has one arm). Every metric is a float:
counts are exact in a float64, yes/no figures are 0 or 1, and NaN marks a value that does
not exist (a median not reached, a failed run).

A trial shaped like the validation trial (the arms of ``scenarios/validation.toml`` that the
targets read) also offers the calibration's view of it: ``target.KEY``, the simulated value of
trial target KEY (``abm.experiments.validation.TRIAL_TARGETS``, as ``target_values`` measures
it: a share, or a median in months or days; +inf for a median not reached, NaN when no patient
counts), and
``calibration_distance``, the calibration's objective over every trial target
(``abm.experiments.objective.calibration_distance``: inf at a point the calibration rejects
unrun). The calibration is this with another design: pyabc's sequential proposals over the
priors instead of a grid or a sample, each particle evaluated by the runner's ``simulate``
with ``target.KEY`` metrics as its summary statistics and scored by the same distance. A sweep
over a few fitted keys with ``calibration_distance`` (``scenarios/sweep-calibration-profile.toml``)
is a profile of the objective.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from abm.biology.drugs import DRUG_NAMES
from abm.biology.mechanisms import COUNT_COLUMNS
from abm.clinic.readouts import BIOPSY_COLUMNS, MECHANISM_COLUMNS
from abm.io.errors import did_you_mean
from abm.io.schema import (
    ARM,
    DAY,
    DAYS_SIMULATED,
    MECHANISMS_AT_PROGRESSION,
    MEDIAN_PFS2_DAYS,
    MEDIAN_PFS_DAYS,
    PFS2_DAYS,
    PFS_DAYS,
    PRIMARY_RESISTANCE,
    PROGRESSED,
)

if TYPE_CHECKING:
    from abm.config.scenario import ScenarioConfig
    from abm.experiments.trial import Trial
    from abm.models.course import Course

RUN_METRICS: dict[str, str] = {
    "final_total": "tumour cells on the last day simulated",
    **{f"final_{c}": f"{c} cells on the last day simulated" for c in COUNT_COLUMNS},
    **{f"share_{m}": f"share of cells counted as {m} on the last day (0 if none left)" for m in MECHANISM_COLUMNS},
    "fraction_alive": "cells on the last day / cells on day 0",
    "nadir_total": "smallest number of tumour cells",
    "nadir_day": "day of the nadir (the first, if several)",
    "regrowth_day": (
        "first day after the nadir with at least the day-0 number of cells; model.days when it never regrows"
    ),
    "regrew": "1 when the tumour regrew to its day-0 size after the nadir, else 0",
    "progression_day": "day of the first RECIST progression at imaging; model.days when none",
    PROGRESSED: "1 when imaging showed RECIST progression, else 0",
    DAYS_SIMULATED: "days simulated (fewer than model.days when the tumour died out)",
    "extinct": "1 when no cell is left at the end, else 0",
    **{f"exposure_{d}": f"dose-days of {d}: the sum over days of its relative dose" for d in DRUG_NAMES},
}

TRIAL_STATISTICS: dict[str, str] = {
    MEDIAN_PFS_DAYS: "Kaplan-Meier median PFS in days (NaN when not reached)",
    "mean_pfs_days": "restricted mean PFS in days over follow-up (patients without progression count as follow-up)",
    PROGRESSED: "share of patients who progressed during follow-up",
    "orr": "objective response rate (CR or PR)",
    PRIMARY_RESISTANCE: "share with primary resistance: progression within 6 months without a response",
    MEDIAN_PFS2_DAYS: "Kaplan-Meier median PFS2 in days (NaN when not reached)",
    "mean_pfs2_days": "restricted mean PFS2 in days over follow-up",
    "hazard_ratio": "Cox hazard ratio for PFS of this arm against the first arm (NaN on the first arm)",
    **{f"mechanism_{m}": f"share of progressed patients in whom a rebiopsy finds {m}" for m in BIOPSY_COLUMNS},
}

# A day metric set to model.days when its event did not happen -> the metric saying whether it
# did: such a day is censored at the run's end, not observed, and is summarised as survival data
# (``abm.experiments.sweep.summary.censored_medians``). A sweep asking for the day records its
# event too (``with_event_metrics``).
CENSORED_BY: dict[str, str] = {"regrowth_day": "regrew", "progression_day": PROGRESSED}


def with_event_metrics(names: tuple[str, ...]) -> tuple[str, ...]:
    """``names`` with the event metric of each censored day metric among them added (after them)."""
    events = [CENSORED_BY[n] for n in names if n in CENSORED_BY and CENSORED_BY[n] not in names]
    return (*names, *dict.fromkeys(events))


DEFAULT_RUN_METRICS = ("final_total", "fraction_alive", "nadir_total", "regrowth_day", "share_axl_high", "extinct")


# The calibration's view of a trial (``abm.experiments.validation``, ``abm.experiments.objective``):
# ``target.KEY``, the simulated value of trial target KEY; ``calibration_distance``, the ABC's distance.
TARGET_PREFIX = "target."
CALIBRATION_DISTANCE = "calibration_distance"


def check_run_metric(name: str) -> str | None:
    """None when ``name`` is a run metric, else what is allowed."""
    return None if name in RUN_METRICS else did_you_mean(name, RUN_METRICS) or "allowed: " + ", ".join(RUN_METRICS)


def split_trial_metric(name: str, arms: list[str]) -> tuple[str, str]:
    """'statistic:arm' -> (statistic, arm); ValueError saying what is allowed."""
    statistic, sep, arm = name.partition(":")
    if statistic not in TRIAL_STATISTICS:
        suggestion = did_you_mean(statistic, TRIAL_STATISTICS)
        if suggestion:
            raise ValueError(f"unknown statistic {statistic!r}; {suggestion}")
        allowed = ", ".join(TRIAL_STATISTICS)
        raise ValueError(
            f"unknown statistic {statistic!r}; allowed: {allowed}, each as 'statistic:arm'; "
            f"or {TARGET_PREFIX}KEY and {CALIBRATION_DISTANCE} (on the arms of scenarios/validation.toml)"
        )
    if not sep:
        if len(arms) == 1:
            return statistic, arms[0]
        raise ValueError(f"name the arm, as '{statistic}:ARM'; arms: {', '.join(arms)}")
    if arm not in arms:
        raise ValueError(f"unknown arm {arm!r}; {did_you_mean(arm, arms) or 'arms: ' + ', '.join(arms)}")
    return statistic, arm


def is_validation_metric(name: str) -> bool:
    """True for a metric the validation targets define (``target.KEY``, ``calibration_distance``)."""
    return name == CALIBRATION_DISTANCE or name.startswith(TARGET_PREFIX)


def check_trial_metric(name: str, arms: list[str]) -> None:
    """Nothing when ``name`` is a metric of a trial with these arms; else a ValueError saying what is allowed."""
    if not is_validation_metric(name):
        split_trial_metric(name, arms)
        return
    from abm.experiments.validation import TRIAL_TARGETS

    if name == CALIBRATION_DISTANCE:
        needed = TRIAL_TARGETS
    else:
        key = name.removeprefix(TARGET_PREFIX)
        needed = tuple(t for t in TRIAL_TARGETS if t.key == key)
        if not needed:
            allowed = ", ".join(t.key for t in TRIAL_TARGETS)
            raise ValueError(f"unknown target {key!r}; allowed: {TARGET_PREFIX}KEY, KEY one of {allowed}")
    missing = list(dict.fromkeys(arm for t in needed for arm in t.arms if arm not in arms))
    if missing:
        raise ValueError(
            f"needs the arms of scenarios/validation.toml; missing: {', '.join(repr(a) for a in missing)} "
            f"(this trial's arms: {', '.join(arms)})"
        )


def run_metrics(
    scenario: ScenarioConfig, timeseries: pd.DataFrame, course: Course, names: tuple[str, ...]
) -> dict[str, float]:
    """The named metrics of one finished scenario run."""
    total = timeseries["total"].to_numpy()
    days = timeseries[DAY].to_numpy()
    horizon = scenario.model.days
    nadir = int(np.argmin(total))
    back = np.flatnonzero(total[nadir + 1 :] >= total[0])
    progressions = course.recist.progression_days
    last = timeseries.iloc[-1]
    values: dict[str, float] = {
        "final_total": float(total[-1]),
        "fraction_alive": float(total[-1] / total[0]) if total[0] else 0.0,
        "nadir_total": float(total[nadir]),
        "nadir_day": float(days[nadir]),
        "regrowth_day": float(days[nadir + 1 + back[0]]) if back.size else float(horizon),
        "regrew": float(back.size > 0),
        "progression_day": float(progressions[0]) if progressions else float(horizon),
        PROGRESSED: float(bool(progressions)),
        DAYS_SIMULATED: float(days[-1]),
        "extinct": float(total[-1] == 0),
    }
    for c in COUNT_COLUMNS:
        values[f"final_{c}"] = float(last[c])
    for m in MECHANISM_COLUMNS:
        values[f"share_{m}"] = float(last[m] / total[-1]) if total[-1] else 0.0
    for d in DRUG_NAMES:
        values[f"exposure_{d}"] = float(timeseries[d].sum())
    return {name: values[name] for name in names}


def trial_metrics(trial: Trial, table: pd.DataFrame, names: tuple[str, ...]) -> dict[str, float]:
    """The named statistics of one finished trial (its per-patient table)."""
    from abm.experiments.objective import calibration_distance
    from abm.experiments.trial_stats import arm_summary, hazard_ratio
    from abm.experiments.validation import target_values

    arms = [a.name for a in trial.arms]
    summaries: dict[str, dict[str, Any]] = {}
    values: dict[str, float] = {}
    follow_up = trial.trial.follow_up_days
    targets: dict[str, float] | None = None  # every target's value, measured once
    for name in names:
        if is_validation_metric(name):
            check_trial_metric(name, arms)
            if targets is None:
                targets = target_values(table)
            if name == CALIBRATION_DISTANCE:
                values[name] = calibration_distance(trial.parameters, targets)
            else:
                values[name] = float(targets[name.removeprefix(TARGET_PREFIX)])
            continue
        statistic, arm = split_trial_metric(name, arms)
        rows = table[table[ARM] == arm]
        if statistic == "hazard_ratio":
            value = hazard_ratio(table, arm, arms[0])["hr"] if arm != arms[0] else None
        elif statistic == "mean_pfs_days":
            value = float(rows[PFS_DAYS].clip(upper=follow_up).mean())
        elif statistic == "mean_pfs2_days":
            value = float(rows[PFS2_DAYS].clip(upper=follow_up).mean())
        elif statistic == PROGRESSED:
            value = float(rows[PROGRESSED].mean())
        else:
            if arm not in summaries:
                summaries[arm] = arm_summary(rows)
            summary = summaries[arm]
            if statistic.startswith("mechanism_"):
                value = summary[MECHANISMS_AT_PROGRESSION][statistic.removeprefix("mechanism_")]
            else:
                value = summary[statistic]
        values[name] = math.nan if value is None else float(value)
    return values
