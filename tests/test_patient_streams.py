"""One random stream per virtual patient (issue 12): a patient's course depends only on its own
seed and its own doses, not on the arm's other patients, the chunk it is simulated in, or the
number of workers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from abm.experiments.trial import (
    Arm,
    Distribution,
    Trial,
    load_trial,
    patient_scenario,
    patient_seed,
    run_trial,
    simulate_courses,
)
from abm.models.clone import CloneTumour
from abm.models.course import Course
from tests.conftest import SCENARIOS

AXL_TIMING = SCENARIOS / "trial-axl-timing.toml"


@pytest.fixture
def daily_counts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every course is looked at every day (not only on the days its clinic acts) and keeps its
    counts by state of every day in ``course.days_seen``."""
    observe, next_look = Course.observe, Course.next_look
    monkeypatch.setattr(Course, "next_look", lambda self: (self.day + 1, next_look(self)[1]))

    def recording(self: Course, day: int, by_state: np.ndarray) -> None:
        if not hasattr(self, "days_seen"):
            self.days_seen = []
        self.days_seen.append(by_state.astype(np.int64).copy())
        observe(self, day, by_state)

    monkeypatch.setattr(Course, "observe", recording)


def axl_at_progression(patients: int, follow_up_days: int) -> Trial:
    """Osimertinib alone vs osimertinib with the AXL inhibitor added at the first progression."""
    trial = load_trial(AXL_TIMING, {"patients": patients, "follow_up_days": follow_up_days})
    arms = {arm.name: arm for arm in trial.arms}
    # Every tumour carries MET-amplified cells, so most progress within follow-up.
    met = Distribution(distribution="loguniform", low=1e-4, high=1e-2)
    return trial.model_copy(
        update={
            "arms": (arms["osimertinib"], arms["osimertinib, AXL inhibitor added at progression"]),
            "cohort": {**trial.cohort, "met_amplified_initial_fraction": met},
        }
    )


def test_patient_seed_is_the_spawned_one() -> None:
    trial = load_trial(AXL_TIMING, {"patients": 30, "seed": 7})
    spawned = np.random.SeedSequence(7, spawn_key=(0,)).spawn(30)
    for i in (0, 1, 17, 29):
        seed = patient_seed(trial, i)
        assert (seed.entropy, seed.spawn_key) == (spawned[i].entropy, spawned[i].spawn_key)
        assert np.array_equal(seed.generate_state(4), spawned[i].generate_state(4))


@pytest.mark.slow
def test_arms_that_differ_after_progression_agree_until_it(daily_counts: None) -> None:
    trial = axl_at_progression(patients=48, follow_up_days=1000)
    alone, added = (simulate_courses(trial, arm, range(48))[0] for arm in (0, 1))
    progressed = 0
    for i, (a, b) in enumerate(zip(alone, added, strict=True)):
        assert a.recist.progression_days[:1] == b.recist.progression_days[:1], f"patient {i}: first PFS"
        assert a.recist.best_response == b.recist.best_response, f"patient {i}: best response"
        assert a.recist.best_change == b.recist.best_change, f"patient {i}: nadir"
        assert a.at_baseline == b.at_baseline and a.at_progression[:1] == b.at_progression[:1], f"patient {i}"
        # Bit for bit, day by day, up to the day the doses part (the first progression).
        until = a.recist.progression_day if a.recist.progressed else a.day
        assert len(a.days_seen) == until + 1
        assert all(np.array_equal(x, y) for x, y in zip(a.days_seen, b.days_seen[: until + 1], strict=True))
        assert a.recist.visits == b.recist.visits[: len(a.recist.visits)]
        if a.recist.progressed:
            progressed += 1
            assert b.doses["bemcentinib"] > 0 and a.doses["bemcentinib"] == 0
    assert progressed >= len(alone) // 4, "too few progressions for the test to say anything"
    # After progression the arms do part: the second line goes on on the add-on arm only.
    assert sum(b.day > a.day for a, b in zip(alone, added, strict=True)) >= progressed // 2


def test_first_pfs_of_every_patient_is_the_same_on_both_arms() -> None:
    trial = axl_at_progression(patients=60, follow_up_days=1000)  # two chunks
    table = run_trial(trial, workers=1, progress=False)
    alone, added = (rows.set_index("patient") for _, rows in table.groupby("arm", sort=False))
    same = ["pfs_days", "progressed", "best_response", "responded", "mechanisms_at_progression"]
    pd.testing.assert_frame_equal(alone[same], added[same])
    assert alone["progressed"].mean() >= 0.25


def test_identical_schedules_give_identical_rows() -> None:
    trial = load_trial(AXL_TIMING, {"patients": 55, "follow_up_days": 600})
    osimertinib = trial.arms[0]
    twin = Arm(name="osimertinib again", schedule=osimertinib.schedule)
    table = run_trial(trial.model_copy(update={"arms": (osimertinib, twin)}), progress=False)
    first, second = (rows.drop(columns="arm").reset_index(drop=True) for _, rows in table.groupby("arm", sort=False))
    pd.testing.assert_frame_equal(first, second)


def test_a_patient_does_not_depend_on_the_patients_beside_it() -> None:
    trial = load_trial(AXL_TIMING, {"patients": 12, "follow_up_days": 500})
    together, _ = simulate_courses(trial, 0, range(12))
    alone, _ = simulate_courses(trial, 0, [3, 7])
    for i, course in zip((3, 7), alone, strict=True):
        assert course.recist.visits == together[i].recist.visits
        assert np.array_equal(course.counts_by_state, together[i].counts_by_state)


def test_a_cohort_tumour_runs_as_it_would_alone() -> None:
    trial = load_trial(AXL_TIMING, {"patients": 1})
    config = patient_scenario(trial, trial.arms[0], {})
    single = CloneTumour(config, rng=5, record=False)
    assert single._streams == [single.rng]  # a single tumour draws from the model's own stream
    alone = CloneTumour(config, record=False, cohort=[Course(config)], streams=[5])
    beside = CloneTumour(config, record=False, cohort=[Course(config), Course(config)], streams=[5, 6])
    for _ in range(300):
        alone.step()
        beside.step()
        assert np.array_equal(alone.course.counts_by_state, beside.courses[0].counts_by_state)
    assert not np.array_equal(beside.courses[0].counts_by_state, beside.courses[1].counts_by_state)
    pd.testing.assert_frame_equal(renumbered(alone.ancestry(), 0), renumbered(beside.ancestry(), 0))


def renumbered(ancestry: pd.DataFrame, patient: int) -> pd.DataFrame:
    """A patient's ancestry table with clone ids renumbered in the patient's founding order."""
    rows = ancestry[ancestry["patient"] == patient].reset_index(drop=True)
    rank = {clone: k for k, clone in enumerate(rows["clone"])}
    for column in ("clone", "parent", "lineage"):
        rows[column] = rows[column].map(rank, na_action="ignore")
    return rows
