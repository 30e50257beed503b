"""The bypass logic (003 §2, §4, §5.1), walked over every mechanism x drug combination.

The expectations below are written from biology.md's 'Cell states' table and the EGFR allele
logic of Niederst 2015 (Clin Cancer Res 21:3924) by hand, in drug names, independently of the
route tables in ``abm.biology.drugs``: a cell is controlled (shrinks) only when every route it has is
blocked. This is the allele x TKI walk: every EGFR allele (sensitive, T790M, C797S alone,
T790M and C797S in trans, in cis) against every TKI and the combinations of the drug table:
every combination of the first eight drugs, and every combination of up to three of all the
targeted drugs (the table has grown past a full walk: 2^17 combinations). Chemotherapy blocks no
route and is not walked here (``tests/test_chemotherapy.py``).

"Grows" is judged in a tumour of 10^9 cells under the default carrying capacity, where the
Gompertzian crowding loss (``rules.crowding_loss``) adds to every cycling cell's loss.
"""

from __future__ import annotations

from functools import cache
from itertools import combinations, pairwise

import numpy as np
import pytest

from abm.biology.drugs import DRUG_NAMES
from abm.biology.mechanisms import (
    AXL_HIGH,
    BRAF_V600E,
    C797S,
    C797S_CIS,
    EGFR_AMPLIFIED,
    HER2_AMPLIFIED,
    IGF1R_ACTIVE,
    KRAS_MUTANT,
    MECHANISMS,
    MET_AMPLIFIED,
    MET_EXON14,
    PERSISTER,
    PIK3CA_MUTANT,
    SENSITIVE_STATE,
    T790M,
    state_of,
)
from abm.biology.parameters import Parameters
from abm.biology.rules import crowding_loss, doses_key, rule_tables
from abm.config.scenario import CloneSettings, plateau

EARLY_TKIS = {"gefitinib", "erlotinib", "afatinib", "dacomitinib"}  # 1st and 2nd generation
THIRD_GENERATION = {"osimertinib", "lazertinib"}
EGFR_TKIS = EARLY_TKIS | THIRD_GENERATION
# An antibody against EGFR's extracellular domain acts on every allele, whatever its kinase domain.
EGFR_ANTIBODIES = {"amivantamab"}
EGFR_DRUGS = EGFR_TKIS | EGFR_ANTIBODIES
HER2_BLOCKERS = {"afatinib", "dacomitinib", "trastuzumab"}  # 003 §4.2 lists afatinib among HER2 inhibitors
AXL_BLOCKERS = {"bemcentinib", "ono-7475", "sitravatinib", "ds-1205c"}
MET_BLOCKERS = {"savolitinib", "capmatinib", "tepotinib", "crizotinib", "sitravatinib", "amivantamab"}
# The cascade (003 §3.6, §4.4): a BRAF inhibitor and a MEK inhibitor each block BRAF V600E's route;
# mutant KRAS reactivates the cascade above MEK (a MEK inhibitor barely touches it); nothing listed
# blocks mutant PIK3CA.
BRAF_BLOCKERS = {"dabrafenib", "trametinib"}
CYTOTOXIC = {"carboplatin", "pemetrexed"}  # no route: not in this walk
BURDEN = 1e9
# the default clinical tumour: 10^10 cells, its plateau from the parameters
CAPACITY = plateau(Parameters(), CloneSettings.model_fields["initial_cells"].default)

# biology.md 'what kills it' and Niederst 2015, as predicates on a set of drug names.
EXPECTED_CONTROL = {
    "sensitive": lambda drugs: bool(drugs & EGFR_DRUGS),
    "t790m": lambda drugs: bool(drugs & (THIRD_GENERATION | EGFR_ANTIBODIES)),
    "c797s": lambda drugs: bool(drugs & (EARLY_TKIS | EGFR_ANTIBODIES)),  # C797S alone: 1st/2nd gen keep it
    # in trans, each allele needs its blocker: 1st + 3rd gen, or the antibody for both
    "c797s_trans": lambda drugs: (
        bool(drugs & (EARLY_TKIS | EGFR_ANTIBODIES)) and bool(drugs & (THIRD_GENERATION | EGFR_ANTIBODIES))
    ),
    "c797s_cis": lambda drugs: bool(drugs & EGFR_ANTIBODIES),  # escapes every listed TKI
    "axl_high": lambda drugs: bool(drugs & EGFR_DRUGS) and bool(drugs & AXL_BLOCKERS),
    "met_amplified": lambda drugs: bool(drugs & EGFR_DRUGS) and bool(drugs & MET_BLOCKERS),
    "her2_amplified": lambda drugs: bool(drugs & EGFR_DRUGS) and bool(drugs & HER2_BLOCKERS),
    "igf1r_active": lambda drugs: bool(drugs & EGFR_DRUGS) and "linsitinib" in drugs,
    # the driver switches (issue 17): amplified EGFR escapes every EGFR drug; MET exon 14 skipping is
    # a MET route like MET amplification's; the cascade mutations keep their EGFR route too
    "egfr_amplified": lambda drugs: False,
    "met_exon14": lambda drugs: bool(drugs & EGFR_DRUGS) and bool(drugs & MET_BLOCKERS),
    "kras_mutant": lambda drugs: False,
    "braf_v600e": lambda drugs: bool(drugs & EGFR_DRUGS) and bool(drugs & BRAF_BLOCKERS),
    "pik3ca_mutant": lambda drugs: False,
}
STATES = {
    "sensitive": SENSITIVE_STATE,
    "t790m": state_of(T790M),
    "c797s": state_of(C797S),
    "c797s_trans": state_of(T790M, C797S),
    "c797s_cis": state_of(T790M, C797S, C797S_CIS),
    "axl_high": state_of(AXL_HIGH),
    "met_amplified": state_of(MET_AMPLIFIED),
    "her2_amplified": state_of(HER2_AMPLIFIED),
    "igf1r_active": state_of(IGF1R_ACTIVE),
    "egfr_amplified": state_of(EGFR_AMPLIFIED),
    "met_exon14": state_of(MET_EXON14),
    "kras_mutant": state_of(KRAS_MUTANT),
    "braf_v600e": state_of(BRAF_V600E),
    "pik3ca_mutant": state_of(PIK3CA_MUTANT),
}
TARGETED = [name for name in DRUG_NAMES if name not in CYTOTOXIC]
FIRST_EIGHT = DRUG_NAMES[:8]  # the table before issue 17: walked in full
COMBINATIONS = list(
    dict.fromkeys(
        [frozenset(c) for k in range(len(FIRST_EIGHT) + 1) for c in combinations(FIRST_EIGHT, k)]
        + [frozenset(c) for k in range(4) for c in combinations(TARGETED, k)]
    )
)


def net_growth(state: int, drugs: frozenset[str], p: Parameters | None = None) -> float:
    """Division minus loss probability per day at standard doses, in a tumour of ``BURDEN`` cells."""
    return float(_net_growth(drugs, p or Parameters())[state])


@cache
def _net_growth(drugs: frozenset[str], p: Parameters) -> np.ndarray:
    """Per state: ``net_growth`` (kept per combination: the walk looks each up once per mechanism)."""
    tables = rule_tables(p, doses_key(dict.fromkeys(drugs, 1.0)))
    crowding = crowding_loss(p.division_rate, p.death_rate, BURDEN, CAPACITY)
    return tables.division - tables.death - crowding


def test_the_walk_covers_every_targeted_drug_and_no_cytotoxic_one() -> None:
    walked = set().union(*COMBINATIONS)
    assert walked == set(TARGETED) and not walked & CYTOTOXIC
    named = EGFR_DRUGS | HER2_BLOCKERS | AXL_BLOCKERS | MET_BLOCKERS | BRAF_BLOCKERS | {"linsitinib"}
    assert named == set(TARGETED), "every targeted drug has its expected routes written here"


def test_every_non_persister_mechanism_is_in_the_walk() -> None:
    walked = {name for name in STATES if name not in ("sensitive", "c797s_trans")}
    assert walked == {m.name for m in MECHANISMS if m is not PERSISTER}


def test_first_plus_third_generation_controls_c797s_in_trans_only() -> None:
    trans, cis = STATES["c797s_trans"], STATES["c797s_cis"]
    for early in EARLY_TKIS:
        for third in THIRD_GENERATION:
            assert net_growth(trans, frozenset({early})) > 0
            assert net_growth(trans, frozenset({early, third})) < 0
            assert net_growth(cis, frozenset({early, third})) > 0
    for third in THIRD_GENERATION:
        assert net_growth(trans, frozenset({third})) > 0


def test_the_egfr_antibody_controls_every_allele_and_met() -> None:
    """Amivantamab binds EGFR outside the kinase domain: T790M and C797S, in trans or in cis,
    do not escape it; with its MET arm it controls MET-amplified cells alone, not AXL-high ones."""
    for allele in ("sensitive", "t790m", "c797s", "c797s_trans", "c797s_cis", "met_amplified"):
        assert net_growth(STATES[allele], frozenset({"amivantamab"})) < 0, allele
    assert net_growth(STATES["axl_high"], frozenset({"amivantamab"})) > 0


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


def test_the_cascade_routes_from_the_issue() -> None:
    """BRAF V600E: osimertinib alone does not control it, nor dabrafenib + trametinib alone (its EGFR
    route stays open); the three together do. PIK3CA: no drug of the table, nor all of them. MET exon
    14 skipping: a MET inhibitor with an EGFR TKI. Amplified EGFR: not even two EGFR drugs."""
    braf, pik3ca, exon14, amplified = (
        STATES[m] for m in ("braf_v600e", "pik3ca_mutant", "met_exon14", "egfr_amplified")
    )
    assert net_growth(braf, frozenset({"osimertinib"})) > 0
    assert net_growth(braf, frozenset({"dabrafenib", "trametinib"})) > 0
    assert net_growth(braf, frozenset({"osimertinib", "dabrafenib", "trametinib"})) < 0
    assert net_growth(braf, frozenset({"osimertinib", "dabrafenib", "trametinib"})) < net_growth(
        braf, frozenset({"osimertinib", "dabrafenib"})
    )
    assert net_growth(pik3ca, frozenset(TARGETED)) > 0
    assert net_growth(exon14, frozenset({"osimertinib"})) > 0
    assert net_growth(exon14, frozenset({"osimertinib", "capmatinib"})) < 0
    assert net_growth(amplified, frozenset({"gefitinib", "osimertinib", "amivantamab"})) > 0
    # with T790M the amplified allele is still out of reach; without amplification osimertinib holds it
    assert net_growth(state_of(T790M, EGFR_AMPLIFIED), frozenset({"osimertinib"})) > 0


def test_two_bypass_routes_need_both_inhibitors() -> None:
    state = state_of(AXL_HIGH, MET_AMPLIFIED)
    assert net_growth(state, frozenset({"osimertinib", "savolitinib"})) > 0
    assert net_growth(state, frozenset({"osimertinib", "bemcentinib"})) > 0
    assert net_growth(state, frozenset({"osimertinib", "savolitinib", "bemcentinib"})) < 0


def test_no_drug_no_control() -> None:
    tables = rule_tables(Parameters(), doses_key({}))
    assert (tables.control == 0).all()
    states = [STATES[m] for m in STATES]
    assert (tables.division[states] > tables.death[states]).all()


def test_dose_response_is_monotone_and_zero_dose_is_no_drug() -> None:
    p = Parameters()
    deaths = [rule_tables(p, doses_key({"osimertinib": d})).death[SENSITIVE_STATE] for d in (0, 0.25, 0.5, 1, 2)]
    assert deaths[0] == pytest.approx(p.death_rate)
    assert all(a < b for a, b in pairwise(deaths))
    assert deaths[-1] <= p.death_rate + p.drug_kill_rate


def test_an_insensitive_egfr_allele_escapes_every_tki() -> None:
    p = Parameters(egfr_tki_insensitivity=1.0)
    for drug in ("gefitinib", "osimertinib"):
        assert net_growth(SENSITIVE_STATE, frozenset({drug}), p) == pytest.approx(
            net_growth(SENSITIVE_STATE, frozenset(), p)
        )
    half = Parameters(egfr_tki_insensitivity=0.5)
    assert net_growth(SENSITIVE_STATE, frozenset({"osimertinib"}), half) > net_growth(
        SENSITIVE_STATE, frozenset({"osimertinib"})
    )
