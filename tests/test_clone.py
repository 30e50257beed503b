"""The clone-level model: conservation, clinical scale, ancestry, and agreement with the
spatial model's well-mixed limit."""

from __future__ import annotations

import numpy as np
import pytest

from abm.config.scenario import ScenarioConfig
from abm.models.clone import CloneTumour
from abm.models.course import Course
from abm.models.spatial import SpatialTumour

PARAMS = {"persister_entry_fraction": 0.05, "axl_induction_rate": 0.002, "met_amplified_initial_fraction": 0.01}


def clone_scenario(schedule: list[dict], **model) -> ScenarioConfig:
    return ScenarioConfig.model_validate(
        {"name": "clone test", "model": {"kind": "clone", **model}, "parameters": PARAMS, "schedule": schedule}
    )


def test_counts_add_up_and_every_clone_knows_its_parent() -> None:
    model = CloneTumour(clone_scenario([{"drug": "gefitinib"}], initial_cells=10**6, days=120), rng=2)
    while model.running:
        model.step()
        assert (model._counts >= 0).all()
        assert model.counts["total"] == int(model._counts.sum()) == int(model.counts_by_state.sum())
    ancestry = model.ancestry()
    ids = set(ancestry["clone"])
    founders = ancestry[ancestry["parent"].isna()]
    assert (founders["founded_day"] == 0).all()
    assert set(ancestry["parent"].dropna()) <= ids
    # one clone per (lineage, state)
    assert not ancestry.duplicated(["lineage", "state"]).any()
    assert len(model.agents) == len(ancestry)


def test_handles_1e11_cells_for_five_years() -> None:
    sc = clone_scenario([{"drug": "osimertinib"}], initial_cells=10**11, days=5 * 365)
    model = CloneTumour(sc, rng=0)
    while model.running:
        model.step()
    df = model.timeseries()
    assert len(df) == 5 * 365 + 1
    assert df["total"].min() > 0
    assert df["total"].max() <= sc.model.carrying_capacity * 1.01
    assert df["clones"].iloc[-1] < 1000


@pytest.mark.slow
def test_mean_dynamics_agree_with_the_spatial_well_mixed_limit() -> None:
    """Scattered cells on a roomy lattice vs the clone model: same means within sampling error."""
    days, n0, reps = 12, 400, 16
    schedule = [{"drug": "osimertinib", "start": 3}]
    spatial_sc = ScenarioConfig.model_validate(
        {
            "name": "well mixed",
            "model": {
                "width": 160,
                "height": 160,
                "initial_cells": n0,
                "layout": "scattered",
                "days": days,
                "carrying_capacity": 10**15,  # the same Gompertzian crowding loss as the clone model's
            },
            "parameters": {**PARAMS, "axl_high_motility": 0.0},
            "schedule": schedule,
        }
    )
    clone_sc = clone_scenario(schedule, initial_cells=n0, days=days, carrying_capacity=10**15)
    columns = ["total", "sensitive", "persister", "axl_high", "met_amplified"]
    results = {}
    for name, cls, sc in (("spatial", SpatialTumour, spatial_sc), ("clone", CloneTumour, clone_sc)):
        finals = []
        for seed in range(reps):
            m = cls(sc, rng=seed)
            while m.running:
                m.step()
            finals.append(m.timeseries()[columns].to_numpy()[[4, days]])  # after growth; at the end
        results[name] = np.array(finals, dtype=float)
    for k, column in enumerate(columns):
        for when in (0, 1):
            a, b = results["spatial"][:, when, k], results["clone"][:, when, k]
            se = np.sqrt(a.var(ddof=1) / reps + b.var(ddof=1) / reps) + 1.0
            # crowding makes the lattice grow a little slower: allow 4 SE or 5%, whichever is larger
            assert abs(a.mean() - b.mean()) <= max(4 * se, 0.05 * b.mean()), (column, when, a.mean(), b.mean())


# --- each tumour's state is its course's ------------------------------------------------------
def patient(division_rate: float, initial_cells: int) -> ScenarioConfig:
    return ScenarioConfig.model_validate(
        {
            "name": f"patient dividing at {division_rate}",
            "model": {"kind": "clone", "initial_cells": initial_cells, "days": 20},
            "parameters": {**PARAMS, "division_rate": division_rate},
            "schedule": [{"drug": "osimertinib"}],
        }
    )


def two_patients() -> CloneTumour:
    """A cohort model of two patients whose tumours differ in division rate and size."""
    slow, fast = patient(0.03, 10**5), patient(0.05, 10**6)
    return CloneTumour(slow, cohort=[Course(slow), Course(fast)], streams=[1, 2])


@pytest.mark.parametrize("attribute", ["params", "config", "course", "counts", "doses", "recist", "tables"])
def test_a_cohort_model_does_not_answer_for_one_patient(attribute: str) -> None:
    model = two_patients()
    where = "" if attribute == "course" else f".{attribute}"
    with pytest.raises(ValueError, match=rf"^this model runs 2 tumours; read model\.courses\[i\]{where}$"):
        getattr(model, attribute)


def test_each_course_keeps_its_own_patients_parameters_and_settings() -> None:
    model = two_patients()
    slow, fast = model.courses
    assert (slow.params.division_rate, fast.params.division_rate) == (0.03, 0.05)
    assert (slow.config.model.initial_cells, fast.config.model.initial_cells) == (10**5, 10**6)
    assert slow.config.model.carrying_capacity < fast.config.model.carrying_capacity  # each its own plateau
    assert (slow.counts["total"], fast.counts["total"]) == (10**5, 10**6)
    assert list(model._division_rate) == [0.03, 0.05]
    assert list(model._capacity) == [slow.config.model.carrying_capacity, fast.config.model.carrying_capacity]
    assert not np.array_equal(slow.tables.division, fast.tables.division)  # each from its own rates
    for _ in range(5):
        model.step()
    assert (slow.params.division_rate, fast.params.division_rate) == (0.03, 0.05)
    # The daily record is the first patient's.
    assert model.timeseries()["total"].iloc[-1] == slow.counts["total"]


def test_a_single_tumour_model_reads_its_one_course() -> None:
    config = patient(0.05, 10**5)
    model = CloneTumour(config, rng=1)
    assert model.course is model.courses[0]
    assert model.params is model.course.params and model.params.division_rate == 0.05
    assert model.config is model.course.config and model.config.model.initial_cells == 10**5
    model.step()
    assert model.counts is model.course.counts and model.recist is model.course.recist
