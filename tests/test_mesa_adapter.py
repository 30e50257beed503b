"""The Mesa adapter: LatticeGrid is Mesa's OrthogonalMooreGrid, built on first use; agents in bulk are
Mesa's agents; and the Mesa internals it writes are still there (the installed Mesa is the one it was written for)."""

from __future__ import annotations

import pickle
import random

import mesa
import numpy as np
import pytest
from mesa.agentset import _HardKeyAgentSet
from mesa.discrete_space import Cell, CellAgent, OrthogonalMooreGrid
from mesa.experimental.mesa_signals import ModelSignals

from abm.models.mesa_adapter import (
    MESA_VERSION,
    LatticeGrid,
    add_cell_agents,
    move_cell_agents,
    remove_cell_agents,
    take_ids,
)


def grids(dims: tuple[int, int], torus: bool) -> tuple[OrthogonalMooreGrid, LatticeGrid]:
    return (
        OrthogonalMooreGrid(dims, torus=torus, capacity=1, random=random.Random(0)),
        LatticeGrid(dims, torus=torus, capacity=1, random=random.Random(0)),
    )


def connections(cell) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    return [(key, other.coordinate) for key, other in cell.connections.items()]


@pytest.mark.parametrize("torus", [False, True])
@pytest.mark.parametrize("dims", [(5, 7), (1, 3), (2, 2), (6, 6)])
def test_same_cells_and_connections_as_mesa(dims: tuple[int, int], torus: bool) -> None:
    mesa_grid, grid = grids(dims, torus)
    assert isinstance(grid, OrthogonalMooreGrid)
    corner = (dims[0] - 1, 0)
    # looked up one at a time, before anything lists the cells
    assert connections(grid[corner]) == connections(mesa_grid[corner])
    assert [c.coordinate for c in grid[corner].neighborhood] == [c.coordinate for c in mesa_grid[corner].neighborhood]
    # then all of them, in Mesa's order
    assert list(grid._cells) == list(mesa_grid._cells)
    for a, b in zip(mesa_grid.all_cells, grid.all_cells, strict=True):
        assert a.coordinate == b.coordinate
        assert connections(a) == connections(b)
        assert a.capacity == b.capacity
    assert grid[corner].connections[(0, 1) if dims[1] > 1 else (-1, 0)] is not None


def test_cells_are_built_when_first_used() -> None:
    grid = LatticeGrid((400, 400), capacity=1, random=random.Random(0))
    assert dict.__len__(grid._cells) == 0
    assert len(grid._cells) == 400 * 400 and (399, 399) in grid._cells and (400, 0) not in grid._cells
    cell = grid[(10, 20)]
    assert dict.__len__(grid._cells) == 1  # its neighbours are built when its connections are read
    assert len(cell.connections) == 8
    assert dict.__len__(grid._cells) == 9
    assert grid[(10, 21)] is cell.connections[(0, 1)]
    with pytest.raises(KeyError):
        grid[(400, 0)]
    assert grid._cells.get((-1, 0)) is None


def test_cells_built_in_bulk_are_the_cells_mesa_builds() -> None:
    mesa_grid, grid = grids((6, 6), False)
    bulk = grid.cells_at([0, 5, 2], [0, 5, 3])
    assert [c.coordinate for c in bulk] == [(0, 0), (5, 5), (2, 3)]
    assert grid.cells_at([2], [3])[0] is bulk[2] is grid[(2, 3)]
    looked_up = grid[(1, 1)]  # built by the cell class's __init__
    for cell in bulk:
        reference = mesa_grid[cell.coordinate]
        assert type(cell) is type(looked_up)
        assert cell.random is looked_up.random is grid.random
        assert (cell.capacity, cell.properties, cell.agents, cell.position.tolist(), cell.is_empty) == (
            reference.capacity,
            reference.properties,
            reference.agents,
            reference.position.tolist(),
            reference.is_empty,
        )
        assert connections(cell) == connections(reference)


def test_agents_empty_layer_and_random_empty_cell_behave_as_in_mesa() -> None:
    model = mesa.Model(rng=0)
    grid = LatticeGrid((30, 30), capacity=1, random=random.Random(0))
    agents = []
    for coordinate in [(3, 4), (0, 0), (29, 1)]:
        agent = CellAgent(model)
        agent.cell = grid[coordinate]
        agents.append(agent)
    assert dict.__len__(grid._cells) == 3
    assert list(grid.agents) == [agents[1], agents[0], agents[2]]  # Mesa's (row-major) order
    assert dict.__len__(grid._cells) == 3  # listing the agents built nothing
    assert not grid.empty.data[3, 4] and grid.empty.data.sum() == 900 - 3
    with pytest.raises(Exception, match="full"):
        CellAgent(model).cell = grid[(3, 4)]
    agents[0].cell = grid[(3, 5)]
    assert grid.empty.data[3, 4] and not grid.empty.data[3, 5]
    for _ in range(20):
        assert grid.select_random_empty_cell().is_empty
    assert len(grid.empties) == 900 - 3


def test_pickles_with_every_cell() -> None:
    grid = LatticeGrid((4, 5), capacity=1, random=random.Random(0))
    grid[(1, 1)]
    copy = pickle.loads(pickle.dumps(grid))
    assert isinstance(copy, LatticeGrid)
    assert list(copy._cells) == list(grids((4, 5), False)[0]._cells)
    assert copy[(1, 1)].connections[(0, 1)] is copy[(1, 2)]
    np.testing.assert_array_equal(copy.empty.data, grid.empty.data)


# --- the adapter to Mesa's internals (abm.models.mesa_adapter) ---------------------------------------------


def test_the_installed_mesa_is_the_one_the_adapter_was_written_for() -> None:
    """abm.models.mesa_adapter writes Mesa's private attributes; a new Mesa must be checked before it is used."""
    assert mesa.__version__ == MESA_VERSION, (
        f"Mesa {mesa.__version__} is installed, abm/models/mesa_adapter.py was written against Mesa "
        f"{MESA_VERSION}: check each Mesa internal it uses (the tests below), then set MESA_VERSION"
    )


def test_the_mesa_internals_the_adapter_uses_are_there() -> None:
    assert {"_agents", "connections", "coordinate", "_position", "capacity", "properties", "random"} <= set(
        Cell.__slots__
    )
    model = mesa.Model(rng=0)
    assert isinstance(model._all_agents, _HardKeyAgentSet) and isinstance(model._all_agents._agents, dict)
    assert model._agents_by_type == {} and model._batch_context is None
    assert not model._has_subscribers("agents", ModelSignals.AGENT_ADDED)
    assert CellAgent._datasets == set() and CellAgent._mesa_cell is None
    agent = CellAgent(model)
    assert list(vars(agent)) == ["model", "unique_id", "pos"]  # what Agent.__init__ sets, in its order
    assert model._agents_by_type[CellAgent]._agents == {agent: None}


def test_the_bypassed_grid_init_sets_what_mesas_sets() -> None:
    """LatticeGrid.__init__ writes Grid.__init__'s attributes itself (not building the cells): the same set."""
    mesa_grid, grid = grids((4, 5), False)
    assert grid.all_cells is not None and grid._celllist  # cached on first use, as Mesa's are made up front
    assert set(vars(grid)) - {"on_agents_read"} == set(vars(mesa_grid))
    assert (grid._ndims, grid._try_random) == (mesa_grid._ndims, mesa_grid._try_random)
    assert grid.cell_klass._mesa_properties == mesa_grid.cell_klass._mesa_properties == {"empty"}


def test_ids_taken_in_bulk_are_the_ids_mesa_hands_out() -> None:
    models = [mesa.Model(rng=0), mesa.Model(rng=0)]
    mesa_ids = [CellAgent(models[0]).unique_id for _ in range(3)]
    first = take_ids(models[1], 3)
    assert list(range(first, first + 3)) == mesa_ids
    assert CellAgent(models[0]).unique_id == CellAgent(models[1]).unique_id  # both counters moved on alike


def test_agents_made_moved_and_removed_in_bulk_are_what_mesa_makes() -> None:
    grids = {path: LatticeGrid((5, 5), capacity=1, random=random.Random(0)) for path in ("mesa", "bulk")}
    models = {path: mesa.Model(rng=0) for path in grids}
    made = {}
    for path, model in models.items():
        cells = grids[path].cells_at([1, 4, 0], [2, 0, 3])
        if path == "mesa":
            agents = []
            for cell in cells:
                agents.append(CellAgent(model))
                agents[-1].cell = cell
        else:
            agents = add_cell_agents(model, CellAgent, cells, range(take_ids(model, 3), 4))
        made[path] = agents
    mesa_agents, bulk = made["mesa"], made["bulk"]
    for a, b in zip(mesa_agents, bulk, strict=True):
        assert type(a) is type(b) and list(vars(a)) == list(vars(b))  # the same attributes, in the same order
        assert (a.unique_id, a.pos, a.cell.coordinate) == (b.unique_id, b.pos, b.cell.coordinate)
        assert a.cell.agents == [a] and b.cell.agents == [b] and b.model is models["bulk"]
        assert not grids["mesa"].empty.data[a.cell.coordinate]  # (the bulk path's caller marks the layer)
    for model in models.values():
        assert [a.unique_id for a in model.agents] == [1, 2, 3]
        assert list(model.agents_by_type) == [CellAgent] and len(model.agents_by_type[CellAgent]) == 3

    mesa_agents[0].cell = grids["mesa"][(2, 2)]
    move_cell_agents([bulk[0]], [grids["bulk"][(2, 2)]])
    mesa_agents[1].remove()
    remove_cell_agents(models["bulk"], [bulk[1]])
    for path, agents in made.items():
        grid, model = grids[path], models[path]
        assert [a.unique_id for a in model.agents] == [1, 3] == [a.unique_id for a in model.agents_by_type[CellAgent]]
        assert grid[(1, 2)].is_empty and grid[(4, 0)].is_empty and grid[(2, 2)].agents == [agents[0]]
        assert agents[1].cell is None and agents[0].cell is grid[(2, 2)]


def test_a_grid_asks_before_its_agents_are_read() -> None:
    grid = LatticeGrid((4, 4), capacity=1, random=random.Random(0))
    cell = grid[(1, 1)]
    asked = []
    grid.on_agents_read = lambda: asked.append(1)
    assert cell.is_empty and cell.agents == [] and len(grid.agents) == 0
    assert len(asked) == 4  # is_empty, agents, and the grid's agents (itself, then its one built cell)
    grid.on_agents_read = None
    assert cell.is_empty and len(asked) == 4
