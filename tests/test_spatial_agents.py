"""The spatial model's agents are made and removed in bulk, yet are what Mesa's own path makes.

When something would notice the difference (a listener for Mesa's agent signals, an agent
class with its own ``__init__``), the model takes Mesa's per-agent path; both paths give the
same run. Agents are made when something first reads them: whenever that is, they are the
agents the model would hold had it made them as their cells were born.
"""

from __future__ import annotations

import pickle
from typing import Any

import numpy as np
from mesa import DataCollector
from mesa.experimental.mesa_signals import ModelSignals

from abm.biology.mechanisms import AXL_HIGH, bit
from abm.config.scenario import ScenarioConfig
from abm.models.spatial import SpatialTumour, TumourCell
from tests.test_spatial import check_consistency

SCENARIO = ScenarioConfig.model_validate(
    {
        "name": "agents",
        "model": {"width": 30, "height": 30, "initial_cells": 150, "days": 25, "seed": 3},
        "parameters": {"division_rate": 0.3, "death_rate": 0.1, "axl_high_initial_fraction": 0.5},
        "schedule": [{"drug": "gefitinib", "on_days": 5, "off_days": 5}],
    }
)


def run(model: SpatialTumour) -> list[tuple[int, tuple[int, int], int]]:
    while model.running:
        model.step()
        check_consistency(model)
    return sorted((a.unique_id, a.cell.coordinate, a.state) for a in model.agents)


def test_bulk_and_mesa_paths_give_the_same_run_and_signals() -> None:
    fast = SpatialTumour(SCENARIO)
    watched = SpatialTumour(SCENARIO)
    signals: dict[str, int] = {"added": 0, "removed": 0}

    def added(signal: Any) -> None:
        signals["added"] += 1

    def removed(signal: Any) -> None:
        signals["removed"] += 1

    watched.observe("agents", ModelSignals.AGENT_ADDED, added)
    watched.observe("agents", ModelSignals.AGENT_REMOVED, removed)
    assert not fast._mesa_path() and watched._mesa_path()
    agents = run(fast)
    assert agents == run(watched)
    assert fast.timeseries().equals(watched.timeseries())
    assert fast.agent_id_counter == watched.agent_id_counter
    # every agent ever made after the listener came, less those alive, were removed
    assert signals["added"] == watched.agent_id_counter - 1 - 150
    assert signals["removed"] == signals["added"] + 150 - len(agents) > 0
    assert list(fast.agents_by_type) == [TumourCell]
    assert len(fast.agents_by_type[TumourCell]) == len(agents)
    assert sum(bit(AXL_HIGH) & s > 0 for _, _, s in agents) > 0  # movers were among them


class TaggedCell(TumourCell):
    """A user's agent: its own __init__ and remove."""

    removed = 0

    def __init__(self, model: SpatialTumour, cell: Any) -> None:
        super().__init__(model, cell)
        self.born = model.day

    def remove(self) -> None:
        TaggedCell.removed += 1
        super().remove()


class TaggedTumour(SpatialTumour):
    agent_class = TaggedCell


def test_an_agent_class_of_ones_own_is_made_and_removed_through_mesa() -> None:
    TaggedCell.removed = 0
    model = TaggedTumour(SCENARIO)
    assert model._mesa_path()
    agents = run(model)
    assert agents == run(SpatialTumour(SCENARIO))
    assert all(isinstance(a, TaggedCell) for a in model.agents)
    assert {a.born for a in model.agents} > {0}  # daughters carry the day they were born
    assert TaggedCell.removed == model.agent_id_counter - 1 - len(agents)


def test_a_pickled_model_goes_on_with_the_same_run() -> None:
    model = SpatialTumour(SCENARIO)
    for _ in range(10):
        model.step()
    copy = pickle.loads(pickle.dumps(model))
    assert run(copy) == run(model)
    assert copy.timeseries().equals(model.timeseries())


# --- agents made when first read --------------------------------------------------------------


def mesa_view(model: SpatialTumour) -> tuple:
    """What user code can see of the agents: ids, places and states, Mesa's order, counters, the grid."""
    agents = list(model.agents)
    return (
        [(a.unique_id, a.cell.coordinate, a.state) for a in agents],  # in model.agents' own order
        [a.unique_id for a in model.agents_by_type[TumourCell]],
        model.agent_id_counter,
        model.agent_types,
        model.grid.empty.data.tobytes(),
        model.timeseries().to_csv(),
    )


def test_agents_read_late_are_the_agents_kept_from_the_start() -> None:
    """Read on day 0, mid-run or at the end: the same agents, ids, order and run."""
    kept = SpatialTumour(SCENARIO)
    assert kept._agents_pending and len(kept.agents) == 150 and not kept._agents_pending
    late, unread = SpatialTumour(SCENARIO), SpatialTumour(SCENARIO)
    for model in (kept, late, unread):
        while model.running:
            model.step()
            if model is late and model.day == 12:
                check_consistency(late)
    assert unread._agents_pending and dict.__len__(unread.grid._cells) == 0  # nothing made, no cell built
    assert mesa_view(late) == mesa_view(kept) == mesa_view(unread)
    check_consistency(unread)


def test_reading_the_grid_makes_the_agents() -> None:
    for read in (
        lambda m, site: m.grid[site].agents,
        lambda m, site: list(m.grid.agents),
        lambda m, site: [c for c in m.grid.all_cells if not c.is_empty],
        lambda m, site: m.grid.select_random_empty_cell(),
    ):
        model = SpatialTumour(SCENARIO)
        for _ in range(5):
            model.step()
        site = tuple(int(x) for x in np.argwhere(model.lattice >= 0)[0])
        read(model, site)
        assert not model._agents_pending
        (agent,) = model.grid[site].agents
        assert agent.cell.coordinate == site and agent.state == model.lattice[site]
        check_consistency(model)


def test_agent_reporters_see_every_cell() -> None:
    model = SpatialTumour(SCENARIO)
    model.step()
    collector = DataCollector(agent_reporters={"state": "state"})
    collector.collect(model)
    rows = collector.get_agent_vars_dataframe()
    assert len(rows) == model.counts["total"]
    assert sorted(rows["state"]) == sorted(model.lattice[model.lattice >= 0].tolist())


def test_a_listener_that_comes_mid_run_hears_every_agent_after() -> None:
    """Agents made when a listener comes (silently: they were born before), then through Mesa."""
    plain, watched = SpatialTumour(SCENARIO), SpatialTumour(SCENARIO)
    for _ in range(8):
        plain.step()
        watched.step()
    heard = {"added": 0, "removed": 0}

    def added(signal: Any) -> None:  # (Mesa holds its listeners by weak reference: keep them here)
        heard["added"] += 1

    def removed(signal: Any) -> None:
        heard["removed"] += 1

    watched.observe("agents", ModelSignals.AGENT_ADDED, added)
    watched.observe("agents", ModelSignals.AGENT_REMOVED, removed)
    assert watched._agents_pending  # nothing made yet: the next day makes them
    ids, alive = watched.agent_id_counter, watched.counts["total"]
    watched.step()
    plain.step()
    assert not watched._agents_pending and watched._mesa_path()
    assert heard["added"] == watched.agent_id_counter - ids > 0  # the day's daughters, not the cells before
    assert heard["removed"] == alive + heard["added"] - len(watched.agents) > 0
    assert run(watched) == run(plain)


class ReadsMidDay(SpatialTumour):
    """A model whose own division event reads the agents in the middle of the day."""

    seen: list[int]

    def _division_event(self) -> None:
        super()._division_event()
        if self.day == 4:
            self.seen = [len(self.agents), int((self.lattice >= 0).sum())]


def test_agents_read_in_the_middle_of_a_day_are_the_living_cells() -> None:
    model, plain = ReadsMidDay(SCENARIO), SpatialTumour(SCENARIO)
    assert model._agents_pending
    agents = run(model)
    assert model.seen[0] == model.seen[1] > 0
    assert agents == run(plain)
    assert mesa_view(model) == mesa_view(plain)


def test_a_model_pickled_before_its_agents_were_read_has_them() -> None:
    model = SpatialTumour(SCENARIO)
    for _ in range(6):
        model.step()
    copy = pickle.loads(pickle.dumps(model))
    assert not model._agents_pending and not copy._agents_pending
    assert run(copy) == run(model)
