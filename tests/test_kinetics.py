"""Untreated kinetics (biology v2): the default clinical tumour grows with a volume doubling time
and a cell-loss factor in the reported ranges, and the clone model grows at the analytic rate."""

from __future__ import annotations

import math
from itertools import pairwise

import numpy as np
import pytest

from abm.biology.kinetics import REPORTED_CELL_LOSS, REPORTED_VDT_DAYS, untreated_growth
from abm.biology.parameters import Parameters
from abm.config.scenario import CloneSettings, plateau, validate
from abm.models.clone import CloneTumour

# the default clinical tumour: 10^10 cells, its plateau from the parameters
CAPACITY = plateau(Parameters(), CloneSettings.model_fields["initial_cells"].default)


@pytest.mark.xfail(
    strict=True,
    reason="issue 14: at the shipped posterior point (calibration/posterior, session 8) the default 10^10-cell "
    "tumour doubles in 138 days (cell loss 0.94), inside the reported 100-400 but not the ~190 median asserted here",
)
def test_default_tumour_doubles_and_loses_cells_as_reported() -> None:
    g = untreated_growth(Parameters(), 1e10, CAPACITY)
    assert REPORTED_VDT_DAYS[0] <= g.doubling_days <= REPORTED_VDT_DAYS[1]
    assert g.doubling_days == pytest.approx(190, rel=0.1)  # the reported median, ~190 days
    assert REPORTED_CELL_LOSS[0] <= g.cell_loss_factor <= REPORTED_CELL_LOSS[1]
    assert g.cell_loss_factor >= 0.9  # as in two thirds of bronchogenic carcinomas


def test_smaller_tumours_grow_faster_gompertz() -> None:
    sizes = (1e8, 1e9, 1e10, 5e10)
    doubling = [untreated_growth(Parameters(), n, CAPACITY).doubling_days for n in sizes]
    assert all(a < b for a, b in pairwise(doubling))
    assert math.isinf(untreated_growth(Parameters(), CAPACITY, CAPACITY).doubling_days)


def test_clone_model_grows_at_the_analytic_rate() -> None:
    days = 200
    scenario = validate(
        {"name": "untreated", "model": {"kind": "clone", "days": days, "seed": 2}, "schedule": []}, "test"
    )
    model = CloneTumour(scenario, record=True)
    model.run_for(days)
    total = model.timeseries()["total"].to_numpy(dtype=float)
    simulated = np.log(total[-1] / total[0]) / days
    start, end = (untreated_growth(Parameters(), n, CAPACITY).net for n in (total[0], total[-1]))
    assert min(start, end) * 0.98 <= simulated <= max(start, end) * 1.02
