"""A Mesa Moore grid whose cells are built when first used.

Mesa's ``OrthogonalMooreGrid`` builds every ``Cell`` and its eight connections up front: for
a 400x400 lattice ~2.5 s (most of it clearing each cell's neighbourhood cache once per
connection) and ~300 MiB. A tumour touches a fraction of the sites, so ``LatticeGrid`` builds
the same structure on demand: it is an ``OrthogonalMooreGrid`` (same coordinates, same
connection keys and order, capacity, the ``empty`` property layer, pickling), but a cell is
created the first time it is looked up and its connections the first time they are read.
Whatever asks for every cell (``all_cells``, iteration, ``select_random_empty_cell``) gets
them all, built then, in Mesa's order.
"""

from __future__ import annotations

import copyreg
from collections.abc import Iterator, Sequence
from functools import cached_property
from itertools import product
from random import Random
from typing import Any, ClassVar

from mesa.agent import AgentSet
from mesa.discrete_space import Cell, OrthogonalMooreGrid
from mesa.discrete_space.discrete_space import DiscreteSpace
from mesa.discrete_space.grid import pickle_gridcell

# Mesa's Moore offsets, in the order OrthogonalMooreGrid connects them.
MOORE = ((-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0), (1, 1))

_CONNECTIONS = Cell.connections  # Cell's slot for the connections dict; None here until first read


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

    def _new_cell(self, coordinate: tuple[int, int]) -> Cell:
        return self.cell_klass(coordinate, capacity=self.capacity, random=self.random)

    def cells_at(self, rows: list[int], columns: list[int]) -> list[Cell]:
        """The cells at (row, column) pairs, built where not yet: many at once, faster than one lookup each."""
        cells, built = self._cells, dict.get
        klass, capacity, random = self.cell_klass, self.capacity, self.random
        # What Cell.__init__ sets, set directly, unless the cell class has an __init__ of its own.
        direct = isinstance(cells, _Cells) and not cells.complete and klass.__init__ is LatticeCell.__init__
        out = []
        for coordinate in zip(rows, columns, strict=True):
            cell = built(cells, coordinate)
            if cell is None:
                if direct and cells._is_site(coordinate):
                    cell = object.__new__(klass)
                    cell.coordinate, cell._position, cell._agents = coordinate, None, []
                    cell.capacity, cell.properties, cell.random = capacity, {}, random
                    _CONNECTIONS.__set__(cell, None)
                    dict.__setitem__(cells, coordinate, cell)
                else:
                    cell = cells[coordinate]
            out.append(cell)
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
        cells = self._cells.built if isinstance(self._cells, _Cells) else self._cells.values()
        return AgentSet([a for cell in cells for a in cell._agents], random=self.random)

    def __getstate__(self) -> dict[str, Any]:
        """Pickle as Mesa does, every cell built."""
        if isinstance(self._cells, _Cells):
            self._cells.build_all()
        state = super().__getstate__()
        state["_cells"] = dict(self._cells)
        state.pop("_celllist", None)
        return state
