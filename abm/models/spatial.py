"""The spatial model: one Mesa ``CellAgent`` per tumour cell on a 2-D Moore lattice.

One step is one day, its events in the order of ``abm.biology.day`` (hit cells die or are rescued as
persisters, survivors divide into an empty neighbouring site, switch state, and AXL-high cells
move: EMT, 000 'EMT'); all probabilities come from ``rules.rule_tables``.

Speed: each cell's state lives in a numpy lattice (the agent reads it through a property),
and each day's fates are drawn for all cells at once from the rule tables; the sites of the
living cells are kept as an array, so no day scans the whole lattice. The Mesa agents are made
when something first reads them (``model.agents``, ``agents_by_type``, a DataCollector's agent
reporters, the agents on any of the grid's cells: ``abm.models.mesa_adapter.AgentsOnDemand``): each with the
unique id it got when its cell was born, in birth order, as if it had been made then. From that
moment on they are made, moved and removed with their cells every day, in bulk: registered with
the model, placed in their cells and marked in the grid's ``empty`` layer together, doing what
``Agent.__init__``/``remove`` and ``cell`` assignment do one by one (``abm.models.mesa_adapter`` holds that
code). Mesa's per-agent path is taken instead, from the start, whenever something could notice
the difference: a listener for agent signals, agent datasets, or an agent class with its own
``__init__`` or ``remove``. So a run nobody looks into (a batch run, a trial, a benchmark) costs
no Python per cell, and user code still finds one ``CellAgent`` per living cell. The grid
(``abm.models.mesa_adapter.LatticeGrid``) builds its cells on first use; its ``empty`` layer is kept in step
every day.

Space within a day: the dead free their sites at once, then parents divide in a random
order, each daughter taking a random empty Moore neighbour; a parent whose chosen site was
taken earlier in the order picks again among the sites still empty, as it would in a
sequential sweep. Daughters act from the next day on.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
from mesa.discrete_space import CellAgent

from abm.biology.founding import founding_states
from abm.biology.mechanisms import N_STATES, Mechanism, describe, has, mechanisms_of
from abm.biology.parameters import Parameters
from abm.biology.rules import CYCLING, RuleTables, crowding_at, draw_transitions, gompertz_position, hit_probability
from abm.config.scenario import ScenarioConfig, SpatialSettings, plateau
from abm.models.base import TumourModel
from abm.models.mesa_adapter import (
    MOORE,
    AgentsOnDemand,
    LatticeGrid,
    add_cell_agents,
    mesa_would_notice,
    move_cell_agents,
    remove_cell_agents,
    take_ids,
)

EMPTY = -1
WALL = -2  # the padding ring around the lattice: never empty, never a cell
RESERVED = -3  # a site claimed during one round of placement
STATE_EDGES = np.arange(N_STATES + 1)  # counting states in a sorted array: where each state begins


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off for a block that makes many objects that all stay alive.

    Collections in the block would find nothing to free, yet each traverses the objects made so
    far: making the agents of 50,000 cells took 0.24 s with them, 0.11 s without. Unlike ``gc.freeze()``
    this leaves every object collectable once its model is dropped.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


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
        """The state bit mask (see ``abm.biology.mechanisms``)."""
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


def lattice_hit_probability(tables: RuleTables, p: Parameters, settings: SpatialSettings, cells: int) -> np.ndarray:
    """Per state: the probability that a lattice cell is hit today (``rules.hit_probability``), the
    lattice of ``cells`` cells scaled up to the tumour it samples. With a ``carrying_capacity`` the
    tumour crowds as a Gompertzian one; without, room alone decides growth, and the chemotherapy's
    kill takes the untreated growth of a tumour of its size at diagnosis (a constant)."""
    represents = settings.represents_cells or settings.initial_cells
    if settings.carrying_capacity is not None:
        position = gompertz_position(cells * (represents / settings.initial_cells), settings.carrying_capacity)
        crowding = crowding_at(p.division_rate, p.death_rate, position)
    else:
        position, crowding = gompertz_position(represents, plateau(p, represents)), 0.0
    return hit_probability(tables.death, crowding, CYCLING, tables.cytotoxic, position)


class SpatialTumour(AgentsOnDemand, TumourModel):
    """A tumour on a lattice under a drug schedule.

    Args:
        config: a ``ScenarioConfig``, a path to a scenario file, or None for the default.
        rng: seed or numpy Generator; None takes the configuration's ``model.seed``.
        **overrides: any parameter or model setting by name (as ``abm run --set``), so that
            ``mesa.batch_run`` can vary them.
    """

    kind = "spatial"
    agent_class: type[TumourCell] = TumourCell  # a subclass may put its own TumourCell subclass here

    def __init__(
        self,
        config: ScenarioConfig | str | Path | None = None,
        rng: Any = None,
        record: bool = True,
        **overrides: Any,
    ) -> None:
        super().__init__(config, rng, overrides, record)
        # The lattice is the model's own; its size comes with the configuration of its one tumour.
        self.width, self.height = self.course.config.model.width, self.course.config.model.height

        self.grid = LatticeGrid((self.width, self.height), torus=False, capacity=1, random=self.random)
        self._empty = self.grid.empty.data  # Mesa's 'empty' property layer, (width, height) bool
        self._empty_flat = self._empty.reshape(-1)  # (a view)
        # Padded lattice: a WALL ring means neighbour lookups never leave the array.
        self._padded = np.full((self.width + 2, self.height + 2), WALL, dtype=np.int16)
        self._padded[1:-1, 1:-1] = EMPTY
        self.lattice_flat = self._padded.reshape(-1)
        self._stride = self.height + 2
        self._offsets = np.array([di * self._stride + dj for di, dj in MOORE], dtype=np.int64)
        self._occupied = np.empty(0, dtype=np.int64)  # sites of the living cells, ascending
        # Until something reads the agents (AgentsOnDemand): each site's cell's unique id; after that,
        # each site's agent and Mesa cell.
        self._agents_pending = not self._mesa_path()
        self._uid_at: np.ndarray | None = np.zeros(self.lattice_flat.size, dtype=np.int64)
        self._agents_at: np.ndarray | None = None
        self._cells_at: np.ndarray | None = None
        if self._agents_pending:
            self.grid.on_agents_read = self._make_agents
        else:
            self._keep_agents()

        self._seed_tumour()
        self._start_tracking()

    def __getstate__(self) -> dict[str, Any]:
        """Pickling: with every agent made (the grid pickles every cell, and so what is on it)."""
        if self._agents_pending:
            self._make_agents()
        return dict(self.__dict__)

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Unpickling: the flat arrays are views of the 2-D ones again (pickle copies a view)."""
        self.__dict__.update(state)
        self.lattice_flat = self._padded.reshape(-1)
        self._empty_flat = self._empty.reshape(-1)

    # --- geometry -------------------------------------------------------------------
    def site_of(self, coordinate: tuple[int, int]) -> int:
        """Padded flat index of a lattice coordinate."""
        return (coordinate[0] + 1) * self._stride + coordinate[1] + 1

    @property
    def lattice(self) -> np.ndarray:
        """The state of every site as a (width, height) array; -1 where empty (a view)."""
        return self._padded[1:-1, 1:-1]

    def _coordinates(self, sites: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Lattice row and column of padded flat indices."""
        row, column = np.divmod(sites, self._stride)
        return row - 1, column - 1

    def _unpadded(self, sites: np.ndarray) -> np.ndarray:
        """Flat index into a (width, height) array (the ``empty`` layer) of padded flat indices."""
        row, column = np.divmod(sites, self._stride)
        return (row - 1) * self.height + column - 1

    def _interior_sites(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Padded flat index, row and column of every lattice site."""
        i, j = np.meshgrid(np.arange(self.width), np.arange(self.height), indexing="ij")
        return ((i + 1) * self._stride + j + 1).reshape(-1), i.reshape(-1), j.reshape(-1)

    def _seed_tumour(self) -> None:
        course = self.course
        settings = course.config.model
        sites, i, j = self._interior_sites()
        n = settings.initial_cells
        if settings.layout == "disc":
            # The n sites nearest the centre, ties broken by site order: a compact disc.
            d2 = (i - (self.width - 1) / 2) ** 2 + (j - (self.height - 1) / 2) ** 2
            chosen = sites[np.argsort(d2, kind="stable")[:n]]
        else:
            chosen = np.sort(self.rng.choice(sites, size=n, replace=False))
        self.lattice_flat[chosen] = founding_states(course.params, n, self.rng, settings.represents_cells)
        self._add_agents(chosen)
        self._occupied = np.sort(chosen).astype(np.int64)

    # --- Mesa objects for changed sites ------------------------------------------------
    def _mesa_path(self) -> bool:
        """True when agents must be made and removed one by one through Mesa, because something would notice."""
        return mesa_would_notice(self, self.agent_class, TumourCell)

    def _keep_agents(self) -> None:
        """From now on make, move and remove each cell's agent with the cell."""
        self._agents_pending = False
        self.grid.on_agents_read = None
        self._uid_at = None
        self._agents_at = np.empty(self.lattice_flat.size, dtype=object)  # the agent on each site
        self._cells_at = np.empty(self.lattice_flat.size, dtype=object)  # each site's Mesa cell, once built

    def _make_agents(self) -> None:
        """Make the agent of every living cell now, with the id its cell got at birth, in birth order.

        Called by whatever first reads the agents (``AgentsOnDemand``, the grid's cells); the agents
        are then what Mesa would hold had they been made as their cells were born (no signals:
        nothing listened then, else they would have been made then). Reading the lattice, not the
        day's bookkeeping, it works in the middle of a day too.
        """
        uid_at = self._uid_at
        assert uid_at is not None
        self._keep_agents()
        sites = np.flatnonzero(self.lattice_flat >= 0)
        order = np.argsort(uid_at[sites], kind="stable")
        sites = sites[order]
        with _collector_paused():
            self._register(sites, uid_at[sites].tolist())

    def _cells(self, sites: np.ndarray) -> list[Any]:
        """The Mesa cells of sites (padded flat indices), built where not yet."""
        assert self._cells_at is not None
        cells = self._cells_at[sites]
        missing = np.flatnonzero(cells == None)  # noqa: E711 (elementwise on an object array)
        if missing.size:
            i, j = self._coordinates(sites[missing])
            cells[missing] = np.fromiter(self.grid.cells_at(i.tolist(), j.tolist()), dtype=object, count=missing.size)
            self._cells_at[sites[missing]] = cells[missing]
        return cells.tolist()

    def _register(self, sites: np.ndarray, ids: list[int]) -> None:
        """Agents with these unique ids on these sites, made and registered in bulk."""
        assert self._agents_at is not None
        agents = add_cell_agents(self, self.agent_class, self._cells(sites), ids)
        self._agents_at[sites] = np.fromiter(agents, dtype=object, count=len(agents))

    def _add_agents(self, sites: np.ndarray) -> None:
        """A new cell's agent on each site (all empty), as ``agent_class(self, cell)`` would make it."""
        n = sites.size
        if not n:
            return
        if self._agents_pending:  # ids now, agents when wanted
            assert self._uid_at is not None
            first = take_ids(self, n)
            self._uid_at[sites] = np.arange(first, first + n)
        elif self._mesa_path():
            assert self._agents_at is not None
            cls = self.agent_class
            agents = [cls(self, cell) for cell in self._cells(sites)]
            self._agents_at[sites] = np.fromiter(agents, dtype=object, count=n)
        else:
            first = take_ids(self, n)
            self._register(sites, list(range(first, first + n)))
        self._empty_flat[self._unpadded(sites)] = False

    def _remove_agents(self, sites: np.ndarray) -> None:
        """Remove the agents on these sites from the model and the grid."""
        if not sites.size:
            return
        if not self._agents_pending:
            assert self._agents_at is not None
            agents = self._agents_at[sites].tolist()
            self._agents_at[sites] = None
            if self._mesa_path():
                for agent in agents:
                    agent.remove()
            else:
                remove_cell_agents(self, agents)
        self._empty_flat[self._unpadded(sites)] = True

    def _move_agents(self, sources: np.ndarray, targets: np.ndarray) -> None:
        """Move the agents on ``sources`` to the (empty) ``targets``."""
        if not sources.size:
            return
        if self._agents_pending:
            assert self._uid_at is not None
            self._uid_at[targets] = self._uid_at[sources]
        else:
            assert self._agents_at is not None
            agents, cells = self._agents_at[sources], self._cells(targets)
            self._agents_at[sources] = None
            self._agents_at[targets] = agents
            if self._mesa_path():
                for agent, cell in zip(agents.tolist(), cells, strict=True):
                    agent.cell = cell
            else:
                move_cell_agents(agents.tolist(), cells)
        self._empty_flat[self._unpadded(sources)] = True
        self._empty_flat[self._unpadded(targets)] = False

    # --- one day ---------------------------------------------------------------------
    def _state_counts(self) -> np.ndarray:
        # Sorting small integers and finding where each state begins beats np.bincount severalfold.
        states = np.sort(self.lattice_flat[self._occupied])
        return np.diff(np.searchsorted(states, STATE_EDGES))[None, :]

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
            if not room.all():
                pending, neighbours, empty = pending[room], neighbours[room], empty[room]
                if not pending.size:
                    break
            keys = np.where(empty, rng.random(empty.shape), -1.0)
            picks = neighbours[np.arange(pending.size), keys.argmax(axis=1)]
            # The first in the order to pick a site wins it (np.unique's return_index, cheaper).
            order = np.argsort(picks, kind="stable")
            ranked = picks[order]
            first = np.ones(picks.size, dtype=bool)
            first[1:] = ranked[1:] != ranked[:-1]
            if first.all():  # no two picked the same site: the usual case
                targets[pending] = picks
                lattice[picks] = RESERVED
                break
            won = np.zeros(pending.size, dtype=bool)
            won[order[first]] = True
            targets[pending[won]] = picks[won]
            lattice[picks[won]] = RESERVED
            pending = pending[~won]
        return targets

    def _begin_day(self) -> None:
        if self._agents_pending and self._mesa_path():  # something now listens: it gets Mesa's own agents
            self._make_agents()
        course = self.course
        self._tables = course.tables  # for today's doses
        assert self._tables is not None
        self._death_today = lattice_hit_probability(
            self._tables, course.params, course.config.model, self._occupied.size
        )
        self._alive = self._occupied  # cells not hit today, ascending sites
        self._arrived = np.empty(0, dtype=np.int64)  # sites occupied today by daughters and movers

    # The events keep ``_states``, the state of each cell in ``_alive`` (as intp: rule tables are
    # looked up by it several times faster than by the lattice's int16), in step with the lattice.
    def _death_event(self) -> None:
        """Hit cells die, or survive the drugs as persisters in place (``abm.biology.day``)."""
        lattice, rng, tables, death = self.lattice_flat, self.rng, self._tables, self._death_today
        alive = self._alive
        states = lattice[alive].astype(np.intp)
        hit = rng.random(alive.size) < death.take(states)
        hit_sites, hit_states = alive[hit], states[hit]
        rescued = rng.random(hit_sites.size) * death[hit_states] < tables.rescue_any[hit_states]
        dead = hit_sites[~rescued]
        saved = hit_sites[rescued]
        if saved.size:
            targets, probs = tables.rescue_moves
            rows = hit_states[rescued]
            pick = (rng.random(saved.size)[:, None] >= np.cumsum(probs[rows], axis=1)).sum(axis=1)
            lattice[saved] = targets[rows, np.minimum(pick, targets.shape[1] - 1)]
        self._remove_agents(dead)
        lattice[dead] = EMPTY
        survivors = np.flatnonzero(~hit)
        self._alive, self._states = alive[survivors], states[survivors]
        self._rescued = saved

    def _division_event(self) -> None:
        """Cells not hit divide into an empty neighbour, parents in random order."""
        lattice, rng, tables = self.lattice_flat, self.rng, self._tables
        alive, states = self._alive, self._states
        order = rng.permutation(np.flatnonzero(rng.random(alive.size) < tables.division.take(states)))
        targets = self._place(alive[order])
        born = targets >= 0
        daughters = targets[born]
        lattice[daughters] = draw_transitions(states[order[born]], tables.daughter, rng)
        self._add_agents(daughters)
        self._arrived = daughters

    def _switch_event(self) -> None:
        """Cells not hit today switch their reversible states (persister, AXL-high, IGF-1R)."""
        states = draw_transitions(self._states, self._tables.switch, self.rng)
        changed = np.flatnonzero(states != self._states)
        self.lattice_flat[self._alive[changed]] = states[changed]
        self._states = states

    def _move_event(self) -> None:
        """AXL-high (mesenchymal) cells not hit today move to an empty neighbour."""
        lattice, rng, alive = self.lattice_flat, self.rng, self._alive
        movers = np.flatnonzero(rng.random(alive.size) < self._tables.motility.take(self._states))
        if movers.size:
            movers = movers[rng.permutation(movers.size)]
            targets = self._place(alive[movers])
            moved = targets >= 0
            movers, targets = movers[moved], targets[moved]
            sources = alive[movers]
            lattice[targets] = lattice[sources]
            lattice[sources] = EMPTY
            self._move_agents(sources, targets)
            self._alive, self._states = np.delete(alive, movers), np.delete(self._states, movers)
            self._arrived = np.concatenate([self._arrived, targets])

    def _end_of_day(self) -> None:
        # Tomorrow's cells in site order (sorted runs merged): each cell gets the random numbers
        # it got when every day began with a scan of the lattice.
        arrived = np.concatenate([self._rescued, self._arrived])
        self._occupied = np.sort(np.concatenate([self._alive, np.sort(arrived)]), kind="stable")
        super()._end_of_day()
