"""The one module that reaches into Mesa's internals: a Moore grid built when first used, agents in bulk.

Mesa's ``OrthogonalMooreGrid`` builds every ``Cell`` and its eight connections up front: for
a 400x400 lattice ~2.5 s (most of it clearing each cell's neighbourhood cache once per
connection) and ~300 MiB. A tumour touches a fraction of the sites, so ``LatticeGrid`` builds
the same structure on demand: it is an ``OrthogonalMooreGrid`` (same coordinates, same
connection keys and order, capacity, the ``empty`` property layer, pickling), but a cell is
created the first time it is looked up and its connections the first time they are read.
Whatever asks for every cell (``all_cells``, iteration, ``select_random_empty_cell``) gets
them all, built then, in Mesa's order.

The spatial model keeps its cells in numpy arrays and makes Mesa agents for them in bulk, or
only once something reads them (``AgentsOnDemand``, ``LatticeGrid.on_agents_read``). Doing that
means writing what Mesa's own ``Agent.__init__``, ``Agent.remove``, ``CellAgent.cell`` and
``Model.register_agent`` write, so this module is the adapter to Mesa's internals: every private
Mesa attribute the project touches is touched here (``add_cell_agents``, ``remove_cell_agents``,
``move_cell_agents``, ``take_ids``, ``mesa_would_notice``, ``AgentsOnDemand``, the cell and grid
classes), written against Mesa ``MESA_VERSION``; ``tests/test_mesa_adapter.py`` fails on any other
Mesa and checks each internal used.
"""

from __future__ import annotations

import copyreg
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import cached_property
from itertools import product, repeat
from random import Random
from typing import Any, ClassVar

from mesa.agent import Agent, AgentSet
from mesa.agentset import _HardKeyAgentSet
from mesa.discrete_space import Cell, CellAgent, OrthogonalMooreGrid
from mesa.discrete_space.discrete_space import DiscreteSpace
from mesa.discrete_space.grid import pickle_gridcell
from mesa.experimental.mesa_signals import ModelSignals
from mesa.model import Model

# The Mesa whose internals this module writes (tests/test_mesa_adapter.py checks the installed one).
MESA_VERSION = "3.5.1"

# Mesa's Moore offsets, in the order OrthogonalMooreGrid connects them.
MOORE = ((-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0), (1, 1))

_CONNECTIONS = Cell.connections  # Cell's slot for the connections dict; None here until first read
_AGENTS = Cell._agents  # Cell's slot for the list of its agents


class LatticeCell(Cell):
    """A grid cell whose connections to its neighbours are made when first read."""

    __slots__ = ()
    _grid: ClassVar[LatticeGrid | None] = None  # set on each grid's own cell class

    def __init__(self, coordinate: tuple[int, ...], **kwargs: Any) -> None:
        super().__init__(coordinate, **kwargs)
        if self._grid is not None:
            _CONNECTIONS.__set__(self, None)

    @property
    def connections(self) -> dict[tuple[int, ...], Cell]:  # type: ignore[override]
        """The neighbouring cells by relative coordinate (as Mesa's ``Cell.connections``)."""
        connections = _CONNECTIONS.__get__(self, Cell)
        if connections is None:
            assert self._grid is not None
            connections = self._grid._connections_of(self.coordinate)
            _CONNECTIONS.__set__(self, connections)
        return connections

    @connections.setter
    def connections(self, value: dict[tuple[int, ...], Cell]) -> None:
        _CONNECTIONS.__set__(self, value)

    @property
    def _agents(self) -> list[CellAgent]:  # type: ignore[override]
        """Mesa's list of the agents on this cell, made first if the grid's model makes them on demand.

        Every way Mesa tells what is on a cell (``agents``, ``is_empty``, ``is_full``, a
        ``CellCollection``, adding and removing) reads this list.
        """
        grid = self._grid
        if grid is not None and grid.on_agents_read is not None:
            grid.on_agents_read()
        return _AGENTS.__get__(self, Cell)

    @_agents.setter
    def _agents(self, value: list[CellAgent]) -> None:
        _AGENTS.__set__(self, value)


class _Cells(dict):
    """The grid's coordinate -> cell mapping; a cell is built the first time it is looked up.

    Lookups of lattice coordinates always succeed (as in a full dict); anything that lists or
    changes the mapping first builds every cell, after which this is an ordinary dict.
    """

    def __init__(self, grid: LatticeGrid) -> None:
        super().__init__()
        self._grid = grid
        self.complete = False

    def _is_site(self, key: Any) -> bool:
        try:
            i, j = key
            return 0 <= i < self._grid.dimensions[0] and 0 <= j < self._grid.dimensions[1]
        except (TypeError, ValueError):
            return False

    def __missing__(self, key: Any) -> Cell:
        if self.complete or not self._is_site(key):
            raise KeyError(key)
        coordinate = (int(key[0]), int(key[1]))
        cell = self._grid._new_cell(coordinate)
        dict.__setitem__(self, coordinate, cell)
        return cell

    def build_all(self) -> None:
        """Build every missing cell, keeping Mesa's (row-major) order."""
        if self.complete:
            return
        cells = {coordinate: self[coordinate] for coordinate in product(*map(range, self._grid.dimensions))}
        dict.clear(self)
        dict.update(self, cells)
        self.complete = True

    @property
    def built(self) -> list[Cell]:
        """The cells built so far (they hold every agent), in Mesa's order."""
        if self.complete:
            return list(dict.values(self))
        return [dict.__getitem__(self, c) for c in sorted(dict.keys(self))]

    def __len__(self) -> int:
        return dict.__len__(self) if self.complete else self._grid.dimensions[0] * self._grid.dimensions[1]

    def __contains__(self, key: object) -> bool:
        return dict.__contains__(self, key) if self.complete else self._is_site(key)

    def get(self, key: Any, default: Any = None) -> Any:
        try:
            return self[key]
        except KeyError:
            return default

    def __iter__(self) -> Iterator[Any]:
        self.build_all()
        return dict.__iter__(self)

    def keys(self) -> Any:
        self.build_all()
        return dict.keys(self)

    def values(self) -> Any:
        self.build_all()
        return dict.values(self)

    def items(self) -> Any:
        self.build_all()
        return dict.items(self)

    def __setitem__(self, key: Any, value: Cell) -> None:
        self.build_all()
        dict.__setitem__(self, key, value)

    def __delitem__(self, key: Any) -> None:
        self.build_all()
        dict.__delitem__(self, key)

    def pop(self, key: Any, *default: Any) -> Any:
        self.build_all()
        return dict.pop(self, key, *default)

    def __reduce__(self) -> Any:
        self.build_all()
        return dict, (dict(self),)


class LatticeGrid(OrthogonalMooreGrid):
    """An ``OrthogonalMooreGrid`` (two dimensions) whose cells and connections are built on first use."""

    def __init__(
        self,
        dimensions: Sequence[int],
        torus: bool = False,
        capacity: float | None = None,
        random: Random | None = None,
        cell_klass: type[LatticeCell] = LatticeCell,
    ) -> None:
        # Grid.__init__ without building the cells: the same attributes, a lazy _cells.
        if len(dimensions) != 2:
            raise ValueError("LatticeGrid has exactly 2 dimensions.")
        if not issubclass(cell_klass, LatticeCell):
            raise TypeError("LatticeGrid's cell_klass must be a LatticeCell.")
        DiscreteSpace.__init__(self, capacity=capacity, cell_klass=cell_klass, random=random)
        self.torus = torus
        self.dimensions = dimensions
        self._try_random = True
        self._ndims = 2
        self._validate_parameters()
        self.cell_klass = type(
            "GridCell", (self.cell_klass,), {"_mesa_properties": set(), "__slots__": (), "_grid": self}
        )
        copyreg.pickle(self.cell_klass, pickle_gridcell)
        self._cells = _Cells(self)
        self.create_property_layer("empty", default_value=True, dtype=bool)
        # Called before anything reads the agents on a cell, while the model makes its agents on demand.
        self.on_agents_read: Callable[[], None] | None = None

    def _new_cell(self, coordinate: tuple[int, int]) -> Cell:
        return self.cell_klass(coordinate, capacity=self.capacity, random=self.random)

    def cells_at(self, rows: list[int], columns: list[int]) -> list[Cell]:
        """The cells at (row, column) pairs, built where not yet: many at once, faster than one lookup each."""
        cells = self._cells
        coordinates = list(zip(rows, columns, strict=True))
        out = list(map(dict.get, repeat(cells), coordinates))  # the built ones (dict.get: no __missing__)
        missing = [k for k, cell in enumerate(out) if cell is None]
        if not missing:
            return out
        klass, capacity, random = self.cell_klass, self.capacity, self.random
        # What Cell.__init__ sets, set directly, unless the cell class has an __init__ of its own.
        direct = isinstance(cells, _Cells) and not cells.complete and klass.__init__ is LatticeCell.__init__
        height, width = self.dimensions
        new, store = object.__new__, dict.__setitem__
        for k in missing:
            coordinate = coordinates[k]
            i, j = coordinate
            if direct and 0 <= i < height and 0 <= j < width:
                cell = new(klass)
                cell.coordinate, cell._position = coordinate, None
                cell.capacity, cell.properties, cell.random = capacity, {}, random
                _AGENTS.__set__(cell, [])
                _CONNECTIONS.__set__(cell, None)
                store(cells, coordinate, cell)
            else:
                cell = cells[coordinate]
            out[k] = cell
        return out

    def _connections_of(self, coordinate: tuple[int, int]) -> dict[tuple[int, ...], Cell]:
        """What OrthogonalMooreGrid._connect_single_cell_2d would have connected."""
        i, j = coordinate
        height, width = self.dimensions
        connections = {}
        for di, dj in MOORE:
            ni, nj = i + di, j + dj
            if self.torus:
                ni, nj = ni % height, nj % width
            if 0 <= ni < height and 0 <= nj < width:
                connections[(di, dj)] = self._cells[ni, nj]
        return connections

    def _connect_cells(self) -> None:
        """Connections are made when a cell's are first read."""

    @cached_property
    def _celllist(self) -> list[Cell]:  # Grid keeps every cell in a list for select_random_empty_cell
        return list(self._cells.values())

    @property
    def agents(self) -> AgentSet:
        """The agents in the space (they sit on built cells only, so nothing else is built)."""
        if self.on_agents_read is not None:
            self.on_agents_read()
        cells = self._cells.built if isinstance(self._cells, _Cells) else self._cells.values()
        return AgentSet([a for cell in cells for a in cell._agents], random=self.random)

    def __getstate__(self) -> dict[str, Any]:
        """Pickle as Mesa does, every cell built (and its agents made)."""
        if self.on_agents_read is not None:
            self.on_agents_read()
        if isinstance(self._cells, _Cells):
            self._cells.build_all()
        state = super().__getstate__()
        state["_cells"] = dict(self._cells)
        state.pop("_celllist", None)
        return state


# --- Mesa's agent bookkeeping, in bulk -------------------------------------------------------
# What Agent.__init__ (with Model.register_agent), Agent.remove (with Model.deregister_agent) and
# the CellAgent.cell setter write, for many agents at once. For a CellAgent class whose __init__
# is Agent's plus ``self.cell = cell`` and whose remove is CellAgent's, and only when nothing
# would notice the difference (``mesa_would_notice``): these send no signals.


def mesa_would_notice(model: Model, agent_class: type[CellAgent], plain: type[CellAgent]) -> bool:
    """True when agents of ``agent_class`` must be made and removed one by one through Mesa.

    So it is when something listens for Mesa's agent signals (or batches them), when the class
    keeps agent datasets, or when it has an ``__init__`` or ``remove`` other than ``plain``'s (the
    project's agent class, whose own are Mesa's plus the cell).
    """
    return (
        model._batch_context is not None
        or model._has_subscribers("agents", ModelSignals.AGENT_ADDED)
        or model._has_subscribers("agents", ModelSignals.AGENT_REMOVED)
        or bool(agent_class._datasets)
        or agent_class.__init__ is not plain.__init__
        or agent_class.remove is not plain.remove
    )


def take_ids(model: Model, n: int) -> int:
    """Take ``n`` unique ids from the model's counter, as ``Model.register_agent`` hands them out; the first."""
    first = model.agent_id_counter
    model.agent_id_counter = first + n
    return first


def add_cell_agents(model: Model, agent_class: type[CellAgent], cells: list[Cell], ids: Iterable[int]) -> list[Any]:
    """One new agent on each (empty) cell, with these unique ids, registered with the model, in order.

    What ``agent_class(model, cell)`` makes, attribute for attribute in ``Agent.__init__``'s order
    (so the instances share one key table); the ids are the caller's to take (``take_ids``).
    """
    new, agents, append_to = object.__new__, [], _AGENTS.__get__
    for cell, uid in zip(cells, ids, strict=True):
        agent = new(agent_class)
        agent.model, agent.unique_id, agent.pos, agent._mesa_cell = model, uid, None, cell
        append_to(cell).append(agent)
        agents.append(agent)
    registered = dict.fromkeys(agents)
    model._all_agents._agents.update(registered)
    by_type = model._agents_by_type
    if agent_class not in by_type:
        by_type[agent_class] = _HardKeyAgentSet([], random=model.random)
    by_type[agent_class]._agents.update(registered)
    return agents


def remove_cell_agents(model: Model, agents: list[Any]) -> None:
    """What ``agent.remove()`` does to each of these cell agents: deregistered, and off its cell."""
    everyone, by_type, on = model._all_agents._agents, model._agents_by_type, _AGENTS.__get__
    for agent in agents:
        del everyone[agent]
        del by_type[type(agent)]._agents[agent]
        on(agent._mesa_cell).remove(agent)
        agent._mesa_cell = None


def move_cell_agents(agents: list[Any], cells: list[Cell]) -> None:
    """What ``agent.cell = cell`` does to each of these agents, the cells being empty."""
    on = _AGENTS.__get__
    for agent, cell in zip(agents, cells, strict=True):
        on(agent._mesa_cell).remove(agent)
        on(cell).append(agent)
        agent._mesa_cell = cell


class AgentsOnDemand:
    """Mixin for a Mesa ``Model`` that makes its agents when something first reads them.

    Mesa keeps a model's agents in ``_all_agents`` and ``_agents_by_type``: ``agents``,
    ``agents_by_type``, ``agent_types``, registering and removing an agent, ``remove_all_agents`` and
    a DataCollector's agent reporters all read one of them. Here reading either first calls the
    model's ``_make_agents`` while its ``_agents_pending`` is true; the model's grid does the same
    for the agents on a cell (``LatticeGrid.on_agents_read``).
    """

    _agents_pending: bool = False

    def _make_agents(self) -> None:
        """Make every agent now (and set ``_agents_pending`` false)."""
        raise NotImplementedError

    @property
    def _all_agents(self) -> _HardKeyAgentSet:
        if self._agents_pending:
            self._make_agents()
        return self.__dict__["_mesa_all_agents"]

    @_all_agents.setter
    def _all_agents(self, value: _HardKeyAgentSet) -> None:
        self.__dict__["_mesa_all_agents"] = value

    @property
    def _agents_by_type(self) -> dict[type[Agent], _HardKeyAgentSet]:
        if self._agents_pending:
            self._make_agents()
        return self.__dict__["_mesa_agents_by_type"]

    @_agents_by_type.setter
    def _agents_by_type(self, value: dict[type[Agent], _HardKeyAgentSet]) -> None:
        self.__dict__["_mesa_agents_by_type"] = value
