"""What a tumour carries at diagnosis: the pre-existing subclones it grew with.

A genetic mechanism's initial fraction is, unless a scenario or cohort sets it, the outcome of
the tumour's own growth from one cell to its size at the model's untreated rates (a
birth-death-mutation process, ``abm.biology.history``): so how often, and at what level, T790M or MET
amplification pre-exist across patients follows from the mutation rates, the fitness costs and
the cell-loss factor. Non-genetic states (AXL-high) start at their set fraction (none by default).
"""

from __future__ import annotations

from itertools import product

import numpy as np

from abm.biology.history import Mutant, pre_existing_counts
from abm.biology.mechanisms import AXL_HIGH, FIELD_MASK, N_STATES, Mechanism, bit
from abm.biology.parameters import Parameters
from abm.biology.rules import ACQUIRED, crowding_loss, fitness

DEFAULT_CAPACITY = 1e11  # the clone model's default carrying capacity (scenario.CloneSettings)

# Mechanisms a tumour may carry from before treatment: the genetic ones (acquired at division,
# rules.ACQUIRED: the plain bits and the driver switches) and the non-genetic AXL-high state, whose
# fraction is always set.
PRE_EXISTING: tuple[Mechanism, ...] = (*ACQUIRED, AXL_HIGH)


def initial_fraction(p: Parameters, mechanism: Mechanism) -> float | None:
    """The set initial fraction of a mechanism (parameter ``<name>_initial_fraction``); None: from history."""
    return getattr(p, f"{mechanism.name}_initial_fraction")


def history_mutants(p: Parameters) -> dict[Mechanism, Mutant]:
    """The mutants ``abm.biology.history`` grows for each genetic mechanism whose initial fraction is not set."""
    birth = p.division_rate * fitness(p)
    return {
        m: Mutant(m.name, getattr(p, rate), float(birth[bit(m)]))
        for m, rate in ACQUIRED.items()
        if initial_fraction(p, m) is None
    }


def set_fractions(p: Parameters) -> dict[Mechanism, float]:
    """The initial fractions the parameters set (AXL-high, and genetic ones not left to history)."""
    return {m: float(f) for m in PRE_EXISTING if (f := initial_fraction(p, m)) is not None}


def history_death_rate(p: Parameters, tumour_cells: int, capacity: float = DEFAULT_CAPACITY) -> float:
    """The untreated loss rate of the growth history: that of the tumour at diagnosis.

    Under Gompertzian loss (``rules.crowding_loss``) the divisions a tumour made on its way to N
    cells, and so its mutations, are dominated by its last doublings, near N: the process is
    grown at the loss rate it has at N (abm.biology.history assumes constant rates).
    """
    return p.death_rate + float(crowding_loss(p.division_rate, p.death_rate, tumour_cells, capacity))


def grown_counts(
    p: Parameters, tumour_cells: int, rng: np.random.Generator, capacity: float = DEFAULT_CAPACITY
) -> dict[Mechanism, int]:
    """Cells of each history-grown mechanism in a tumour of ``tumour_cells`` at diagnosis."""
    grown = history_mutants(p)
    death = history_death_rate(p, tumour_cells, capacity)
    if not grown or p.division_rate <= death or tumour_cells < 2:
        # Rates under which a tumour could not have grown to this size (a test, a dish whose
        # cells were plated, not grown): no history, so no pre-existing mutants.
        return dict.fromkeys(grown, 0)
    counts = pre_existing_counts(tumour_cells, p.division_rate, death, list(grown.values()), rng)
    return {m: int(c) for m, c in zip(grown, counts, strict=True)}


def state_distribution(fractions: dict[Mechanism, float]) -> np.ndarray:
    """Probability of each state for a founding cell: each mechanism carried independently at its fraction.

    A cell holds one driver switch at most (``mechanisms.DRIVER_SWITCHES``): drawn to carry two, it
    keeps the first (fractions of ~10^-9 each: a negligible share)."""
    dist = np.zeros(N_STATES)
    items = [(bit(m), f) for m, f in fractions.items()]
    for chosen in product((False, True), repeat=len(items)):
        state, prob = 0, 1.0
        for (b, f), carried in zip(items, chosen, strict=True):
            prob *= f if carried else 1.0 - f
            if carried and not (b & FIELD_MASK and state & FIELD_MASK):
                state |= b
        dist[state] += prob
    return dist


def founding_counts(
    p: Parameters,
    n_cells: int,
    rng: np.random.Generator,
    tumour_cells: int | None = None,
    capacity: float = DEFAULT_CAPACITY,
) -> np.ndarray:
    """Cells in each state of a founding population of ``n_cells``.

    ``tumour_cells``: the size of the tumour the population is a sample of (default: itself). Its
    history sets the pre-existing fractions; a population that is the whole tumour gets the
    grown mutant counts exactly, a sample draws its cells' states at those fractions.
    """
    tumour_cells = tumour_cells or n_cells
    grown = grown_counts(p, tumour_cells, rng, capacity)
    fractions = set_fractions(p)
    if tumour_cells != n_cells:
        fractions |= {m: min(1.0, c / tumour_cells) for m, c in grown.items()}
        return rng.multinomial(n_cells, state_distribution(fractions))
    mutants = min(n_cells, sum(grown.values()))
    out = rng.multinomial(n_cells - mutants, state_distribution(fractions))
    for m, c in grown.items():  # single mutants: double mutants are negligible before treatment
        out[bit(m)] += min(c, mutants)
        mutants -= min(c, mutants)
    return out


def founding_states(
    p: Parameters, n_cells: int, rng: np.random.Generator, tumour_cells: int | None = None
) -> np.ndarray:
    """The states of ``n_cells`` founding cells in random order (for the lattice)."""
    counts = founding_counts(p, n_cells, rng, tumour_cells)
    return rng.permutation(np.repeat(np.arange(N_STATES), counts)).astype(np.int16)
