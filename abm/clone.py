"""The clone-level model: whole tumours of up to 10^11 cells as a few hundred clones.

Each Mesa agent is a clone: cells in one state (same mechanisms, same persister status) and
of one genetic lineage, with a cell count. Each day every clone's deaths, divisions,
daughters' mutations and switches are drawn as binomial / multinomial counts from the same
``rules.rule_tables`` as the spatial model uses; there is no space, so this is the spatial
model's well-mixed limit (plus an optional carrying capacity).

Ancestry: a mutation founds a new genetic lineage that remembers the clone it came from; a
switch (persister, AXL-high) moves cells to the clone of their lineage in the new state,
founding it, with that parent, the first time. So a lineage holds at most one clone per
phenotype and the number of clones stays small however large the tumour.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import mesa
import numpy as np

from abm.mechanisms import GENETIC_MASK, N_STATES, describe
from abm.rules import initial_state_distribution
from abm.scenario import Scenario
from abm.tumour import TumourModel


class Clone(mesa.Agent):
    """Cells of one state and one lineage. ``count`` is read from the model's arrays."""

    def __init__(self, model: CloneTumour, state: int, lineage: int | None, parent: int | None, day: int) -> None:
        super().__init__(model)
        self.state = state
        self.parent = parent  # unique_id of the clone it arose from (None for founders)
        self.lineage = self.unique_id if lineage is None else lineage
        self.founded_day = day
        self.index = len(model._clones)

    @property
    def count(self) -> int:
        """Cells in this clone today."""
        return int(self.model._counts[self.index])

    def __repr__(self) -> str:
        return f"Clone({self.unique_id}, {describe(self.state)}, n={self.count}, parent={self.parent})"


def _living_clones(model: CloneTumour) -> int:
    return int((model._counts > 0).sum())


class CloneTumour(TumourModel):
    """A whole tumour as clones with cell counts, under a drug schedule.

    Args:
        scenario: a ``Scenario`` (``model.kind = "clone"``), a path to one, or None.
        rng: seed or numpy Generator; None takes the scenario's ``model.seed``.
        **overrides: any parameter or model setting by name.
    """

    kind = "clone"

    def __init__(
        self, scenario: Scenario | str | Path | None = None, rng: Any = None, record: bool = True, **overrides: Any
    ) -> None:
        super().__init__(scenario, rng, overrides, record)
        self.capacity = self.config.model.carrying_capacity
        self._clones: list[Clone] = []
        self._by_key: dict[tuple[int, int], int] = {}  # (lineage, state) -> index
        self._mutant_lineages: dict[tuple[int, int], int] = {}  # (parent lineage, genotype) -> lineage
        # [genetic, source clone, target state] -> receiving clone index, -1 until first used
        self._destination_table = np.full((2, 64, N_STATES), -1, dtype=np.int64)
        self._states = np.zeros(0, dtype=np.int64)
        self._counts = np.zeros(0, dtype=np.int64)
        self._seed_tumour(self.config.model.initial_cells)
        self._start_tracking({"clones": _living_clones})

    # --- clones --------------------------------------------------------------------------
    def _seed_tumour(self, n: int) -> None:
        """Founding clones: the sensitive bulk and the pre-existing subclones (003 §5.2)."""
        founders = self.rng.multinomial(n, initial_state_distribution(self.params))
        for state in np.flatnonzero(founders).tolist():
            index = self._new_clone(state, lineage=None, parent=None)  # grows self._counts
            self._counts[index] = founders[state]

    def _new_clone(self, state: int, lineage: int | None, parent: int | None) -> int:
        clone = Clone(self, state, lineage, parent, self.day)
        self._clones.append(clone)
        self._by_key[(clone.lineage, state)] = clone.index
        self._states = np.append(self._states, state)
        self._counts = np.append(self._counts, 0)
        return clone.index

    def _destination(self, source: Clone, state: int, genetic: bool) -> int:
        """Index of the clone receiving cells of ``source`` that became ``state``.

        A switch stays in the source's lineage; a mutation goes to the lineage that
        ``source``'s lineage founded for that genotype, founded now if it is the first.
        """
        lineage = source.lineage
        if genetic:
            key = (source.lineage, state & GENETIC_MASK)
            lineage = self._mutant_lineages.get(key)
            if lineage is None:
                index = self._new_clone(state, lineage=None, parent=source.unique_id)
                self._mutant_lineages[key] = self._clones[index].lineage
                return index
        index = self._by_key.get((lineage, state))
        if index is None:
            index = self._new_clone(state, lineage=lineage, parent=source.unique_id)
        return index

    @property
    def clones(self) -> list[Clone]:
        """Every clone ever founded (extinct ones have count 0), in order of founding."""
        return list(self._clones)

    # --- one day -----------------------------------------------------------------------
    def _state_counts(self) -> np.ndarray:
        return np.bincount(self._states, weights=self._counts, minlength=N_STATES)

    def _flows(
        self, movers: np.ndarray, moves: tuple[np.ndarray, np.ndarray]
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Split the cells leaving each clone over their new states, all clones at once.

        ``moves`` is ``rules.moves`` of the transition matrix. Returns parallel arrays
        (source clone index, target state, cells).
        """
        sources = np.flatnonzero(movers)
        targets, probs = moves
        states = self._states[sources]
        split = self.rng.multinomial(movers[sources], probs[states])
        which, column = np.nonzero(split)
        return sources[which], targets[states[which], column], split[which, column]

    def step(self) -> None:
        """Advance one day."""
        rng, tables = self.rng, self.tables
        states, counts = self._states, self._counts
        deaths = rng.binomial(counts, tables.death[states])
        survivors = counts - deaths
        division = tables.division[states]
        if self.capacity:
            division = division * max(0.0, 1.0 - self.counts["total"] / self.capacity)
        births = rng.binomial(survivors, division)
        mutants = rng.binomial(births, tables.mutate_any[states])
        switchers = rng.binomial(survivors, tables.switch_any[states])
        new_counts = survivors + births - mutants - switchers

        moves = [
            (*self._flows(mutants, tables.daughter_moves), True),
            (*self._flows(switchers, tables.switch_moves), False),
        ]
        destinations = [self._destinations(sources, targets, genetic) for sources, targets, _, genetic in moves]
        self._counts = np.zeros(len(self._states), dtype=np.int64)  # new clones may have been founded
        self._counts[: new_counts.size] = new_counts
        for (_, _, cells, _), dest in zip(moves, destinations, strict=True):
            np.add.at(self._counts, dest, cells)

        self._end_of_day()

    def _destinations(self, sources: np.ndarray, targets: np.ndarray, genetic: bool) -> np.ndarray:
        """Clone index receiving each flow, founding clones the first time a flow appears."""
        table = self._destination_table[int(genetic)]
        if table.shape[0] < len(self._clones):  # grow with the clones
            grown = np.full((2, 2 * len(self._clones), N_STATES), -1, dtype=np.int64)
            grown[:, : table.shape[0]] = self._destination_table
            self._destination_table, table = grown, grown[int(genetic)]
        out = table[sources, targets]
        for k in np.flatnonzero(out < 0).tolist():
            source, target = int(sources[k]), int(targets[k])
            out[k] = self._destination(self._clones[source], target, genetic)
            self._destination_table[int(genetic), source, target] = out[k]
        return out

    # --- results -----------------------------------------------------------------------
    def ancestry(self):  # -> pandas.DataFrame
        """One row per clone: id, parent id, lineage, state, mechanisms, founding day, final count."""
        import pandas as pd

        return pd.DataFrame(
            [
                {
                    "clone": c.unique_id,
                    "parent": pd.NA if c.parent is None else c.parent,
                    "lineage": c.lineage,
                    "state": c.state,
                    "mechanisms": describe(c.state),
                    "founded_day": c.founded_day,
                    "count": c.count,
                }
                for c in self._clones
            ]
        ).astype({"parent": "Int64"})
