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

    def __init__(self, scenario: Scenario | str | Path | None = None, rng: Any = None, **overrides: Any) -> None:
        super().__init__(scenario, rng, overrides)
        self.capacity = self.config.model.carrying_capacity
        self._clones: list[Clone] = []
        self._by_key: dict[tuple[int, int], int] = {}  # (lineage, state) -> index
        self._mutant_lineages: dict[tuple[int, int], int] = {}  # (parent lineage, genotype) -> lineage
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

    def _flows(self, sources: np.ndarray, movers: np.ndarray, matrix: np.ndarray) -> list[tuple[int, int, int]]:
        """Where ``movers[i]`` cells leaving clone ``sources[i]`` go: (source, target state, n)."""
        flows = []
        for index, n in zip(sources.tolist(), movers.tolist(), strict=True):
            state = int(self._states[index])
            row = matrix[state].copy()
            row[state] = 0.0
            for target in np.flatnonzero(split := self.rng.multinomial(n, row / row.sum())).tolist():
                flows.append((index, target, int(split[target])))
        return flows

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

        flows = []
        for movers, matrix, genetic in ((mutants, tables.daughter, True), (switchers, tables.switch, False)):
            sources = np.flatnonzero(movers)
            for source, target, n in self._flows(sources, movers[sources], matrix):
                flows.append((source, target, n, genetic))
        self._counts = new_counts
        for source, target, n, genetic in flows:
            index = self._destination(self._clones[source], target, genetic)  # may grow self._counts
            self._counts[index] += n

        self._end_of_day()

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
