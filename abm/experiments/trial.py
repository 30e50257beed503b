"""Virtual trials: a cohort of virtual patients, each treated on every arm, on the cohort engine.

A trial file (TOML) names the cohort (which patient characteristics vary, drawn from stated
distributions), the arms (schedules), how patients are watched (imaging, liquid biopsy) and
for how long. Every arm sees the same patients with the same random stream (common random
numbers), so arms differ only by their schedule: patient i's seed is the i-th SeedSequence
spawned from the trial's root seed; its characteristics and its tumour's own random stream
(``abm.models.cohort`` gives each patient its own) are children of it. So a patient's
course depends only on its seed and its doses: two arms that dose it alike up to day d give
it the same course up to day d, and results do not depend on how many worker processes run
them, nor on which patients share its chunk.

    name = "first-line gefitinib vs osimertinib"
    [trial]
    patients = 200
    follow_up_days = 1825
    [cohort]
    initial_cells = { distribution = "lognormal", median = 1e10, sigma = 0.7, low = 1e9, high = 1e11 }
    [[arms]]
    name = "gefitinib"
    schedule = [{ drug = "gefitinib" }]
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from concurrent.futures import as_completed
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, Discriminator, Field, Tag, ValidationError, field_validator, model_validator
from tqdm import tqdm

from abm.biology.kinetics import untreated_growth
from abm.biology.parameters import KINDS, Parameters
from abm.clinic.readouts import biopsy
from abm.clinic.schedule import DosingBlock
from abm.config.files import locate
from abm.config.paths import ShortNames, set_in, set_values
from abm.config.scenario import (
    ClinicalSettings,
    ScenarioConfig,
    file_error,
    file_kind,
    read_toml,
    validate_with_options,
)
from abm.io.errors import InputError
from abm.io.inputs import USER_FILE
from abm.io.schema import (
    ARM,
    BEST_RESPONSE,
    BEST_RESPONSE2,
    DAYS_SIMULATED,
    ERADICATED,
    FINAL_CELLS,
    MECHANISMS_AT_BASELINE,
    MECHANISMS_AT_PROGRESSION,
    MECHANISMS_AT_PROGRESSION2,
    NADIR_CELLS,
    PATIENT,
    PATIENT_PREFIX,
    PFS2_DAYS,
    PFS_DAYS,
    PROGRESSED,
    PROGRESSED2,
    RESPONDED,
    RESPONDED2,
    UNTREATED_DOUBLING_DAYS,
)
from abm.models.cohort import found_tumours, run_cohort
from abm.models.course import Course

# Cohort characteristics that are not parameters: the tumour's size at diagnosis, and how
# faithfully the patient takes its doses ([clinical] adherence, per patient).
CLINICAL_CHARACTERISTICS = ("initial_cells", "adherence")


class Distribution(BaseModel):
    """How one patient characteristic varies across the cohort; draws are clipped to [low, high]."""

    model_config = USER_FILE

    distribution: Literal["uniform", "loguniform", "normal", "lognormal"]
    low: float | None = None
    high: float | None = None
    mean: float | None = None
    sd: float | None = Field(None, ge=0)
    median: float | None = Field(None, gt=0)
    sigma: float | None = Field(None, ge=0)
    present: float = Field(1.0, ge=0.0, le=1.0, description="share of patients with the value at all; others get 0")

    @model_validator(mode="after")
    def _complete(self) -> Distribution:
        # A normal without mean or a lognormal without median is centred on the parameter's
        # value in the trial (its default unless [parameters] sets it).
        needs = {
            "uniform": ("low", "high"),
            "loguniform": ("low", "high"),
            "normal": ("sd",),
            "lognormal": ("sigma",),
        }[self.distribution]
        missing = [name for name in needs if getattr(self, name) is None]
        if missing:
            raise ValueError(f"{self.distribution} needs {' and '.join(missing)}")
        if self.distribution == "loguniform" and (self.low or 0) <= 0:
            raise ValueError("loguniform needs low > 0")
        if self.low is not None and self.high is not None and self.high < self.low:
            raise ValueError("high must be at least low")
        return self

    def draw(self, rng: np.random.Generator, center: float | None = None) -> float:
        """One value (0 for the patients in whom it is absent); ``center`` stands in for a missing mean/median."""
        present = rng.random() < self.present  # drawn always, so other draws do not shift
        if self.distribution == "uniform":
            value = rng.uniform(self.low, self.high)
        elif self.distribution == "loguniform":
            value = float(np.exp(rng.uniform(np.log(self.low), np.log(self.high))))  # type: ignore[arg-type]
        elif self.distribution == "normal":
            value = rng.normal(self.mean if self.mean is not None else center, self.sd)
        else:
            median = self.median if self.median is not None else center
            value = float(median * np.exp(rng.normal(0.0, self.sigma)))  # type: ignore[operator]
        value = float(np.clip(value, self.low if self.low is not None else -np.inf, self.high or np.inf))
        return value if present else 0.0


class TrialSettings(BaseModel):
    """Cohort size, seed and follow-up."""

    model_config = USER_FILE

    patients: int = Field(200, ge=1, le=1_000_000)
    seed: int = Field(0, ge=0)
    follow_up_days: int = Field(1825, ge=1, le=36_500, description="days each patient is followed")
    initial_cells: int = Field(
        10**10, ge=1, le=10**13, description="tumour cells at diagnosis, unless the cohort varies it"
    )
    carrying_capacity: int | None = Field(
        None,
        ge=1,
        le=10**15,
        description="Gompertzian plateau of every patient (see CloneSettings); default: each patient's own, "
        "carrying_capacity_factor x its cells at diagnosis",
    )


class Arm(BaseModel):
    """One treatment arm: a name and a schedule."""

    model_config = USER_FILE

    name: str = Field(min_length=1)
    description: str = ""
    schedule: tuple[DosingBlock, ...] = Field(strict=False)  # a TOML array is a list

    def lines_of_therapy(self) -> int:
        """1 + the number of schedule changes triggered by progression: how many progressions matter.
        A rebiopsy readout (``biopsy_*``) changes at a progression, so a trigger on one counts."""
        thresholds = set()
        for block in self.schedule:
            for when in (block.start, block.stop):
                if isinstance(when, int) or when is None:
                    continue
                for trigger in when.conditions:
                    if trigger.readout in ("progressed", "progressions") or trigger.readout.startswith("biopsy_"):
                        thresholds.add((trigger.readout, trigger.above, trigger.below))
        return 1 + len(thresholds)


def _cohort_branch(value: Any) -> str:
    """A table is a distribution, anything else a fixed value: errors then name the right branch."""
    return "a distribution" if isinstance(value, dict | Distribution) else "a number"


CohortValue = Annotated[
    Annotated[float, Tag("a number")] | Annotated[Distribution, Tag("a distribution")],
    Discriminator(_cohort_branch),
]


class Trial(BaseModel):
    """A validated trial file."""

    model_config = USER_FILE

    name: str
    description: str = ""
    trial: TrialSettings = TrialSettings()
    clinical: ClinicalSettings = ClinicalSettings()
    parameters: Parameters = Parameters()
    cohort: dict[str, CohortValue] = {}
    arms: tuple[Arm, ...] = Field(min_length=1, strict=False)  # a TOML array is a list

    @field_validator("cohort")
    @classmethod
    def _known_characteristics(cls, cohort: dict[str, CohortValue]) -> dict[str, CohortValue]:
        allowed = (*CLINICAL_CHARACTERISTICS, *Parameters.model_fields)
        for name in cohort:
            if name not in allowed:
                raise ValueError(f"unknown characteristic {name!r}; allowed: {', '.join(allowed)}")
        return cohort

    @field_validator("arms")
    @classmethod
    def _unique_names(cls, arms: tuple[Arm, ...]) -> tuple[Arm, ...]:
        names = [a.name for a in arms]
        if len(set(names)) != len(names):
            raise ValueError(f"arm names must be unique, got {names}")
        return arms


def read_trial_data(path: Path) -> dict[str, Any]:
    """A trial file's data, with ``cohort_from = "FILE"`` resolved: that file's [cohort], then
    this file's own [cohort] entries over it (so the calibrated cohort is written once)."""
    return _read_with_cohort(path, ())


def _read_with_cohort(path: Path, seen: tuple[Path, ...]) -> dict[str, Any]:
    data = read_toml(path)
    if "cohort_from" in data:
        name = data.pop("cohort_from")
        if not isinstance(name, str):
            raise InputError(str(path), "cohort_from", f"{name!r} is not allowed; allowed: a file name in quotes")
        source = path.parent / name
        if not source.is_file():
            raise InputError(str(path), "cohort_from", f"no such file {source}")
        chain = (*seen, path.resolve())
        if source.resolve() in chain:
            raise InputError(
                str(path), "cohort_from", f"{name} is already in the chain of cohort_from files; allowed: no cycle"
            )
        inherited, own = _read_with_cohort(source, chain).get("cohort", {}), data.get("cohort", {})
        for file, table in ((source, inherited), (path, own)):
            if not isinstance(table, dict):
                raise InputError(str(file), "cohort", f"{table!r} is not allowed; allowed: a table")
        data["cohort"] = {**inherited, **own}
    return data


# The bare names a trial's paths may use (``abm.config.paths``): a parameter, a [trial] or a [clinical] setting.
TRIAL_NAMES = ShortNames(
    (
        ("parameters", Parameters.model_fields),
        ("trial", TrialSettings.model_fields),
        ("clinical", ClinicalSettings.model_fields),
    ),
    "unknown name; allowed: a parameter, a [trial] setting ("
    + ", ".join(TrialSettings.model_fields)
    + "), a [clinical] setting or a dotted path such as arms[1].schedule[0].stop",
)


def load_trial(
    path: str | Path, overrides: dict[str, Any] | None = None, options: dict[str, str] | None = None
) -> Trial:
    """A Trial from a TOML file (by path or by name in scenarios/), or an InputError. ``overrides``:
    values by path (``abm.config.paths``; a bare name of a [trial] setting such as ``patients`` is
    ``trial.patients``); ``options``: the command-line option that set each (``{"patients": "--patients"}``)."""
    path = locate(path, "trial file")
    data = read_trial_data(path)
    if file_kind(data) != "trial":
        raise InputError(
            str(path),
            "",
            f"a {file_kind(data)} file, not a trial file (a trial has [trial] and [[arms]]); "
            + ("run it with `abm run`" if file_kind(data) == "scenario" else "run it with `abm sweep`")
            + ", or give a trial file such as scenarios/trial-axl-timing.toml",
        )
    if overrides:
        data = set_in(data, overrides, TRIAL_NAMES, str(path))
    given = (options or {}).items()
    named = {".".join(map(str, TRIAL_NAMES.resolve(k))): v for k, v in given if k in (overrides or {})}
    return validate_with_options(data, str(path), named, validate_trial)


def with_values(trial: Trial, values: dict[str, Any], source: str) -> Trial:
    """The trial with values set at paths (``abm.config.paths``), validated as a trial file is."""
    return set_values(trial, values, source, names=TRIAL_NAMES, validate=validate_trial)


def with_seed(trial: Trial, seed: int, source: str) -> Trial:
    """The trial with ``trial.seed`` set, validated as a trial file is (a negative seed is an InputError)."""
    return with_values(trial, {("trial", "seed"): seed}, source)


def validate_trial(data: dict[str, Any], source: str) -> Trial:
    """A Trial from plain data, its cohort checked against the model's bounds, or an InputError."""
    try:
        trial = Trial.model_validate(data)
    except ValidationError as error:
        raise file_error(error, source, root=Trial) from None
    check_cohort(trial, source)
    return trial


# initial_cells is not a parameter: its bounds are those of [trial] initial_cells.
INITIAL_CELLS_RANGE = ("cells, 1 to 10^13", 1.0, float(10**13))
ADHERENCE_RANGE = ("probability that a dose is taken, 0 to 1", 0.0, 1.0)  # as [clinical] adherence


def characteristic_range(name: str) -> tuple[str, float, float | None]:
    """What a cohort characteristic may be: (words, low, high); high None is unbounded."""
    if name == "initial_cells":
        return INITIAL_CELLS_RANGE
    if name == "adherence":
        return ADHERENCE_RANGE
    kind = (Parameters.model_fields[name].json_schema_extra or {})["kind"]
    return KINDS[kind]  # type: ignore[index,return-value]


def check_cohort(trial: Trial, source: str) -> None:
    """Refuse, before any patient runs, a cohort entry that names values the model does not allow.

    A fixed value, or a distribution's low, high, mean or median, must lie in the
    characteristic's allowed range; draws beyond them (a normal's tails) are clipped into it.
    """
    for name, spec in trial.cohort.items():
        words, low, high = characteristic_range(name)
        fields = (
            {"": spec}
            if not isinstance(spec, Distribution)
            else spec.model_dump(include={"low", "high", "mean", "median"})
        )
        for field, value in fields.items():
            if value is not None and not (low <= value and (high is None or value <= high)):
                path = f"cohort.{name}" + (f".{field}" if field else "")
                raise InputError(source, path, f"{value!r} is not allowed; allowed: {words}")
        if name == "initial_cells" and isinstance(spec, Distribution) and spec.present < 1:
            raise InputError(source, f"cohort.{name}.present", "every patient has a tumour; allowed: 1")


# --- patients ----------------------------------------------------------------------------
# Patients simulated together in one task (one call of the cohort engine). A patient's result
# does not depend on it (each draws from its own stream); it sets how work is shared out and how
# often the progress bar moves: every 5 patients (a fraction of a second on every arm), where 50
# left it still for 7-11 s. Measured on trial-axl-timing, 100 patients, one process: 1.9 s CPU
# at 5, 1.7-1.9 s at 50, 1.9 s at 1 (the engine's per-call overhead is small beside a patient).
CHUNK = 5


def patient_seed(trial: Trial, patient: int) -> np.random.SeedSequence:
    """Patient ``patient``'s SeedSequence, built directly: the one that
    ``SeedSequence(seed, spawn_key=(0,)).spawn(n)[patient]`` gives (spawning all n for each
    chunk would take time quadratic in n)."""
    return np.random.SeedSequence(trial.trial.seed, spawn_key=(0, patient))


def patient_seeds(trial: Trial) -> list[np.random.SeedSequence]:
    """One SeedSequence per patient of the trial."""
    return [patient_seed(trial, i) for i in range(trial.trial.patients)]


def _child(seed: np.random.SeedSequence, k: int) -> np.random.SeedSequence:
    """The k-th child of a patient's seed, the same on every call (``spawn`` would count on).

    Child 0 draws the patient's characteristics, child 1 is its tumour's random stream, child 2
    its missed doses (``abm.clinic.dosing``: the same on every arm)."""
    return np.random.SeedSequence(seed.entropy, spawn_key=(*seed.spawn_key, k))


def patient_characteristics(trial: Trial, seed: np.random.SeedSequence) -> dict[str, float]:
    """The patient's drawn characteristics, clipped into each one's allowed range (check_cohort)."""
    rng = np.random.default_rng(_child(seed, 0))
    values: dict[str, float] = {}
    for name, spec in trial.cohort.items():  # file order: stable across runs
        center = {"initial_cells": trial.trial.initial_cells, "adherence": trial.clinical.adherence}.get(name)
        if center is None:
            center = getattr(trial.parameters, name)
        value = spec.draw(rng, center) if isinstance(spec, Distribution) else float(spec)
        _, low, high = characteristic_range(name)
        # clipped to finite bounds: an extreme tail (or an overflow to inf) is the largest allowed value
        values[name] = float(np.clip(value, low, sys.float_info.max if high is None else high))
    return values


def patient_scenario(trial: Trial, arm: Arm, characteristics: dict[str, float]) -> ScenarioConfig:
    """The clone-model scenario of one patient on one arm."""
    params = {k: v for k, v in characteristics.items() if k not in CLINICAL_CHARACTERISTICS}
    initial = int(characteristics.get("initial_cells", trial.trial.initial_cells))
    clinical = trial.clinical
    if "adherence" in characteristics:  # the patient's own; validated (~10 us) as the parameters below
        clinical = ClinicalSettings.model_validate({**clinical.model_dump(), "adherence": characteristics["adherence"]})
    return ScenarioConfig(
        name=arm.name,
        model={  # type: ignore[arg-type]
            "kind": "clone",
            "initial_cells": initial,
            "carrying_capacity": trial.trial.carrying_capacity,
            "days": trial.trial.follow_up_days,
        },
        # validated (~15 us, once per patient and arm): the draws are clipped into range, so this
        # only catches a bug, which model_copy(update=...) would pass silently
        parameters=Parameters.model_validate({**trial.parameters.model_dump(exclude_unset=True), **params}),
        clinical=clinical,
        schedule=arm.schedule,
    )


def simulate_chunk(trial: Trial, chunk: int) -> list[dict[str, Any]]:
    """Follow one chunk of patients on every arm until their endpoints are known or follow-up
    ends; one row per (arm, patient). What does not depend on the doses (a patient's
    characteristics, its founded tumour, its untreated growth) is drawn once for all arms."""
    patients = range(chunk * CHUNK, min(trial.trial.patients, (chunk + 1) * CHUNK))
    shared: dict[str, Any] = {}
    rows = []
    for arm_index, arm in enumerate(trial.arms):
        courses, characteristics = simulate_courses(trial, arm_index, patients, shared)
        if "doubling_days" not in shared:
            shared["doubling_days"] = [untreated_doubling_days(course) for course in courses]
        rows += [
            patient_row(trial, arm, i, course, c, doubling_days=d)
            for i, course, c, d in zip(patients, courses, characteristics, shared["doubling_days"], strict=True)
        ]
    return rows


def simulate_courses(
    trial: Trial, arm_index: int, patients: Sequence[int], shared: dict[str, Any] | None = None
) -> tuple[list[Course], list[dict[str, float]]]:
    """The finished courses of ``patients`` on one arm, stepped together, and their characteristics.

    Each patient's tumour draws from its own stream (child 1 of its seed), the same on every
    arm, so what a patient gets does not depend on the patients beside it. ``shared``: for the
    arms of one chunk (the same ``patients``), what they have in common, filled by the first
    arm and read by the others: the characteristics and the founded tumours (founding draws
    from the tumour's stream before any dose, so it is the same on every arm).
    """
    shared = {} if shared is None else shared
    arm = trial.arms[arm_index]
    seeds = [patient_seed(trial, i) for i in patients]
    if "characteristics" not in shared:
        shared["characteristics"] = [patient_characteristics(trial, seed) for seed in seeds]
    characteristics = shared["characteristics"]
    endpoints = min(arm.lines_of_therapy(), 2)  # PFS, and PFS2 when a later line follows progression
    courses = [
        Course(patient_scenario(trial, arm, c), stop_after_progressions=endpoints, dosing_seed=_child(seed, 2))
        for c, seed in zip(characteristics, seeds, strict=True)
    ]
    tumour_seeds = [_child(seed, 1) for seed in seeds]
    if "founded" not in shared:
        shared["founded"] = found_tumours(courses, tumour_seeds)
    run_cohort(courses, tumour_seeds, founded=shared["founded"])
    return courses, characteristics


def untreated_doubling_days(course: Course) -> float:
    """The patient's own untreated doubling time at its size (``abm.biology.kinetics``): the same on every arm."""
    model = course.config.model
    return untreated_growth(course.params, model.initial_cells, model.carrying_capacity).doubling_days


def patient_row(
    trial: Trial,
    arm: Arm,
    patient: int,
    course: Course,
    characteristics: dict[str, float],
    doubling_days: float | None = None,
) -> dict:
    """The per-patient table row of one finished course (``doubling_days``: its untreated
    doubling time, ``abm.biology.kinetics.untreated_growth``'s, if known already)."""
    if doubling_days is None:
        doubling_days = untreated_doubling_days(course)
    follow_up = trial.trial.follow_up_days
    days = course.recist.progression_days
    clinical = trial.clinical

    def found(shares: dict[str, float] | None) -> str:
        limits = (clinical.ctdna_detection_limit, clinical.tissue_detection_limit)
        return ";".join(biopsy(shares, *limits)) if shares else ""

    at_progression = [*course.at_progression, None, None]
    return {
        ARM: arm.name,
        PATIENT: patient,
        PFS_DAYS: days[0] if days else follow_up,
        PROGRESSED: bool(days),
        BEST_RESPONSE: course.recist.best_response,
        RESPONDED: course.recist.responded,
        MECHANISMS_AT_PROGRESSION: found(at_progression[0]),
        MECHANISMS_AT_BASELINE: found(course.at_baseline),
        PFS2_DAYS: days[1] if len(days) > 1 else follow_up,
        PROGRESSED2: len(days) > 1,
        MECHANISMS_AT_PROGRESSION2: found(at_progression[1]),
        BEST_RESPONSE2: course.recist.line_response(1),
        RESPONDED2: course.recist.line_response(1) in ("CR", "PR"),
        DAYS_SIMULATED: course.day,
        FINAL_CELLS: course.counts["total"],
        NADIR_CELLS: course.nadir,
        ERADICATED: course.nadir == 0,
        UNTREATED_DOUBLING_DAYS: doubling_days,
        **{PATIENT_PREFIX + k: v for k, v in characteristics.items()},
    }


def run_trial(
    trial: Trial, workers: int = 1, progress: bool | None = None, scheduler: str | None = None
) -> pd.DataFrame:
    """Every arm on every patient; one row per (arm, patient), sorted, the same on any number of
    local ``workers`` or on the Dask cluster at ``scheduler`` (each patient's draws are its own)."""
    from abm.experiments.pool import ClusterLostError, executor

    chunks = range((trial.trial.patients + CHUNK - 1) // CHUNK)
    arms = len(trial.arms)
    size = {chunk: arms * len(range(chunk * CHUNK, min(trial.trial.patients, (chunk + 1) * CHUNK))) for chunk in chunks}
    rows: list[dict[str, Any]] = []
    total = trial.trial.patients * len(trial.arms)
    bar = tqdm(total=total, unit="patient-arm", disable=None if progress is None else not progress, leave=False)
    with bar, executor(workers, scheduler) as (pool, _, alive):
        if pool is None:
            for chunk in chunks:
                rows += simulate_chunk(trial, chunk)
                bar.update(size[chunk])
        else:
            futures = {pool.submit(simulate_chunk, trial, chunk): chunk for chunk in chunks}
            try:
                for future in as_completed(futures):
                    rows += future.result()
                    bar.update(size[futures[future]])
            except Exception as error:
                if scheduler is not None and not alive():
                    raise ClusterLostError(f"{type(error).__name__}: {error}") from None
                raise
    order = {arm.name: k for k, arm in enumerate(trial.arms)}
    df = pd.DataFrame(rows)
    df["_arm"] = df[ARM].map(order)
    return df.sort_values(["_arm", PATIENT]).drop(columns="_arm").reset_index(drop=True)
