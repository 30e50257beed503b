"""The spatial model draws the same distributions as a per-cell reference driven by the same rule tables.

``tests/reference_lattice.py`` is the living oracle: a plain loop over the cells of a numpy
lattice, one event of ``abm.biology.day.DAY`` after the other. Each case of
``tests/spatial_cases.py`` (made smaller, so the loops are quick) runs ``RUNS`` seeds on each;
every statistic's mean and spread must agree within the tolerances of
``tests.spatial_cases.mismatches`` (means within 4 standard errors of the difference, SDs of the
well-behaved statistics within a factor 2). The control shows the comparison tells apart a
reference whose cells divide 10% more often.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest

from abm.biology.rules import doses_key
from abm.config.scenario import ScenarioConfig
from abm.models.spatial import SpatialTumour
from tests.reference_lattice import ReferenceLattice
from tests.spatial_cases import mismatches, scenario, statistics

RUNS = 60
SMALL = {
    "disc-drug-off": {"width": 30, "height": 30, "initial_cells": 150, "days": 20},
    "disc-osimertinib": {"width": 30, "height": 30, "initial_cells": 400, "days": 20},
    "scattered-gefitinib-intermittent": {"width": 30, "height": 30, "initial_cells": 150, "days": 20},
}
DOSES = {
    "disc-drug-off": {},
    "disc-osimertinib": {"osimertinib": 1.0},
    "scattered-gefitinib-intermittent": {"gefitinib": 1.0},
}


def case_scenario(case: str) -> ScenarioConfig:
    sc = scenario(case, **SMALL[case])
    # The reference holds its doses fixed: the intermittent case gets gefitinib every day.
    return ScenarioConfig.model_validate({**sc.model_dump(), "schedule": [{"drug": d} for d in DOSES[case]]})


def stack(runs: list[dict[str, float]]) -> dict[str, np.ndarray]:
    return {name: np.array([r[name] for r in runs]) for name in runs[0]}


@cache
def spatial_model(case: str) -> dict[str, np.ndarray]:
    sc, runs = case_scenario(case), []
    for seed in range(RUNS):
        model = SpatialTumour(sc, rng=seed)
        assert model.doses == {**dict.fromkeys(model.doses, 0.0), **DOSES[case]}
        while model.running:
            model.step()
        runs.append(statistics(model.lattice, model.counts, model.timeseries()["total"].iloc[10]))
    return stack(runs)


@cache
def reference(case: str, division_factor: float = 1.0) -> dict[str, np.ndarray]:
    sc, runs = case_scenario(case), []
    for seed in range(1000, 1000 + RUNS):  # other seeds than the model's
        ref = ReferenceLattice(sc, seed, doses_key(DOSES[case]), division_factor)
        day10 = 0
        for day in range(1, sc.model.days + 1):
            ref.step()
            day10 = ref.counts()["total"] if day == 10 else day10
        runs.append(statistics(ref.lattice, ref.counts(), day10))
    return stack(runs)


@pytest.mark.slow
@pytest.mark.parametrize("case", list(SMALL))
def test_the_spatial_model_matches_the_per_cell_reference(case: str) -> None:
    found = mismatches(spatial_model(case), reference(case))
    assert not found, found


@pytest.mark.slow
def test_the_comparison_tells_apart_division_10_percent_faster() -> None:
    found = mismatches(spatial_model("disc-drug-off"), reference("disc-drug-off", division_factor=1.1))
    assert any(f.startswith("total:") for f in found), found
