"""The spatial model: one Mesa ``CellAgent`` per tumour cell on a 2-D Moore lattice.

One step is one day: doses for the day come from the schedule, then cells die, survivors
divide into an empty neighbouring site, living cells switch state, and AXL-high cells move
(EMT, 000 'EMT'); all probabilities come from ``rules.rule_tables``.

Speed: each cell's state lives in a numpy lattice (the agent reads it through a property),
and each day's fates are drawn for all cells at once from the rule tables. Python runs only
where Mesa objects change: an agent is created for each birth, removed for each death and
moved for each move. A cell that does nothing costs no Python.

Event order within a day: all deaths first (the dead free their sites at once), then
divisions in a random order of the parents, each daughter taking a random empty Moore
neighbour; a parent whose chosen site was taken earlier in the order picks again among the
sites still empty, as it would in a sequential sweep. Daughters act from the next day on.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from mesa.discrete_space import CellAgent, OrthogonalMooreGrid

from abm.mechanisms import N_STATES, Mechanism, describe, has, mechanisms_of
from abm.rules import draw_initial_states, draw_transitions
from abm.scenario import Scenario
from abm.tumour import TumourModel

EMPTY = -1
WALL = -2  # the padding ring around the lattice: never empty, never a cell
RESERVED = -3  # a site claimed during one round of placement

# Moore neighbourhood as (di, dj) offsets.
MOORE = ((-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0), (1, 1))


class TumourCell(CellAgent):
    """One tumour cell on one lattice site.

    Its state (the mechanisms it carries) is kept in the model's lattice array so that the
    model can draw every cell's fate at once; ``state`` and ``mechanisms`` read it.
    """

    def __init__(self, model: SpatialTumour, cell: Any) -> None:
        super().__init__(model)
        self.cell = cell

    @property
    def site(self) -> int:
        """Index of this cell's site in the model's padded lattice arrays."""
        return self.model.site_of(self.cell.coordinate)

    @property
    def state(self) -> int:
        """The state bit mask (see ``abm.mechanisms``)."""
        return int(self.model.lattice_flat[self.site])

    @property
    def mechanisms(self) -> tuple[Mechanism, ...]:
        """The resistance mechanisms this cell carries."""
        return mechanisms_of(self.state)

    def carries(self, mechanism: Mechanism) -> bool:
        """True when this cell carries the mechanism."""
        return has(self.state, mechanism)

    def __repr__(self) -> str:
        return f"TumourCell({self.unique_id}, {self.cell.coordinate}, {describe(self.state)})"


class SpatialTumour(TumourModel):
    """A tumour on a lattice under a drug schedule.

    Args:
        scenario: a ``Scenario``, a path to a scenario file, or None for the default.
        rng: seed or numpy Generator; None takes the scenario's ``model.seed``.
        **overrides: any parameter or model setting by name (as ``abm run --set``), so that
            ``mesa.batch_run`` can vary them.
    """

    kind = "spatial"

    def __init__(
        self, scenario: Scenario | str | Path | None = None, rng: Any = None, record: bool = True, **overrides: Any
    ) -> None:
        super().__init__(scenario, rng, overrides, record)
        self.width, self.height = self.config.model.width, self.config.model.height

        self.grid = OrthogonalMooreGrid((self.width, self.height), torus=False, capacity=1, random=self.random)
        # Padded lattice: a WALL ring means neighbour lookups never leave the array.
        self._padded = np.full((self.width + 2, self.height + 2), WALL, dtype=np.int8)
        self._padded[1:-1, 1:-1] = EMPTY
        self.lattice_flat = self._padded.reshape(-1)
        self._stride = self.height + 2
        self._offsets = np.array([di * self._stride + dj for di, dj in MOORE], dtype=np.int64)
        self._agents_at = np.empty(self.lattice_flat.size, dtype=object)
        self._cells_at = np.empty(self.lattice_flat.size, dtype=object)
        for cell in self.grid.all_cells:
            self._cells_at[self.site_of(cell.coordinate)] = cell

        self._seed_tumour()
        self._start_tracking()

    # --- geometry -------------------------------------------------------------------
    def site_of(self, coordinate: tuple[int, int]) -> int:
        """Padded flat index of a lattice coordinate."""
        return (coordinate[0] + 1) * self._stride + coordinate[1] + 1

    @property
    def lattice(self) -> np.ndarray:
        """The state of every site as a (width, height) array; -1 where empty (a view)."""
        return self._padded[1:-1, 1:-1]

    def _interior_sites(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Padded flat index, row and column of every lattice site."""
        i, j = np.meshgrid(np.arange(self.width), np.arange(self.height), indexing="ij")
        return ((i + 1) * self._stride + j + 1).reshape(-1), i.reshape(-1), j.reshape(-1)

    def _seed_tumour(self) -> None:
        settings = self.config.model
        sites, i, j = self._interior_sites()
        n = settings.initial_cells
        if settings.layout == "disc":
            # The n sites nearest the centre, ties broken by site order: a compact disc.
            d2 = (i - (self.width - 1) / 2) ** 2 + (j - (self.height - 1) / 2) ** 2
            chosen = sites[np.argsort(d2, kind="stable")[:n]]
        else:
            chosen = np.sort(self.rng.choice(sites, size=n, replace=False))
        self.lattice_flat[chosen] = draw_initial_states(n, self.params, self.rng)
        self._add_agents(chosen)

    # --- Mesa objects for changed sites ------------------------------------------------
    def _add_agents(self, sites: np.ndarray) -> None:
        cells, agents = self._cells_at, self._agents_at
        for site in sites.tolist():
            agents[site] = TumourCell(self, cells[site])

    def _remove_agents(self, sites: np.ndarray) -> None:
        agents = self._agents_at
        for site in sites.tolist():
            agents[site].remove()
            agents[site] = None

    def _move_agents(self, sources: np.ndarray, targets: np.ndarray) -> None:
        agents, cells = self._agents_at, self._cells_at
        for source, target in zip(sources.tolist(), targets.tolist(), strict=True):
            agent = agents[source]
            agent.cell = cells[target]
            agents[target] = agent
            agents[source] = None

    # --- one day ---------------------------------------------------------------------
    def _state_counts(self) -> np.ndarray:
        return np.bincount(self.lattice_flat[self.lattice_flat >= 0], minlength=N_STATES)[None, :]

    def _place(self, sources: np.ndarray) -> np.ndarray:
        """For each source site (in priority order) a random empty Moore neighbour, or -1.

        Sites are claimed in rounds; a source that lost its pick to an earlier one in the
        order picks again among the sites still empty. Claimed sites are marked RESERVED;
        the caller writes what goes there.
        """
        lattice, rng = self.lattice_flat, self.rng
        targets = np.full(sources.size, -1, dtype=np.int64)
        pending = np.arange(sources.size)
        while pending.size:
            neighbours = sources[pending, None] + self._offsets
            empty = lattice[neighbours] == EMPTY
            room = empty.any(axis=1)
            pending, neighbours, empty = pending[room], neighbours[room], empty[room]
            if not pending.size:
                break
            keys = np.where(empty, rng.random(empty.shape), -1.0)
            picks = neighbours[np.arange(pending.size), keys.argmax(axis=1)]
            _, first = np.unique(picks, return_index=True)
            won = np.zeros(pending.size, dtype=bool)
            won[first] = True
            targets[pending[won]] = picks[won]
            lattice[picks[won]] = RESERVED
            pending = pending[~won]
        return targets

    def step(self) -> None:
        """Advance one day."""
        lattice, rng, tables = self.lattice_flat, self.rng, self.tables
        occupied = np.flatnonzero(lattice >= 0)
        states = lattice[occupied]

        # 1. death
        dies = rng.random(occupied.size) < tables.death[states]
        dead = occupied[dies]
        self._remove_agents(dead)
        lattice[dead] = EMPTY
        alive, states = occupied[~dies], states[~dies]

        # 2. division into an empty neighbour, parents in random order
        divides = np.flatnonzero(rng.random(alive.size) < tables.division[states])
        parents = alive[rng.permutation(divides)]
        targets = self._place(parents)
        born = targets >= 0
        daughters = targets[born]
        lattice[daughters] = draw_transitions(lattice[parents[born]], tables.daughter, rng)
        self._add_agents(daughters)

        # 3. switching of the cells alive at the start of the day (persister, AXL-high)
        lattice[alive] = draw_transitions(lattice[alive], tables.switch, rng)

        # 4. AXL-high (mesenchymal) cells move to an empty neighbour
        movers = alive[rng.random(alive.size) < tables.motility[lattice[alive]]]
        if movers.size:
            movers = movers[rng.permutation(movers.size)]
            targets = self._place(movers)
            moved = targets >= 0
            sources, targets = movers[moved], targets[moved]
            lattice[targets] = lattice[sources]
            lattice[sources] = EMPTY
            self._move_agents(sources, targets)

        self._end_of_day()
