"""The bypass logic (003 §2, §4, §5.1), walked over every mechanism x drug combination.

The expectations below are written from biology.md's 'Cell states' table by hand, in drug
names, independently of the route tables in ``abm.drugs``: a cell is controlled (shrinks)
only when every route it has is blocked.
"""

from __future__ import annotations

from itertools import combinations, pairwise

import pytest

from abm.drugs import DRUG_NAMES
from abm.mechanisms import (
    AXL_HIGH,
    C797S,
    HER2_AMPLIFIED,
    MECHANISMS,
    MET_AMPLIFIED,
    PERSISTER,
    SENSITIVE_STATE,
    T790M,
    state_of,
)
from abm.parameters import Parameters
from abm.rules import doses_key, rule_tables

EGFR_TKIS = {"gefitinib", "erlotinib", "afatinib", "osimertinib"}
HER2_BLOCKERS = {"afatinib", "trastuzumab"}  # 003 §4.2 lists afatinib among HER2 inhibitors

# biology.md 'what kills it', as predicates on a set of drug names.
EXPECTED_CONTROL = {
    "sensitive": lambda drugs: bool(drugs & EGFR_TKIS),
    "t790m": lambda drugs: "osimertinib" in drugs,
    "c797s": lambda drugs: False,
    "axl_high": lambda drugs: bool(drugs & EGFR_TKIS) and "bemcentinib" in drugs,
    "met_amplified": lambda drugs: bool(drugs & EGFR_TKIS) and "savolitinib" in drugs,
    "her2_amplified": lambda drugs: bool(drugs & EGFR_TKIS) and bool(drugs & HER2_BLOCKERS),
}
STATES = {
    "sensitive": SENSITIVE_STATE,
    "t790m": state_of(T790M),
    "c797s": state_of(T790M, C797S),
    "axl_high": state_of(AXL_HIGH),
    "met_amplified": state_of(MET_AMPLIFIED),
    "her2_amplified": state_of(HER2_AMPLIFIED),
}
COMBINATIONS = [frozenset(c) for k in range(len(DRUG_NAMES) + 1) for c in combinations(DRUG_NAMES, k)]


def net_growth(state: int, drugs: frozenset[str], p: Parameters | None = None) -> float:
    """Division minus death probability per day at standard doses."""
    tables = rule_tables(p or Parameters(), doses_key(dict.fromkeys(drugs, 1.0)))
    return float(tables.division[state] - tables.death[state])


def test_every_non_persister_mechanism_is_in_the_walk() -> None:
    walked = {name for name in STATES if name != "sensitive"}
    assert walked == {m.name for m in MECHANISMS if m is not PERSISTER}


@pytest.mark.parametrize("mechanism", list(STATES))
def test_controlled_exactly_when_every_route_is_blocked(mechanism: str) -> None:
    state = STATES[mechanism]
    wrong = []
    for drugs in COMBINATIONS:
        grows = net_growth(state, drugs) > 0
        if grows == EXPECTED_CONTROL[mechanism](drugs):
            wrong.append((sorted(drugs), "grows" if grows else "shrinks"))
    assert not wrong, f"{mechanism}: {len(wrong)} of {len(COMBINATIONS)} combinations wrong, e.g. {wrong[:3]}"


def test_named_examples_from_the_issue() -> None:
    met, t790m = STATES["met_amplified"], STATES["t790m"]
    assert net_growth(met, frozenset({"osimertinib"})) > 0
    assert net_growth(met, frozenset({"osimertinib", "savolitinib"})) < 0
    assert net_growth(t790m, frozenset({"gefitinib"})) > 0
    assert net_growth(t790m, frozenset({"osimertinib"})) < 0


def test_two_bypass_routes_need_both_inhibitors() -> None:
    state = state_of(AXL_HIGH, MET_AMPLIFIED)
    assert net_growth(state, frozenset({"osimertinib", "savolitinib"})) > 0
    assert net_growth(state, frozenset({"osimertinib", "bemcentinib"})) > 0
    assert net_growth(state, frozenset({"osimertinib", "savolitinib", "bemcentinib"})) < 0


def test_persisters_tolerate_a_tki_and_an_axl_inhibitor_kills_them() -> None:
    p = Parameters()
    persister = state_of(PERSISTER)
    osi = rule_tables(p, doses_key({"osimertinib": 1.0}))
    combo = rule_tables(p, doses_key({"osimertinib": 1.0, "bemcentinib": 1.0}))
    sensitive_death = osi.death[SENSITIVE_STATE]
    assert osi.death[persister] < sensitive_death / 5  # drug-tolerant (003 §5.2)
    assert combo.death[persister] > 5 * osi.death[persister]  # AXL inhibition removes DTPs
    # ... and fewer cells become persisters in the first place (Taniguchi, 003 §5.2)
    entry = 1 << MECHANISMS.index(PERSISTER)
    assert combo.switch[SENSITIVE_STATE, entry] < 0.5 * osi.switch[SENSITIVE_STATE, entry]


def test_no_drug_no_control() -> None:
    tables = rule_tables(Parameters(), doses_key({}))
    assert (tables.control == 0).all()
    assert (tables.division[[STATES[m] for m in STATES]] > tables.death[[STATES[m] for m in STATES]]).all()


def test_dose_response_is_monotone_and_zero_dose_is_no_drug() -> None:
    p = Parameters()
    deaths = [rule_tables(p, doses_key({"osimertinib": d})).death[SENSITIVE_STATE] for d in (0, 0.25, 0.5, 1, 2)]
    assert deaths[0] == pytest.approx(p.death_rate)
    assert all(a < b for a, b in pairwise(deaths))
    assert deaths[-1] <= p.death_rate_controlled


def test_an_insensitive_egfr_allele_escapes_every_tki() -> None:
    p = Parameters(egfr_tki_insensitivity=1.0)
    for drug in ("gefitinib", "osimertinib"):
        assert net_growth(SENSITIVE_STATE, frozenset({drug}), p) == pytest.approx(p.division_rate - p.death_rate)
    half = Parameters(egfr_tki_insensitivity=0.5)
    assert net_growth(SENSITIVE_STATE, frozenset({"osimertinib"}), half) > net_growth(
        SENSITIVE_STATE, frozenset({"osimertinib"})
    )
