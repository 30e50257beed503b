"""What every tumour model shares: scenario, schedule, daily counts, readouts and data collection.

A model subclass says how cells are held (a lattice, clones) by implementing
``_state_counts`` and ``step``; it calls ``_end_of_day`` at the end of each step.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any, ClassVar

import mesa
import numpy as np
import pandas as pd

from abm.clinical import Recist
from abm.drugs import DRUG_NAMES
from abm.mechanisms import COUNT_COLUMNS, count_matrix
from abm.readouts import liquid_biopsy, readouts
from abm.rules import doses_key, rule_tables
from abm.scenario import Scenario, apply_overrides, load, validate
from abm.schedule import ScheduleRun

COUNT_MATRIX = np.array(count_matrix(), dtype=np.int64)


def _count(model: TumourModel, column: str) -> int:
    return model.counts[column]


def _dose(model: TumourModel, drug: str) -> float:
    return model.doses[drug]


def resolve_scenario(scenario: Scenario | str | Path | None, overrides: dict[str, Any], kind: str) -> Scenario:
    """A validated Scenario from a Scenario, a file path or None (the default), with overrides."""
    if isinstance(scenario, Scenario):
        if not overrides:
            return scenario
        return validate(apply_overrides(scenario.model_dump(), overrides), f"{scenario.name} (overrides)")
    if scenario is None and kind != "spatial":
        overrides = {"model.kind": kind, **overrides}
    return load(scenario, overrides)


class TumourModel(mesa.Model):
    """Base of the tumour models: one step is one day under the scenario's schedule."""

    kind: ClassVar[str]

    def __init__(
        self, scenario: Scenario | str | Path | None, rng: Any, overrides: dict[str, Any], record: bool = True
    ) -> None:
        scenario = resolve_scenario(scenario, overrides, self.kind)
        self.record = record  # False: no daily DataCollector rows (virtual trials need only the visits)
        super().__init__(rng=scenario.model.seed if rng is None else rng)
        self.config = scenario
        self.params = scenario.parameters
        self.days = scenario.model.days
        self.day = 0

    def _state_counts(self) -> np.ndarray:
        """Number of cells in each state today (length ``N_STATES``)."""
        raise NotImplementedError

    def _start_tracking(self, extra_reporters: dict[str, Any] | None = None) -> None:
        """Call once the initial tumour exists: day-0 counts, doses and the first record."""
        self.schedule = ScheduleRun(self.config.schedule)
        self.recist = Recist()
        self.clinical_readouts: dict[str, float] = {"progressions": 0.0, "progressed": 0.0}
        self.at_progression: list[dict[str, float]] = []  # mechanism shares at each progression scan
        self._update_counts()
        self.baseline = self.counts["total"]
        self._visit()
        self._decide_doses()
        self.datacollector = mesa.DataCollector(
            model_reporters={
                "day": "day",
                "total": partial(_count, column="total"),
                **{c: partial(_count, column=c) for c in COUNT_COLUMNS},
                **{d: partial(_dose, drug=d) for d in DRUG_NAMES},
                **(extra_reporters or {}),
            }
        )
        self.datacollector.collect(self)
        self.running = self.days > 0

    def _update_counts(self) -> None:
        by_state = self._state_counts().astype(np.int64)
        columns = COUNT_MATRIX @ by_state
        self.counts_by_state = by_state
        self.counts = {
            "total": int(by_state.sum()),
            **{c: int(v) for c, v in zip(COUNT_COLUMNS, columns, strict=True)},
        }

    def _visit(self) -> None:
        """Scans and liquid biopsies due today; their results stay readouts until the next one."""
        clinical = self.config.clinical
        if self.day % clinical.imaging_interval_days == 0 and self.recist.scan(self.day, self.counts["total"]):
            self.clinical_readouts["progressions"] += 1
            self.clinical_readouts["progressed"] = 1.0
            self.at_progression.append(liquid_biopsy(self.counts, 0.0))
        if self.day % clinical.ctdna_interval_days == 0:
            self.clinical_readouts.update(liquid_biopsy(self.counts, clinical.ctdna_detection_limit))

    def readouts(self) -> dict[str, float]:
        """Today's readouts (see ``abm.readouts``), for schedule triggers."""
        return {**readouts(self.day, self.counts, self.baseline), **self.clinical_readouts}

    def _decide_doses(self) -> None:
        self.doses = self.schedule.doses(self.day, self.readouts())
        self.tables = rule_tables(self.params, doses_key(self.doses))

    def _end_of_day(self) -> None:
        self.day += 1
        self._update_counts()
        self._visit()
        self._decide_doses()
        if self.record:
            self.datacollector.collect(self)
        extinct = self.counts["total"] == 0 and self.config.model.stop_when_extinct
        if self.day >= self.days or extinct:
            self.running = False

    def timeseries(self) -> pd.DataFrame:
        """One row per day: day, total, one count column per mechanism, one dose column per drug."""
        df = self.datacollector.get_model_vars_dataframe().reset_index(drop=True)
        return df.astype({"day": "int64", "total": "int64", **dict.fromkeys(COUNT_COLUMNS, "int64")})
