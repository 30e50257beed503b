"""The rules of the biology as small pure functions of (parameters, doses).

Every model draws its events from the same ``RuleTables``: per-state probabilities per day
of division and death, the per-day switching matrix of living cells (persister, AXL-high),
the daughter matrix of a division (mutations), and motility. States are the bit masks of
``mechanisms.py``; tables are indexed by state, so a model looks rates up with numpy.

Control of a cell is the bypass logic of 003 §2, §4, §5.1: the product over the routes it
has of how much of each route the drugs block. A cell with one open route is uncontrolled.
Chemotherapy is the other kind of drug action: it blocks no route and kills cells in proportion
to how often they divide and to how fast the untreated tumour would grow at its size
(``cytotoxic_hazard``, ``hit_probability``: Norton-Simon); the drug-tolerant states (AXL-high,
IGF-1R-active) escape most of it (``chemotherapy_escape``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from itertools import product

import numpy as np

from abm.biology.drugs import DRUG_NAMES, cytotoxic_exposures, potency_exposures, route_blocks
from abm.biology.mechanisms import (
    AXL_HIGH,
    BRAF_V600E,
    C797S,
    C797S_CIS,
    DRIVER_SWITCHES,
    EGFR_AMPLIFIED,
    FIELD_MASK,
    FIELD_SHIFT,
    HER2_AMPLIFIED,
    IGF1R_ACTIVE,
    KRAS_MUTANT,
    MECHANISMS,
    MET_AMPLIFIED,
    MET_EXON14,
    N_STATES,
    PERSISTER,
    PIK3CA_MUTANT,
    T790M,
    Mechanism,
    Route,
    bit,
    mask,
    routes,
)
from abm.biology.parameters import Parameters

EGFR_ROUTES = (Route.EGFR_SENSITIVE, Route.EGFR_T790M, Route.EGFR_C797S, Route.EGFR_T790M_C797S)
ROUTES = tuple(Route)
# The routes a persister can survive through: AXL (Taniguchi) or IGF-1R (Wang), 003 §5.2.
PERSISTER_ROUTES = (Route.AXL, Route.IGF1R)

# The rules below are vectorised over every state at once: arrays indexed by state.
STATES = np.arange(N_STATES)
CARRIES = {m: (STATES & mask(m)) == bit(m) for m in MECHANISMS}  # CARRIES[m][s]: state s carries m
SWITCHED = (STATES & FIELD_MASK) != 0  # the state carries a driver switch (at most one)
PLAIN_STATES = 1 << FIELD_SHIFT  # the states of the plain bits alone: 0 to 255
HAS_ROUTE = np.array([[r in routes(s) for r in ROUTES] for s in STATES])  # (states, routes)
IS_EGFR = np.array([r in EGFR_ROUTES for r in ROUTES])
IS_PERSISTER_ROUTE = np.array([r in PERSISTER_ROUTES for r in ROUTES])
CYCLING = (~CARRIES[PERSISTER]).astype(float)  # 1 for cells that cycle (not persisters)
# Control and the EGFR block depend on a state only through its routes and EGFR amplification:
# computed once per distinct (routes, amplified) row, a fifth of the states, and read back per state.
_ROUTE_ROWS, _ROUTE_CLASS = np.unique(
    np.column_stack([HAS_ROUTE, CARRIES[EGFR_AMPLIFIED]]), axis=0, return_inverse=True
)
_CLASS_HAS_ROUTE, _CLASS_AMPLIFIED = _ROUTE_ROWS[:, :-1], _ROUTE_ROWS[:, -1]
_ROUTE_CLASS = _ROUTE_CLASS.ravel()


def _per_route(blocks: dict[Route, float]) -> np.ndarray:
    return np.array([blocks[r] for r in ROUTES])


def route_capacity(p: Parameters) -> np.ndarray:
    """Per route: the share of full survival signalling it carries on its own (EGFR routes: all)."""
    capacity = {
        Route.AXL: p.axl_bypass_capacity,
        Route.MET: p.met_bypass_capacity,
        Route.HER2: p.her2_bypass_capacity,
        Route.IGF1R: p.igf1r_bypass_capacity,
    }  # the cascade routes (KRAS, BRAF, PIK3CA) carry it all: activated downstream of every receptor
    return np.array([capacity.get(r, 1.0) for r in ROUTES])


def state_blocks(p: Parameters, blocks: dict[Route, float]) -> np.ndarray:
    """(states, routes): how much of each route the drugs block in a cell of each state.

    The blocks of ``blocks`` for every state but the EGFR-amplified: more copies of its EGFR allele
    (003 §3.2) leave ``egfr_amplification_escape`` of every EGFR-route block unblocked, whichever
    drug blocks it (a TKI or amivantamab).
    """
    return _blocks_of(p, blocks, CARRIES[EGFR_AMPLIFIED])


def _blocks_of(p: Parameters, blocks: dict[Route, float], amplified: np.ndarray) -> np.ndarray:
    """``state_blocks`` of rows whose EGFR amplification is ``amplified``."""
    b = np.broadcast_to(_per_route(blocks), (amplified.size, len(ROUTES)))
    escape = np.where(amplified[:, None] & IS_EGFR[None, :], p.egfr_amplification_escape, 0.0)
    return b * (1.0 - escape)


def control(p: Parameters, blocks: dict[Route, float]) -> np.ndarray:
    """Per state: fraction of a cell's survival signalling shut off.

    Each route a cell has passes (1 - block) of its capacity; routes act independently, so
    the signalling left off is the product over routes of (1 - capacity x (1 - block)). With
    full-capacity routes this is the bypass logic: controlled only when every route is blocked.
    """
    return _control(p, _blocks_key(blocks)).copy()


def _blocks_key(blocks: dict[Route, float]) -> tuple[tuple[Route, float], ...]:
    return tuple(blocks.items())


@lru_cache(maxsize=8)
def _control(p: Parameters, blocks: tuple[tuple[Route, float], ...]) -> np.ndarray:
    """``control`` per state, read-only: computed per route class, shared by a table's uses."""
    b = _blocks_of(p, dict(blocks), _CLASS_AMPLIFIED)
    per_class = np.where(_CLASS_HAS_ROUTE, 1.0 - route_capacity(p) * (1.0 - b), 1.0).prod(axis=1)
    return _read_only(per_class[_ROUTE_CLASS])


def egfr_block(p: Parameters, blocks: dict[Route, float]) -> np.ndarray:
    """Per state: how much of the cell's own EGFR signalling the drugs block, the TKI pressure it feels.

    With two mutant alleles (T790M and C797S in trans) both must be blocked.
    """
    b = _blocks_of(p, blocks, _CLASS_AMPLIFIED)
    return np.where(_CLASS_HAS_ROUTE & IS_EGFR, b, 1.0).prod(axis=1)[_ROUTE_CLASS]


def persister_support_block(blocks: dict[Route, float]) -> np.ndarray:
    """Per state: how much of a persister's survival support the drugs block.

    A persister survives through the persister routes it has (AXL-high: AXL; IGF-1R-active:
    IGF-1R); with both, both must be blocked. One with neither has no support (1.0).
    """
    return np.where(_CLASS_HAS_ROUTE & IS_PERSISTER_ROUTE, _per_route(blocks), 1.0).prod(axis=1)[_ROUTE_CLASS]


# The fitness cost of each resistance mechanism: the parameter that holds it.
FITNESS_COSTS: dict[Mechanism, str] = {
    T790M: "t790m_fitness_cost",
    C797S: "c797s_fitness_cost",
    MET_AMPLIFIED: "met_fitness_cost",
    HER2_AMPLIFIED: "her2_fitness_cost",
    AXL_HIGH: "axl_high_fitness_cost",
    IGF1R_ACTIVE: "igf1r_fitness_cost",
}
assert not any(m.code for m in FITNESS_COSTS)  # plain bits: ``fitness`` repeats them over the field


# The genetic mechanisms a daughter can acquire at division: the parameter holding each one's rate
# per division. Point mutations (the EGFR alleles) are raised by mutability; amplifications are not.
MUTATION_RATES: dict[Mechanism, str] = {
    T790M: "t790m_mutation_rate",
    C797S: "c797s_mutation_rate",
    MET_AMPLIFIED: "met_amplification_rate",
    HER2_AMPLIFIED: "her2_amplification_rate",
}
# The driver switches (mechanisms.DRIVER_SWITCHES): a daughter of a cell that carries none gains
# at most one. MET exon 14 skipping and the cascade mutations are point mutations (splice-site and
# hotspot substitutions), raised by mutability; EGFR amplification is not.
SWITCH_RATES: dict[Mechanism, str] = {
    EGFR_AMPLIFIED: "egfr_amplification_rate",
    MET_EXON14: "met_exon14_rate",
    KRAS_MUTANT: "kras_mutation_rate",
    BRAF_V600E: "braf_v600e_mutation_rate",
    PIK3CA_MUTANT: "pik3ca_mutation_rate",
}
assert tuple(SWITCH_RATES) == DRIVER_SWITCHES
POINT_MUTATIONS = frozenset({T790M, C797S, MET_EXON14, KRAS_MUTANT, BRAF_V600E, PIK3CA_MUTANT})
# Every genetic mechanism a tumour can acquire by division, with its rate parameter.
ACQUIRED: dict[Mechanism, str] = {**MUTATION_RATES, **SWITCH_RATES}


def fitness(p: Parameters) -> np.ndarray:
    """Per state: the division rate relative to a sensitive cell, the product of each mechanism's (1 - cost)."""
    out = np.ones(PLAIN_STATES)  # the costs are of plain bits (a driver switch costs nothing)
    for mechanism, name in FITNESS_COSTS.items():
        out = out * np.where(CARRIES[mechanism][:PLAIN_STATES], 1.0 - getattr(p, name), 1.0)
    return np.tile(out, N_STATES // PLAIN_STATES)


def division_probability(p: Parameters, blocks: dict[Route, float]) -> np.ndarray:
    """Per state: probability per day that a cell divides (if it has room)."""
    cycling = p.division_rate * fitness(p) * (1.0 - _control(p, _blocks_key(blocks)))
    return np.where(CARRIES[PERSISTER], p.persister_division_rate, cycling)


def gompertz_position(burden: float | np.ndarray, capacity: float | np.ndarray) -> np.ndarray:
    """Where a tumour of ``burden`` cells stands on its Gompertzian way to ``capacity``: ln N / ln K,
    in [0, 1]. Its untreated net growth per division is ~(1 - this): ~0.05 for the default tumour at
    diagnosis (10^10 cells, plateau 3.67x), ~0.25 for a tumour a TKI shrank to 10^8."""
    # Plain ufuncs on numbers or arrays, so the compiled cohort kernel runs this same definition.
    scale = np.log(np.maximum(burden, 1.0)) / np.log(np.maximum(capacity, 2.0))
    return np.minimum(np.maximum(scale, 0.0), 1.0)


def crowding_at(
    division_rate: float | np.ndarray, death_rate: float | np.ndarray, position: float | np.ndarray
) -> np.ndarray:
    """``crowding_loss`` of a tumour at ``gompertz_position`` ``position``."""
    at_capacity = division_rate / (1.0 + division_rate)  # (1 - loss)(1 + division) = 1
    return np.maximum(at_capacity - death_rate, 0.0) * position


def crowding_loss(
    division_rate: float | np.ndarray,
    death_rate: float | np.ndarray,
    burden: float | np.ndarray,
    capacity: float | np.ndarray,
) -> np.ndarray:
    """Extra loss probability per day of a cycling cell in a tumour of ``burden`` cells.

    Elementwise over tumours: each tumour's own ``division_rate`` and ``death_rate`` (virtual
    patients differ in their rates, and a patient's loss must follow its own).

    Cell loss rises as a tumour outgrows its blood supply (hypoxia, necrosis): Gompertzian
    growth, net growth (division - loss) falling with log burden to 0 at ``capacity``. So a
    tumour at diagnosis grows slowly with most divisions offset by loss (cell-loss factor ~0.9),
    while cells regrowing in a bed emptied by a drug grow several times faster (the flare on
    TKI withdrawal, Chaft 2011 Clin Cancer Res 17:6298).
    """
    return crowding_at(division_rate, death_rate, gompertz_position(burden, capacity))


def hit_probability(
    death: float | np.ndarray,
    crowding: float | np.ndarray,
    cycling: float | np.ndarray,
    cytotoxic: float | np.ndarray,
    position: float | np.ndarray,
):
    """Probability per day that a cell is hit: its state's ``death`` (lost or killed by a TKI),
    the tumour's ``crowding`` loss if it cycles (persisters do not crowd out), and the chemotherapy
    kill: its state's ``cytotoxic`` hazard (``RuleTables.cytotoxic``) times the tumour's untreated
    growth per division at its size, 1 - its ``gompertz_position`` ``position``.

    So a cytotoxic drug kills in proportion to the growth the untreated tumour would have (Norton and
    Simon 1977 Cancer Treat Rep 61:1307; Norton 1988 Cancer Res 48:7067, the Gompertz of this model):
    a lasting weak drug (strength < 1) slows a tumour at every size and leaves its plateau where it
    is; a strong one (> 1) shrinks it, the faster the smaller it gets. A kill in proportion to
    division alone would move the plateau instead, and hold a tumour below its size for years.
    """
    return np.minimum(1.0, death + crowding * cycling - np.expm1(-cytotoxic * (1.0 - position)))


def drug_kill(p: Parameters, blocks: dict[Route, float]) -> np.ndarray:
    """Per state: the part of the daily death probability that the TKIs and other targeted drugs cause."""
    return p.drug_kill_rate * _control(p, _blocks_key(blocks))


def cytotoxic_hazard(
    p: Parameters, blocks: dict[Route, float], exposures: tuple[tuple[float, float], ...]
) -> np.ndarray:
    """Per state: the chemotherapy's kill hazard per day in a tumour growing at full speed (position 0
    in ``hit_probability``, which scales it by the tumour's actual untreated growth).

    Each cytotoxic drug (strength f, relative exposure x: ``drugs.cytotoxic_exposures``) adds
    f x division: it hits cells as they divide (a cell that does not divide, a persister barely,
    a cell whose every route is blocked not at all, is spared), and a cycle's kill follows its AUC,
    however the AUC falls over the days. Hazards of several drugs add (independent kills). The
    drug-tolerant states escape part of it (``chemotherapy_escape``).
    """
    if not exposures:
        return np.zeros(N_STATES)
    strength = sum(f * x for f, x in exposures)
    escaped = chemotherapy_escape(p, persister_support_block(blocks))
    return strength * division_probability(p, blocks) * (1.0 - escaped)


def death_probability(p: Parameters, blocks: dict[Route, float]) -> np.ndarray:
    """Per state: probability per day that a cell is lost, or killed by the targeted drugs (the
    chemotherapy's kill is ``cytotoxic_hazard``, scaled each day in ``hit_probability``).

    A hit cell dies unless it is rescued as a persister (``rescue_matrix``). A persister's
    survival leans on its AXL or IGF-1R route (003 §5.2): blocking it kills the persister.
    """
    support = persister_support_block(blocks)
    persister = np.minimum(1.0, p.persister_death_rate + p.persister_kill_rate * support)
    return np.where(CARRIES[PERSISTER], persister, np.minimum(1.0, p.death_rate + drug_kill(p, blocks)))


def chemotherapy_escape(p: Parameters, support_block: np.ndarray) -> np.ndarray:
    """Per state: the share of the chemotherapy kill a cell escapes. The drug-tolerant states (AXL-high,
    IGF-1R-active) tolerate cytotoxic drugs as they tolerate TKIs (Sharma 2010; 000 Table 1), through the
    same routes: ``chemotherapy_tolerance`` times the share of their AXL / IGF-1R support left open
    (``support_block``: ``persister_support_block``, 1 for a cell with neither route, which escapes nothing)."""
    return p.chemotherapy_tolerance * (1.0 - support_block)


def rescue_matrix(p: Parameters, blocks: dict[Route, float]) -> np.ndarray:
    """(S, S): probability per day that a cell of state s is hit by the drugs and survives as persister t.

    A fixed share of the cells the drugs kill become DTPs instead (003 §5.2: 0.3-5% of cells);
    cells lost at the untreated rate are not rescued. Of those, ``persister_axl_share`` do so
    through AXL (Taniguchi) and become AXL-high persisters, the rest through IGF-1R (Wang) and
    become IGF-1R-active persisters; blocking a route prevents that kind of entry, so an AXL
    inhibitor lowers persistence but cannot abolish it. Rescued cells are part of the day's hits
    (``death_probability``): a model draws the hits, then which of them are rescued.
    """
    matrix = np.zeros((N_STATES, N_STATES))
    targets, probs = rescue_columns(p, blocks)
    for j in range(targets.shape[1]):
        matrix[STATES, targets[:, j]] += probs[:, j]  # one entry per row
    return matrix


def rescue_columns(
    p: Parameters, blocks: dict[Route, float], control: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """``rescue_matrix`` by columns: per state, the persister it becomes by each route (AXL,
    IGF-1R) and the probability; where both routes lead to one state, it holds their sum.
    ``control``: the states' ``control`` at these doses, if known already (a table's)."""
    kill = drug_kill(p, blocks) if control is None else p.drug_kill_rate * control
    rescued = np.where(CARRIES[PERSISTER], 0.0, p.persister_entry_fraction * kill)
    routes = (
        (bit(AXL_HIGH), p.persister_axl_share * (1.0 - blocks[Route.AXL])),
        (bit(IGF1R_ACTIVE), (1.0 - p.persister_axl_share) * (1.0 - blocks[Route.IGF1R])),
    )
    targets = np.stack([STATES | bit(PERSISTER) | extra for extra, _ in routes], axis=1)
    probs = np.stack([0.0 + rescued * share for _, share in routes], axis=1)
    same = targets[:, 0] == targets[:, 1]
    probs[same, 0] += probs[same, 1]
    probs[same, 1] = 0.0
    return targets, probs


def switch_probabilities(p: Parameters, blocks: dict[Route, float]) -> dict[int, np.ndarray]:
    """Per reversible bit, per state: probability per day that a surviving cell flips it.

    Persisters revert when their routes are free again (off drug, 003 §5.2); AXL upregulation
    and IGF-1R activation are induced by the TKI pressure a cell feels and revert without it.
    """
    tki = egfr_block(p, blocks)
    persister, axl, igf1r = CARRIES[PERSISTER], CARRIES[AXL_HIGH], CARRIES[IGF1R_ACTIVE]
    axl_induction = np.where(persister, p.axl_induction_rate_persister, p.axl_induction_rate) * tki
    return {
        bit(PERSISTER): np.where(persister, p.persister_reversion_rate * (1.0 - tki), 0.0),
        bit(AXL_HIGH): np.where(axl, p.axl_reversion_rate * (1.0 - tki), axl_induction),
        bit(IGF1R_ACTIVE): np.where(igf1r, p.igf1r_reversion_rate * (1.0 - tki), p.igf1r_induction_rate * tki),
    }


def mutability(p: Parameters, blocks: dict[Route, float]) -> np.ndarray:
    """Per state: point-mutation rate multiplier, AXL-driven error-prone replication (000 'DNA damage and DDR').

    Raised in AXL-high cells and persisters; an AXL block undoes it (003 §5.2).
    """
    excess = (p.axl_mutability_factor - 1.0) * CARRIES[AXL_HIGH]
    excess = excess + (p.persister_mutability_factor - 1.0) * CARRIES[PERSISTER]
    return 1.0 + excess * (1.0 - blocks[Route.AXL])


def switch_gain_probabilities(p: Parameters, blocks: dict[Route, float]) -> np.ndarray:
    """(states, switches): probability per division that the daughter gains each driver switch
    (``SWITCH_RATES`` order); 0 for a cell that carries one already (the field holds one)."""
    m = mutability(p, blocks)
    rates = [getattr(p, name) * (m if mech in POINT_MUTATIONS else 1.0) for mech, name in SWITCH_RATES.items()]
    q = np.minimum(1.0, np.stack([np.broadcast_to(r, STATES.shape) for r in rates], axis=1))
    return np.where(SWITCHED[:, None], 0.0, q)


def mutation_probabilities(p: Parameters, blocks: dict[Route, float]) -> dict[int, np.ndarray]:
    """Per bit, per state: probability per division that the daughter gains a genetic mechanism it lacks."""
    m = mutability(p, blocks)
    out = {}
    for mech, name in MUTATION_RATES.items():
        rate = getattr(p, name) * (m if mech in POINT_MUTATIONS else 1.0)
        out[bit(mech)] = np.where(CARRIES[mech], 0.0, np.minimum(1.0, rate))
    return out


def daughter_matrix(p: Parameters, blocks: dict[Route, float]) -> np.ndarray:
    """(S, S): a daughter's state given its parent's (``daughter_columns`` as a matrix)."""
    matrix = np.zeros((N_STATES, N_STATES))
    targets, probs = daughter_columns(p, blocks)
    np.add.at(matrix, (np.repeat(STATES, targets.shape[1]), targets.ravel()), probs.ravel())
    return matrix


def flip_columns(flips: dict[int, np.ndarray], rows: np.ndarray = STATES) -> tuple[np.ndarray, np.ndarray]:
    """Each combination of the bits in ``flips`` flipping independently: per state, its target
    and probability, (S, 2^bits) each; column 0 is no flip (the state itself). Combinations in
    ``itertools.product`` order, each probability the product over bits in ``flips`` order.
    ``rows``: these states only (``flips`` hold the probabilities of every state)."""
    chosen = _combinations(len(flips))  # (2^bits, bits)
    q = np.array([np.broadcast_to(v, STATES.shape)[rows] for v in flips.values()], dtype=float)  # (bits, rows)
    probs = np.where(chosen[:, :, None], q, 1.0 - q).prod(axis=1)  # multiplied in bit order
    flipped = (chosen * np.array(list(flips), dtype=np.int64)).sum(axis=1)  # bits are distinct: sum = or
    targets = rows[None, :] ^ flipped[:, None]
    return targets.T.copy(), np.broadcast_to(probs, targets.shape).T.copy()


@lru_cache(maxsize=16)
def _combinations(bits: int) -> np.ndarray:
    """Every choice of which of ``bits`` bits flip, as rows of booleans, in ``itertools.product`` order."""
    chosen = np.array(list(product((False, True), repeat=bits)), dtype=bool).reshape(-1, bits)
    chosen.setflags(write=False)
    return chosen


def flip_matrix(flips: dict[int, np.ndarray]) -> np.ndarray:
    """The transition matrix when each bit in ``flips`` flips independently with its per-state probability."""
    matrix = np.zeros((N_STATES, N_STATES))
    targets, probs = flip_columns(flips)
    for j in range(targets.shape[1]):
        matrix[STATES, targets[:, j]] += probs[:, j]  # one entry per row: no repeated index
    return matrix


def daughter_columns(p: Parameters, blocks: dict[Route, float]) -> tuple[np.ndarray, np.ndarray]:
    """``daughter_matrix`` by columns without the (S, S) matrix: per state, each daughter state it
    can have and its probability; column 0 is no mutation.

    The mutations of the plain bits are drawn independently per bit. A daughter that comes to carry
    both T790M and C797S carries them on one allele (cis) with probability ``c797s_cis_share``, else
    on two (trans). A daughter of a cell with no driver switch gains switch j with probability q_j
    (``switch_gain_probabilities``), and then no plain-bit mutation in the same division (a double
    event of ~10^-14 per division), so the plain-bit outcomes share 1 - sum q_j.
    """
    targets, probs = _plain_bit_columns(p, blocks, STATES)
    gains = switch_gain_probabilities(p, blocks)
    plain = 1.0 - gains.sum(axis=1, keepdims=True)
    switched = STATES[:, None] | np.array([bit(m) for m in SWITCH_RATES], dtype=np.int64)[None, :]
    switched = np.where(SWITCHED[:, None], STATES[:, None], switched)  # one switch already: none gained
    return np.concatenate([targets, switched], axis=1), np.concatenate([probs * plain, gains], axis=1)


def _plain_bit_columns(p: Parameters, blocks: dict[Route, float], rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The daughters of the first ``rows`` states by mutations of the plain bits alone (no switch
    gained): each bit independently, the cis share of T790M + C797S; (rows, 2 x 2^bits) each."""
    targets, probs = flip_columns(mutation_probabilities(p, blocks), rows)
    both, cis = bit(T790M) | bit(C797S), bit(C797S_CIS)
    gains_both = ((targets & both) == both) & ((rows[:, None] & both) != both)
    moved = np.where(gains_both, probs * p.c797s_cis_share, 0.0)
    kept = probs - moved
    already_cis = (targets & cis) != 0  # (unreachable states) the moved share lands back on the target
    kept = np.where(already_cis, kept + moved, kept)
    moved = np.where(already_cis, 0.0, moved)
    return np.concatenate([targets, targets | cis], axis=1), np.concatenate([kept, 0.0 + moved], axis=1)


def compact_moves(
    targets: np.ndarray, probs: np.ndarray, k: int, rows: np.ndarray = STATES
) -> tuple[np.ndarray, np.ndarray]:
    """The off-diagonal part of the transition matrix whose row s holds ``probs[s, j]`` at
    ``targets[s, j]`` (distinct targets per row where the probability is positive; the diagonal
    ignored), as (targets, probabilities), (S, k) each, without building the matrix.

    Row s lists the states a cell in state s can change to, in increasing order (padded with s
    itself at probability 0), and the probability of each given that it changes. k is small
    (a few reversible bits, a few mutations), so drawing over k columns is cheap.
    """
    return _normalised(*_in_order(targets, probs, k, rows))


def _in_order(targets: np.ndarray, probs: np.ndarray, k: int, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``compact_moves`` before each row is divided by its total."""
    positive = (probs > 0) & (targets != rows[:, None])
    order = np.argsort(np.where(positive, targets, N_STATES), axis=1, kind="stable")[:, :k]
    chosen = _gather(positive, order)
    out_targets = np.where(chosen, _gather(targets, order), rows[:, None])
    out_probs = np.where(chosen, _gather(probs, order), 0.0)
    assert positive.sum(axis=1).max() <= k
    if out_targets.shape[1] < k:
        pad = k - out_targets.shape[1]
        out_targets = np.concatenate([out_targets, np.repeat(rows[:, None], pad, axis=1)], axis=1)
        out_probs = np.concatenate([out_probs, np.zeros((rows.size, pad))], axis=1)
    return out_targets, out_probs


def _normalised(targets: np.ndarray, probs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    total = probs.sum(axis=1, keepdims=True)
    return targets, np.divide(probs, total, out=np.zeros_like(probs), where=total > 0)


@dataclass(frozen=True)
class RuleTables:
    """All per-state probabilities for one day at one set of doses.

    The transition matrices (``rescue``, ``switch``, ``daughter``: (S, S)) are built only when asked for
    (the lattice draws from them); the clone models draw from their compact forms (``*_moves``,
    ``switch_any``, ``mutate_any``), which are built without them, with the same numbers.
    """

    division: np.ndarray  # (S,) per day
    death: np.ndarray  # (S,) per day: hit (lost or killed by a targeted drug)
    cytotoxic: np.ndarray  # (S,) chemotherapy kill hazard per day at full growth (``hit_probability``)
    motility: np.ndarray  # (S,) per day
    control: np.ndarray  # (S,) fraction of signalling blocked
    params: Parameters = field(repr=False)
    blocks: dict[Route, float] = field(repr=False)

    @cached_property
    def switch(self) -> np.ndarray:
        """(S, S) row-stochastic: a living cell's state tomorrow."""
        return _read_only(flip_matrix(switch_probabilities(self.params, self.blocks)))

    @cached_property
    def daughter(self) -> np.ndarray:
        """(S, S) row-stochastic: a daughter's state given its parent's."""
        return _read_only(daughter_matrix(self.params, self.blocks))

    @cached_property
    def rescue(self) -> np.ndarray:
        """(S, S) per cell per day: hit, and survives as persister t (part of ``death``)."""
        return _read_only(rescue_matrix(self.params, self.blocks))

    @cached_property
    def _rescue_columns(self) -> tuple[np.ndarray, np.ndarray]:
        return rescue_columns(self.params, self.blocks, self.control)

    @cached_property
    def _switches(self) -> tuple:
        return _switches(self.params, self.blocks)

    @cached_property
    def rescue_moves(self) -> tuple[np.ndarray, np.ndarray]:
        """Which persister a rescued cell becomes (``compact_moves``)."""
        return compact_moves(*self._rescue_columns, RESCUE_TARGETS)

    @cached_property
    def rescue_any(self) -> np.ndarray:
        """Probability per day that a cell is hit and rescued as a persister (part of ``death``)."""
        return self._rescue_columns[1].sum(axis=1)

    @cached_property
    def switch_moves(self) -> tuple[np.ndarray, np.ndarray]:
        """Where a switching cell goes (``compact_moves``)."""
        return self._switches[1]

    @cached_property
    def daughter_moves(self) -> tuple[np.ndarray, np.ndarray]:
        """What a mutant daughter becomes (``compact_moves``)."""
        return _daughter_moves(self.params, self.blocks[Route.AXL], False)

    @cached_property
    def likeliest_first(self) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
        """The rescue, switch and daughter moves with each row's likeliest outcome first, so that
        a chain of binomials over them (the clone engines' draws) ends after a few draws.

        The daughter moves are on ``DAUGHTER_ROWS`` rows: state s reads row ``DAUGHTER_ROW[s]``,
        its targets or'ed with ``FIELD_BITS[s]`` (the moves of every state, at a sixth of the size)."""
        return (
            _likeliest_first(*self.rescue_moves),
            self._switches[2],
            _plain_daughter_moves(self.params, self.blocks[Route.AXL]),
        )

    @cached_property
    def switch_any(self) -> np.ndarray:
        """Probability per day that a cell changes state at all."""
        return self._switches[0]

    @cached_property
    def mutate_any(self) -> np.ndarray:
        """Probability that a daughter differs from its parent."""
        return _daughters(self.params, self.blocks[Route.AXL])[0]


def _read_only(array: np.ndarray) -> np.ndarray:
    array.setflags(write=False)
    return array


def _likeliest_first(targets: np.ndarray, probs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Moves with each row's likeliest outcome first (a stable sort: ties keep their order)."""
    order = np.argsort(-probs, axis=1, kind="stable")
    return _gather(targets, order), _gather(probs, order)


def _gather(array: np.ndarray, order: np.ndarray) -> np.ndarray:
    """``array[i, order[i, j]]`` per row i (one flat take: faster than a 2-d fancy index)."""
    flat = order + (np.arange(order.shape[0]) * array.shape[1])[:, None]
    return np.ascontiguousarray(array).ravel().take(flat)


def _switches(p: Parameters, blocks: dict[Route, float]) -> tuple:
    """A living cell's switch probability (``switch_any``), moves (``compact_moves`` of
    ``flip_columns`` of ``switch_probabilities``) and moves likeliest first.

    Built on one state of each switch class (``_SWITCH_CLASS``) and read back per state (the
    numbers of the full build): a switch flips reversible bits only, so a state's moves are its
    class's with the same bits flipped."""
    flips = switch_probabilities(p, blocks)
    targets, probs = flip_columns(flips, _SWITCH_REPS)
    moves = compact_moves(targets, probs, SWITCH_TARGETS, _SWITCH_REPS)
    first = _likeliest_first(*moves)

    def per_state(targets: np.ndarray, probs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        flipped = (targets ^ _SWITCH_REPS[:, None])[_SWITCH_CLASS]
        return STATES[:, None] ^ flipped, probs[_SWITCH_CLASS]

    return (1.0 - probs[:, 0])[_SWITCH_CLASS], per_state(*moves), per_state(*first)


# A state's switch moves depend on it only through its reversible bits (which flip; the order of
# its targets follows them) and the TKI pressure it feels (its EGFR routes and amplification):
# one class per distinct (reversible bits, EGFR routes, amplified), represented by its first state.
_REVERSIBLE = sum(bit(m) for m in MECHANISMS if not m.genetic)
_SWITCH_FIRST, _SWITCH_CLASS = np.unique(
    np.column_stack([STATES & _REVERSIBLE, HAS_ROUTE[:, IS_EGFR], CARRIES[EGFR_AMPLIFIED]]),
    axis=0,
    return_index=True,
    return_inverse=True,
)[1:]
_SWITCH_REPS, _SWITCH_CLASS = STATES[_SWITCH_FIRST], _SWITCH_CLASS.ravel()


@lru_cache(maxsize=256)
def _daughters(p: Parameters, axl_block: float) -> tuple:
    """A daughter's change probability (``mutate_any``) and its moves (``compact_moves`` of
    ``daughter_columns``) on the 256 states of the plain bits, with and without a driver switch
    already held. The doses reach them only through the AXL block (``mutability``), so tables at
    other doses of the same parameters share them: with pharmacokinetics a course meets a new
    exposure of its TKI on each day of build-up or washout.

    ``_repeated`` carries the moves over the driver-switch field (the numbers of
    ``daughter_columns``, at a sixth of the cost): a state with a switch has its plain base's
    plain-bit daughters, each carrying the switch, and gains no other; one without gains each.
    Read-only: shared between tables."""
    blocks = {Route.AXL: axl_block}  # mutation_probabilities reads only the AXL block
    base = STATES[:PLAIN_STATES]
    targets, probs = _plain_bit_columns(p, blocks, base)
    gains = switch_gain_probabilities(p, blocks)[:PLAIN_STATES]
    switched = base[:, None] | np.array([bit(m) for m in SWITCH_RATES], dtype=np.int64)[None, :]
    plain = 1.0 - gains.sum(axis=1, keepdims=True)
    # The plain-bit daughters of a cell with a switch (no switch gained), and of one without: the
    # same positive targets in the same (increasing) order, scaled by ``plain``, then each switch
    # it may gain (their states above every plain one), in one order instead of two sorts.
    held = _in_order(targets, probs, MUTATION_TARGETS, base)
    if ((probs * plain > 0) != (probs > 0)).any():  # (a plain share so small it rounds to 0)
        free = compact_moves(
            np.concatenate([targets, switched], axis=1),
            np.concatenate([probs * plain, gains], axis=1),
            MUTATION_TARGETS,
            base,
        )
    else:
        free = _with_gains(held[0], held[1] * plain, switched, gains)
    holding = _normalised(*held)
    change = np.concatenate([1.0 - probs[:, 0] * plain[:, 0], np.tile(1.0 - probs[:, 0], _FIELDS.size)])
    change.setflags(write=False)
    return change, free, holding


def _with_gains(
    targets: np.ndarray, probs: np.ndarray, switched: np.ndarray, gains: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``compact_moves`` of the plain-bit moves ``targets``/``probs`` (``_in_order``) with the
    gains of a switch (``switched``/``gains``, increasing states above them) as further columns:
    each row's positive gains placed after its plain moves."""
    targets, probs = targets.copy(), probs.copy()
    rows, columns = np.nonzero(gains > 0)
    place = (probs > 0).sum(axis=1)[:, None] + np.cumsum(gains > 0, axis=1) - 1
    assert place.max(initial=0) < targets.shape[1]
    targets[rows, place[rows, columns]] = switched[rows, columns]
    probs[rows, place[rows, columns]] = gains[rows, columns]
    return _normalised(targets, probs)


@lru_cache(maxsize=256)
def _daughter_moves(p: Parameters, axl_block: float, likeliest_first: bool) -> tuple[np.ndarray, np.ndarray]:
    """``daughter_moves`` (or with each row's likeliest outcome first) over every state."""
    if likeliest_first:
        targets, probs = _plain_daughter_moves(p, axl_block)
    else:
        _, free, holding = _daughters(p, axl_block)
        targets, probs = np.concatenate([free[0], holding[0]]), np.concatenate([free[1], holding[1]])
    return _repeated((targets[:PLAIN_STATES], probs[:PLAIN_STATES]), (targets[PLAIN_STATES:], probs[PLAIN_STATES:]))


@lru_cache(maxsize=256)
def _plain_daughter_moves(p: Parameters, axl_block: float) -> tuple[np.ndarray, np.ndarray]:
    """The daughter moves likeliest first on ``DAUGHTER_ROWS`` rows: the plain states without a
    switch (targets may gain one), then with one (plain targets: the state's switch is or'ed in
    by the reader, ``FIELD_BITS``). Read-only: shared between tables."""
    _, free, holding = _daughters(p, axl_block)
    out = _likeliest_first(np.concatenate([free[0], holding[0]]), np.concatenate([free[1], holding[1]]))
    for array in out:
        array.setflags(write=False)
    return out


# Where a state reads its daughter moves in ``likeliest_first``: its plain bits' row among the
# states without a switch (0-255) or with one (256-511), and the switch its daughters carry.
DAUGHTER_ROWS = 2 * PLAIN_STATES
DAUGHTER_ROW = (STATES & (PLAIN_STATES - 1)) + np.where(STATES >= PLAIN_STATES, PLAIN_STATES, 0)
FIELD_BITS = STATES & ~(PLAIN_STATES - 1)


_FIELDS = np.arange(1, N_STATES // PLAIN_STATES, dtype=np.int64)[:, None, None] << FIELD_SHIFT  # with a switch


def _repeated(first: tuple[np.ndarray, np.ndarray], rest: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, ...]:
    """Moves of every state from those of the plain states without a switch (``first``) and with
    one (``rest``, targets carrying the switch); read-only."""
    targets = np.empty((_FIELDS.size + 1, *first[0].shape), dtype=np.int64)
    targets[0] = first[0]
    np.bitwise_or(rest[0], _FIELDS, out=targets[1:])
    probs = np.empty((_FIELDS.size + 1, *first[1].shape))
    probs[0], probs[1:] = first[1], rest[1]
    out = targets.reshape(N_STATES, -1), probs.reshape(N_STATES, -1)
    for array in out:
        array.setflags(write=False)
    return out


# Most states a cell can change to in one switch (any non-empty subset of the reversible bits
# flipping) or one mutation (any non-empty subset of the genetic bits gained).
SWITCH_TARGETS = (1 << sum(not m.genetic for m in MECHANISMS)) - 1
# (The plain genetic bits are MUTATION_RATES' and C797S_CIS; a driver switch is gained alone.)
MUTATION_TARGETS = (1 << (len(MUTATION_RATES) + 1)) - 1 + len(SWITCH_RATES)
RESCUE_TARGETS = len(PERSISTER_ROUTES)  # an AXL-high or an IGF-1R-active persister


def doses_key(doses: dict[str, float]) -> tuple[float, ...]:
    """Doses as a hashable tuple in registry order (missing drugs are 0), then the exposure of each
    route a drug reaches with its own potency (``drugs.POTENCY_SLOTS``), the doses read as relative
    concentrations (``pk = false``; ``abm.clinic.dosing`` gives them from concentrations with pk)."""
    if len(doses) == len(DRUG_NAMES) and tuple(doses) == DRUG_NAMES:  # as a schedule returns them
        return tuple(doses.values()) + potency_exposures(doses)
    return tuple(float(doses.get(name, 0.0)) for name in DRUG_NAMES) + potency_exposures(doses)


@lru_cache(maxsize=256)
def rule_tables(p: Parameters, doses: tuple[float, ...]) -> RuleTables:
    """The rule tables for parameters ``p`` and a ``doses_key``: doses in ``DRUG_NAMES`` order, then
    the potency routes' exposures."""
    given = dict(zip(DRUG_NAMES, doses[: len(DRUG_NAMES)], strict=True))
    blocks = route_blocks(given, doses[len(DRUG_NAMES) :])
    # An EGFR allele less sensitive to TKIs (003 §1) escapes part of every EGFR-route block.
    blocks = {r: b * (1.0 - p.egfr_tki_insensitivity) if r in EGFR_ROUTES else b for r, b in blocks.items()}
    tables = RuleTables(
        division=division_probability(p, blocks),
        death=death_probability(p, blocks),
        cytotoxic=cytotoxic_hazard(p, blocks, cytotoxic_exposures(given)),
        motility=np.where(CARRIES[AXL_HIGH], p.axl_high_motility, 0.0),
        control=control(p, blocks),
        params=p,
        blocks=blocks,
    )
    for array in (tables.division, tables.death, tables.cytotoxic, tables.motility):
        array.setflags(write=False)
    return tables


def draw_transitions(states: np.ndarray, matrix: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """New states drawn row-wise from a row-stochastic matrix; few cells change, so draw twice.

    First whether a cell changes at all, then, for the few that do, where to.
    """
    stay = np.diag(matrix)
    out = states.copy()
    changes = np.flatnonzero(rng.random(states.size) >= stay[states])
    if changes.size:
        rows = matrix[states[changes]].copy()
        rows[np.arange(changes.size), states[changes]] = 0.0
        cum = np.cumsum(rows, axis=1)
        u = rng.random(changes.size) * cum[:, -1]
        out[changes] = (u[:, None] >= cum).sum(axis=1)
    return out
