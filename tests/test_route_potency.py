"""Issue 17: a route a drug reaches only at high concentration (erlotinib and gefitinib on T790M).

The first- and second-generation EGFR TKIs block T790M with their own exposure-response
(``drugs.RoutePotency``): a Hill curve of the relative concentration far to the right of the
sensitive route's, saturating at the same top. At the standard dose the T790M block is nil (the
calibrated model's numbers), at the peaks of high-dose pulses it is a few percent (Yu 2017), at
concentrations reached only in vitro most of the route (Chmielecki 2011).
"""

from __future__ import annotations

import numpy as np
import pytest

from abm.biology.drugs import DRUG_NAMES, DRUGS, POTENCY_SLOTS, potency_exposures, route_blocks
from abm.biology.mechanisms import Route
from abm.biology.pharmacokinetics import occupancy
from abm.biology.rules import doses_key
from abm.clinic.dosing import Dosing

FIRST_AND_SECOND_GENERATION = ("gefitinib", "erlotinib", "afatinib", "dacomitinib")


def t790m_block(name: str, relative_concentration: float) -> float:
    drug = DRUGS[name]
    return drug.block(Route.EGFR_T790M, drug.route_exposure(Route.EGFR_T790M, relative_concentration))


def test_the_tkis_that_reach_t790m_only_at_high_concentration() -> None:
    assert {name for name, _ in POTENCY_SLOTS} == set(FIRST_AND_SECOND_GENERATION)
    assert all(route == Route.EGFR_T790M for _, route in POTENCY_SLOTS)
    for name in ("osimertinib", "lazertinib"):  # 3rd generation: T790M at the standard exposure
        assert route_blocks({name: 1.0})[Route.EGFR_T790M] > 0.9


@pytest.mark.parametrize("name", FIRST_AND_SECOND_GENERATION)
def test_the_t790m_block_rises_with_concentration_along_its_hill_curve(name: str) -> None:
    """x(c) = E(c; EC50, h) / E(1; the drug's own curve), block 1 - (1 - b)^x: nil at the standard
    exposure, increasing, a few percent at 5x, most of the route at 50x, and tending to the top of
    the drug's other routes (the sensitive route's block at saturation)."""
    drug = DRUGS[name]
    potency = drug.potency[Route.EGFR_T790M]
    grid = [0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 1000.0]
    blocks = [t790m_block(name, c) for c in grid]
    assert blocks == sorted(blocks) and blocks[-1] > blocks[-2] > blocks[0]
    assert t790m_block(name, 1.0) == 0.0  # at the standard dose: the calibrated model's T790M
    assert 0.01 < t790m_block(name, 5.0) < 0.06
    assert t790m_block(name, 50.0) > 0.75
    top = drug.block(Route.EGFR_SENSITIVE, 1.0 + drug.pk.ec50_fraction)  # the sensitive route, saturated
    assert t790m_block(name, 1e5) == pytest.approx(top, abs=1e-3)
    for c in (3.0, 10.0, 40.0):  # the exposure is the Hill curve over the drug's own occupancy at 1
        expected = occupancy(c, potency.ec50, potency.hill) * (1.0 + drug.pk.ec50_fraction)
        assert drug.route_exposure(Route.EGFR_T790M, c) == pytest.approx(expected, abs=5e-4)


def test_pk_off_reads_the_dose_as_the_concentration_and_leaves_the_standard_dose_unchanged() -> None:
    """``pk = false``: the relative dose d is read as a relative concentration for the potency route;
    the other routes keep the calibrated 1 - (1 - b)^d, so dose 1 gives the very blocks of before."""
    key = doses_key({"erlotinib": 1.0})
    assert key[len(DRUG_NAMES) :] == (0.0,) * len(POTENCY_SLOTS)
    assert route_blocks({"erlotinib": 1.0})[Route.EGFR_T790M] == 0.0
    assert route_blocks({"erlotinib": 1.0})[Route.EGFR_SENSITIVE] == pytest.approx(0.95)
    assert route_blocks({"erlotinib": 20.0})[Route.EGFR_T790M] == pytest.approx(t790m_block("erlotinib", 20.0))
    assert potency_exposures({"erlotinib": 20.0})[POTENCY_SLOTS.index(("erlotinib", Route.EGFR_T790M))] > 0.1


def test_pulses_of_1200_mg_reach_t790m_a_little_on_their_days_and_daily_150_mg_never() -> None:
    """Yu 2017's schedule with pk: 1200 mg on days 1-2 of each week, 50 mg on days 3-7. The pulse days
    block T790M by ~1-4% (their day averages are 3-5x the standard Css,avg), the 50 mg days little or
    nothing; daily 150 mg never. The sensitive route stays blocked on every day of both."""
    slot = len(DRUG_NAMES) + POTENCY_SLOTS.index(("erlotinib", Route.EGFR_T790M))
    index = DRUG_NAMES.index("erlotinib")
    pulsed, daily = Dosing(True, 1.0, np.random.SeedSequence(0), 120), Dosing(True, 1.0, np.random.SeedSequence(0), 120)
    pulsed_keys, daily_keys = [], []
    for day in range(84):
        dose = 1200.0 / 150.0 if day % 7 < 2 else 50.0 / 150.0
        pulsed_keys.append(pulsed.today(day, {"erlotinib": dose}))
        daily_keys.append(daily.today(day, {"erlotinib": 1.0}))
    week = pulsed_keys[77:84]
    blocks = [DRUGS["erlotinib"].block(Route.EGFR_T790M, k[slot]) for k in week]
    assert 0.01 < max(blocks) < 0.06 and blocks.index(max(blocks)) == 1  # the second pulse day
    assert min(blocks) == 0.0
    assert all(k[slot] == 0.0 for k in daily_keys)
    assert all(DRUGS["erlotinib"].block(Route.EGFR_SENSITIVE, k[index]) > 0.9 for k in week)
