"""A per-cell reference of the spatial model, HAL-style: plain loops over a numpy lattice.

The living oracle of ``abm.models.spatial.SpatialTumour`` (``tests/test_spatial_reference.py``):
no Mesa, no vectorised draws, no bookkeeping of living sites; each day it reads the same rule
tables (``abm.biology.rules.rule_tables`` at fixed doses) and runs the events of
``abm.biology.day.DAY`` in that order, one cell at a time, cells in a fresh random order per event:

- death: a cell alive at dawn is hit with ``death[s]``; a hit cell is rescued as a persister with
  ``rescue_any[s] / death[s]`` (becoming ``t`` with weight ``rescue[s, t]``), else its site empties;
- division: a cell not hit divides with ``division[s]`` into a random empty Moore neighbour (none
  empty: no division), the daughter's state drawn from ``daughter[s]``;
- switch: a cell not hit (not today's daughters nor the rescued) takes a state from ``switch[s]``;
- move: such a cell moves with ``motility[s]`` (its state after switching) to a random empty
  Moore neighbour.
"""

from __future__ import annotations

from bisect import bisect_right

import numpy as np

from abm.biology.day import DAY, Event
from abm.biology.founding import founding_states
from abm.biology.mechanisms import COUNT_COLUMNS, N_STATES, count_matrix
from abm.biology.rules import rule_tables
from abm.config.scenario import ScenarioConfig

MOORE = [(di, dj) for di in (-1, 0, 1) for dj in (-1, 0, 1) if di or dj]
COUNTS = np.array(count_matrix())


class ReferenceLattice:
    def __init__(
        self, scenario: ScenarioConfig, seed: int, doses: tuple[float, ...], division_factor: float = 1.0
    ) -> None:
        m = scenario.model
        assert m.carrying_capacity is None, "the reference has no crowding loss"
        self.rng = np.random.default_rng(seed)
        self.tables = t = rule_tables(scenario.parameters, doses)
        self.division = np.minimum(1.0, t.division * division_factor)  # a factor != 1 only to show the test can fail
        self.cum = {name: [list(np.cumsum(row)) for row in matrix] for name, matrix in
                    (("rescue", t.rescue), ("switch", t.switch), ("daughter", t.daughter))}  # fmt: skip
        self.lattice = np.full((m.width, m.height), -1, dtype=np.int64)
        i, j = np.meshgrid(np.arange(m.width), np.arange(m.height), indexing="ij")
        sites = np.arange(m.width * m.height)
        if m.layout == "disc":  # the n sites nearest the centre, ties by site order
            d2 = ((i - (m.width - 1) / 2) ** 2 + (j - (m.height - 1) / 2) ** 2).reshape(-1)
            chosen = np.sort(np.argsort(d2, kind="stable")[: m.initial_cells])
        else:
            chosen = np.sort(self.rng.choice(sites, size=m.initial_cells, replace=False))
        states = founding_states(scenario.parameters, m.initial_cells, self.rng, m.represents_cells)
        self.lattice.reshape(-1)[chosen] = states

    def draw(self, matrix: str, s: int) -> int:
        row = self.cum[matrix][s]
        return min(bisect_right(row, self.rng.random() * row[-1]), N_STATES - 1)

    def empty_neighbour(self, i: int, j: int) -> tuple[int, int] | None:
        w, h = self.lattice.shape
        free = [
            (i + a, j + b) for a, b in MOORE if 0 <= i + a < w and 0 <= j + b < h and self.lattice[i + a, j + b] < 0
        ]
        return free[self.rng.integers(len(free))] if free else None

    def shuffled(self, cells: list[tuple[int, int]]) -> list[tuple[int, int]]:
        return [cells[k] for k in self.rng.permutation(len(cells))]

    def step(self) -> None:
        t, lat = self.tables, self.lattice
        acting = [(int(i), int(j)) for i, j in zip(*np.nonzero(lat >= 0), strict=True)]  # alive at dawn
        for event in DAY:
            if event == Event.DEATH:
                survivors = []
                for i, j in self.shuffled(acting):
                    s = lat[i, j]
                    if self.rng.random() >= t.death[s]:
                        survivors.append((i, j))
                    elif self.rng.random() * t.death[s] < t.rescue_any[s]:
                        lat[i, j] = self.draw("rescue", s)
                    else:
                        lat[i, j] = -1
                acting = survivors
            elif event == Event.DIVISION:
                for i, j in self.shuffled(acting):
                    s = lat[i, j]
                    if self.rng.random() < self.division[s] and (site := self.empty_neighbour(i, j)) is not None:
                        lat[site] = self.draw("daughter", s)
            elif event == Event.SWITCH:
                for i, j in self.shuffled(acting):
                    lat[i, j] = self.draw("switch", lat[i, j])
            elif event == Event.MOVE:
                for i, j in self.shuffled(acting):
                    if self.rng.random() < t.motility[lat[i, j]] and (site := self.empty_neighbour(i, j)) is not None:
                        lat[site], lat[i, j] = lat[i, j], -1
            else:
                raise AssertionError(f"the reference does not know the event {event}")

    def counts(self) -> dict[str, int]:
        """``total`` and the count columns, as ``SpatialTumour.counts``."""
        by_state = np.bincount(self.lattice[self.lattice >= 0], minlength=N_STATES)
        return {"total": int(by_state.sum()), **dict(zip(COUNT_COLUMNS, (COUNTS @ by_state).tolist(), strict=True))}
