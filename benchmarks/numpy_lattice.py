"""The yardstick of the spatial model: the same day on a numpy lattice, with no Mesa at all.

One array holds every site's state (-1 empty); each day the rule tables of ``abm.biology.rules``
(``rule_tables`` at the scenario's parameters and fixed doses) give every living cell's fate at
once, in the order of ``abm.biology.day``: death (a hit cell dies or is rescued as a persister),
division into a random empty Moore neighbour (parents in random order, a parent whose pick was
taken picking again among the sites still empty), switching, and AXL-high cells moving. It
counts the cells by state every day, as any model reports them. Nothing else: no agents, no
grid, no course of treatment, no data collector.

It draws its random numbers in the spatial model's order, so for the same scenario (drug off,
or any fixed doses) and seed it grows the same tumour, site for site (``tests/test_spatial_limit.py``
checks it day by day; ``benchmarks/spatial_limit.py`` shows each run's final count). It is written
as fast as plain numpy goes with those draws: the day's states read from the lattice once, rule
tables looked up by intp index (several times faster than by the lattice's int16), the counts
kept from the day's changes. Used only to be measured against.

    python benchmarks/numpy_lattice.py [--width 400] [--days 200] [--seed 0]

prints one JSON line: ``setup_s``, ``loop_s``, ``loop_cpu_s``, ``cell_steps``, ``loop_cell_steps_per_s``
and ``final_cells``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from abm.biology.drugs import DRUG_NAMES
from abm.biology.founding import founding_states
from abm.biology.mechanisms import N_STATES
from abm.biology.rules import doses_key, draw_transitions, rule_tables
from abm.config.scenario import ScenarioConfig
from abm.models.spatial import lattice_hit_probability

sys.path.insert(0, str(Path(__file__).resolve().parent))
from spatial import benchmark_scenario, timed  # benchmarks/spatial.py: the workload and its timing

EMPTY, WALL, RESERVED = -1, -2, -3
MOORE = ((-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0), (1, 1))


class NumpyLattice:
    """A tumour on a padded numpy lattice: ``step()`` is one day, ``counts`` the cells by state."""

    def __init__(self, scenario: ScenarioConfig, seed: int, doses: dict[str, float] | None = None) -> None:
        settings = scenario.model
        self.settings, self.params = settings, scenario.parameters
        self.rng = np.random.default_rng(seed)
        self.tables = rule_tables(self.params, doses_key(doses or dict.fromkeys(DRUG_NAMES, 0.0)))
        w, h = settings.width, settings.height
        padded = np.full((w + 2, h + 2), WALL, dtype=np.int16)
        padded[1:-1, 1:-1] = EMPTY
        self.lattice = padded.reshape(-1)
        stride = h + 2
        self.offsets = np.array([di * stride + dj for di, dj in MOORE], dtype=np.int64)
        i, j = np.meshgrid(np.arange(w), np.arange(h), indexing="ij")
        sites = ((i + 1) * stride + j + 1).reshape(-1)
        n = settings.initial_cells
        if settings.layout == "disc":
            d2 = ((i - (w - 1) / 2) ** 2 + (j - (h - 1) / 2) ** 2).reshape(-1)
            chosen = sites[np.argsort(d2, kind="stable")[:n]]
        else:
            chosen = np.sort(self.rng.choice(sites, size=n, replace=False))
        self.lattice[chosen] = founding_states(self.params, n, self.rng, settings.represents_cells)
        self.occupied = np.sort(chosen).astype(np.int64)
        self.counts = np.bincount(self.lattice[self.occupied], minlength=N_STATES)  # cells by state, kept by day
        self.day, self.days = 0, settings.days
        self.running = self.days > 0  # as the model: until the last day, or no cell is left

    def place(self, sources: np.ndarray) -> np.ndarray:
        """For each source (in priority order) a random empty neighbour, marked RESERVED; -1 where none.

        The spatial model's ``_place`` line for line (the same draws need the same algorithm),
        written out so that the yardstick imports neither the model nor Mesa.
        """
        lattice, rng = self.lattice, self.rng
        targets = np.full(sources.size, -1, dtype=np.int64)
        pending = np.arange(sources.size)
        while pending.size:
            neighbours = sources[pending, None] + self.offsets
            empty = lattice[neighbours] == EMPTY
            room = empty.any(axis=1)
            if not room.all():
                pending, neighbours, empty = pending[room], neighbours[room], empty[room]
                if not pending.size:
                    break
            keys = np.where(empty, rng.random(empty.shape), -1.0)
            picks = neighbours[np.arange(pending.size), keys.argmax(axis=1)]
            order = np.argsort(picks, kind="stable")
            ranked = picks[order]
            first = np.ones(picks.size, dtype=bool)
            first[1:] = ranked[1:] != ranked[:-1]
            won = np.zeros(pending.size, dtype=bool)
            won[order[first]] = True
            targets[pending[won]] = picks[won]
            lattice[picks[won]] = RESERVED
            pending = pending[~won]
        return targets

    def events(self, p: np.ndarray, states: np.ndarray, present: np.ndarray, ordered: bool) -> np.ndarray:
        """Which cells an event befalls, each with probability ``p[its state]``: one uniform number per cell.

        Indices into ``states`` (intp), ascending when ``ordered``, else in random order.
        ``present``: the states among them (at least; ``SparseNumpyLattice`` reads it).
        """
        chosen = np.flatnonzero(self.rng.random(states.size) < p.take(states))
        return chosen if ordered else self.rng.permutation(chosen)

    def switch(self, states: np.ndarray, present: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The cells that switch their reversible states today (indices into ``states``), and their new states."""
        switched = draw_transitions(states, self.tables.switch, self.rng)
        changed = np.flatnonzero(switched != states)
        return changed, switched[changed]

    def step(self) -> None:
        """One day: death (or rescue), division, switching, moving; then today's counts."""
        lattice, rng, tables, settings, p = self.lattice, self.rng, self.tables, self.settings, self.params
        death = lattice_hit_probability(tables, p, settings, self.occupied.size)  # as the spatial model
        counts = self.counts.copy()
        cells = self.occupied
        states = lattice[cells].astype(np.intp)  # table look-ups by intp are several times faster than by int16
        present = counts > 0  # the states of the cells alive at dawn

        # death, or rescue as a persister
        hit = self.events(death, states, present, ordered=True)
        hit_sites, hit_states = cells[hit], states[hit]
        counts -= np.bincount(hit_states, minlength=N_STATES)
        rescued = rng.random(hit_sites.size) * death[hit_states] < tables.rescue_any[hit_states]
        saved = hit_sites[rescued]
        if saved.size:
            targets, probs = tables.rescue_moves
            rows = hit_states[rescued]
            pick = (rng.random(saved.size)[:, None] >= np.cumsum(probs[rows], axis=1)).sum(axis=1)
            persisters = targets[rows, np.minimum(pick, targets.shape[1] - 1)]
            lattice[saved] = persisters
            counts += np.bincount(persisters, minlength=N_STATES)
        lattice[hit_sites[~rescued]] = EMPTY
        alive, states = np.delete(cells, hit), np.delete(states, hit)

        # division, parents in random order
        divides = self.events(tables.division, states, present, ordered=False)
        targets = self.place(alive[divides])
        born = targets >= 0
        daughters = targets[born]
        newborn = draw_transitions(states[divides[born]], tables.daughter, rng)
        lattice[daughters] = newborn
        counts += np.bincount(newborn, minlength=N_STATES)

        # switching
        changed, switched = self.switch(states, present)
        if changed.size:
            lattice[alive[changed]] = switched
            counts += np.bincount(switched, minlength=N_STATES) - np.bincount(states[changed], minlength=N_STATES)
            states[changed] = switched
            present[switched] = True

        # AXL-high cells move, in random order
        movers = self.events(tables.motility, states, present, ordered=False)
        moved_to = np.empty(0, dtype=np.int64)
        if movers.size:
            targets = self.place(alive[movers])
            moved = targets >= 0
            movers, moved_to = movers[moved], targets[moved]
            lattice[moved_to] = lattice[alive[movers]]
            lattice[alive[movers]] = EMPTY
            alive = np.delete(alive, movers)

        arrived = np.sort(np.concatenate([saved, daughters, moved_to]))
        self.occupied = np.sort(np.concatenate([alive, arrived]), kind="stable")
        self.counts = counts
        self.day += 1
        self.running = self.day < self.days and self.occupied.size > 0


class SparseNumpyLattice(NumpyLattice):
    """The same rules with other draws: an event is drawn for the cells it may befall only.

    A numpy lattice need not draw one uniform number per cell per event: an event whose
    probability q (its highest among the states present) is small befalls a Binomial(n, q)
    number of candidates picked at random without replacement, each kept with probability
    p/q: each cell is still befallen with probability p, independently, but the cells an event
    passes by cost nothing. So it grows a tumour with the same distribution, not the same
    tumour, and shows how far the draws themselves (not Mesa) are from what numpy can do.
    """

    sparse_below = 0.1  # above this (q), one uniform per cell is cheaper

    def events(self, p: np.ndarray, states: np.ndarray, present: np.ndarray, ordered: bool) -> np.ndarray:
        q, n = float(p[present].max(initial=0.0)), states.size
        if q >= self.sparse_below:
            return super().events(p, states, present, ordered)
        if q <= 0.0 or not n:
            return np.empty(0, dtype=np.int64)
        candidates = self.rng.choice(n, self.rng.binomial(n, q), replace=False)  # in random order
        chosen = candidates[self.rng.random(candidates.size) * q < p.take(states.take(candidates))]
        return np.sort(chosen) if ordered else chosen

    def switch(self, states: np.ndarray, present: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        changed = self.events(self.tables.switch_any, states, present, ordered=True)
        targets, probs = self.tables.switch_moves  # where a switching cell goes
        rows = states[changed]
        cumulative = np.cumsum(probs[rows], axis=1)
        u = self.rng.random(changed.size) * cumulative[:, -1]
        return changed, targets[rows, np.minimum((u[:, None] >= cumulative).sum(axis=1), targets.shape[1] - 1)]


def run(width: int, days: int, seed: int, sparse: bool = False) -> dict:
    """One timed run of the benchmark's workload (``benchmarks/spatial.py``), in this process."""
    kind = SparseNumpyLattice if sparse else NumpyLattice
    return timed(lambda: kind(benchmark_scenario(width, days), seed), lambda lattice: lattice.occupied.size)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--width", type=int, default=400)
    parser.add_argument("--days", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--sparse", action="store_true", help="SparseNumpyLattice: the same rules, other draws")
    args = parser.parse_args()
    print(json.dumps(run(args.width, args.days, args.seed, args.sparse)))


if __name__ == "__main__":
    main()
