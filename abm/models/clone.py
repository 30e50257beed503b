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

Random streams: every tumour draws from its own numpy Generator (a single tumour from the
model's ``rng``; a cohort's patients from the streams they are given), and each of its draws
covers only its own living clones, in their order of founding. So a virtual patient's course
depends on its own stream and its own doses only, never on the other patients simulated
beside it: two arms that dose it alike up to day d give it the same course, bit for bit, up
to day d. The draws are still vectorised over a tumour's clones, one numpy call per tumour and
draw.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import mesa
import numpy as np

from abm.biology.founding import founding_counts
from abm.biology.mechanisms import GENETIC_MASK, N_STATES, describe
from abm.biology.parameters import Parameters
from abm.biology.rules import CYCLING, DAUGHTER_ROW, FIELD_BITS, crowding_at, gompertz_position, hit_probability
from abm.config.scenario import ScenarioConfig
from abm.models.base import TumourModel
from abm.models.cohort import PatientTables
from abm.models.course import Course


class Clone(mesa.Agent):
    """Cells of one state and one lineage of one tumour. ``count`` is read from the model's arrays."""

    def __init__(
        self, model: CloneTumour, patient: int, state: int, lineage: int | None, parent: int | None, day: int
    ) -> None:
        super().__init__(model)
        self.patient = patient  # which tumour (course) of the model
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
    """Whole tumours as clones with cell counts, each under its own drug schedule.

    Args:
        config: a ``ScenarioConfig`` (``model.kind = "clone"``), a path to a scenario file, or None.
        rng: seed or numpy Generator; None takes the configuration's ``model.seed``.
        record: collect a DataCollector row (of the first tumour) every day.
        cohort: several tumours at once, one ``Course`` each (virtual patients), stepped together,
            which is what makes trials fast. Each course holds its patient's parameters and
            settings; ``config`` then gives only the model's own (days, seed).
        streams: a cohort's random streams, one seed or Generator per tumour; each tumour
            draws from its own only. Default: the model's ``rng`` for a single tumour, streams
            spawned from it for a cohort.
        **overrides: any parameter or model setting by name.
    """

    kind = "clone"

    def __init__(
        self,
        config: ScenarioConfig | str | Path | None = None,
        rng: Any = None,
        record: bool = True,
        cohort: Sequence[Course] | None = None,
        streams: Sequence[Any] | None = None,
        **overrides: Any,
    ) -> None:
        super().__init__(config, rng, overrides, record)
        if cohort is not None:
            self.courses = list(cohort)
        n = len(self.courses)
        if streams is None:
            streams = [self.rng] if cohort is None else self.rng.spawn(n)
        if len(streams) != n:
            raise ValueError(f"{len(streams)} random streams for {n} tumours")
        self._streams: list[np.random.Generator] = [np.random.default_rng(s) for s in streams]
        self._clones: list[Clone] = []
        self._by_key: dict[tuple[int, int], int] = {}  # (lineage, state) -> index
        self._mutant_lineages: dict[tuple[int, int], int] = {}  # (parent lineage, genotype) -> lineage
        # [genetic, source clone, target state] -> receiving clone index, -1 until first used
        self._destination_table = np.full((2, 64, N_STATES), -1, dtype=np.int64)
        self._patients = np.zeros(0, dtype=np.int64)
        self._states = np.zeros(0, dtype=np.int64)
        self._counts = np.zeros(0, dtype=np.int64)
        # Per-tumour rule tables as (tumours, states) arrays, refreshed when a course's doses change.
        self._tables = PatientTables(n)  # per-tumour rule tables, refreshed when a course's doses change
        self._capacity = np.array([c.config.model.carrying_capacity for c in self.courses], dtype=float)
        # Each tumour's own rates for its crowding loss, read once.
        self._division_rate = np.array([c.params.division_rate for c in self.courses])
        self._death_rate = np.array([c.params.death_rate for c in self.courses])
        self._totals = np.zeros(n)
        self._active = np.zeros(n, dtype=bool)
        for patient, course in enumerate(self.courses):
            self._seed_tumour(patient, course.config.model.initial_cells, course.params)
        self._start_tracking({"clones": _living_clones})

    # --- clones --------------------------------------------------------------------------
    def _seed_tumour(self, patient: int, n: int, params: Parameters) -> None:
        """Founding clones: the sensitive bulk and the pre-existing subclones (003 §5.2)."""
        capacity = self.courses[patient].config.model.carrying_capacity  # its history's crowding
        founders = founding_counts(params, n, self._streams[patient], capacity=capacity)
        for state in np.flatnonzero(founders).tolist():
            index = self._new_clone(patient, state, lineage=None, parent=None)  # grows self._counts
            self._counts[index] = founders[state]

    def _new_clone(self, patient: int, state: int, lineage: int | None, parent: int | None) -> int:
        clone = Clone(self, patient, state, lineage, parent, self.day)
        self._clones.append(clone)
        self._by_key[(clone.lineage, state)] = clone.index
        self._patients = np.append(self._patients, patient)
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
                index = self._new_clone(source.patient, state, lineage=None, parent=source.unique_id)
                self._mutant_lineages[key] = self._clones[index].lineage
                return index
        index = self._by_key.get((lineage, state))
        if index is None:
            index = self._new_clone(source.patient, state, lineage=lineage, parent=source.unique_id)
        return index

    @property
    def clones(self) -> list[Clone]:
        """Every clone ever founded (extinct ones have count 0), in order of founding."""
        return list(self._clones)

    # --- one day -----------------------------------------------------------------------
    def _state_counts(self) -> np.ndarray:
        n = len(self.courses)
        flat = np.bincount(self._patients * N_STATES + self._states, weights=self._counts, minlength=n * N_STATES)
        by_state = flat.reshape(n, N_STATES)
        self._totals = by_state.sum(axis=1)
        return by_state

    def _refresh_tables(self) -> None:
        """Copy each course's rule tables into the per-tumour arrays when they changed."""
        for p, course in enumerate(self.courses):
            self._active[p] = course.active
            self._tables.update(p, course.tables if course.active else None)  # a finished tumour stands still

    def _group_living(self) -> None:
        """Today's draws cover the living clones of the tumours still followed, grouped by tumour.

        ``_live``: their clone indices, tumour by tumour, each tumour's in founding order;
        ``_groups``: (stream, start, stop) of each tumour's run in ``_live``. A tumour's run
        depends on its own clones only, so its draws do not depend on the other tumours.
        """
        live = np.flatnonzero((self._counts > 0) & self._active[self._patients])
        live = live[np.argsort(self._patients[live], kind="stable")]
        patients = self._patients[live]
        bounds = np.searchsorted(patients, np.arange(len(self.courses) + 1)).tolist()
        self._live, self._live_patients, self._live_states = live, patients, self._states[live]
        self._groups = [(rng, a, b) for rng, a, b in zip(self._streams, bounds, bounds[1:], strict=False) if b > a]

    def _split(self, n: np.ndarray, usual: np.ndarray, *others: np.ndarray) -> np.ndarray:
        """Each living clone's ``n`` cells split over outcomes, each tumour's clones from its own stream.

        ``usual``: per clone, the probability of the common outcome (column 0 of the result);
        ``others``: per clone, the probabilities of the other outcomes (a column or a block of
        columns each, in the result's order). One multinomial draw per tumour covers all its
        clones. The common outcome is drawn first (so the rarer ones split few cells), and
        what floating-point rounding leaves over is counted in it.
        """
        pvals = np.column_stack([usual, *others, np.zeros(n.size)])  # last: the remainder
        if not self._groups:
            return np.zeros((0, pvals.shape[1] - 1), dtype=np.int64)
        # The groups cover the living clones in order, one run per tumour.
        out = np.concatenate([rng.multinomial(n[a:b], pvals[a:b]) for rng, a, b in self._groups])
        out[:, 0] += out[:, -1]
        return out[:, :-1]

    def _moved(self, cells: np.ndarray, targets: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Flows (source clone index, target state, cells) from cells per (living clone, column of
        the per-tumour ``targets`` of ``PatientTables``)."""
        which, column = np.nonzero(cells)
        patients, states = self._live_patients[which], self._live_states[which]
        return self._live[which], targets[patients, states, column], cells[which, column]

    def _flows(
        self, movers: np.ndarray, targets: np.ndarray, probs: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Split the mutant daughters of each living clone over their new states (the daughter
        ``targets``/``probs`` of ``PatientTables``: a state's row ``DAUGHTER_ROW``, its targets
        or'ed with ``FIELD_BITS``), each clone's from its tumour's stream. Few clones have
        mutant daughters, so each is drawn alone. Returns parallel arrays (source clone
        index, target state, cells)."""
        rows = np.flatnonzero(movers)
        if not rows.size:
            return rows, rows, rows
        patients, states = self._live_patients[rows], self._live_states[rows]
        pvals = probs[patients, DAUGHTER_ROW[states]]
        streams = self._streams
        split = np.array(
            [
                streams[p].multinomial(n, q)
                for p, n, q in zip(patients.tolist(), movers[rows].tolist(), pvals, strict=True)
            ]
        )
        which, column = np.nonzero(split)
        states = states[which]
        moved = targets[patients[which], DAUGHTER_ROW[states], column] | FIELD_BITS[states]
        return self._live[rows[which]], moved, split[which, column]

    def _begin_day(self) -> None:
        self._refresh_tables()
        self._group_living()
        # Where each tumour stands on its Gompertz curve: its crowding loss (on cycling cells only)
        # and the chemotherapy's kill (``rules.hit_probability``) follow from it.
        self._position = gompertz_position(self._totals, self._capacity)
        self._crowding = crowding_at(self._division_rate, self._death_rate, self._position)
        self._moves: list[tuple[np.ndarray, np.ndarray, np.ndarray, bool]] = []

    def _death_event(self) -> None:
        """Each cell is hit or not; a hit cell dies or is rescued as a persister (by route):
        one multinomial per clone over (not hit, dies, rescued as each persister)."""
        patients, states = self._live_patients, self._live_states
        tables = self._tables
        death = hit_probability(
            tables.death[patients, states],
            self._crowding[patients],
            CYCLING[states],
            tables.cytotoxic[patients, states],
            self._position[patients],
        )
        rescued = self._tables.rescue_any[patients, states]
        routes = rescued[:, None] * self._tables.rescue_probs[patients, states]
        split = self._split(self._counts[self._live], 1.0 - death, np.maximum(death - rescued, 0.0), routes)
        self._survivors = split[:, 0]
        self._moves.append((*self._moved(split[:, 2:], self._tables.rescue_targets), False))

    def _division_event(self) -> None:
        """Each cell not hit divides or not, its daughter a mutant or not: one multinomial per
        clone over (does not divide, divides, divides into a mutant); mutants then split by genotype."""
        patients, states = self._live_patients, self._live_states
        division, mutate = self._tables.division[patients, states], self._tables.mutate_any[patients, states]
        split = self._split(self._survivors, 1.0 - division, division * (1.0 - mutate), division * mutate)
        self._births = split[:, 1]
        self._moves.append(
            (*self._flows(split[:, 2], self._tables.daughter_targets, self._tables.daughter_probs), True)
        )

    def _switch_event(self) -> None:
        """Each cell not hit stays or switches to one of its reachable states: one multinomial per clone."""
        patients, states = self._live_patients, self._live_states
        switch = self._tables.switch_any[patients, states]
        split = self._split(
            self._survivors, 1.0 - switch, switch[:, None] * self._tables.switch_probs[patients, states]
        )
        self._stayers = split[:, 0]
        self._moves.append((*self._moved(split[:, 1:], self._tables.switch_targets), False))

    def _end_of_day(self) -> None:
        """Gather the day's flows into the clones (founding new ones), then the daily bookkeeping."""
        destinations = [self._destinations(sources, targets, genetic) for sources, targets, _, genetic in self._moves]
        counts = np.zeros(len(self._states), dtype=np.int64)  # new clones may have been founded
        counts[: self._counts.size] = self._counts  # the tumours no longer followed stand still
        counts[self._live] = self._stayers + self._births
        self._counts = counts
        for (_, _, cells, _), dest in zip(self._moves, destinations, strict=True):
            np.add.at(self._counts, dest, cells)
        super()._end_of_day()

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
                    "patient": c.patient,
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
