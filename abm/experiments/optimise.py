"""Schedule optimisation: search a family of schedules for the one that delays progression most.

A family file (TOML) names a base trial file, the arm whose schedule is searched, its free
settings with their ranges (named as a sweep names them, relative to the arm:
``schedule[1].start``, ``schedule[1].duration``, ``schedule[0].adaptive.pause_below``), the
objectives and the constraints a clinician would set:

    name = "AXL-inhibitor window on osimertinib"
    base = "trial-axl-timing.toml"
    arm = "osimertinib + AXL inhibitor days 0-27"    # the arm searched
    reference = "osimertinib"                       # compared against (hazard ratio, KM figure)
    objectives = ["mean_pfs_days", "exposure_bemcentinib"]
    [search]
    patients = 100                                  # the search cohort (seed 0)
    [reevaluate]
    patients = 400                                  # a fresh cohort, another seed
    seed = 1
    [vary]
    "schedule[1].start" = { low = 0, high = 84, integer = true }
    [constraints]
    max_dose_days = { bemcentinib = 56 }
    max_drugs_at_once = 2
    dose_range = { bemcentinib = [0.5, 1.0] }

Every candidate is the arm on the same virtual patients (common random numbers, as the arms of
a trial), so differences between candidates are the schedule's, not the cohort's luck.

Determinism and resume. Candidates are proposed in batches of ``batch`` (a setting of the
file, not of ``--workers``): candidate n is proposed by a fresh Optuna sampler seeded from
(seed, n) that sees exactly the trials numbered before n's batch, taken from the study. So a
candidate is a pure function of the seed, its number and the trials before its batch; the
batch is then evaluated on any number of workers and its trials are stored in number order.
Optuna keeps no sampler state between trials (its RNG is not stored), which is why the sampler
is rebuilt per candidate. The study lives in an SQLite file (Optuna's RDB storage); each
finished trial is written in one transaction, so a run killed with SIGKILL leaves the trials
before it intact, and the next run re-proposes the missing ones identically and goes on. A
finished study is extended by asking for more trials.

Constraints are checked on the schedule before anything is simulated (planned dose-days and
drugs at once follow from the calendar): an infeasible candidate is not simulated; it is stored
with its constraint violations (Optuna's ``constraints`` attribute, which TPE reads) and a
placeholder value, and never counts as a best schedule.
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator

from abm.biology.drugs import DRUG_NAMES
from abm.clinic.schedule import DosingBlock
from abm.config.files import locate
from abm.config.paths import dotted, parse_path, set_in
from abm.config.scenario import read_toml
from abm.experiments.sweep.design import Vary
from abm.io.errors import InputError, from_validation_error, unknown_name
from abm.io.inputs import USER_FILE
from abm.io.schema import ARM, PFS2_DAYS, PFS_DAYS, PROGRESSED, PROGRESSED2

if TYPE_CHECKING:
    import optuna

    from abm.experiments.trial import Trial

# Objectives: trial statistics of the searched arm (maximised unless lower is better) and the
# schedule's planned exposure of a drug (minimised).
STATISTICS: dict[str, Literal["maximize", "minimize"]] = {
    "median_pfs_days": "maximize",
    "mean_pfs_days": "maximize",
    "median_pfs2_days": "maximize",
    "mean_pfs2_days": "maximize",
    "hazard_ratio": "minimize",
}
EXPOSURE_PREFIX = "exposure_"
SAMPLERS = ("tpe", "random")
STUDY_NAME = "abm-optimise"
STUDY_FILE = "study.db"
DESCRIPTION_FILE = "optimise.json"
TRIALS_FILE = "trials.csv"
REEVALUATION_FILE = "reevaluation.csv"
REEVALUATED_PATIENTS_FILE = "reevaluated_patients.csv"
IMPORTANCE_FILE = "importance.csv"
FAILED = "failed"
INFEASIBLE = "infeasible"


def direction(objective: str) -> Literal["maximize", "minimize"]:
    """Whether an objective is maximised or minimised."""
    return "minimize" if objective.startswith(EXPOSURE_PREFIX) else STATISTICS[objective]


def _check_objective(name: str) -> str:
    if name in STATISTICS:
        return name
    if name.startswith(EXPOSURE_PREFIX) and name.removeprefix(EXPOSURE_PREFIX) in DRUG_NAMES:
        return name
    allowed = ", ".join(STATISTICS) + ", " + EXPOSURE_PREFIX + "DRUG (planned dose-days of DRUG)"
    raise ValueError(f"unknown objective {name!r}; allowed: {allowed}")


# --- the family file ---------------------------------------------------------------------------
class Cohort(BaseModel):
    """A cohort: how many patients, which seed."""

    model_config = USER_FILE

    patients: int = Field(ge=1, le=1_000_000)
    seed: int = Field(0, ge=0)


class Reevaluate(Cohort):
    """The fresh cohort the best schedules are run again on, and how many of them."""

    patients: int = Field(400, ge=1, le=1_000_000)
    seed: int = Field(1, ge=0)
    best: int = Field(3, ge=1, le=50, description="how many of the best schedules (or Pareto points) to re-run")


class Constraints(BaseModel):
    """What a clinician would allow; checked on the schedule, before it is simulated."""

    model_config = USER_FILE

    max_dose_days: dict[str, float] = Field(
        {}, description="per drug: most planned dose-days (relative dose x days given) over follow-up"
    )
    max_drugs_at_once: int | None = Field(None, ge=1, description="most drugs planned on the same day")
    dose_range: dict[str, list[float]] = Field(
        {}, description="per drug: [lowest, highest] relative dose of every block of it (its labelled range)"
    )

    @field_validator("max_dose_days", "dose_range")
    @classmethod
    def _known_drugs(cls, table: dict[str, Any]) -> dict[str, Any]:
        for drug, value in table.items():
            if drug not in DRUG_NAMES:
                raise ValueError(unknown_name("drug", drug, DRUG_NAMES))
            if isinstance(value, list) and len(value) != 2:
                raise ValueError(f"{drug}: {value!r} is not allowed; allowed: [low, high]")
            low, high = (value, value) if not isinstance(value, list) else value
            if not (0 <= low <= high):
                raise ValueError(f"{drug}: {value!r} is not allowed; allowed: 0 <= low <= high")
        return table


class FamilyFile(BaseModel):
    """A validated family file (not yet combined with its base trial)."""

    model_config = USER_FILE

    name: str = Field(min_length=1)
    description: str = ""
    base: str = Field(min_length=1, description="trial file, relative to this file")
    arm: str = Field(min_length=1, description="the arm whose schedule is searched")
    reference: str | None = Field(None, description="the arm compared against; default: the base's first arm")
    objectives: tuple[str, ...] = Field(min_length=1, max_length=2, strict=False)
    seed: int = Field(0, ge=0)
    sampler: Literal["tpe", "random"] = "tpe"
    batch: int = Field(4, ge=1, le=256, description="candidates proposed together, from the same history")
    startup_trials: int = Field(10, ge=0, le=10_000, description="TPE: random candidates before modelling")
    search: Cohort = Cohort(patients=100)
    reevaluate: Reevaluate = Reevaluate()
    vary: dict[str, Vary] = Field(min_length=1)
    constraints: Constraints = Constraints()

    @model_validator(mode="before")
    @classmethod
    def _objective_shorthand(cls, data: Any) -> Any:
        if isinstance(data, dict) and "objective" in data:
            if "objectives" in data:
                raise ValueError("give objective or objectives, not both")
            data = {**{k: v for k, v in data.items() if k != "objective"}, "objectives": [data["objective"]]}
        return data

    @field_validator("objectives")
    @classmethod
    def _known_objectives(cls, objectives: tuple[str, ...]) -> tuple[str, ...]:
        for name in objectives:
            _check_objective(name)
        if len(set(objectives)) != len(objectives):
            raise ValueError("an objective is named twice")
        return objectives

    @field_validator("vary")
    @classmethod
    def _ranges(cls, vary: dict[str, Vary]) -> dict[str, Vary]:
        for name, spec in vary.items():
            if spec.num is not None:
                raise ValueError(f"{name}: num belongs to a sweep's grid; a search draws from the whole range")
            if spec.values is not None and not all(isinstance(v, str | int | float | bool) for v in spec.values):
                raise ValueError(f"{name}: a choice is among numbers, text or true/false")
        return vary


@dataclass
class Family:
    """A family ready to search: its file, the base trial's data, where the free settings go."""

    path: Path
    file: FamilyFile
    base_data: dict[str, Any]  # the base trial's data, cohort_from resolved
    arm_index: int
    reference_index: int
    targets: dict[str, str]  # free setting -> its path in the trial (arms[i]....)

    @property
    def names(self) -> list[str]:
        return list(self.file.vary)

    @property
    def objectives(self) -> tuple[str, ...]:
        return self.file.objectives

    @property
    def directions(self) -> list[str]:
        return [direction(o) for o in self.objectives]

    @property
    def arm_name(self) -> str:
        return self.base_data["arms"][self.arm_index]["name"]

    @property
    def reference_name(self) -> str:
        return self.base_data["arms"][self.reference_index]["name"]

    @property
    def follow_up(self) -> int:
        from abm.experiments.trial import TrialSettings

        default = TrialSettings.model_fields["follow_up_days"].default
        return int(self.base_data.get("trial", {}).get("follow_up_days", default))

    def distributions(self) -> dict[str, Any]:
        """Optuna's distribution of each free setting."""
        from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

        found: dict[str, Any] = {}
        for name, spec in self.file.vary.items():
            if spec.values is not None:
                found[name] = CategoricalDistribution(spec.values)
            elif spec.integer:
                found[name] = IntDistribution(int(spec.low), int(spec.high), log=spec.scale == "log")  # type: ignore[arg-type]
            else:
                found[name] = FloatDistribution(spec.low, spec.high, log=spec.scale == "log")  # type: ignore[arg-type]
        return found

    def trial(self, values: dict[str, Any], arms: list[int], cohort: Cohort, source: str) -> Trial:
        """The base trial with the free settings at ``values``, only ``arms``, on ``cohort``."""
        from abm.experiments.trial import validate_trial

        data = set_in(self.base_data, {self.targets[n]: v for n, v in values.items()}, source=source)
        data["arms"] = [data["arms"][k] for k in arms]
        data.setdefault("trial", {}).update(patients=cohort.patients, seed=cohort.seed)
        return validate_trial(data, source)

    def candidate(self, values: dict[str, Any], cohort: Cohort | None = None) -> Trial:
        """The searched arm alone with the free settings at ``values`` (the search cohort by default)."""
        described = ", ".join(f"{n}={v!r}" for n, v in values.items())
        return self.trial(values, [self.arm_index], cohort or self.file.search, f"{self.path} ({described})")

    def reference(self, cohort: Cohort | None = None) -> Trial:
        """The reference arm alone."""
        return self.trial({}, [self.reference_index], cohort or self.file.search, str(self.path))

    def description(self) -> dict[str, Any]:
        """What DIR/optimise.json holds."""
        return {
            "name": self.file.name,
            "family": self.path.name,
            "arm": self.arm_name,
            "reference": self.reference_name,
            "objectives": list(self.objectives),
            "directions": self.directions,
            "parameters": self.names,
            "fingerprint": self.fingerprint(),
            "file": self.file.model_dump(mode="json"),
        }

    def fingerprint(self) -> str:
        """A hash of everything that decides the study (not re-evaluation), to refuse resuming another."""
        content = {
            "base": self.base_data,
            "arm": self.arm_index,
            "reference": self.reference_index,
            "file": self.file.model_dump(mode="json", exclude={"reevaluate", "name", "description"}),
        }
        return hashlib.sha256(json.dumps(content, sort_keys=True, default=str).encode()).hexdigest()[:16]


def load_family(path: str | Path) -> Family:
    """A Family from a family file, its names and base checked, or an InputError."""
    from abm.experiments.trial import read_trial_data

    path = locate(path, "schedule family file")
    source = str(path)
    data = read_toml(path)
    if "arms" in data or ("vary" in data and "objectives" not in data and "objective" not in data):
        raise InputError(source, "", "a trial or sweep file, not a schedule family; a family names its base trial")
    try:
        file = FamilyFile.model_validate(data)
    except ValidationError as error:
        raise from_validation_error(error, source, root=FamilyFile) from None
    base_path = path.parent / file.base
    if not base_path.is_file():
        raise InputError(source, "base", f"no such file {base_path}")
    base_data = read_trial_data(base_path)
    if "arms" not in base_data:
        raise InputError(source, "base", f"{file.base} is not a trial file (it has no [[arms]])")
    arms = [a.get("name") for a in base_data["arms"] if isinstance(a, dict)]
    if file.arm not in arms:
        raise InputError(source, "arm", f"no arm {file.arm!r} in {file.base}; arms: {', '.join(map(str, arms))}")
    reference = file.reference if file.reference is not None else arms[0]
    if reference not in arms:
        raise InputError(source, "reference", f"no arm {reference!r} in {file.base}; arms: {', '.join(map(str, arms))}")
    if reference == file.arm and "hazard_ratio" in file.objectives:
        raise InputError(source, "reference", "the hazard ratio needs a reference arm other than the searched arm")
    arm_index = arms.index(file.arm)
    targets = {}
    for name, spec in file.vary.items():
        parts = parse_path(spec.path or name, f"{source}: vary")
        if parts[0] != "schedule":
            raise InputError(
                source, f"vary.{name}", "a free setting is of the searched arm's schedule, e.g. schedule[1].start"
            )
        targets[name] = dotted(("arms", arm_index, *parts))
    family = Family(path, file, base_data, arm_index, arms.index(reference), targets)
    # every name and the base validated now, at the middle of every range, before anything runs
    middle = {name: spec.at(0.5) for name, spec in file.vary.items()}
    family.candidate(middle)
    family.reference()
    return family


# --- the schedule's calendar: planned exposure, drugs at once, doses -------------------------
def _window(block: DosingBlock, follow_up: int) -> tuple[int, int]:
    """The days a block may dose: a triggered start counts from day 0, a triggered or absent stop
    runs to the end of follow-up (an upper bound: what the calendar allows)."""
    start = block.start if isinstance(block.start, int) else 0
    stop = block.stop if isinstance(block.stop, int) else follow_up
    return min(start, follow_up), min(stop, follow_up)


def _days_on(block: DosingBlock, start: int, stop: int) -> int:
    if block.on_days is None or not block.off_days:
        return max(stop - start, 0)
    cycle = block.on_days + block.off_days
    full, rest = divmod(max(stop - start, 0), cycle)
    return full * block.on_days + min(rest, block.on_days)


def planned_exposure(schedule: tuple[DosingBlock, ...], follow_up: int) -> dict[str, float]:
    """Planned dose-days of each drug over follow-up: relative dose x days given by the calendar.

    A triggered or adaptive block is counted as if it dosed every day it may (an upper bound)."""
    exposure = dict.fromkeys(DRUG_NAMES, 0.0)
    for block in schedule:
        start, stop = _window(block, follow_up)
        exposure[block.drug] += block.relative_dose * _days_on(block, start, stop)
    return exposure


def most_drugs_at_once(schedule: tuple[DosingBlock, ...], follow_up: int) -> int:
    """The most distinct drugs the calendar may give on one day (triggered blocks as in ``_window``)."""
    edges = sorted({d for b in schedule for d in _window(b, follow_up)})
    most = 0
    for day in edges:
        on = {
            b.drug
            for b in schedule
            if b.relative_dose > 0 and _window(b, follow_up)[0] <= day < _window(b, follow_up)[1]
        }
        most = max(most, len(on))
    return most


def violations(constraints: Constraints, schedule: tuple[DosingBlock, ...], follow_up: int) -> dict[str, float]:
    """One number per constraint, by name: <= 0 when it holds, else by how much it is broken
    (Optuna's convention)."""
    exposure = planned_exposure(schedule, follow_up)
    found = {f"max_dose_days.{d}": exposure[d] - limit for d, limit in constraints.max_dose_days.items()}
    if constraints.max_drugs_at_once is not None:
        found["max_drugs_at_once"] = float(most_drugs_at_once(schedule, follow_up) - constraints.max_drugs_at_once)
    for drug, (low, high) in constraints.dose_range.items():
        doses = [b.relative_dose for b in schedule if b.drug == drug]
        found[f"dose_range.{drug}.low"] = max((low - d for d in doses), default=0.0)
        found[f"dose_range.{drug}.high"] = max((d - high for d in doses), default=0.0)
    return found


# --- evaluating a candidate (in a worker) ----------------------------------------------------
def simulate_arm(trial: Trial) -> pd.DataFrame:
    """The per-patient table of a one-arm trial (run in a worker, one process per candidate)."""
    from abm.experiments.trial import run_trial

    return run_trial(trial, workers=1, progress=False)


def arm_statistics(
    table: pd.DataFrame, reference: pd.DataFrame | None, follow_up: int, names: tuple[str, ...]
) -> dict[str, float]:
    """The trial statistics of a candidate's table (a median not reached counts as follow-up)."""
    from abm.experiments.trial_stats import hazard_ratio, median_pfs

    values: dict[str, float] = {}
    for name in names:
        if name == "median_pfs_days":
            value = median_pfs(table[PFS_DAYS], table[PROGRESSED])[0]
        elif name == "median_pfs2_days":
            value = median_pfs(table[PFS2_DAYS], table[PROGRESSED2])[0]
        elif name == "mean_pfs_days":
            value = float(table[PFS_DAYS].clip(upper=follow_up).mean())
        elif name == "mean_pfs2_days":
            value = float(table[PFS2_DAYS].clip(upper=follow_up).mean())
        elif name == "hazard_ratio" and reference is not None:
            both = pd.concat([reference.assign(**{ARM: "reference"}), table.assign(**{ARM: "candidate"})])
            hr = hazard_ratio(both, "candidate", "reference")["hr"]
            value = math.nan if hr is None else hr
        else:
            continue
        if value is None:  # median not reached within follow-up
            value = float(follow_up)
        values[name] = float(value)
    return values


# --- proposing candidates ------------------------------------------------------------------------
def sampler_seed(seed: int, number: int) -> int:
    """The seed of the sampler that proposes candidate ``number`` (32 bits, from a SeedSequence)."""
    return int(np.random.SeedSequence(seed, spawn_key=(number,)).generate_state(1, dtype=np.uint32)[0])


def _sampler(family: Family, number: int) -> optuna.samplers.BaseSampler:
    import optuna

    seed = sampler_seed(family.file.seed, number)
    if family.file.sampler == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    # constraints: TPE reads each trial's stored constraint values (trial.constraints)
    return optuna.samplers.TPESampler(
        seed=seed, n_startup_trials=family.file.startup_trials, multivariate=True, constant_liar=False
    )


def propose(family: Family, history: list[optuna.trial.FrozenTrial], number: int) -> dict[str, Any]:
    """Candidate ``number``'s free settings: a pure function of the family, the number and the
    trials numbered before its batch (``history`` may hold more; they are left out)."""
    import optuna

    first = number - number % family.file.batch
    seen = [t for t in history if t.number < first]
    scratch = optuna.create_study(sampler=_sampler(family, number), directions=family.directions)
    scratch.add_trials(seen)
    return dict(scratch.ask(family.distributions()).params)


# --- the study ------------------------------------------------------------------------------------
@dataclass
class Outcome:
    """One evaluated candidate."""

    number: int
    params: dict[str, Any]
    values: list[float] | None  # None: failed
    constraints: dict[str, float]
    attrs: dict[str, Any]


def evaluate(family: Family, number: int, params: dict[str, Any], reference: pd.DataFrame | None) -> Outcome:
    """Check a candidate's constraints and, when feasible, simulate it (in this process)."""
    try:
        trial = family.candidate(params)
    except InputError as error:  # e.g. a stop before its start: a candidate the family cannot give
        return Outcome(number, params, None, {}, {"status": FAILED, "error": error.message})
    return score(
        family, number, params, trial, None if not _feasible(family, trial) else simulate_arm(trial), reference
    )


def _feasible(family: Family, trial: Trial) -> bool:
    return all(v <= 0 for v in violations(family.file.constraints, trial.arms[0].schedule, family.follow_up).values())


def score(
    family: Family,
    number: int,
    params: dict[str, Any],
    trial: Trial,
    table: pd.DataFrame | None,
    reference: pd.DataFrame | None,
) -> Outcome:
    """The objectives of a candidate from its simulated table (None: infeasible, not simulated)."""
    schedule = trial.arms[0].schedule
    broken = violations(family.file.constraints, schedule, family.follow_up)
    exposure = planned_exposure(schedule, family.follow_up)
    attrs: dict[str, Any] = {f"planned_{EXPOSURE_PREFIX}{d}": exposure[d] for d in sorted({b.drug for b in schedule})}
    stats: dict[str, float] = {}
    if table is not None:
        names = tuple(n for n in STATISTICS if reference is not None or n != "hazard_ratio")
        stats = arm_statistics(table, reference, family.follow_up, names)
        attrs.update(stats, status="done")
    else:
        attrs["status"] = INFEASIBLE
    values = []
    for name, way in zip(family.objectives, family.directions, strict=True):
        if name.startswith(EXPOSURE_PREFIX):
            values.append(exposure[name.removeprefix(EXPOSURE_PREFIX)])
        elif table is None:  # a placeholder: TPE ranks infeasible candidates by their violations
            values.append(0.0 if way == "maximize" else 1e9)
        else:
            values.append(stats[name])
    if any(not math.isfinite(v) for v in values):
        return Outcome(number, params, None, broken, {**attrs, "status": FAILED, "error": "objective not finite"})
    return Outcome(number, params, values, broken, attrs)


def _frozen(family: Family, outcome: Outcome) -> optuna.trial.FrozenTrial:
    import optuna
    from optuna.trial import TrialState

    return optuna.trial.create_trial(
        state=TrialState.COMPLETE if outcome.values is not None else TrialState.FAIL,
        params=outcome.params,
        distributions=family.distributions(),
        values=outcome.values,
        user_attrs=outcome.attrs,
        constraints=outcome.constraints if outcome.values is not None else None,
    )


def open_study(family: Family, out: Path) -> optuna.Study:
    """The study in DIR/study.db: created, or the one there when it is this family's."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    check_folder(family, out)
    out.mkdir(parents=True, exist_ok=True)
    (out / DESCRIPTION_FILE).write_text(json.dumps(family.description(), indent=2) + "\n")
    storage = optuna.storages.RDBStorage(f"sqlite:///{out / STUDY_FILE}")
    study = optuna.create_study(
        storage=storage, study_name=STUDY_NAME, directions=family.directions, load_if_exists=True
    )
    if study.user_attrs.get("fingerprint") is None:
        study.set_user_attr("fingerprint", family.fingerprint())
    return study


def check_folder(family: Family, out: Path) -> None:
    """DIR is new, empty, or holds this family's study (to resume or extend it)."""
    if out.exists() and not out.is_dir():
        raise InputError("--out", str(out), "exists and is not a folder")
    existing = out / DESCRIPTION_FILE
    if existing.exists():
        try:
            found = json.loads(existing.read_text()).get("fingerprint")
        except (OSError, ValueError):
            found = None
        if found != family.fingerprint():
            raise InputError(
                "--out",
                str(out),
                "holds a study of a different family (or of an edited family or base file); "
                "allowed: the folder of this same family, to resume or extend it, or a new folder",
            )
    elif out.exists() and any(p.name != LOCK_FILE for p in out.iterdir()):
        raise InputError("--out", str(out), "is not empty and holds no study; allowed: a new or empty folder")


class EvaluationError(Exception):
    """A candidate's simulation raised (or its worker died); the trials stored before it stay."""


Evaluator = Callable[[Family, int, dict[str, Any], "pd.DataFrame | None"], Outcome]


def optimise(
    family: Family,
    out: Path,
    trials: int,
    *,
    workers: int = 1,
    scheduler: str | None = None,
    log: Callable[[str], None] | None = None,
    evaluator: Evaluator | None = None,
) -> optuna.Study:
    """Run the study in ``out`` up to ``trials`` trials (resuming or extending what is there).

    ``evaluator`` (tests): scores a candidate instead of simulating it; it runs in this process.
    """
    from concurrent.futures import Future

    from abm.experiments.pool import executor

    check_folder(family, out)
    out.mkdir(parents=True, exist_ok=True)
    lock = _hold_lock(out)  # two runs adding trials to one study would each propose from the other's
    study = open_study(family, out)
    done = len(study.trials)
    if log and done:
        log(f"resuming: {done} trials already in {out / STUDY_FILE}")
    # the reference arm on the search cohort, once: every candidate's hazard ratio is against it
    reference = simulate_arm(family.reference()) if evaluator is None and done < trials else None
    if reference is not None and "reference" not in study.user_attrs:  # for the figures: a line to beat
        study.set_user_attr("reference", arm_statistics(reference, None, family.follow_up, tuple(STATISTICS)))
    started = time.perf_counter()
    with executor(1 if evaluator else workers, None if evaluator else scheduler, log) as (pool, _, _alive):
        while (number := len(study.trials)) < trials:
            first = number - number % family.file.batch
            batch = range(number, min(first + family.file.batch, trials))
            history = study.get_trials(deepcopy=False)
            proposals = {n: propose(family, history, n) for n in batch}
            outcomes: dict[int, Outcome] = {}
            if evaluator is not None:
                outcomes = {n: evaluator(family, n, p, reference) for n, p in proposals.items()}
            elif pool is None:
                for n, params in proposals.items():
                    try:
                        outcomes[n] = evaluate(family, n, params, reference)
                    except Exception as error:  # as from a worker: nothing of the batch is kept
                        raise EvaluationError(f"trial {n}: {type(error).__name__}: {error}".splitlines()[0]) from None
            else:
                futures: dict[int, Future[pd.DataFrame]] = {}
                candidates = {}
                for n, params in proposals.items():
                    try:
                        candidates[n] = family.candidate(params)
                    except InputError as error:
                        outcomes[n] = Outcome(n, params, None, {}, {"status": FAILED, "error": error.message})
                        continue
                    if _feasible(family, candidates[n]):
                        futures[n] = pool.submit(simulate_arm, candidates[n])
                for n, trial in candidates.items():
                    try:
                        table = futures[n].result() if n in futures else None
                    except Exception as error:  # a worker or the cluster lost: nothing of the batch is kept
                        raise EvaluationError(f"trial {n}: {type(error).__name__}: {error}".splitlines()[0]) from None
                    outcomes[n] = score(family, n, proposals[n], trial, table, reference)
            for n in batch:  # stored in number order, each in its own transaction
                study.add_trial(_frozen(family, outcomes[n]))
            if log:
                log(f"trials {batch.start}-{batch.stop - 1} done ({time.perf_counter() - started:.0f} s)")
    lock.close()
    return study


LOCK_FILE = ".optimise.lock"


def _hold_lock(out: Path) -> Any:
    """An exclusive lock on DIR for this process (released when it ends, however it ends)."""
    handle = open(out / LOCK_FILE, "w")  # noqa: SIM115 - held open until the study is done
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not on POSIX: no lock
        return handle
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        raise InputError("--out", str(out), "another abm optimise is running on this folder; wait for it") from None
    return handle


# --- results ----------------------------------------------------------------------------------
def trials_table(family: Family, study: optuna.Study) -> pd.DataFrame:
    """One row per trial (``abm.io.schema.OPTIMISE_TRIALS``): number, state, the free settings,
    the objectives, feasibility, status, planned exposures and the search-cohort statistics."""
    rows = []
    for t in study.trials:
        row: dict[str, Any] = {"trial": t.number, "state": t.state.name.lower()}
        row.update({n: t.params.get(n) for n in family.names})
        values = t.values or [math.nan] * len(family.objectives)
        row.update({f"objective.{o}": v for o, v in zip(family.objectives, values, strict=True)})
        row["feasible"] = is_feasible(t)
        row.update(t.user_attrs)
        rows.append(row)
    planned = sorted({k for r in rows for k in r if k.startswith("planned_" + EXPOSURE_PREFIX)})
    columns = [
        "trial",
        "state",
        *family.names,
        *(f"objective.{o}" for o in family.objectives),
        "feasible",
        "status",
        "error",
        *planned,
        *STATISTICS,
    ]
    table = pd.DataFrame(rows).reindex(columns=columns)
    table["error"] = table["error"].fillna("")
    return table


def is_feasible(trial: optuna.trial.FrozenTrial) -> bool:
    """Complete, and every constraint holds."""
    return trial.values is not None and all(c <= 0 for c in trial.constraints.values())


def write_results(family: Family, study: optuna.Study, out: Path) -> pd.DataFrame:
    """DIR/trials.csv, DIR/importance.csv, and the reference's search-cohort figures in
    DIR/optimise.json (for the figures); returns the trials table."""
    table = trials_table(family, study)
    table.to_csv(out / TRIALS_FILE, index=False)
    importances(family, study).to_csv(out / IMPORTANCE_FILE, index=False)
    description = {**family.description(), "reference_search": study.user_attrs.get("reference", {})}
    (out / DESCRIPTION_FILE).write_text(json.dumps(description, indent=2) + "\n")
    return table


def best_trials(family: Family, study: optuna.Study, k: int) -> list[optuna.trial.FrozenTrial]:
    """Up to ``k`` best feasible trials with distinct settings: by the first objective, or, with
    two objectives, the Pareto front of the feasible trials (spread along the first objective)."""
    feasible = [t for t in study.get_trials(deepcopy=False) if is_feasible(t)]
    signs = [1.0 if d == "maximize" else -1.0 for d in family.directions]
    if len(family.objectives) == 2:
        feasible = pareto_front(feasible, signs)
    ranked = sorted(feasible, key=lambda t: (-signs[0] * t.values[0], t.number))
    chosen, seen = [], set()
    for t in ranked:
        key = json.dumps(t.params, sort_keys=True)
        if key not in seen:
            seen.add(key)
            chosen.append(t)
    if len(chosen) > k and len(family.objectives) == 2:  # spread along the front
        picks = np.unique(np.round(np.linspace(0, len(chosen) - 1, k)).astype(int))
        return [chosen[i] for i in picks]
    return chosen[:k]


def importances(family: Family, study: optuna.Study) -> pd.DataFrame:
    """fANOVA importance of each free setting for each objective, over the feasible trials
    (the infeasible ones' placeholder values would make the constraint look important)."""
    import optuna
    from optuna.importance import FanovaImportanceEvaluator, get_param_importances

    feasible = [t for t in study.get_trials(deepcopy=False) if is_feasible(t)]
    rows = []
    if len(feasible) < 2:
        return pd.DataFrame(columns=["objective", "parameter", "importance"])
    scratch = optuna.create_study(directions=family.directions)
    scratch.add_trials(feasible)
    for k, objective in enumerate(family.objectives):
        found = get_param_importances(
            scratch, evaluator=FanovaImportanceEvaluator(seed=0), target=lambda t, k=k: t.values[k]
        )
        rows += [{"objective": objective, "parameter": p, "importance": v} for p, v in found.items()]
    return pd.DataFrame(rows)


def pareto_front(trials: list[optuna.trial.FrozenTrial], signs: list[float]) -> list[optuna.trial.FrozenTrial]:
    """The trials no other trial beats on every objective (``signs``: +1 maximised, -1 minimised)."""
    scores = [np.array(t.values) * signs for t in trials]
    return [t for t, s in zip(trials, scores, strict=True) if not any(np.all(o >= s) and np.any(o > s) for o in scores)]


def reevaluate(
    family: Family, best: list[optuna.trial.FrozenTrial], workers: int = 1, scheduler: str | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The reference and the best schedules on a fresh cohort (``[reevaluate]``): the per-patient
    table (arms ``reference``, ``trial N``) and one summary row per arm with 95% CIs."""
    from abm.experiments.trial import run_trial, validate_trial
    from abm.experiments.trial_stats import hazard_ratio, median_pfs

    cohort = family.file.reevaluate
    arms = [copy.deepcopy(family.reference(cohort).arms[0].model_dump(mode="json", exclude_defaults=True))]
    arms[0]["name"] = f"reference: {family.reference_name}"
    for t in best:
        arm = family.candidate(t.params, cohort).arms[0].model_dump(mode="json", exclude_defaults=True)
        arms.append({**arm, "name": arm_label(t)})
    data = copy.deepcopy(family.base_data)
    data["arms"] = arms
    data.setdefault("trial", {}).update(patients=cohort.patients, seed=cohort.seed)
    table = run_trial(validate_trial(data, str(family.path)), workers=workers, scheduler=scheduler, progress=False)
    rows = []
    follow_up = family.follow_up
    for k, arm in enumerate(arms):
        rows_of = table[table[ARM] == arm["name"]]
        median, (low, high) = median_pfs(rows_of[PFS_DAYS], rows_of[PROGRESSED])
        capped = rows_of[PFS_DAYS].clip(upper=follow_up)
        half = 1.96 * float(capped.std(ddof=1)) / math.sqrt(len(capped)) if len(capped) > 1 else math.nan
        row = {
            ARM: arm["name"],
            "trial": best[k - 1].number if k else None,
            **{n: best[k - 1].params.get(n) if k else None for n in family.names},
            "median_pfs_days": median,
            "median_pfs_low": low,
            "median_pfs_high": high,
            "mean_pfs_days": float(capped.mean()),
            "mean_pfs_low": float(capped.mean()) - half,
            "mean_pfs_high": float(capped.mean()) + half,
        }
        if k:
            hr = hazard_ratio(table, arm["name"], arms[0]["name"])
            row.update(hazard_ratio=hr["hr"], hazard_ratio_low=hr["ci"][0], hazard_ratio_high=hr["ci"][1])
        rows.append(row)
    return table, pd.DataFrame(rows)


def arm_label(trial: optuna.trial.FrozenTrial) -> str:
    """A re-evaluated arm's name: the trial and its settings by their last word ("start 32, ...")."""
    settings = ", ".join(f"{name.rsplit('.', 1)[-1]} {_short(v)}" for name, v in trial.params.items())
    return f"trial {trial.number} ({settings})"


def format_best(family: Family, best: list[optuna.trial.FrozenTrial], summary: pd.DataFrame) -> str:
    """The printed answer: each best schedule's settings, its search figures and its re-evaluated ones."""

    def days(x: Any) -> str:
        return "not reached" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.0f} d"

    cohort = family.file.reevaluate
    lines = [f"best schedules, re-evaluated on {cohort.patients} new patients (seed {cohort.seed}):"]
    for k, row in summary.iterrows():
        median = f"median PFS {days(row['median_pfs_days'])} (95% CI {days(row['median_pfs_low'])} to "
        median += f"{days(row['median_pfs_high'])})"
        mean = f"mean PFS {row['mean_pfs_days']:.0f} d (95% CI {row['mean_pfs_low']:.0f}-{row['mean_pfs_high']:.0f})"
        if k == 0:
            lines.append(f"  {row[ARM]}: {median}; {mean}")
            continue
        t = best[int(k) - 1]
        search = ", ".join(f"{o}={_short(v)}" for o, v in zip(family.objectives, t.values, strict=True))
        hr = row.get("hazard_ratio")
        hr_text = (
            "HR not estimable"
            if hr is None or (isinstance(hr, float) and math.isnan(hr))
            else f"HR {hr:.2f} (95% CI {row['hazard_ratio_low']:.2f}-{row['hazard_ratio_high']:.2f})"
        )
        lines += [
            f"  {row[ARM]}",
            f"    search ({family.file.search.patients} patients): {search}",
            f"    re-evaluated: {median}; {mean}; {hr_text} vs reference",
        ]
    return "\n".join(lines)


def _short(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)
