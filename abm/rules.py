"""The rules of the biology as small pure functions of (parameters, doses).

Every model draws its events from the same ``RuleTables``: per-state probabilities per day
of division and death, the per-day switching matrix of living cells (persister, AXL-high),
the daughter matrix of a division (mutations), and motility. States are the bit masks of
``mechanisms.py``; tables are indexed by state, so a model looks rates up with numpy.

Control of a cell is the bypass logic of 003 §2, §4, §5.1: the product over the routes it
has of how much of each route the drugs block. A cell with one open route is uncontrolled.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, lru_cache
from itertools import product

import numpy as np

from abm.drugs import DRUG_NAMES, route_blocks
from abm.mechanisms import (
    AXL_HIGH,
    C797S,
    HER2_AMPLIFIED,
    MECHANISMS,
    MET_AMPLIFIED,
    N_STATES,
    PERSISTER,
    T790M,
    Route,
    bit,
    routes,
)
from abm.parameters import Parameters

EGFR_ROUTES = (Route.EGFR_SENSITIVE, Route.EGFR_T790M, Route.EGFR_C797S)
ROUTES = tuple(Route)

# The rules below are vectorised over every state at once: arrays indexed by state.
STATES = np.arange(N_STATES)
CARRIES = {m: (STATES & bit(m)) > 0 for m in MECHANISMS}  # CARRIES[m][s]: state s carries m
HAS_ROUTE = np.array([[r in routes(s) for r in ROUTES] for s in STATES])  # (states, routes)
EGFR_ROUTE = np.array([ROUTES.index(next(r for r in routes(s) if r in EGFR_ROUTES)) for s in STATES])


def route_capacity(p: Parameters) -> np.ndarray:
    """Per route: the share of full survival signalling it carries on its own (EGFR routes: all)."""
    capacity = {Route.AXL: p.axl_bypass_capacity, Route.MET: p.met_bypass_capacity, Route.HER2: p.her2_bypass_capacity}
    return np.array([capacity.get(r, 1.0) for r in ROUTES])


def control(p: Parameters, blocks: dict[Route, float]) -> np.ndarray:
    """Per state: fraction of a cell's survival signalling shut off.

    Each route a cell has passes (1 - block) of its capacity; routes act independently, so
    the signalling left off is the product over routes of (1 - capacity x (1 - block)). With
    full-capacity routes this is the bypass logic: controlled only when every route is blocked.
    """
    b = np.array([blocks[r] for r in ROUTES])
    return np.where(HAS_ROUTE, 1.0 - route_capacity(p) * (1.0 - b), 1.0).prod(axis=1)


def egfr_block(blocks: dict[Route, float]) -> np.ndarray:
    """Per state: how much of the cell's own EGFR allele the drugs block, the TKI pressure it feels."""
    return np.array([blocks[r] for r in ROUTES])[EGFR_ROUTE]


def division_probability(p: Parameters, blocks: dict[Route, float]) -> np.ndarray:
    """Per state: probability per day that a cell divides (if it has room)."""
    return np.where(CARRIES[PERSISTER], p.persister_division_rate, p.division_rate * (1.0 - control(p, blocks)))


def drug_kill(p: Parameters, blocks: dict[Route, float]) -> np.ndarray:
    """Per state: the part of the daily death probability that the drugs cause."""
    return (p.death_rate_controlled - p.death_rate) * control(p, blocks)


def persister_entry(p: Parameters, blocks: dict[Route, float]) -> np.ndarray:
    """Per state: probability per day that a cell escapes drug-induced death as a persister.

    A fixed share of the cells the drugs would kill become DTPs instead (003 §5.2: 0.3-5% of
    cells), so the persister share does not depend on how fast the drugs kill; the AXL
    inhibitor lowers it (Taniguchi). Persisters themselves do not re-enter.
    """
    share = p.persister_entry_fraction * (1.0 - p.axl_persister_entry_dependence * blocks[Route.AXL])
    return np.where(CARRIES[PERSISTER], 0.0, share * drug_kill(p, blocks))


def death_probability(p: Parameters, blocks: dict[Route, float]) -> np.ndarray:
    """Per state: probability per day that a cell dies."""
    # DTP survival leans on AXL (003 §5.2, Taniguchi): an AXL block kills persisters.
    persister = min(1.0, p.persister_death_rate + p.axl_inhibitor_persister_death_rate * blocks[Route.AXL])
    dying = p.death_rate + drug_kill(p, blocks) - persister_entry(p, blocks)
    return np.where(CARRIES[PERSISTER], persister, dying)


def switch_probabilities(p: Parameters, blocks: dict[Route, float]) -> dict[int, np.ndarray]:
    """Per bit, per state: probability per day that a surviving cell flips it (persister, AXL-high)."""
    c, tki = control(p, blocks), egfr_block(blocks)
    persister, axl = CARRIES[PERSISTER], CARRIES[AXL_HIGH]
    # Entry is drawn among the day's survivors: condition the rescued share on surviving.
    survive = 1.0 - death_probability(p, blocks)
    entry = np.divide(persister_entry(p, blocks), survive, out=np.zeros(N_STATES), where=survive > 0)
    induction = np.where(persister, p.axl_induction_rate_persister, p.axl_induction_rate) * tki
    return {
        bit(PERSISTER): np.where(persister, p.persister_reversion_rate * (1.0 - c), np.minimum(entry, 1.0)),
        bit(AXL_HIGH): np.where(axl, p.axl_reversion_rate * (1.0 - tki), induction),
    }


def mutability(p: Parameters, blocks: dict[Route, float]) -> np.ndarray:
    """Per state: point-mutation rate multiplier, AXL-driven error-prone replication (000 'DNA damage and DDR').

    Raised in AXL-high cells and persisters; an AXL block undoes it (003 §5.2).
    """
    excess = (p.axl_mutability_factor - 1.0) * CARRIES[AXL_HIGH]
    excess = excess + (p.persister_mutability_factor - 1.0) * CARRIES[PERSISTER]
    return 1.0 + excess * (1.0 - blocks[Route.AXL])


def mutation_probabilities(p: Parameters, blocks: dict[Route, float]) -> dict[int, np.ndarray]:
    """Per bit, per state: probability per division that the daughter gains a genetic mechanism it lacks."""
    m = mutability(p, blocks)
    rates = {
        T790M: p.t790m_mutation_rate * m,
        C797S: p.c797s_mutation_rate * m,
        MET_AMPLIFIED: np.full(N_STATES, p.met_amplification_rate),
        HER2_AMPLIFIED: np.full(N_STATES, p.her2_amplification_rate),
    }
    return {bit(mech): np.where(CARRIES[mech], 0.0, np.minimum(1.0, r)) for mech, r in rates.items()}


def flip_matrix(flips: dict[int, np.ndarray]) -> np.ndarray:
    """The transition matrix when each bit in ``flips`` flips independently with its per-state probability."""
    matrix = np.zeros((N_STATES, N_STATES))
    items = list(flips.items())
    for chosen in product((False, True), repeat=len(items)):
        prob, target = np.ones(N_STATES), STATES.copy()
        for (b, q), flip in zip(items, chosen, strict=True):
            prob = prob * (q if flip else 1.0 - q)
            if flip:
                target ^= b
        np.add.at(matrix, (STATES, target), prob)
    return matrix


@dataclass(frozen=True)
class RuleTables:
    """All per-state probabilities for one day at one set of doses."""

    division: np.ndarray  # (S,) per day
    death: np.ndarray  # (S,) per day
    switch: np.ndarray  # (S, S) row-stochastic: living cell's state tomorrow
    daughter: np.ndarray  # (S, S) row-stochastic: daughter's state given parent's
    motility: np.ndarray  # (S,) per day
    control: np.ndarray  # (S,) fraction of signalling blocked

    @cached_property
    def switch_moves(self) -> tuple[np.ndarray, np.ndarray]:
        """``moves(switch)``: where a switching cell goes, compactly."""
        return moves(self.switch, SWITCH_TARGETS)

    @cached_property
    def daughter_moves(self) -> tuple[np.ndarray, np.ndarray]:
        """``moves(daughter)``: what a mutant daughter becomes, compactly."""
        return moves(self.daughter, MUTATION_TARGETS)

    @cached_property
    def switch_any(self) -> np.ndarray:
        """Probability per day that a cell changes state at all."""
        return 1.0 - np.diag(self.switch)

    @cached_property
    def mutate_any(self) -> np.ndarray:
        """Probability that a daughter differs from its parent."""
        return 1.0 - np.diag(self.daughter)


# Most states a cell can change to in one switch (any non-empty subset of the reversible bits
# flipping) or one mutation (any non-empty subset of the genetic bits gained).
SWITCH_TARGETS = (1 << sum(not m.genetic for m in MECHANISMS)) - 1
MUTATION_TARGETS = (1 << sum(m.genetic for m in MECHANISMS)) - 1


def moves(matrix: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The off-diagonal part of a transition matrix as (targets, probabilities), (S, k) each.

    Row s lists the states a cell in state s can change to (padded with s itself at
    probability 0) and the probability of each given that it changes. k is small (a few
    reversible bits, a few mutations), so drawing over k columns is cheap.
    """
    off = matrix.copy()
    np.fill_diagonal(off, 0.0)
    assert (off > 0).sum(axis=1).max() <= k
    targets = np.argsort(off <= 0, axis=1, kind="stable")[:, :k]  # the possible targets first
    probs = np.take_along_axis(off, targets, axis=1)
    targets = np.where(probs > 0, targets, STATES[:, None])
    total = probs.sum(axis=1, keepdims=True)
    return targets, np.divide(probs, total, out=np.zeros_like(probs), where=total > 0)


def doses_key(doses: dict[str, float]) -> tuple[float, ...]:
    """Doses as a hashable tuple in registry order (missing drugs are 0)."""
    if len(doses) == len(DRUG_NAMES) and tuple(doses) == DRUG_NAMES:  # as a schedule returns them
        return tuple(doses.values())
    return tuple(float(doses.get(name, 0.0)) for name in DRUG_NAMES)


@lru_cache(maxsize=256)
def rule_tables(p: Parameters, doses: tuple[float, ...]) -> RuleTables:
    """The rule tables for parameters ``p`` and doses in ``DRUG_NAMES`` order."""
    blocks = route_blocks(dict(zip(DRUG_NAMES, doses, strict=True)))
    # An EGFR allele less sensitive to TKIs (003 §1) escapes part of every EGFR-route block.
    blocks = {r: b * (1.0 - p.egfr_tki_insensitivity) if r in EGFR_ROUTES else b for r, b in blocks.items()}
    tables = RuleTables(
        division=division_probability(p, blocks),
        death=death_probability(p, blocks),
        switch=flip_matrix(switch_probabilities(p, blocks)),
        daughter=flip_matrix(mutation_probabilities(p, blocks)),
        motility=np.where(CARRIES[AXL_HIGH], p.axl_high_motility, 0.0),
        control=control(p, blocks),
    )
    for array in (tables.division, tables.death, tables.switch, tables.daughter, tables.motility):
        array.setflags(write=False)
    return tables


def initial_state_distribution(p: Parameters) -> np.ndarray:
    """Probability of each state for a cell of the initial tumour.

    Sensitive, except that each pre-existing mechanism (AXL-high, T790M, MET, HER2) is carried
    independently at its initial fraction (003 §5.2: MET-amplified cells <1% before EGFR TKI).
    """
    fractions = {
        bit(AXL_HIGH): p.axl_high_initial_fraction,
        bit(T790M): p.t790m_initial_fraction,
        bit(MET_AMPLIFIED): p.met_amplified_initial_fraction,
        bit(HER2_AMPLIFIED): p.her2_amplified_initial_fraction,
    }
    dist = np.zeros(N_STATES)
    for chosen in product((False, True), repeat=len(fractions)):
        state, prob = 0, 1.0
        for (b, f), carried in zip(fractions.items(), chosen, strict=True):
            prob *= f if carried else 1.0 - f
            state |= b if carried else 0
        dist[state] += prob
    return dist


def draw_initial_states(n: int, p: Parameters, rng: np.random.Generator) -> np.ndarray:
    """States of ``n`` initial cells drawn from ``initial_state_distribution``."""
    return rng.choice(N_STATES, size=n, p=initial_state_distribution(p)).astype(np.int8)


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
