"""One tumour's course of treatment: the schedule it follows and what the clinic sees of it.

Each day a model hands the course its cell counts by state; the course updates the counts,
holds the scans (RECIST) and liquid biopsies due that day, and decides the day's doses and
so the rule tables the model draws from. A model of one tumour has one course; the clone
model can run a whole cohort, one course per patient.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import numpy as np

from abm.biology.drugs import DRUG_NAMES
from abm.biology.mechanisms import COUNT_COLUMNS, count_matrix
from abm.biology.rules import RuleTables, doses_key, rule_tables
from abm.clinic.dosing import Dosing
from abm.clinic.readouts import BIOPSY_COLUMNS, READOUT_NAMES, liquid_biopsy, readout, readouts, rebiopsy, shares
from abm.clinic.recist import Recist
from abm.clinic.schedule import ScheduleRun
from abm.config.scenario import ScenarioConfig

COUNT_MATRIX = np.array(count_matrix(), dtype=np.int64)


class Course:
    """One tumour's configuration, parameters, schedule, counts, readouts and clinical observations.

    ``config`` (its size at diagnosis, plateau, schedule, clinic, follow-up) and ``params`` are
    the tumour's own: a model reads them here, one course per tumour (per patient in a cohort).

    ``stop_after_progressions``: the course is over once this many progressions were seen
    (virtual trials stop a patient when its endpoints are known).

    ``dosing_seed``: the patient's stream of missed doses (``abm.clinic.dosing``; used only when
    ``[clinical] adherence`` < 1); default: spawned from ``model.seed``.
    """

    def __init__(
        self,
        config: ScenarioConfig,
        stop_after_progressions: int | None = None,
        dosing_seed: np.random.SeedSequence | None = None,
    ) -> None:
        self.config = config
        self.params = config.parameters
        self.schedule = ScheduleRun(config.schedule)
        self.recist = Recist(residual_fraction=config.clinical.residual_lesion_fraction)
        self.stop_after_progressions = stop_after_progressions
        self.clinical_readouts: dict[str, float] = {
            "progressions": 0.0,
            "progressed": 0.0,
            **{f"biopsy_{m}": 0.0 for m in BIOPSY_COLUMNS},  # no rebiopsy before a progression
        }
        self.at_progression: list[dict[str, float]] = []  # mechanism shares at each progression scan
        self.at_baseline: dict[str, float] | None = None
        self.day = 0
        self.baseline = 0
        self.total = 0
        self.nadir = 0  # fewest cells so far (0: eradicated)
        self.counts_by_state = np.zeros(0, dtype=np.int64)
        self._counts: dict[str, int] | None = None
        self.doses: dict[str, float] = {}
        self.tables: RuleTables | None = None
        self._doses_key: tuple[float, ...] | None = None
        self.active = True
        # Doses reach the tumour as given (the calibrated model) unless pk or missed doses say otherwise.
        clinical = config.clinical
        self.dosing: Dosing | None = None
        if clinical.pk or clinical.adherence < 1.0:
            seed = np.random.SeedSequence(config.model.seed, spawn_key=(2,)) if dosing_seed is None else dosing_seed
            self.dosing = Dosing(clinical.pk, clinical.adherence, seed, config.model.days)
        # Liquid-biopsy results matter between scans only to a schedule that reads them.
        self._reads_ctdna = any(name.startswith("ctdna_") for name in self.schedule.readouts_read)

    def observe(self, day: int, by_state: np.ndarray) -> None:
        """Today's counts by state: update counts, hold today's visits, decide today's doses."""
        self.day = day
        self.counts_by_state = by_state.astype(np.int64)
        self.total = int(self.counts_by_state.sum())
        self._counts = None  # built when asked for: most days nobody looks
        self.nadir = min(self.nadir, self.total)
        if day == 0:
            self.baseline = self.nadir = self.total
            self.at_baseline = shares(self.counts)  # what a diagnostic biopsy would find
        self._visit()
        self.doses = self.schedule.doses(day, _Readouts(self))
        key = doses_key(self.doses) if self.dosing is None else self.dosing.today(day, self.doses)
        if key != self._doses_key:  # doses change rarely: look the tables up only then
            self._doses_key, self.tables = key, rule_tables(self.params, key)
        self._check_finished()

    def next_look(self) -> tuple[int, list[tuple[str, str, float]]]:
        """After today's ``observe``: the next day the clinic must look (a scan, a liquid biopsy
        a schedule reads, a dose change by the calendar, the end of follow-up), and the
        conditions on daily readouts that would change a dose the day they hold (see
        ``ScheduleRun.next_change``). A model may skip observing the days between."""
        clinical, day = self.config.clinical, self.day
        days = [self.config.model.days, day + clinical.imaging_interval_days - day % clinical.imaging_interval_days]
        if self._reads_ctdna:
            days.append(day + clinical.ctdna_interval_days - day % clinical.ctdna_interval_days)
        change, watches = self.schedule.next_change(day)
        if change is not None:
            days.append(change)
        look = min(days)
        if self.dosing is not None:  # a concentration still changing is a change too
            look = self.dosing.next_change(look) or look
        return look, watches

    @property
    def exposure(self) -> dict[str, float]:
        """Today's effective relative dose of each drug: the dose (pk off, every dose taken), the
        share of it taken (missed doses), or the quantised relative exposure (pk on)."""
        return dict(zip(DRUG_NAMES, self._doses_key or (), strict=False))

    @property
    def counts(self) -> dict[str, int]:
        """Today's cell counts: ``total`` and one entry per count column."""
        if self._counts is None:
            columns = COUNT_MATRIX @ self.counts_by_state
            self._counts = {"total": self.total, **dict(zip(COUNT_COLUMNS, columns.tolist(), strict=True))}
        return self._counts

    def _visit(self) -> None:
        """Scans and liquid biopsies due today; their results stay readouts until the next one."""
        clinical = self.config.clinical
        # imaging measures the cells and the residual lesion (``Recist.residual_fraction``)
        if self.day % clinical.imaging_interval_days == 0 and self.recist.scan(self.day, self.total):
            self.clinical_readouts["progressions"] += 1
            self.clinical_readouts["progressed"] = 1.0
            self.at_progression.append(shares(self.counts))
            limits = (clinical.ctdna_detection_limit, clinical.tissue_detection_limit)
            self.clinical_readouts.update(rebiopsy(self.counts, *limits))  # what the next line is chosen by
        if self.day % clinical.ctdna_interval_days == 0:
            self.clinical_readouts.update(liquid_biopsy(self.counts, clinical.ctdna_detection_limit))

    def _check_finished(self) -> None:
        model = self.config.model
        extinct = self.total == 0 and model.stop_when_extinct
        done = self.stop_after_progressions is not None and (
            len(self.recist.progression_days) >= self.stop_after_progressions
        )
        if self.day >= model.days or extinct or done:
            self.active = False

    def readouts(self) -> dict[str, float]:
        """Today's readouts (see ``abm.clinic.readouts``), for schedule triggers."""
        return {**readouts(self.day, self.counts, self.baseline), **self.clinical_readouts}


class _Readouts(Mapping[str, float]):
    """Today's readouts of a course, each computed only when a schedule asks for it."""

    def __init__(self, course: Course) -> None:
        self._course = course

    def __getitem__(self, name: str) -> float:
        course = self._course
        if name in course.clinical_readouts:
            return course.clinical_readouts[name]
        if name.startswith("ctdna_"):
            return 0.0  # no liquid biopsy has shown it yet
        return readout(name, course.day, course.counts, course.baseline)

    def __iter__(self) -> Iterator[str]:
        return iter(READOUT_NAMES)

    def __len__(self) -> int:
        return len(READOUT_NAMES)
