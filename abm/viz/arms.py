"""Schedules side by side: one tumour per schedule, the same scenario and seed, stepped together,
with every day kept so the page can go back to it (a time scrubber) and replay from there.

Common random numbers, as a trial's arms (``abm.experiments.trial``): every arm is the same
scenario with the same seed, so its model draws from the same random stream (numpy's, seeded
with ``model.seed``, as ``abm run`` does); the founding tumour is drawn from it before any dose,
so it is the same on every arm, and an arm's course depends only on that stream and its doses:
two arms that dose alike up to day d are identical up to day d. Each arm is exactly what
``abm run`` gives for its scenario and seed.

No solara here: the page (``abm.viz.app``) draws what these hold.
"""

from __future__ import annotations

import html
import tempfile
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import mesa
import numpy as np
import pandas as pd

from abm.biology.drugs import DRUGS
from abm.biology.mechanisms import COUNT_COLUMNS
from abm.clinic.schedule import DosingBlock
from abm.config.scenario import ScenarioConfig, load, validate
from abm.experiments.run import Recorder, RunResult, snapshot_days, summarise, with_concentrations, write_run
from abm.models.clone import CloneTumour
from abm.models.spatial import SpatialTumour

Model = SpatialTumour | CloneTumour
LETTERS = "ABCD"  # at most four schedules side by side: more do not fit a window
# What "compare" adds to a lone schedule first: the shipped upfront combination of osimertinib and
# the AXL inhibitor (003 §5.2: AXL-high persisters seed resistance under osimertinib alone).
COMPARE_WITH = "osimertinib-axl-upfront"


def shipped_schedule(name: str) -> tuple[DosingBlock, ...]:
    """The schedule of a shipped scenario file (``scenarios/NAME.toml``), validated as the file is."""
    return load(name).schedule


def schedule_label(schedule: Sequence[DosingBlock]) -> str:
    """A schedule in a few words: 'osimertinib + bemcentinib (AXL inhibitor) days 0-27'."""
    if not schedule:
        return "no drug"
    parts = []
    for block in schedule:
        words = [block.drug]
        drug_class = DRUGS[block.drug].drug_class
        if not drug_class.startswith("EGFR TKI"):
            words.append(f"({drug_class})")
        if block.dose != 1.0:
            words.append(
                f"{block.dose} mg" if isinstance(block.dose, str) and "mg" not in block.dose else str(block.dose)
            )
        start = block.start if isinstance(block.start, int) else None
        stop = block.stop if isinstance(block.stop, int) else None
        if block.start != 0 and start is None:
            words.append(f"from {'/'.join(t.readout for t in block.start.conditions)}")  # type: ignore[union-attr]
        if stop is not None:
            words.append(f"days {start or 0}-{stop - 1}" if start is not None else f"to day {stop - 1}")
        elif start:
            words.append(f"from day {start}")
        elif block.stop is not None:
            words.append(f"until {'/'.join(t.readout for t in block.stop.conditions)}")  # type: ignore[union-attr]
        if block.for_days:
            words.append(f"for {block.for_days} days")
        if block.on_days:
            words.append(f"{block.on_days} on/{block.off_days} off")
        if block.adaptive is not None:
            words.append("adaptive")
        parts.append(" ".join(words))
    return " + ".join(parts)


def with_schedule(
    scenario: ScenarioConfig, schedule: Sequence[DosingBlock | dict[str, Any]], source: str
) -> ScenarioConfig:
    """``scenario`` on another schedule, validated as a scenario file is (an ``InputError`` names ``source``)."""
    data = scenario.model_dump(mode="json")
    data["schedule"] = [
        b.model_dump(mode="json", exclude_defaults=True) if isinstance(b, DosingBlock) else b for b in schedule
    ]
    return validate(data, source)


def days_so_far(model: Model) -> pd.DataFrame:
    """The model's daily table so far (as ``TumourModel.timeseries``), safe to call while it steps.

    While playing, SolaraViz steps the model in one thread as the page renders in another, so a
    day's row may be half collected: only days with every column are taken.
    """
    columns = dict(model.datacollector.model_vars)
    days = min(len(values) for values in columns.values())
    return pd.DataFrame({name: values[:days] for name, values in columns.items()})


def as_run_table(table: pd.DataFrame, model: Model) -> pd.DataFrame:
    """The daily table as ``abm run`` writes it: its integer columns, then the concentrations."""
    table = table.astype({"day": "int64", "total": "int64", **dict.fromkeys(COUNT_COLUMNS, "int64")})
    return with_concentrations(table, model)


def run_csv(model: Model) -> str:
    """The run so far as ``abm run`` writes its ``timeseries.csv`` (``abm.experiments.run``:
    the same columns, types and float form), its rows the days played."""
    return as_run_table(days_so_far(model), model).to_csv(index=False, lineterminator="\n")


class Arm:
    """One schedule's tumour and what it looked like on each day so far."""

    def __init__(self, scenario: ScenarioConfig, model: Model, letter: str) -> None:
        self.scenario = scenario  # as given (``model.config`` is as the course runs it: rates scaled)
        self.model = model
        self.letter = letter
        self.label = schedule_label(scenario.schedule)
        self.slug = "".join(c if c.isalnum() else "-" for c in scenario.name.lower()).strip("-") or "run"
        self._recorder = Recorder(model, snapshots=())  # cells per state (and clones) each day, for the report
        self._lattices: list[bytes] = []  # each day's lattice, compressed (a 300x300 day: ~5-20 kB)
        self._verdicts: list[tuple[int, str, int | None]] = []  # each day's scans, best response, progression
        self._keep()

    def _keep(self) -> None:
        model = self.model
        if isinstance(model, SpatialTumour):
            self._lattices.append(zlib.compress(model.lattice.tobytes(), 1))
        else:
            recist = model.recist
            self._verdicts.append((len(recist.visits), recist.best_response, recist.progression_day))

    def step(self) -> None:
        """The model's next day, kept."""
        self.model.step()
        self._recorder()
        self._keep()

    @property
    def day(self) -> int:
        """The last day kept."""
        return len(self._lattices or self._verdicts) - 1

    def lattice(self, day: int) -> np.ndarray:
        """The lattice of ``day`` (the last kept day for a later one): (width, height) states, -1 empty."""
        kept = self._lattices[min(day, self.day)]
        return np.frombuffer(zlib.decompress(kept), dtype=self.model.lattice.dtype).reshape(self.model.lattice.shape)

    def verdict(self, day: int) -> tuple[int, str, int | None]:
        """On ``day``: scans so far, best response, first progression day (None: none yet)."""
        return self._verdicts[min(day, self.day)]

    def table(self, day: int | None = None) -> pd.DataFrame:
        """The daily table up to ``day`` (None: every day so far)."""
        table = days_so_far(self.model)
        return table if day is None else table.iloc[: day + 1]

    def report_html(self) -> bytes:
        """The report ``abm run --report`` writes (``abm.report``), of the days so far: the run's files
        written as ``abm run`` writes them into a scratch folder, then ``build_report`` on it."""
        from abm.io.outdir import output_folder
        from abm.report.build import build_report

        model = self.model
        table = days_so_far(model).astype({"day": "int64", "total": "int64", **dict.fromkeys(COUNT_COLUMNS, "int64")})
        table = table.iloc[: self.day + 1]
        summary = summarise(self.scenario, table, setup_s=0.0, loop_s=0.0)
        kept = self._recorder.results()
        if isinstance(model, SpatialTumour):
            kept["snapshots"] = {d: self.lattice(d).copy() for d in snapshot_days(self.day)}
        result = RunResult(with_concentrations(table, model), summary, **kept)
        with tempfile.TemporaryDirectory(prefix="abm-viz-report-") as scratch:
            out = Path(scratch) / f"{self.slug}-day{self.day}"  # the report's title names its folder
            with output_folder(out, "run") as staging:
                write_run(result, staging)
            page = build_report(out).read_text()
        # the report names its folder, here a scratch one: name the run instead
        where = html.escape(
            f"abm viz, {self.scenario.name} ({self.label}), seed {self.scenario.model.seed}, days 0-{self.day}"
        )
        return page.replace(html.escape(str(out)), where, 1).encode()


class Arms(mesa.Model):
    """Several schedules' tumours on one scenario and seed, stepped together by one ``step``.

    ``viewing``: the day the page shows when looking back (None: the live day). A step while
    looking back replays the next kept day instead of running the models (the kept days are
    what the models would give again: same seed, same schedules); back at the live day, steps
    run the models again.
    """

    def __init__(self, scenarios: Sequence[ScenarioConfig], build: Callable[[ScenarioConfig], Model]) -> None:
        super().__init__(rng=scenarios[0].model.seed if scenarios else 0)  # draws nothing: each arm has its own
        if not 1 <= len(scenarios) <= len(LETTERS):
            raise ValueError(f"{len(scenarios)} schedules; allowed: 1 to {len(LETTERS)}")
        self.arms = [Arm(s, build(s), letter) for s, letter in zip(scenarios, LETTERS, strict=False)]
        self.days = max(arm.model.days for arm in self.arms)
        self.viewing: int | None = None
        self.running = any(arm.model.running for arm in self.arms)
        self._day = 0

    @property
    def day(self) -> int:
        """The live day: the last day every arm still running has run (set once all have: a page
        drawn while the play thread is between two arms shows them on one day)."""
        return self._day

    @property
    def shown(self) -> int:
        """The day the page shows."""
        return self.day if self.viewing is None else min(self.viewing, self.day)

    def view(self, day: int | None) -> None:
        """Look back at ``day`` (None, or the live day or later: the live day)."""
        self.viewing = None if day is None or day >= self.day else max(0, int(day))

    def step(self) -> None:
        """The next day: replayed when looking back, else every arm still running advances one day."""
        if self.viewing is not None:
            self.view(self.viewing + 1)
            return
        for arm in self.arms:
            if arm.model.running:
                arm.step()
        self._day = max(arm.day for arm in self.arms)
        self.running = any(arm.model.running for arm in self.arms)
