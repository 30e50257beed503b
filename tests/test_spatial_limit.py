"""The yardsticks of the spatial benchmark (``benchmarks/numpy_lattice.py``) run the spatial model's tumour.

``benchmarks/spatial_limit.py`` measures the spatial model against a numpy lattice with the same
rules; the comparison means something only while the two do the same work. They draw their
random numbers in the same order, so here they must grow the same tumour site for site, day by
day, with the drug off and on (death, rescue, division with contention, mutation, switching,
moving). The sparse-draw lattice draws other numbers: its tumours must have the same distribution.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from abm.biology.mechanisms import PERSISTER, bit
from abm.models.spatial import SpatialTumour
from tests.spatial_cases import scenario

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from numpy_lattice import NumpyLattice, SparseNumpyLattice, benchmark_scenario  # benchmarks/ is not a package


@pytest.mark.parametrize(
    ("case", "doses"),
    [("disc-drug-off", None), ("disc-osimertinib", {"osimertinib": 1.0}), ("benchmark", None)],
)
def test_the_numpy_lattice_grows_the_spatial_models_tumour(case: str, doses: dict[str, float] | None) -> None:
    sc = benchmark_scenario(60, 40) if case == "benchmark" else scenario(case)
    model, limit = SpatialTumour(sc, rng=3), NumpyLattice(sc, 3, doses)
    assert model.doses == {**dict.fromkeys(model.doses, 0.0), **(doses or {})}
    np.testing.assert_array_equal(model.counts_by_state, limit.counts)
    while model.running:
        model.step()
        limit.step()
        np.testing.assert_array_equal(model.counts_by_state, limit.counts)
        np.testing.assert_array_equal(model.lattice, limit.lattice.reshape(model.width + 2, -1)[1:-1, 1:-1])
    assert model.day == limit.day == sc.model.days and model.counts["total"] > 0 and not limit.running


@pytest.mark.slow
@pytest.mark.parametrize(
    ("case", "doses"),
    [("disc-drug-off", None), ("disc-osimertinib", {"osimertinib": 1.0}), ("benchmark", None)],
)
def test_the_sparse_draw_lattice_grows_tumours_of_the_same_distribution(
    case: str, doses: dict[str, float] | None
) -> None:
    sc = benchmark_scenario(60, 40) if case == "benchmark" else scenario(case)
    finals = {}
    for kind in (NumpyLattice, SparseNumpyLattice):
        runs = []
        for seed in range(40):
            lattice = kind(sc, seed, doses)
            day10 = 0
            while lattice.running:
                lattice.step()
                day10 = int(lattice.occupied.size) if lattice.day == 10 else day10
            persisters = lattice.counts[(np.arange(lattice.counts.size) & bit(PERSISTER)) > 0].sum()
            runs.append((lattice.occupied.size, day10, persisters))
        finals[kind] = np.array(runs, dtype=float)
    dense, sparse = finals[NumpyLattice], finals[SparseNumpyLattice]
    se = np.sqrt(dense.var(axis=0, ddof=1) / 40 + sparse.var(axis=0, ddof=1) / 40)
    assert (np.abs(dense.mean(axis=0) - sparse.mean(axis=0)) <= 4 * se + 1e-9).all(), (dense.mean(0), sparse.mean(0))
