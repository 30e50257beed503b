"""The rows of ``abm validate`` (issue 14): each measure on small hand-built tables gives the
value counted by hand; checks are never judged; ``target_values`` is the calibration's view."""

from __future__ import annotations

import math
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
import pytest
from lifelines import KaplanMeierFitter
from scipy.stats import binomtest

from abm.biology.kinetics import REPORTED_VDT_DAYS, untreated_growth
from abm.biology.parameters import Parameters
from abm.config.scenario import plateau
from abm.experiments.trial import patient_row
from abm.experiments.validation import (
    CHECKS,
    DAYS_PER_MONTH,
    DISH_TARGETS,
    FIRST_GEN,
    OSIMERTINIB,
    SECOND_LINE,
    TRIAL_TARGETS,
    dish_values,
    evaluate,
    format_rows,
    measure,
    target_values,
    targets_passed,
    validation_trial,
)

BY_KEY = {t.key: t for t in (*TRIAL_TARGETS, *DISH_TARGETS, *CHECKS)}


def patient(arm: str, **fields: Any) -> dict[str, Any]:
    """One row of a trial table: a responder followed 5 years without progression, unless told."""
    return {
        "arm": arm,
        "pfs_days": 1825,
        "progressed": False,
        "best_response": "PR",
        "responded": True,
        "mechanisms_at_progression": "",
        "mechanisms_at_baseline": "",
        "pfs2_days": 1825,
        "progressed2": False,
        "mechanisms_at_progression2": "",
        "eradicated": False,
        "untreated_doubling_days": 190.0,
        "patient_initial_cells": 1e10,
        **fields,
    }


def table(*rows: dict[str, Any]) -> pd.DataFrame:
    df = pd.DataFrame(rows)
    df["patient"] = df.groupby("arm").cumcount()
    return df


def wilson(k: int, n: int) -> list[float]:
    ci = binomtest(k, n).proportion_ci(method="wilson")
    return [ci.low, ci.high]


def test_keys_are_unique_and_the_shared_ones() -> None:
    keys = [t.key for t in (*TRIAL_TARGETS, *DISH_TARGETS)]
    assert keys == [
        "t790m_gefitinib",
        "met_gefitinib",
        "axl_gefitinib",
        "met_untreated",
        "met_osimertinib",
        "t790m_osimertinib",
        "met_second_line",
        "primary_resistance",
        "pfs_gefitinib",
        "pfs_osimertinib",
        "c797s_osimertinib",
        "her2_gefitinib",
        "her2_osimertinib",
        "vdt_untreated",
        "met_before_met_failure",
        "eradication_gefitinib",
        "eradication_osimertinib",
        "eradication_sequence",
        "dish_survivors",
        "dish_axl_fold",
        "dish_igf1r_fold",
    ]
    assert len(set(BY_KEY)) == len(TRIAL_TARGETS) + len(DISH_TARGETS) + len(CHECKS)
    assert {t.kind for t in (*TRIAL_TARGETS, *DISH_TARGETS)} == {"target"}
    assert {t.kind for t in CHECKS} == {"check"}
    assert all(math.isnan(t.low) and math.isnan(t.high) for t in CHECKS)


def test_new_ranges_are_the_issues() -> None:
    ranges = {k: (t.low, t.high) for k, t in BY_KEY.items() if t.kind == "target"}
    assert ranges["c797s_osimertinib"] == (0.07, 0.15)
    assert ranges["her2_gefitinib"] == (0.08, 0.16)
    assert ranges["her2_osimertinib"] == (0.01, 0.05)
    assert ranges["vdt_untreated"] == REPORTED_VDT_DAYS and BY_KEY["vdt_untreated"].unit == "days"
    assert ranges["met_before_met_failure"] == (0.5, 1.0)
    assert ranges["primary_resistance"] == (0.04, 0.10)
    for arm in ("gefitinib", "osimertinib", "sequence"):
        assert ranges[f"eradication_{arm}"] == (0.0, 0.0099)
    assert ranges["dish_survivors"] == (0.003, 0.05)
    assert ranges["dish_axl_fold"] == (3.0, math.inf)
    assert ranges["dish_igf1r_fold"] == (1.05, math.inf)


def test_primary_resistance_is_no_response_and_progression_within_six_months() -> None:
    t = table(
        patient(FIRST_GEN, progressed=True, pfs_days=100, best_response="PR", responded=True),  # responded: no
        patient(FIRST_GEN, progressed=True, pfs_days=168, best_response="SD", responded=False),  # yes
        patient(FIRST_GEN, progressed=True, pfs_days=200, best_response="SD", responded=False),  # > 6 months: no
        patient(FIRST_GEN, best_response="SD", responded=False),  # never progressed: no
        patient(OSIMERTINIB, progressed=True, pfs_days=56, best_response="PD", responded=False),  # yes
        patient(OSIMERTINIB),  # no
        patient(SECOND_LINE, progressed=True, pfs_days=56, best_response="PD", responded=False),  # not first line
    )
    value, ci, n = measure(BY_KEY["primary_resistance"], t)
    assert (value, n) == (2 / 6, 6)
    assert ci == pytest.approx(wilson(2, 6))


def test_c797s_and_her2_at_progression() -> None:
    t = table(
        patient(OSIMERTINIB, progressed=True, mechanisms_at_progression="c797s;her2_amplified"),
        patient(OSIMERTINIB, progressed=True, mechanisms_at_progression="met_amplified;c797s_cis"),
        patient(OSIMERTINIB, progressed=True, mechanisms_at_progression=""),
        patient(OSIMERTINIB, progressed=True, mechanisms_at_progression="c797s"),
        patient(OSIMERTINIB),  # not progressed: not counted
        patient(FIRST_GEN, progressed=True, mechanisms_at_progression="t790m;her2_amplified"),
        patient(FIRST_GEN, progressed=True, mechanisms_at_progression="t790m"),
    )
    assert measure(BY_KEY["c797s_osimertinib"], t)[::2] == (2 / 4, 4)  # c797s_cis is not c797s
    assert measure(BY_KEY["her2_osimertinib"], t)[::2] == (1 / 4, 4)
    assert measure(BY_KEY["her2_gefitinib"], t)[::2] == (1 / 2, 2)


def test_met_before_treatment_in_met_failures() -> None:
    met = "met_amplified"
    t = table(
        patient(FIRST_GEN, progressed=True, mechanisms_at_progression=met, mechanisms_at_baseline=""),  # below 1%
        patient(FIRST_GEN, progressed=True, mechanisms_at_progression=f"t790m;{met}", mechanisms_at_baseline=met),
        patient(FIRST_GEN, progressed=True, mechanisms_at_progression=met, mechanisms_at_baseline="t790m"),  # below
        patient(FIRST_GEN, progressed=True, mechanisms_at_progression="t790m", mechanisms_at_baseline=met),  # no MET
        patient(FIRST_GEN, mechanisms_at_baseline=met),  # not progressed
        patient(OSIMERTINIB, progressed=True, mechanisms_at_progression=met, mechanisms_at_baseline=met),  # arm
    )
    value, ci, n = measure(BY_KEY["met_before_met_failure"], t)
    assert (value, n) == (2 / 3, 3)
    assert ci == pytest.approx(wilson(2, 3))


def _course(baseline_met: float, cells: int, params: Parameters) -> SimpleNamespace:
    shares = dict.fromkeys(("axl_high", "t790m", "c797s", "her2_amplified", "c797s_cis", "igf1r_active"), 0.0)
    shares |= dict.fromkeys(("egfr_amplified", "met_exon14", "kras_mutant", "braf_v600e", "pik3ca_mutant"), 0.0)
    return SimpleNamespace(
        recist=SimpleNamespace(
            progression_days=[], best_response="PR", responded=True, line_response=lambda line: "NE"
        ),
        at_progression=[],
        at_baseline={**shares, "met_amplified": baseline_met},
        day=1825,
        counts={"total": cells},
        nadir=cells // 10,
        params=params,
        config=SimpleNamespace(model=SimpleNamespace(initial_cells=cells, carrying_capacity=plateau(params, cells))),
    )


def test_baseline_call_uses_the_ctdna_limit_and_the_row_has_the_doubling_time() -> None:
    """MET at 0.9% of cells is below the validation cohort's 1% ctDNA limit, 1% is found; the
    row's doubling time is the patient's own untreated growth at its size."""
    trial = validation_trial(patients=1)
    assert trial.clinical.ctdna_detection_limit == 0.01
    arm, params = trial.arms[0], Parameters(division_rate=0.05)
    below = patient_row(trial, arm, 0, _course(0.009, 2 * 10**9, params), {"initial_cells": 2e9})
    at = patient_row(trial, arm, 0, _course(0.01, 2 * 10**9, params), {"initial_cells": 2e9})
    assert below["mechanisms_at_baseline"] == "" and at["mechanisms_at_baseline"] == "met_amplified"
    expected = untreated_growth(params, 2e9, plateau(params, 2e9)).doubling_days
    assert below["untreated_doubling_days"] == expected
    assert 20 < expected < 2000  # a finite, plausible number of days
    assert expected != untreated_growth(params, 2e10, plateau(params, 2e10)).doubling_days


def test_eradication_counts_only_tumours_of_at_least_1e9_cells() -> None:
    t = table(
        patient(FIRST_GEN, eradicated=True, patient_initial_cells=1e9),  # counted, eradicated
        patient(FIRST_GEN, eradicated=True, patient_initial_cells=5e8),  # too small: left out
        patient(FIRST_GEN, patient_initial_cells=2e9),
        patient(FIRST_GEN, patient_initial_cells=3e10),
        patient(OSIMERTINIB, eradicated=True, patient_initial_cells=5e8),  # left out
        patient(OSIMERTINIB, patient_initial_cells=1e10),
        patient(SECOND_LINE, eradicated=True, patient_initial_cells=9.9e8),  # left out: none counted
    )
    assert measure(BY_KEY["eradication_gefitinib"], t)[::2] == (1 / 3, 3)
    assert measure(BY_KEY["eradication_osimertinib"], t)[::2] == (0.0, 1)
    value, _, n = measure(BY_KEY["eradication_sequence"], t)
    assert math.isnan(value) and n == 0
    rows = {r["key"]: r for r in evaluate(t)}
    assert rows["eradication_gefitinib"]["pass"] is False  # 33% >= 1%
    assert rows["eradication_osimertinib"]["pass"] is True
    assert rows["eradication_sequence"]["pass"] is False  # nothing to count is not a pass
    # a cohort of one fixed size has no column: every patient counts
    assert measure(BY_KEY["eradication_gefitinib"], t.drop(columns="patient_initial_cells"))[::2] == (2 / 4, 4)


def test_doubling_time_is_the_cohort_median_with_an_order_statistic_ci() -> None:
    small = table(*(patient(FIRST_GEN, untreated_doubling_days=d) for d in (100, 150, 300, math.inf, 200)))
    value, ci, n = measure(BY_KEY["vdt_untreated"], small)
    assert (value, n) == (200.0, 5)
    assert all(math.isnan(x) for x in ci)  # 5 values cannot give a 95% CI of the median
    # 10 values: P(Binomial(10, 1/2) <= 1) = 11/1024 < 2.5% < P(<= 2): the CI is [x_(2), x_(9)]
    ten = table(
        *(patient(FIRST_GEN, untreated_doubling_days=float(d)) for d in range(10, 0, -1)),
        patient(OSIMERTINIB, untreated_doubling_days=1e6),  # another arm: not counted
    )
    value, ci, n = measure(BY_KEY["vdt_untreated"], ten)
    assert (value, ci, n) == (5.5, [2.0, 9.0], 10)


def test_checks_measure_and_never_count() -> None:
    t = table(
        patient(FIRST_GEN, progressed=True, mechanisms_at_progression="t790m;igf1r_active"),
        patient(FIRST_GEN, progressed=True, mechanisms_at_progression=""),
        patient(FIRST_GEN, progressed=True, mechanisms_at_progression=""),
        patient(FIRST_GEN),
        patient(OSIMERTINIB, progressed=True, mechanisms_at_progression="igf1r_active"),
    )
    assert measure(BY_KEY["igf1r_gefitinib"], t)[::2] == (1 / 3, 3)
    assert measure(BY_KEY["nothing_found_gefitinib"], t)[::2] == (2 / 3, 3)
    assert measure(BY_KEY["igf1r_osimertinib"], t)[::2] == (1.0, 1)
    assert measure(BY_KEY["nothing_found_osimertinib"], t)[::2] == (0.0, 1)
    rows = evaluate(t)
    assert [r["key"] for r in rows] == [t.key for t in (*TRIAL_TARGETS, *CHECKS)]
    checks = [r for r in rows if r["kind"] == "check"]
    assert len(checks) == len(CHECKS) and all(r["pass"] is None for r in checks)
    targets = [r for r in rows if r["kind"] == "target"]
    passed = sum(r["pass"] for r in targets)
    assert targets_passed(rows) == (passed, len(TRIAL_TARGETS))
    # even a check marked as passing (or failing) does not move the count
    for verdict in (True, False):
        assert targets_passed([*rows, {**checks[0], "pass": verdict}]) == (passed, len(TRIAL_TARGETS))
    text = format_rows(rows)
    assert text.splitlines()[-1] == f"{passed} of {len(TRIAL_TARGETS)} targets pass"
    assert text.index("targets:") < text.index("checks") < text.index("nothing found")


def test_dish_rows_are_appended_and_judged() -> None:
    t = table(patient(FIRST_GEN), patient(OSIMERTINIB), patient(SECOND_LINE))
    dish = {"dish_survivors": 0.02, "dish_axl_fold": math.inf, "dish_igf1r_fold": 1.01}
    rows = evaluate(t, dish)
    assert [r["key"] for r in rows] == [t.key for t in (*TRIAL_TARGETS, *DISH_TARGETS, *CHECKS)]
    by_key = {r["key"]: r for r in rows}
    assert by_key["dish_survivors"]["pass"] and by_key["dish_axl_fold"]["pass"]  # no survivors: inf-fold
    assert by_key["dish_igf1r_fold"]["pass"] is False
    assert targets_passed(rows)[1] == len(TRIAL_TARGETS) + len(DISH_TARGETS)


def test_target_values_equal_the_measures_without_cis() -> None:
    rng = np.random.default_rng(4)
    rows = []
    mechanisms = ("t790m", "met_amplified", "axl_high", "c797s", "her2_amplified", "")
    for arm in (FIRST_GEN, OSIMERTINIB, SECOND_LINE):
        for _ in range(40):
            progressed = bool(rng.random() < 0.8)
            found = ";".join(m for m in mechanisms if m and rng.random() < 0.3) if progressed else ""
            rows.append(
                patient(
                    arm,
                    progressed=progressed,
                    pfs_days=int(rng.choice([56, 112, 168, 224, 560, 784])) if progressed else 1825,
                    responded=bool(rng.random() < 0.7),
                    mechanisms_at_progression=found,
                    mechanisms_at_baseline="met_amplified" if rng.random() < 0.2 else "",
                    progressed2=progressed and bool(rng.random() < 0.5),
                    mechanisms_at_progression2="met_amplified" if rng.random() < 0.3 else "",
                    eradicated=bool(rng.random() < 0.1),
                    untreated_doubling_days=float(rng.uniform(50, 400)),
                    patient_initial_cells=float(rng.choice([5e8, 1e10])),
                )
            )
    t = table(*rows)
    values = target_values(t)
    assert list(values) == [t.key for t in TRIAL_TARGETS]
    for target in TRIAL_TARGETS:
        assert values[target.key] == pytest.approx(measure(target, t)[0], rel=1e-12), target.key
    # a median PFS not reached is +inf; a share with nobody to count is NaN
    never = table(patient(FIRST_GEN), patient(OSIMERTINIB), patient(SECOND_LINE))
    values = target_values(never)
    assert values["pfs_gefitinib"] == math.inf
    assert math.isnan(values["t790m_gefitinib"]) and values["primary_resistance"] == 0.0


def test_kaplan_meier_median_is_lifelines() -> None:
    rng = np.random.default_rng(7)
    days = rng.choice(np.arange(56, 1825, 56), size=200)
    events = rng.random(200) < 0.6
    t = table(*(patient(FIRST_GEN, pfs_days=int(d), progressed=bool(e)) for d, e in zip(days, events, strict=True)))
    expected = KaplanMeierFitter().fit(days, events).median_survival_time_ / DAYS_PER_MONTH
    assert target_values(t)["pfs_gefitinib"] == expected


def test_dish_values_share_the_tumours_persister_biology_only() -> None:
    base = dish_values(seeds=range(2))
    # what the dish sets itself (cells in culture) and the patients' distributions are left out
    assert dish_values({"division_rate": 0.01, "cohort.axl_bypass_capacity.sd": 0.5}, seeds=range(2)) == base
    fewer = dish_values({"persister_entry_fraction": Parameters().persister_entry_fraction / 10}, seeds=range(2))
    assert fewer["dish_survivors"] < base["dish_survivors"]


def test_the_validation_trial_gives_every_share_row_a_value() -> None:
    """~30 patients per arm of the real validation cohort: every share target and check is
    measured on at least one patient (a finite value), and the doubling time is finite too."""
    from abm.experiments.trial import run_trial

    t = run_trial(validation_trial(patients=30), workers=1, progress=False)
    assert np.isfinite(t["untreated_doubling_days"]).all()
    for row in evaluate(t):
        if row["unit"] in ("share", "days"):
            assert math.isfinite(row["simulated"]) and row["patients"] > 0, row["key"]
    values = target_values(t)
    assert all(not math.isnan(v) for v in values.values()), values
