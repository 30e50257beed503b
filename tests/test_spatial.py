"""The spatial model: agents and lattice agree, counts are conserved, rates are honoured."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import chi2

from abm.biology.mechanisms import AXL_HIGH, COUNT_COLUMNS, bit
from abm.config.scenario import ScenarioConfig
from abm.models.spatial import SpatialTumour, TumourCell


def scenario(schedule: list[dict] | None = None, parameters: dict | None = None, **model) -> ScenarioConfig:
    settings = {"width": 40, "height": 40, "initial_cells": 300, "days": 30, "seed": 1, **model}
    return ScenarioConfig.model_validate(
        {"name": "test", "model": settings, "parameters": parameters or {}, "schedule": schedule or []}
    )


def check_consistency(model: SpatialTumour) -> None:
    """Every live site has exactly one agent there, every agent sits on a live site, counts agree."""
    agents = list(model.agents)
    assert all(isinstance(a, TumourCell) for a in agents)
    assert len(agents) == model.counts["total"] == int((model.lattice >= 0).sum())
    coords = [a.cell.coordinate for a in agents]
    assert len(set(coords)) == len(coords)
    for a in agents:
        assert model.lattice[a.cell.coordinate] >= 0
        assert a.cell.agents == [a]
    # Mesa's own 'empty' layer agrees with the lattice
    np.testing.assert_array_equal(model.grid.empty.data, model.lattice < 0)
    by_state = np.bincount(model.lattice[model.lattice >= 0], minlength=64)
    assert by_state.sum() == model.counts["total"]


def test_agents_lattice_and_counts_stay_consistent_under_therapy() -> None:
    sc = scenario([{"drug": "gefitinib", "on_days": 5, "off_days": 5}], {"axl_induction_rate": 0.01}, days=40)
    model = SpatialTumour(sc)
    check_consistency(model)
    while model.running:
        model.step()
        check_consistency(model)
    df = model.timeseries()
    assert list(df["day"]) == list(range(41))
    assert (df[list(COUNT_COLUMNS)].to_numpy() <= df[["total"]].to_numpy()).all()


def test_counts_conserved_death_only() -> None:
    """No division: the only change is death, each cell independently at the tabled rate (binomial)."""
    sc = scenario(parameters={"division_rate": 0.0, "death_rate": 0.1, "persister_division_rate": 0.0}, days=1)
    n, d, runs = 300, 0.1, 40
    totals = []
    for seed in range(runs):
        model = SpatialTumour(sc, rng=seed)
        before = {a.unique_id: a.cell.coordinate for a in model.agents}
        model.step()
        after = {a.unique_id: a.cell.coordinate for a in model.agents}
        assert after.items() <= before.items()  # no cell born, none moved: survivors where they were
        totals.append(model.counts["total"])
    mean, var = np.mean(totals), np.var(totals, ddof=1)
    assert abs(mean - n * (1 - d)) < 4 * np.sqrt(n * d * (1 - d) / runs)
    # binomial spread n d (1 - d) = 27: the sample variance of 40 runs within chi-square's 0.1% and 99.9% quantiles
    low, high = (n * d * (1 - d) * chi2.ppf(q, runs - 1) / (runs - 1) for q in (0.001, 0.999))
    assert low < var < high, (var, low, high)


def test_well_mixed_growth_matches_the_rates() -> None:
    """Scattered cells with room to spare grow at (1 + b)(1 - d) per day."""
    b, d, days = 0.2, 0.05, 5
    sc = scenario(
        parameters={"division_rate": b, "death_rate": d, "met_amplified_initial_fraction": 0.0},
        width=120,
        height=120,
        initial_cells=400,
        layout="scattered",
        days=days,
    )
    finals = [SpatialTumour(sc, rng=seed) for seed in range(10)]
    for m in finals:
        while m.running:
            m.step()
    observed = np.mean([m.counts["total"] for m in finals]) / 400
    expected = ((1 - d) * (1 + b)) ** days
    assert observed == pytest.approx(expected, rel=0.03)


def test_daughters_appear_next_to_parents_and_the_lattice_fills_up() -> None:
    sc = scenario(parameters={"death_rate": 0.0, "division_rate": 1.0}, initial_cells=1, days=3, width=11, height=11)
    model = SpatialTumour(sc)
    model.step()
    assert model.counts["total"] == 2
    (a, b) = [x.cell.coordinate for x in model.agents]
    assert max(abs(a[0] - b[0]), abs(a[1] - b[1])) == 1
    for _ in range(2):
        model.step()
    assert model.counts["total"] == 8  # 1 -> 2 -> 4 -> 8, room for all


def test_only_axl_high_cells_move() -> None:
    sc = scenario(
        parameters={
            "division_rate": 0.0,
            "death_rate": 0.0,
            "persister_division_rate": 0.0,
            "persister_death_rate": 0.0,
            "axl_high_motility": 1.0,
        },
        layout="scattered",
        initial_cells=100,
        days=5,
    )
    model = SpatialTumour(sc)
    axl = model.lattice_flat.copy()
    sites = np.flatnonzero(axl >= 0)
    model.lattice_flat[sites[:50]] |= bit(AXL_HIGH)
    before = {a.unique_id: (a.cell.coordinate, a.state) for a in model.agents}
    model.step()
    after = {a.unique_id: a.cell.coordinate for a in model.agents}
    moved = [uid for uid, (coord, _) in before.items() if after[uid] != coord]
    movers_state = {before[uid][1] & bit(AXL_HIGH) for uid in moved}
    assert len(moved) >= 40  # nearly all 50 AXL-high cells find an empty neighbour
    assert movers_state == {bit(AXL_HIGH)}
    check_consistency(model)


def test_same_seed_same_run_different_seed_different_run() -> None:
    sc = scenario([{"drug": "osimertinib"}])
    a, b, c = SpatialTumour(sc, rng=5), SpatialTumour(sc, rng=5), SpatialTumour(sc, rng=6)
    for m in (a, b, c):
        while m.running:
            m.step()
    assert a.timeseries().equals(b.timeseries())
    assert not a.timeseries().equals(c.timeseries())


def test_run_ends_on_extinction() -> None:
    sc = scenario(
        [{"drug": "osimertinib"}],
        {"drug_kill_rate": 1.0, "persister_entry_fraction": 0.0, "met_amplified_initial_fraction": 0.0},
        days=100,
    )
    model = SpatialTumour(sc)
    while model.running:
        model.step()
    assert model.counts["total"] == 0
    assert model.day < 100


def test_overrides_by_keyword_as_batch_run_passes_them() -> None:
    model = SpatialTumour(scenario(), width=30, persister_entry_fraction=0.5)
    assert model.width == 30
    assert model.params.persister_entry_fraction == 0.5
