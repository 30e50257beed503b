"""The cohort engine (abm.models.cohort, abm.models.cohort_kernel): skipping the days the clinic does not act
changes nothing, cells are conserved, and it is the same process as the clone model."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from abm.config.scenario import ScenarioConfig
from abm.experiments.trial import load_trial, run_trial
from abm.models.clone import CloneTumour
from abm.models.cohort import run_cohort
from abm.models.course import Course
from tests.conftest import SCENARIOS

# Trials whose schedules change doses by the calendar, by triggers on scans, liquid biopsies,
# daily readouts and rebiopsies, and adaptively.
TRIALS = [
    "trial-first-line",
    "trial-axl-timing",
    "trial-adaptive",
    "trial-liquid-biopsy",
    "trial-met-after-first-gen",
    "trial-orchard",  # all-of triggers on the rebiopsy, for_days from a triggered start
]


def every_day(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make every course look at its tumour every day."""
    next_look = Course.next_look
    monkeypatch.setattr(Course, "next_look", lambda self: (self.day + 1, next_look(self)[1]))


@pytest.mark.parametrize("name", TRIALS)
def test_skipping_the_days_between_looks_changes_nothing(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    trial = load_trial(SCENARIOS / f"{name}.toml", {"patients": 10, "follow_up_days": 1300, "seed": 4})
    skipping = run_trial(trial, progress=False)
    every_day(monkeypatch)
    daily = run_trial(trial, progress=False)
    pd.testing.assert_frame_equal(skipping, daily)
    assert skipping["progressed"].any()  # something happened to compare


def scenario(days: int, **parameters: float) -> ScenarioConfig:
    return ScenarioConfig.model_validate(
        {
            "name": "cohort test",
            "model": {"kind": "clone", "initial_cells": 10**8, "carrying_capacity": 10**11, "days": days},
            "parameters": {
                "persister_entry_fraction": 0.05,
                "axl_induction_rate": 0.002,
                "met_amplified_initial_fraction": 0.01,
                **parameters,
            },
            "schedule": [{"drug": "osimertinib", "stop": 60}],
        }
    )


def test_cells_are_conserved_when_none_divide_or_die(monkeypatch: pytest.MonkeyPatch) -> None:
    """No division, no loss: switches (AXL induced on drug, reverting off it) only move cells."""
    still = {"division_rate": 0.0, "death_rate": 0.0, "drug_kill_rate": 0.0}
    still |= {"persister_division_rate": 0.0, "persister_death_rate": 0.0, "persister_kill_rate": 0.0}
    sc = scenario(200, axl_high_initial_fraction=0.2, **still)
    every_day(monkeypatch)
    totals: list[int] = []
    observe = Course.observe
    monkeypatch.setattr(Course, "observe", lambda self, day, s: (totals.append(int(s.sum())), observe(self, day, s)))
    course = Course(sc)
    run_cohort([course], [np.random.SeedSequence(1)])
    assert len(totals) == 201 and len(set(totals)) == 1
    axl = [course.at_baseline["axl_high"], course.counts["axl_high"] / totals[0]]
    assert axl[0] == pytest.approx(0.2, abs=0.01) and abs(axl[1] - axl[0]) > 0.05  # cells did move


def kernel_finals(sc: ScenarioConfig, n: int, seed: int) -> list[dict[str, int]]:
    courses = [Course(sc) for _ in range(n)]
    run_cohort(courses, np.random.SeedSequence(seed).spawn(n))
    return [c.counts for c in courses]


def clone_finals(sc: ScenarioConfig, n: int, seed: int) -> list[dict[str, int]]:
    courses = [Course(sc) for _ in range(n)]
    model = CloneTumour(sc, record=False, cohort=courses, streams=np.random.SeedSequence(seed).spawn(n))
    while model.running:
        model.step()
    return [c.counts for c in courses]


def readouts(finals: list[dict[str, int]]) -> dict[str, np.ndarray]:
    total = np.array([f["total"] for f in finals], dtype=float)
    return {
        "log10 cells": np.log10(total),
        "persister share": np.array([f["persister"] for f in finals]) / total,
        "AXL-high share": np.array([f["axl_high"] for f in finals]) / total,
        "MET share": np.array([f["met_amplified"] for f in finals]) / total,
    }


def differing(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> list[str]:
    """Readouts whose means differ (Welch's t-test, p < 0.001)."""
    return [k for k in a if stats.ttest_ind(a[k], b[k], equal_var=False).pvalue < 0.001]


@pytest.mark.slow
def test_the_cohort_engine_is_the_clone_model() -> None:
    """Same scenario, independent seeds: the means of size and mechanism shares at day 120 (on
    drug to day 60, then off) agree; a 10% faster division rate is told apart."""
    n, sc = 40, scenario(120)
    clone = readouts(clone_finals(sc, n, seed=1))
    assert differing(readouts(kernel_finals(sc, n, seed=2)), clone) == []
    faster = scenario(120, division_rate=0.044)
    assert differing(readouts(kernel_finals(faster, n, seed=3)), clone) != []


def test_the_kernel_reads_every_daily_readout_as_abm_readouts_does() -> None:
    """A watch on any daily readout sees the value ``readouts.readout`` gives (the kernel's copy)."""
    from abm.biology.mechanisms import COUNT_COLUMNS, N_STATES
    from abm.clinic.readouts import DAILY_READOUTS, readout
    from abm.models.cohort import READOUT_CODES
    from abm.models.cohort_kernel import _readout
    from abm.models.course import COUNT_MATRIX

    rng = np.random.default_rng(2)
    row = np.where(rng.random(N_STATES) < 0.2, rng.integers(1, 10**9, N_STATES), 0)
    live = np.flatnonzero(row)
    total, baseline, day = int(row.sum()), 3 * 10**9, 17
    counts = {"total": total, **dict(zip(COUNT_COLUMNS, (COUNT_MATRIX @ row).tolist(), strict=True))}
    assert set(READOUT_CODES) == set(DAILY_READOUTS)
    for name in DAILY_READOUTS:
        compiled = _readout(READOUT_CODES[name], row, live, live.size, total, float(baseline), day, COUNT_MATRIX)
        assert compiled == pytest.approx(readout(name, day, counts, baseline), rel=1e-12), name
