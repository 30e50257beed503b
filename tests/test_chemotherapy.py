"""Issue 17: chemotherapy, a drug action that is not a route block.

Platinum-pemetrexed kills dividing cells whatever their routes: each cytotoxic drug adds a kill
hazard of its strength x exposure x the cell's division probability (``Drug.cytotoxic``,
``rules.cytotoxic_hazard``, a table of its own), which every model scales each day by the tumour's
untreated growth at its size in ``rules.hit_probability`` (Norton-Simon). So a population that does
not divide is untouched, a dividing one loses cells, a cell's routes matter only through how often
it divides, and a lasting weak drug slows a tumour rather than holding it. With pharmacokinetics
the kill falls on the dosing days; a cycle's kill is the same as without them.
"""

from __future__ import annotations

import numpy as np
import pytest

from abm.biology.drugs import DRUG_NAMES, DRUGS, cytotoxic_exposures, route_blocks
from abm.biology.mechanisms import (
    AXL_HIGH,
    C797S,
    EGFR_AMPLIFIED,
    HER2_AMPLIFIED,
    IGF1R_ACTIVE,
    MET_AMPLIFIED,
    PERSISTER,
    SENSITIVE_STATE,
    T790M,
    Route,
    state_of,
)
from abm.biology.parameters import Parameters
from abm.biology.rules import (
    CARRIES,
    FITNESS_COSTS,
    cytotoxic_hazard,
    doses_key,
    gompertz_position,
    hit_probability,
    rule_tables,
)
from abm.clinic.dosing import Dosing
from abm.config.scenario import ScenarioConfig
from abm.experiments.run import run_scenario
from abm.experiments.trial import load_trial, run_trial
from abm.experiments.trial_stats import summarise_trial
from abm.models.clone import CloneTumour
from abm.models.spatial import SpatialTumour
from tests.conftest import SCENARIOS

CHEMOTHERAPY = [name for name, drug in DRUGS.items() if drug.cytotoxic > 0.0]
DOUBLET = {"carboplatin": 1.0, "pemetrexed": 1.0}
CYCLING = ~CARRIES[PERSISTER]
# a cell with every route a state can have open beside its EGFR allele
EVERY_ROUTE = state_of(AXL_HIGH, MET_AMPLIFIED, HER2_AMPLIFIED, IGF1R_ACTIVE, T790M, C797S)
NO_FITNESS_COST = {name: 0.0 for name in FITNESS_COSTS.values()}
# The kill itself, before the drug-tolerant states escape part of it (tested at the end)
NO_TOLERANCE = {"chemotherapy_tolerance": 0.0}


def hazard(p: Parameters, doses: dict[str, float], base: dict[str, float] | None = None) -> np.ndarray:
    """Per state: the chemotherapy's kill hazard at full growth with ``doses`` given on top of ``base``."""
    return rule_tables(p, doses_key({**(base or {}), **doses})).cytotoxic


def test_chemotherapy_is_rows_of_the_table_that_block_no_route() -> None:
    assert set(CHEMOTHERAPY) == {"carboplatin", "pemetrexed"}
    untreated = rule_tables(Parameters(), doses_key({}))
    assert (untreated.cytotoxic == 0.0).all()
    for name in CHEMOTHERAPY:
        assert not DRUGS[name].blocks
        assert set(route_blocks({name: 1.0}).values()) == {0.0}
        tables = rule_tables(Parameters(), doses_key({name: 1.0}))
        assert (tables.control == 0.0).all()
        assert np.array_equal(tables.division, untreated.division)  # it kills; it does not stop division
        assert np.array_equal(tables.death, untreated.death)  # its kill is a table of its own
        assert (tables.cytotoxic[CYCLING] > 0.0).all()


def test_it_kills_in_proportion_to_division() -> None:
    """Hazard f x exposure x division; two drugs' hazards add (independent kills)."""
    p = Parameters(**NO_TOLERANCE)
    division = rule_tables(p, doses_key({})).division
    for name in CHEMOTHERAPY:
        f = DRUGS[name].cytotoxic
        np.testing.assert_allclose(hazard(p, {name: 1.0}), f * division, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(hazard(p, {name: 2.0}), 2.0 * f * division, rtol=1e-12, atol=1e-15)
    both = sum(DRUGS[n].cytotoxic for n in DOUBLET) * division
    np.testing.assert_allclose(hazard(p, DOUBLET), both, rtol=1e-12, atol=1e-15)
    # persisters cycle slowly, so they are spared all but a little (chemotherapy-tolerant DTPs)
    assert (hazard(p, DOUBLET)[CARRIES[PERSISTER]] < 0.1 * hazard(p, DOUBLET)[SENSITIVE_STATE]).all()


def test_the_kill_follows_the_tumours_untreated_growth() -> None:
    """Norton-Simon: the day's kill is 1 - exp(-hazard x growth), growth the tumour's untreated growth
    per division at its size (1 - ln N / ln K): nil at the plateau, ~0.05 for a tumour at diagnosis,
    larger in a small one; without chemotherapy the hit is exactly loss + crowding, as before it."""
    death, crowding, h = 0.001, 0.08, 0.5
    assert hit_probability(death, crowding, 1.0, 0.0, 0.3) == death + crowding
    assert hit_probability(death, crowding, 0.0, h, 1.0) == death  # at the plateau
    assert hit_probability(death, crowding, 1.0, h, 0.7) == pytest.approx(death + crowding + 1.0 - np.exp(-h * 0.3))
    assert hit_probability(0.9, 0.5, 1.0, 50.0, 0.0) == 1.0
    at_diagnosis = 1.0 - gompertz_position(1e10, 3.67e10)
    assert at_diagnosis == pytest.approx(0.0534, abs=5e-4)
    assert 1.0 - gompertz_position(1e8, 3.67e10) > 4.0 * at_diagnosis
    assert gompertz_position(3.67e10, 3.67e10) == 1.0 and gompertz_position(0.0, 3.67e10) == 0.0


@pytest.mark.parametrize(("name", "grows"), [("pemetrexed", True), ("carboplatin", False)])
def test_a_weak_drug_slows_a_tumour_and_a_strong_one_shrinks_it(name: str, grows: bool) -> None:
    """Pemetrexed (strength 0.5 < 1) slows the default tumour at diagnosis; carboplatin (2.0 > 1)
    shrinks it: clone model, 10^10 cells, 84 days, three seeds."""
    days = 84

    def cells(schedule: list[dict], seed: int) -> int:
        config = ScenarioConfig.model_validate(
            {"model": {"kind": "clone", "initial_cells": 10**10, "days": days}, "schedule": schedule}
        )
        model = CloneTumour(config, rng=seed)
        while model.running:
            model.step()
        return model.counts["total"]

    for seed in (1, 2, 3):
        untreated, treated = cells([], seed), cells([{"drug": name}], seed)
        assert treated < untreated
        assert (treated > 10**10) == grows


def test_a_population_that_does_not_divide_is_untouched() -> None:
    p = Parameters(division_rate=0.0, persister_division_rate=0.0)
    assert (hazard(p, DOUBLET) == 0.0).all()  # (whatever the tolerance)
    # nor is a cell whose every route is blocked: it is controlled, so it does not divide (an
    # EGFR-amplified cell escapes part of every EGFR block, so it divides and is killed)
    blocked = dict.fromkeys(Route, 1.0)
    chemo = cytotoxic_hazard(Parameters(), blocked, cytotoxic_exposures(DOUBLET))
    held = CYCLING & ~CARRIES[EGFR_AMPLIFIED]
    assert (chemo[held] == 0.0).all()
    escaping = CYCLING & CARRIES[EGFR_AMPLIFIED]
    assert (chemo[escaping] > 0.0).all()


def test_a_cell_with_every_route_open_is_killed_as_much_as_one_with_none() -> None:
    """Routes do not protect from it: without fitness costs every cycling cell divides alike and
    dies alike, a cell with every bypass route and both EGFR resistance alleles as a sensitive one
    (without the tolerance of the AXL-high and IGF-1R-active states, tested below)."""
    p = Parameters(**NO_FITNESS_COST, **NO_TOLERANCE)
    extra = hazard(p, DOUBLET)
    assert extra[EVERY_ROUTE] == extra[SENSITIVE_STATE] > 0.0
    np.testing.assert_array_equal(extra[CYCLING], np.full(int(CYCLING.sum()), extra[SENSITIVE_STATE]))
    # under a TKI the kill follows division, not routes: the MET-amplified cell osimertinib does not
    # control keeps dividing and is killed; the sensitive cell it controls barely divides
    on_tki = hazard(p, DOUBLET, base={"osimertinib": 1.0})
    division = rule_tables(p, doses_key({"osimertinib": 1.0})).division
    met = state_of(MET_AMPLIFIED)
    assert on_tki[met] > 10.0 * on_tki[SENSITIVE_STATE]
    both = sum(DRUGS[n].cytotoxic for n in DOUBLET) * division
    np.testing.assert_allclose(on_tki, both, rtol=1e-12, atol=1e-15)


def clone_tumour(parameters: dict, schedule: list[dict], seed: int = 3) -> CloneTumour:
    config = ScenarioConfig.model_validate(
        {
            "model": {"kind": "clone", "initial_cells": 10**6, "days": 63},
            "parameters": {"met_amplified_initial_fraction": 0.0, **parameters},
            "schedule": schedule,
        }
    )
    model = CloneTumour(config, rng=seed)
    while model.running:
        model.step()
    return model


def spatial_tumour(parameters: dict, schedule: list[dict], seed: int = 3) -> SpatialTumour:
    config = ScenarioConfig.model_validate(
        {
            "model": {"width": 100, "height": 100, "initial_cells": 300, "days": 42},
            "parameters": parameters,
            "schedule": schedule,
        }
    )
    model = SpatialTumour(config, rng=seed)
    while model.running:
        model.step()
    return model


CHEMO_SCHEDULE = [{"drug": "carboplatin", "stop": 84}, {"drug": "pemetrexed"}]
STILL = {"division_rate": 0.0, "persister_division_rate": 0.0}


@pytest.mark.parametrize(("build", "kept"), [(clone_tumour, 0.8), (spatial_tumour, 0.95)], ids=["clone", "spatial"])
def test_every_model_kills_the_dividing_and_spares_the_still(build, kept: float) -> None:
    """Both models draw the kill from the same tables: a population that does not divide runs the
    very same course with and without chemotherapy (same seed); a dividing one loses cells. (A
    compact spatial tumour grows at its rim only, so the room the kill frees inside makes up part
    of it: 12% fewer cells after 6 weeks, against 60% fewer in the well-mixed clone model.)"""
    for seed in (1, 2, 3):
        still, still_chemo = build(STILL, [], seed), build(STILL, CHEMO_SCHEDULE, seed)
        assert still.counts == still_chemo.counts
    growing = sum(build({}, [], seed).counts["total"] for seed in range(1, 6))
    treated = sum(build({}, CHEMO_SCHEDULE, seed).counts["total"] for seed in range(1, 6))
    assert treated < kept * growing


def test_with_pharmacokinetics_the_kill_falls_on_the_dosing_days() -> None:
    """Every 3 weeks, t1/2 of hours, linear exposure: nearly a whole cycle's exposure on the day of
    the dose, and a cycle's exposure is that of 21 days at the standard exposure, so a cycle kills
    as many cells (to the first order in the day's kill) as without pharmacokinetics."""
    for name in CHEMOTHERAPY:
        index = DRUG_NAMES.index(name)
        dosing = Dosing(True, 1.0, np.random.SeedSequence(0), 64)
        x = [dosing.today(day, {name: 1.0})[index] for day in range(63)]
        assert all(x[day] > 19.0 for day in (0, 21, 42)), name
        assert all(x[day] < 0.5 for day in range(63) if day % 21), name
        assert sum(x[:21]) == pytest.approx(21.0, rel=0.01), name
        dosing = Dosing(False, 1.0, np.random.SeedSequence(0), 64)
        assert [dosing.today(day, {name: 1.0})[index] for day in range(21)] == [1.0] * 21  # pk off: every day


# --- the drug-tolerant states escape most of it (Sharma 2010; 000 Table 1) -----------------------
def test_the_drug_tolerant_states_escape_most_of_the_kill_unless_their_route_is_blocked() -> None:
    """An AXL-high or IGF-1R-active cell escapes ``chemotherapy_tolerance`` of the kill its division
    would bring, times the share of its AXL / IGF-1R support the drugs leave open: an AXL inhibitor
    gives the AXL-high cell back most of its kill, an IGF-1R inhibitor the IGF-1R-active one; a cell
    with both routes needs both blocked. Other states (MET, T790M, ...) escape nothing."""
    p = Parameters(**NO_FITNESS_COST)
    tolerance = p.chemotherapy_tolerance
    assert tolerance == 0.9
    full = hazard(Parameters(**NO_FITNESS_COST, **NO_TOLERANCE), DOUBLET)
    kill = hazard(p, DOUBLET)
    axl, igf1r, both = state_of(AXL_HIGH), state_of(IGF1R_ACTIVE), state_of(AXL_HIGH, IGF1R_ACTIVE)
    for state in (axl, igf1r, both):
        assert kill[state] == pytest.approx((1.0 - tolerance) * full[state], rel=1e-9)
    for state in (SENSITIVE_STATE, state_of(MET_AMPLIFIED), state_of(T790M), state_of(HER2_AMPLIFIED)):
        assert kill[state] == full[state]
    with_axl_inhibitor = hazard(p, DOUBLET, base={"bemcentinib": 1.0})
    axl_block = route_blocks({"bemcentinib": 1.0})[Route.AXL]
    escape = tolerance * (1.0 - axl_block)
    division = rule_tables(p, doses_key({"bemcentinib": 1.0})).division
    expected = sum(DRUGS[n].cytotoxic for n in DOUBLET) * division[axl]
    assert with_axl_inhibitor[axl] == pytest.approx((1.0 - escape) * expected, rel=1e-9)
    assert with_axl_inhibitor[axl] > 5.0 * kill[axl]
    assert with_axl_inhibitor[igf1r] == pytest.approx(kill[igf1r], rel=1e-9)  # not its route
    with_linsitinib = hazard(p, DOUBLET, base={"linsitinib": 1.0})
    assert with_linsitinib[igf1r] > 5.0 * kill[igf1r] and with_linsitinib[both] < 2.0 * kill[both]


@pytest.mark.parametrize("seed", [1, 2])
def test_a_chemotherapy_tolerant_state_is_selected_under_chemotherapy(seed: int) -> None:
    """Clone model, 10^6 cells of which 5% AXL-high (held AXL-high: no reversion, for the test), 63
    days: untreated, the AXL-high share falls (its fitness cost); under platinum-pemetrexed it
    rises, selected by the kill the others take; without the tolerance it does not rise. (Pemetrexed
    alone, which only slows a tumour since session 11, selects it too, but less than its cost: 3.8%
    untreated, 4.7% on pemetrexed.)"""
    base = {"axl_high_initial_fraction": 0.05, "axl_reversion_rate": 0.0, "axl_induction_rate": 0.0}
    maintenance = [{"drug": "carboplatin"}, {"drug": "pemetrexed"}]

    def share(parameters: dict, schedule: list[dict]) -> float:
        counts = clone_tumour({**base, **parameters}, schedule, seed).counts
        return counts["axl_high"] / counts["total"]

    untreated, treated = share({}, []), share({}, maintenance)
    without = share(NO_TOLERANCE, maintenance)
    assert untreated < 0.05 < treated
    assert without < 0.05 < treated and treated > 1.2 * without


# --- what chemotherapy alone does to a patient's tumour (a check, not a fit) ---------------------
def test_pemetrexed_alone_slows_a_tumour_but_does_not_hold_it() -> None:
    """Pemetrexed alone is a weak drug (2nd line: ORR 9.1%, median PFS 2.9 months, Hanna 2004 J Clin Oncol
    22:1589; as maintenance it lowers the hazard of progression by ~40%, PARAMOUNT: HR 0.62, Paz-Ares 2012
    Lancet Oncol 13:247, a mean of 7.9 cycles). Loose bounds, not a fit: on it most tumours still progress
    within two years, and its median PFS is at most three times that of no treatment. (It failed, an
    xfail, before session 11: a kill in proportion to division alone held every tumour for years.
    The hazard ratio is not the measure here: the cohort's untreated tumours progress within a few
    months of each other, so any delay gives an HR near 0; PARAMOUNT's 0.62 is a check, below.)"""
    shipped = load_trial(SCENARIOS / "trial-chemotherapy.toml", {"patients": 30, "follow_up_days": 730})
    names = ("no treatment", "pemetrexed")
    trial = shipped.model_copy(update={"arms": tuple(a for a in shipped.arms if a.name in names)})
    table = run_trial(trial, progress=False)
    progressed = table.groupby("arm")["progressed"].mean()
    assert progressed["no treatment"] > 0.9  # untreated tumours grow (median 6.9 months at diagnosis)
    assert progressed["pemetrexed"] > 0.8
    arms = summarise_trial(table, list(names))["arms"]
    untreated, pemetrexed = (arms[arm]["median_pfs_days"] for arm in names)
    assert untreated is not None and pemetrexed is not None
    assert untreated < pemetrexed <= 3.0 * untreated


def test_a_run_says_its_regrowth_after_chemotherapy_is_of_the_sensitive_cells() -> None:
    """4 cycles of platinum-pemetrexed and nothing after: the tumour shrinks, then regrows by the
    drug-naive cells chemotherapy does not select against; the run's summary says so (it credited
    the few resistant cells with the whole regrowth, leaving the sensitive ones out)."""
    config = ScenarioConfig.model_validate(
        {
            "model": {"kind": "clone", "initial_cells": 10**10, "days": 365},
            "schedule": [{"drug": "carboplatin", "stop": 84}, {"drug": "pemetrexed", "stop": 84}],
        }
    )
    summary = run_scenario(config, progress=False, record=False).summary
    assert summary["nadir"]["total"] < 0.6 * 10**10
    by = summary["regrowth"]["by"]
    assert next(iter(by)) == "sensitive" and by["sensitive"] > 0.99
