"""Issue 17: chemotherapy, a drug action that is not a route block.

Platinum-pemetrexed kills dividing cells whatever their routes: each cytotoxic drug kills a share
of the day's dividing cells (``Drug.cytotoxic``), added once, in ``rules.death_probability``, to
the death probabilities every model draws from. So a population that does not divide is
untouched, a dividing one loses cells, and a cell's routes matter only through how often it
divides. With pharmacokinetics the kill falls on the dosing days; a cycle's kill is the same as
without them.
"""

from __future__ import annotations

from pathlib import Path

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
from abm.biology.rules import CARRIES, FITNESS_COSTS, death_probability, doses_key, rule_tables
from abm.clinic.dosing import Dosing
from abm.config.scenario import ScenarioConfig
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


def extra_death(p: Parameters, doses: dict[str, float], base: dict[str, float] | None = None) -> np.ndarray:
    """Per state: the death probability the cytotoxic drugs add to that of ``base``."""
    return rule_tables(p, doses_key({**(base or {}), **doses})).death - rule_tables(p, doses_key(base or {})).death


def test_chemotherapy_is_rows_of_the_table_that_block_no_route() -> None:
    assert set(CHEMOTHERAPY) == {"carboplatin", "pemetrexed"}
    untreated = rule_tables(Parameters(), doses_key({}))
    for name in CHEMOTHERAPY:
        assert not DRUGS[name].blocks
        assert set(route_blocks({name: 1.0}).values()) == {0.0}
        tables = rule_tables(Parameters(), doses_key({name: 1.0}))
        assert (tables.control == 0.0).all()
        assert np.array_equal(tables.division, untreated.division)  # it kills; it does not stop division
        assert (tables.death[CYCLING] > untreated.death[CYCLING]).all()


def test_it_kills_in_proportion_to_division() -> None:
    """f of the day's dividing cells at the standard exposure: extra death = f x division; x
    exposures are x independent hits; the two drugs' survivals multiply."""
    p = Parameters(**NO_TOLERANCE)
    division = rule_tables(p, doses_key({})).division
    for name in CHEMOTHERAPY:
        f = DRUGS[name].cytotoxic
        np.testing.assert_allclose(extra_death(p, {name: 1.0}), f * division, rtol=1e-9, atol=1e-15)
        np.testing.assert_allclose(extra_death(p, {name: 2.0}), 1.0 - (1.0 - f * division) ** 2, rtol=1e-9)
    both = 1.0 - np.prod([1.0 - DRUGS[n].cytotoxic * division for n in DOUBLET], axis=0)
    np.testing.assert_allclose(extra_death(p, DOUBLET), both, rtol=1e-9, atol=1e-15)
    # persisters cycle slowly, so they are spared all but a little (chemotherapy-tolerant DTPs)
    assert (extra_death(p, DOUBLET)[CARRIES[PERSISTER]] < 0.1 * extra_death(p, DOUBLET)[SENSITIVE_STATE]).all()


def test_a_population_that_does_not_divide_is_untouched() -> None:
    p = Parameters(division_rate=0.0, persister_division_rate=0.0)
    assert (extra_death(p, DOUBLET) == 0.0).all()  # (whatever the tolerance)
    # nor is a cell whose every route is blocked: it is controlled, so it does not divide (an
    # EGFR-amplified cell escapes part of every EGFR block, so it divides and is killed)
    blocked = dict.fromkeys(Route, 1.0)
    chemo = death_probability(Parameters(), blocked, cytotoxic_exposures(DOUBLET))
    plain = death_probability(Parameters(), blocked)
    held = CYCLING & ~CARRIES[EGFR_AMPLIFIED]
    assert np.array_equal(chemo[held], plain[held])
    escaping = CYCLING & CARRIES[EGFR_AMPLIFIED]
    assert (chemo[escaping] > plain[escaping]).all()


def test_a_cell_with_every_route_open_is_killed_as_much_as_one_with_none() -> None:
    """Routes do not protect from it: without fitness costs every cycling cell divides alike and
    dies alike, a cell with every bypass route and both EGFR resistance alleles as a sensitive one
    (without the tolerance of the AXL-high and IGF-1R-active states, tested below)."""
    p = Parameters(**NO_FITNESS_COST, **NO_TOLERANCE)
    extra = extra_death(p, DOUBLET)
    assert extra[EVERY_ROUTE] == extra[SENSITIVE_STATE] > 0.0
    np.testing.assert_array_equal(extra[CYCLING], np.full(int(CYCLING.sum()), extra[SENSITIVE_STATE]))
    # under a TKI the kill follows division, not routes: the MET-amplified cell osimertinib does not
    # control keeps dividing and is killed; the sensitive cell it controls barely divides
    on_tki = extra_death(p, DOUBLET, base={"osimertinib": 1.0})
    division = rule_tables(p, doses_key({"osimertinib": 1.0})).division
    met = state_of(MET_AMPLIFIED)
    assert on_tki[met] > 10.0 * on_tki[SENSITIVE_STATE]
    both = 1.0 - np.prod([1.0 - DRUGS[n].cytotoxic * division for n in DOUBLET], axis=0)
    np.testing.assert_allclose(on_tki, both, rtol=1e-9, atol=1e-15)


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
    full = extra_death(Parameters(**NO_FITNESS_COST, **NO_TOLERANCE), DOUBLET)
    kill = extra_death(p, DOUBLET)
    axl, igf1r, both = state_of(AXL_HIGH), state_of(IGF1R_ACTIVE), state_of(AXL_HIGH, IGF1R_ACTIVE)
    for state in (axl, igf1r, both):
        assert kill[state] == pytest.approx((1.0 - tolerance) * full[state], rel=1e-9)
    for state in (SENSITIVE_STATE, state_of(MET_AMPLIFIED), state_of(T790M), state_of(HER2_AMPLIFIED)):
        assert kill[state] == full[state]
    with_axl_inhibitor = extra_death(p, DOUBLET, base={"bemcentinib": 1.0})
    axl_block = route_blocks({"bemcentinib": 1.0})[Route.AXL]
    escape = tolerance * (1.0 - axl_block)
    division = rule_tables(p, doses_key({"bemcentinib": 1.0})).division
    expected = 1.0 - np.prod([1.0 - DRUGS[n].cytotoxic * division[axl] for n in DOUBLET])
    assert with_axl_inhibitor[axl] == pytest.approx((1.0 - escape) * expected, rel=1e-9)
    assert with_axl_inhibitor[axl] > 5.0 * kill[axl]
    assert with_axl_inhibitor[igf1r] == pytest.approx(kill[igf1r], rel=1e-9)  # not its route
    with_linsitinib = extra_death(p, DOUBLET, base={"linsitinib": 1.0})
    assert with_linsitinib[igf1r] > 5.0 * kill[igf1r] and with_linsitinib[both] < 2.0 * kill[both]


@pytest.mark.parametrize("seed", [1, 2])
def test_a_chemotherapy_tolerant_state_is_selected_under_maintenance(seed: int) -> None:
    """Clone model, 10^6 cells of which 5% AXL-high (held AXL-high: no reversion, for the test), 63
    days: untreated, the AXL-high share falls (its fitness cost); under pemetrexed maintenance it
    rises, selected by the kill the others take; without the tolerance it does not rise."""
    base = {"axl_high_initial_fraction": 0.05, "axl_reversion_rate": 0.0, "axl_induction_rate": 0.0}
    maintenance = [{"drug": "pemetrexed"}]

    def share(parameters: dict, schedule: list[dict]) -> float:
        counts = clone_tumour({**base, **parameters}, schedule, seed).counts
        return counts["axl_high"] / counts["total"]

    untreated, treated = share({}, []), share({}, maintenance)
    without = share(NO_TOLERANCE, maintenance)
    assert untreated < 0.05 < treated
    assert without < 0.05 < treated and treated > 1.2 * without


# --- what chemotherapy alone does to a patient's tumour (a check, not a fit) ---------------------
CHEMOTHERAPY_ALONE = """
name = "chemotherapy alone"
cohort_from = "{validation}"
[trial]
patients = 30
follow_up_days = 730
[clinical]
imaging_interval_days = 42
[[arms]]
name = "untreated"
schedule = []
[[arms]]
name = "pemetrexed"
schedule = [{{ drug = "pemetrexed", dose = "900 mg" }}]
"""


@pytest.mark.xfail(
    strict=True,
    reason="issue 17, session 11 (docs/notes/issue17.md): the kill is a share of the cells dividing, and a "
    "tumour near its Gompertz plateau offsets ~94% of its divisions by loss, so any lasting kill above ~5% of "
    "divisions caps it below its size at diagnosis: pemetrexed alone (0.08) holds every tumour for years",
)
def test_pemetrexed_alone_slows_a_tumour_but_does_not_hold_it(tmp_path: Path) -> None:
    """Pemetrexed alone is a weak drug (2nd line: ORR 9.1%, median PFS 2.9 months, Hanna 2004 J Clin Oncol
    22:1589; as maintenance it lowers the hazard of progression by ~40%, PARAMOUNT: HR 0.62, Paz-Ares 2012
    Lancet Oncol 13:247, a mean of 7.9 cycles). Loose bounds, not a fit: on it most tumours still progress
    within two years, and its hazard ratio against no treatment is nearer 1 than 0."""
    file = tmp_path / "chemotherapy-alone.toml"
    file.write_text(CHEMOTHERAPY_ALONE.format(validation=(SCENARIOS / "validation.toml").as_posix()))
    trial = load_trial(file)
    table = run_trial(trial, progress=False)
    progressed = table.groupby("arm")["progressed"].mean()
    assert progressed["untreated"] > 0.9  # untreated tumours grow (median 6.9 months at diagnosis)
    assert progressed["pemetrexed"] > 0.8
    hr = summarise_trial(table, ["untreated", "pemetrexed"])["hazard_ratios"][0]["hr"]
    assert hr is not None and hr > 0.3
