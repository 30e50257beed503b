"""The spatial model's agents are made and removed in bulk, yet are what Mesa's own path makes.

When something would notice the difference (a listener for Mesa's agent signals, an agent
class with its own ``__init__``), the model takes Mesa's per-agent path; both paths give the
same run.
"""

from __future__ import annotations

import pickle
from typing import Any

from mesa.experimental.mesa_signals import ModelSignals

from abm.mechanisms import AXL_HIGH, bit
from abm.scenario import Scenario
from abm.spatial import SpatialTumour, TumourCell
from tests.test_spatial import check_consistency

SCENARIO = Scenario.model_validate(
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
