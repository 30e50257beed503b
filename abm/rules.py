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
    MET_AMPLIFIED,
    N_STATES,
    PERSISTER,
    T790M,
    Route,
    bit,
    has,
    routes,
)
from abm.parameters import Parameters

EGFR_ROUTES = (Route.EGFR_SENSITIVE, Route.EGFR_T790M, Route.EGFR_C797S)


def control(state: int, blocks: dict[Route, float]) -> float:
    """Fraction of a cell's survival signalling shut off: every route must be blocked."""
    c = 1.0
    for route in routes(state):
        c *= blocks[route]
    return c


def egfr_block(state: int, blocks: dict[Route, float]) -> float:
    """How much of the cell's own EGFR allele the drugs block: the TKI pressure it feels."""
    (egfr,) = (r for r in routes(state) if r in EGFR_ROUTES)
    return blocks[egfr]


def division_probability(state: int, p: Parameters, blocks: dict[Route, float]) -> float:
    """Probability per day that a cell divides (if it has room)."""
    if has(state, PERSISTER):
        return p.persister_division_rate
    return p.division_rate * (1.0 - control(state, blocks))


def death_probability(state: int, p: Parameters, blocks: dict[Route, float]) -> float:
    """Probability per day that a cell dies."""
    if has(state, PERSISTER):
        # DTP survival leans on AXL (003 §5.2, Taniguchi): an AXL block kills persisters.
        return min(1.0, p.persister_death_rate + p.axl_inhibitor_persister_death_rate * blocks[Route.AXL])
    return p.death_rate + (p.death_rate_controlled - p.death_rate) * control(state, blocks)


def switch_probabilities(state: int, p: Parameters, blocks: dict[Route, float]) -> dict[int, float]:
    """Per-day probability that a living cell flips each reversible bit (persister, AXL-high)."""
    c = control(state, blocks)
    tki = egfr_block(state, blocks)
    flips = {}
    if has(state, PERSISTER):
        flips[bit(PERSISTER)] = p.persister_reversion_rate * (1.0 - c)
    else:
        axl_needed = 1.0 - p.axl_persister_entry_dependence * blocks[Route.AXL]
        flips[bit(PERSISTER)] = p.persister_entry_rate * c * axl_needed
    if has(state, AXL_HIGH):
        flips[bit(AXL_HIGH)] = p.axl_reversion_rate * (1.0 - tki)
    else:
        rate = p.axl_induction_rate_persister if has(state, PERSISTER) else p.axl_induction_rate
        flips[bit(AXL_HIGH)] = rate * tki
    return flips


def mutability(state: int, p: Parameters, blocks: dict[Route, float]) -> float:
    """Point-mutation rate multiplier: AXL-driven error-prone replication (000 'DNA damage and DDR').

    Raised in AXL-high cells and persisters; an AXL block undoes it (003 §5.2).
    """
    excess = (p.axl_mutability_factor - 1.0) * has(state, AXL_HIGH)
    excess += (p.persister_mutability_factor - 1.0) * has(state, PERSISTER)
    return 1.0 + excess * (1.0 - blocks[Route.AXL])


def mutation_probabilities(state: int, p: Parameters, blocks: dict[Route, float]) -> dict[int, float]:
    """Per-division probability that the daughter acquires each genetic mechanism it lacks."""
    m = mutability(state, p, blocks)
    rates = {
        bit(T790M): p.t790m_mutation_rate * m,
        bit(C797S): p.c797s_mutation_rate * m,
        bit(MET_AMPLIFIED): p.met_amplification_rate,
        bit(HER2_AMPLIFIED): p.her2_amplification_rate,
    }
    return {b: min(1.0, r) for b, r in rates.items() if not state & b}


def _flip_row(state: int, flips: dict[int, float]) -> np.ndarray:
    """Row of a transition matrix when each bit in ``flips`` flips independently."""
    row = np.zeros(N_STATES)
    items = list(flips.items())
    for chosen in product((False, True), repeat=len(items)):
        prob, target = 1.0, state
        for (b, q), flip in zip(items, chosen, strict=True):
            prob *= q if flip else 1.0 - q
            if flip:
                target ^= b
        row[target] += prob
    return row


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
        return moves(self.switch)

    @cached_property
    def daughter_moves(self) -> tuple[np.ndarray, np.ndarray]:
        """``moves(daughter)``: what a mutant daughter becomes, compactly."""
        return moves(self.daughter)

    @property
    def switch_any(self) -> np.ndarray:
        """Probability per day that a cell changes state at all."""
        return 1.0 - np.diag(self.switch)

    @property
    def mutate_any(self) -> np.ndarray:
        """Probability that a daughter differs from its parent."""
        return 1.0 - np.diag(self.daughter)


def moves(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The off-diagonal part of a transition matrix as (targets, probabilities), (S, K) each.

    Row s lists the K states a cell in state s can change to (padded with s itself at
    probability 0) and the probability of each given that it changes. K is small (a few
    reversible bits, a few mutations), so drawing over K columns is cheap.
    """
    off = matrix.copy()
    np.fill_diagonal(off, 0.0)
    k = max(1, int((off > 0).sum(axis=1).max()))
    targets = np.repeat(np.arange(N_STATES)[:, None], k, axis=1)
    probs = np.zeros((N_STATES, k))
    for s in range(N_STATES):
        (cols,) = np.nonzero(off[s])
        targets[s, : cols.size] = cols
        total = off[s].sum()
        if total > 0:
            probs[s, : cols.size] = off[s, cols] / total
    return targets, probs


def doses_key(doses: dict[str, float]) -> tuple[float, ...]:
    """Doses as a hashable tuple in registry order (missing drugs are 0)."""
    return tuple(float(doses.get(name, 0.0)) for name in DRUG_NAMES)


@lru_cache(maxsize=256)
def rule_tables(p: Parameters, doses: tuple[float, ...]) -> RuleTables:
    """The rule tables for parameters ``p`` and doses in ``DRUG_NAMES`` order."""
    blocks = route_blocks(dict(zip(DRUG_NAMES, doses, strict=True)))
    states = range(N_STATES)
    tables = RuleTables(
        division=np.array([division_probability(s, p, blocks) for s in states]),
        death=np.array([death_probability(s, p, blocks) for s in states]),
        switch=np.array([_flip_row(s, switch_probabilities(s, p, blocks)) for s in states]),
        daughter=np.array([_flip_row(s, mutation_probabilities(s, p, blocks)) for s in states]),
        motility=np.array([p.axl_high_motility if has(s, AXL_HIGH) else 0.0 for s in states]),
        control=np.array([control(s, blocks) for s in states]),
    )
    for array in (tables.division, tables.death, tables.switch, tables.daughter, tables.motility):
        array.setflags(write=False)
    return tables


def initial_state_distribution(p: Parameters) -> np.ndarray:
    """Probability of each state for a cell of the initial tumour.

    Sensitive, except that each pre-existing mechanism is carried independently at its
    initial fraction (003 §5.2: MET-amplified cells <1% before EGFR TKI).
    """
    fractions = {
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
