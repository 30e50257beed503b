"""What every tumour model shares: its tumours' courses, the day's events, data collection.

A model subclass says how cells are held (a lattice, clones) by implementing
``_state_counts`` and the day's events (``abm.biology.day``); ``step`` runs them in order.
Each tumour's own state (its parameters, size, plateau, schedule, clinic) is held by its
``Course``; the model holds only what is its own (days, random stream, record flag, a lattice).
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any, ClassVar

import mesa
import numpy as np
import pandas as pd

from abm.biology.day import DAY
from abm.biology.drugs import DRUG_NAMES
from abm.biology.mechanisms import COUNT_COLUMNS
from abm.biology.parameters import Parameters
from abm.biology.rules import RuleTables
from abm.clinic.recist import Recist
from abm.config.scenario import ScenarioConfig, as_run, load, with_values
from abm.models.course import Course


# The daily record is of the first tumour (a cohort model records its first patient).
def _count(model: TumourModel, column: str) -> int:
    return model.courses[0].counts[column]


def _dose(model: TumourModel, drug: str) -> float:
    return model.courses[0].doses[drug]


def resolve_config(config: ScenarioConfig | str | Path | None, overrides: dict[str, Any], kind: str) -> ScenarioConfig:
    """A validated configuration from a ScenarioConfig, a scenario file's path or None (the default),
    with overrides."""
    if isinstance(config, ScenarioConfig):
        return with_values(config, overrides, f"{config.name} (overrides)")
    if config is None and kind != "spatial":
        overrides = {"model.kind": kind, **overrides}
    return load(config, overrides)


class TumourModel(mesa.Model):
    """Base of the tumour models: one step is one day, each tumour under its own ``Course``.

    A subclass holds the cells (a lattice, clones), implements ``_state_counts`` and one method
    per event of the day (``abm.biology.day``), and calls ``_start_tracking`` once the tumours exist.

    Each tumour's parameters and settings are its course's (``courses[i].params``,
    ``courses[i].config``). The single-tumour conveniences (``course``, ``config``, ``params``,
    ``counts``, ``doses``, ``recist`` ...) read the only course; in a model of several tumours (a
    cohort) they raise a ``ValueError`` rather than answer for one patient.

    The configuration is ``config`` (a ``ScenarioConfig``), never ``scenario``: that name is
    Mesa's, whose ``Model.__init__`` takes a ``scenario=`` (``mesa.experimental.scenarios.Scenario``,
    holding the random stream) and keeps it as ``model.scenario``; SolaraViz's Reset passes one to
    any model whose ``__init__`` names it.
    """

    kind: ClassVar[str]

    def __init__(
        self, config: ScenarioConfig | str | Path | None, rng: Any, overrides: dict[str, Any], record: bool = True
    ) -> None:
        if "scenario" in overrides:  # the old keyword, or Mesa's Scenario: neither is a configuration here
            raise TypeError(
                f"{type(self).__name__} takes its configuration as config= (a ScenarioConfig or a scenario "
                "file's path), not scenario= (the name of Mesa's own Scenario, which the model makes itself)"
            )
        config = as_run(resolve_config(config, overrides, self.kind))
        self.record = record  # False: no daily DataCollector rows (virtual trials need only the visits)
        super().__init__(rng=config.model.seed if rng is None else rng)
        self.days = config.model.days  # how long the model runs; each course also ends on its own
        self.day = 0
        self.courses = [Course(config)]  # the tumour's state; a cohort model puts its patients' here

    def _state_counts(self) -> np.ndarray:
        """Cells in each state today, one row per course: shape (courses, N_STATES)."""
        raise NotImplementedError

    def step(self) -> None:
        """Advance one day: the events of ``abm.biology.day.DAY``, in that order."""
        self._begin_day()
        for event in DAY:
            getattr(self, f"_{event}_event")()
        self._end_of_day()

    def _begin_day(self) -> None:
        """Prepare the day's draws (the day's rule tables are already set by each course)."""

    def _death_event(self) -> None:
        raise NotImplementedError

    def _division_event(self) -> None:
        raise NotImplementedError

    def _switch_event(self) -> None:
        raise NotImplementedError

    def _move_event(self) -> None:
        """Cells move (only where there is space)."""

    def _start_tracking(self, extra_reporters: dict[str, Any] | None = None) -> None:
        """Call once the initial tumours exist: day-0 counts, doses and the first record."""
        for course, by_state in zip(self.courses, self._state_counts(), strict=True):
            course.observe(0, by_state)
        self.datacollector = mesa.DataCollector(
            model_reporters={
                "day": "day",
                "total": partial(_count, column="total"),
                **{c: partial(_count, column=c) for c in COUNT_COLUMNS},
                **{d: partial(_dose, drug=d) for d in DRUG_NAMES},
                **(extra_reporters or {}),
            }
        )
        if self.record:
            self.datacollector.collect(self)
        self.running = any(c.active for c in self.courses) and self.days > 0

    def _end_of_day(self) -> None:
        self.day += 1
        for course, by_state in zip(self.courses, self._state_counts(), strict=True):
            if course.active:
                course.observe(self.day, by_state)
        if self.record:
            self.datacollector.collect(self)
        self.running = any(c.active for c in self.courses)

    # --- the tumour of a single-tumour model ---------------------------------------------
    def _only_course(self, attribute: str = "") -> Course:
        """The one course; a model of several tumours has no one answer, so it says where to look."""
        if len(self.courses) != 1:
            raise ValueError(f"this model runs {len(self.courses)} tumours; read model.courses[i]{attribute}")
        return self.courses[0]

    @property
    def course(self) -> Course:
        """The tumour's course (a model of several tumours raises: read ``courses[i]``)."""
        return self._only_course()

    @property
    def config(self) -> ScenarioConfig:
        """The tumour's configuration, as its course runs it."""
        return self._only_course(".config").config

    @property
    def params(self) -> Parameters:
        """The tumour's parameters."""
        return self._only_course(".params").params

    @property
    def counts(self) -> dict[str, int]:
        """Today's cell counts: ``total`` and one entry per count column."""
        return self._only_course(".counts").counts

    @property
    def counts_by_state(self) -> np.ndarray:
        """Today's cells in each state."""
        return self._only_course(".counts_by_state").counts_by_state

    @property
    def doses(self) -> dict[str, float]:
        """Today's relative dose of every drug."""
        return self._only_course(".doses").doses

    @property
    def tables(self) -> RuleTables:
        """The rule tables at today's doses."""
        tables = self._only_course(".tables").tables
        assert tables is not None
        return tables

    @property
    def recist(self) -> Recist:
        """Imaging assessments so far."""
        return self._only_course(".recist").recist

    @property
    def at_progression(self) -> list[dict[str, float]]:
        """Mechanism shares at each progression scan."""
        return self._only_course(".at_progression").at_progression

    def readouts(self) -> dict[str, float]:
        """Today's readouts (see ``abm.clinic.readouts``), for schedule triggers."""
        return self._only_course(".readouts()").readouts()

    def timeseries(self) -> pd.DataFrame:
        """One row per day (of the first tumour): day, total, one count column per mechanism, one
        dose column per drug."""
        df = self.datacollector.get_model_vars_dataframe().reset_index(drop=True)
        return df.astype({"day": "int64", "total": "int64", **dict.fromkeys(COUNT_COLUMNS, "int64")})
