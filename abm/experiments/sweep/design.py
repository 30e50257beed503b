"""Sweep files (TOML): one base scenario or trial, the settings to vary, a design, replicates.

    name = "AXL-inhibitor start day x duration"
    base = "osimertinib-axl-days0-9.toml"     # a scenario or trial file, relative to this file
    design = "factorial"                      # or a table: { method = "morris", samples = 10 }
    replicates = 4
    seed = 0
    metrics = ["regrowth_day", "final_total"]
    [set]                                     # fixed overrides, as `abm run --set`
    "model.width" = 100
    [vary]                                    # name = list | range; names as `--set`
    "schedule[1].start" = [0, 14, 28]
    "schedule[1].duration" = { low = 7, high = 56, num = 4, integer = true }
    persister_entry_fraction = { low = 1e-3, high = 0.1, scale = "log", num = 3 }

Designs: ``factorial`` (every combination of each setting's values; a range needs ``num``),
``random`` and ``latin_hypercube`` (``samples`` points, scipy.stats.qmc), ``sobol`` (SALib's
Saltelli sample: ``samples`` base points, a power of 2, giving samples x (k + 2) points, or
samples x (2k + 2) with ``second_order = true``) and ``morris`` (SALib: ``samples``
trajectories of k + 1 points on ``levels`` grid levels). Sampled designs draw each setting
in [0, 1) and map it onto its range (linear or log, rounded when ``integer``) or onto its
list of values (equal shares).

Seeds: every run's seed is spawned from the root ``seed`` with numpy's SeedSequence. With
``seeds = "common"`` (the default) replicate r has the same seed at every point, so points
differ only by their settings (common random numbers, as the arms of a trial); with
``"independent"`` every run has its own seed.

Everything is validated on load, every point included; a problem becomes one ``InputError``
naming the sweep file and the field, before anything runs or is written.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator

from abm.config.files import locate
from abm.config.paths import ShortNames, dotted, set_in
from abm.config.scenario import SCENARIO_NAMES, ClinicalSettings, ScenarioConfig, read_toml, validate
from abm.experiments.sweep.metrics import DEFAULT_RUN_METRICS, check_run_metric, check_trial_metric, with_event_metrics
from abm.io.errors import InputError, from_validation_error
from abm.io.inputs import USER_FILE
from abm.io.schema import ERROR, POINT, REPLICATE, RUN, SECONDS, SEED, STATUS

if TYPE_CHECKING:  # abm.experiments.trial brings the clone model and Mesa: imported only for a trial sweep
    from abm.experiments.trial import Trial

# Columns of the runs table that are not settings or metrics.
RESERVED_COLUMNS = (RUN, POINT, REPLICATE, SEED, STATUS, ERROR, SECONDS)
DESIGNS = ("factorial", "random", "latin_hypercube", "sobol", "morris")
# Spawn-key roots under the sweep's seed: one stream for the design, one for run seeds.
DESIGN_STREAM, RUN_STREAM = 0, 1


class Vary(BaseModel):
    """One setting to vary: a list of values, or a range from ``low`` to ``high``."""

    model_config = USER_FILE

    path: str | None = Field(None, description="what to set, as `abm run --set`; default: the name")
    values: list[Any] | None = Field(None, min_length=1)
    low: float | None = None
    high: float | None = None
    num: int | None = Field(None, ge=1, le=100_000, description="points of a range in a factorial design")
    scale: Literal["linear", "log"] = "linear"
    integer: bool = False

    @model_validator(mode="before")
    @classmethod
    def _list_shorthand(cls, data: Any) -> Any:
        return {"values": data} if isinstance(data, list) else data

    @model_validator(mode="after")
    def _values_or_range(self) -> Vary:
        if self.values is not None:
            if self.low is not None or self.high is not None or self.num is not None:
                raise ValueError("give either values or low and high, not both")
            return self
        if self.low is None or self.high is None:
            raise ValueError("give a list of values, or low and high")
        if self.high < self.low:
            raise ValueError("high must be at least low")
        if self.scale == "log" and self.low <= 0:
            raise ValueError("a log range needs low > 0")
        return self

    def levels(self) -> list[Any]:
        """The values of a factorial design."""
        if self.values is not None:
            return list(self.values)
        if self.num is None:
            raise ValueError("a range in a factorial design needs num (how many values)")
        return [self.at(u) for u in np.linspace(0.0, 1.0, self.num)]

    def at(self, u: float) -> Any:
        """The value at position ``u`` in [0, 1] of the range (or of the list, in equal shares)."""
        if self.values is not None:
            return self.values[min(int(u * len(self.values)), len(self.values) - 1)]
        low, high = float(self.low), float(self.high)  # type: ignore[arg-type]
        if self.scale == "log":
            value = math.exp(math.log(low) + u * (math.log(high) - math.log(low)))
        else:
            value = low + u * (high - low)
        value = min(max(value, low), high)  # no rounding error beyond the ends
        return round(value) if self.integer else value


class Design(BaseModel):
    """How points are chosen."""

    model_config = USER_FILE

    method: Literal["factorial", "random", "latin_hypercube", "sobol", "morris"] = "factorial"
    samples: int | None = Field(
        None, ge=1, le=1_000_000, description="random, latin_hypercube: points; sobol: base points; morris: paths"
    )
    levels: int = Field(4, ge=2, le=100, description="morris: grid levels")
    second_order: bool = Field(False, description="sobol: also sample for second-order indices")

    @model_validator(mode="before")
    @classmethod
    def _name_shorthand(cls, data: Any) -> Any:
        return {"method": data} if isinstance(data, str) else data

    @model_validator(mode="after")
    def _samples(self) -> Design:
        if self.method != "factorial" and self.samples is None:
            raise ValueError(f"{self.method} needs samples")
        if self.method == "factorial" and self.samples is not None:
            raise ValueError("factorial takes no samples; every combination is run")
        if self.method == "sobol" and self.samples & (self.samples - 1):  # type: ignore[operator]
            raise ValueError(f"sobol needs samples to be a power of 2, got {self.samples}")
        return self


class SweepFile(BaseModel):
    """A validated sweep file (not yet combined with its base)."""

    model_config = USER_FILE

    name: str = Field(min_length=1)
    description: str = ""
    base: str = Field(min_length=1, description="scenario or trial file, relative to the sweep file")
    design: Design = Design()
    replicates: int = Field(1, ge=1, le=100_000)
    seed: int = Field(0, ge=0)
    seeds: Literal["common", "independent"] = "common"
    metrics: tuple[str, ...] = Field((), strict=False)  # a TOML array is a list
    series: bool = Field(False, description="also keep each run's daily table (scenario runs only)")
    labels: dict[str, str] = Field({}, description="axis labels of varied settings, by name (default: from the base)")
    set: dict[str, Any] = {}
    vary: dict[str, Vary] = Field(min_length=1)

    @field_validator("vary")
    @classmethod
    def _no_seed(cls, vary: dict[str, Vary]) -> dict[str, Vary]:
        for name, spec in vary.items():
            if (spec.path or name).split(".")[-1] == "seed":
                raise ValueError(f"{name}: seeds come from the sweep's seed and replicates; do not vary them")
            if name in RESERVED_COLUMNS:
                raise ValueError(f"{name!r} is a column of the runs table; give the setting another name and a path")
        return vary

    @model_validator(mode="after")
    def _distinct_columns(self) -> SweepFile:
        clash = set(self.metrics) & set(self.vary)
        if clash:
            raise ValueError(f"{', '.join(sorted(clash))} is both varied and a metric; rename the varied setting")
        unknown = set(self.labels) - set(self.vary)
        if unknown:
            raise ValueError(f"labels: {', '.join(sorted(unknown))} is not a varied setting")
        return self


@dataclass(frozen=True)
class Run:
    """One run of a sweep: a point of the design, a replicate, a seed, a validated config."""

    run: int
    point: int
    replicate: int
    seed: int
    config: ScenarioConfig | Trial


@dataclass
class Sweep:
    """A sweep ready to run: its file, base, points, configs and seeds."""

    path: Path
    file: SweepFile
    kind: Literal["spatial", "clone", "trial"]
    base: ScenarioConfig | Trial
    points: list[dict[str, Any]]  # the varied values of each point, by name
    unit: np.ndarray | None  # sampled designs: each point's position in [0, 1]^k
    configs: list[ScenarioConfig | Trial]  # each point's config (seed not yet set)

    @property
    def parameters(self) -> list[str]:
        return list(self.file.vary)

    @property
    def metrics(self) -> tuple[str, ...]:
        names = self.file.metrics or (DEFAULT_RUN_METRICS if self.kind != "trial" else ())
        # a censored day is recorded with its event, so it can be summarised as survival data
        return with_event_metrics(names) if self.kind != "trial" else names

    @property
    def n_runs(self) -> int:
        return len(self.points) * self.file.replicates

    def seed_of(self, point: int, replicate: int) -> int:
        """The seed of one run, spawned from the root seed (63 bits, so it fits an int64 column)."""
        key = (RUN_STREAM, replicate) if self.file.seeds == "common" else (RUN_STREAM, point, replicate)
        words = np.random.SeedSequence(self.file.seed, spawn_key=key).generate_state(2, dtype=np.uint32)
        return (int(words[0]) << 31) | (int(words[1]) >> 1)

    def runs(self) -> list[Run]:
        """Every run, numbered point by point, replicates within a point."""
        reps = self.file.replicates
        return [
            Run(p * reps + r, p, r, seed := self.seed_of(p, r), with_seed(self.configs[p], seed))
            for p in range(len(self.points))
            for r in range(reps)
        ]

    def description(self) -> dict[str, Any]:
        """What DIR/sweep.json holds (the documented keys first)."""
        design = self.file.design
        return {
            "name": self.file.name,
            "base": self.file.base,
            "design": design.method,
            "parameters": self.parameters,
            "metrics": list(self.metrics),
            "replicates": self.file.replicates,
            "seed": self.file.seed,
            "kind": self.kind,
            "description": self.file.description,
            "design_options": design.model_dump(exclude={"method"}),
            "seeds": self.file.seeds,
            "series": self.file.series,
            "points": len(self.points),
            "runs": self.n_runs,
            "set": self.file.set,
            "vary": {
                name: spec.model_dump(exclude_none=True) | {"label": self.setting_label(name)}
                for name, spec in self.file.vary.items()
            },
            "fingerprint": self.fingerprint(),
        }

    def setting_label(self, name: str) -> str:
        """A varied setting in words with its unit: the file's [labels] entry, else from the base:
        'schedule[1].start' of a base whose second block is bemcentinib -> 'AXL inhibitor
        (bemcentinib) start (day)'."""
        return self.file.labels.get(name) or setting_label(self.file.vary[name].path or name, self.base)

    def fingerprint(self) -> str:
        """A hash of everything that decides the results, to refuse resuming a different sweep."""
        base = self.base.model_dump(mode="json")
        # Settings added since (issue 17) leave a sweep's fingerprint as it was while at the
        # defaults that change nothing, so a sweep folder from before them still resumes.
        clinical = base.get("clinical", {})
        for name in NEUTRAL_CLINICAL:
            if clinical.get(name) == ClinicalSettings.model_fields[name].default:
                del clinical[name]
        content = {
            "kind": self.kind,
            "base": base,
            "points": self.points,
            "vary": {name: spec.model_dump() for name, spec in self.file.vary.items()},  # paths included
            "replicates": self.file.replicates,
            "seed": self.file.seed,
            "seeds": self.file.seeds,
            "metrics": list(self.metrics),
            "series": self.file.series,
        }
        return hashlib.sha256(json.dumps(content, sort_keys=True, default=str).encode()).hexdigest()[:16]


SCHEDULE_FIELDS = {
    "start": "start (day)",
    "stop": "stop (day)",
    "duration": "duration (days)",
    "dose": "dose (relative to the standard dose)",
}
MODEL_FIELDS = {
    "initial_cells": "cells on day 0",
    "days": "days simulated",
    "width": "lattice width (sites)",
    "height": "lattice height (sites)",
    "carrying_capacity": "carrying capacity (cells)",
}


def setting_label(path: str, base: ScenarioConfig | Trial) -> str:
    """A setting's path in words with its unit, as far as the base and the parameter table tell."""
    from abm.biology.drugs import DRUGS
    from abm.biology.parameters import KINDS, Parameters

    field = path.rsplit(".", 1)[-1]
    block = re.fullmatch(r"schedule\[(\d+)\]\.(\w+)", path)
    schedule = getattr(base, "schedule", ())
    if block and int(block[1]) < len(schedule) and block[2] in SCHEDULE_FIELDS:
        drug = schedule[int(block[1])].drug
        return f"{DRUGS[drug].drug_class} ({drug}) {SCHEDULE_FIELDS[block[2]]}"
    if field in Parameters.model_fields:
        kind = (Parameters.model_fields[field].json_schema_extra or {}).get("kind")
        return field.replace("_", " ") + (f" ({KINDS[kind][0].split(',')[0]})" if kind in KINDS else "")
    if field in MODEL_FIELDS:
        return MODEL_FIELDS[field]
    cohort = re.fullmatch(r"cohort\.(\w+)\.present", path)
    if cohort:
        return f"share of patients with {cohort[1].replace('_', ' ')}"
    if field.endswith("_days"):
        return f"{field.removesuffix('_days').replace('_', ' ')} (days)"
    return path


# [clinical] settings whose defaults reproduce the model from before they existed.
NEUTRAL_CLINICAL = ("pk", "adherence")


def with_seed(config: ScenarioConfig | Trial, seed: int) -> ScenarioConfig | Trial:
    """A config with its random seed set (model.seed of a scenario, trial.seed of a trial), validated."""
    if isinstance(config, ScenarioConfig):
        from abm.config.scenario import with_seed as scenario_with_seed

        return scenario_with_seed(config, seed, "the sweep's run seed")
    from abm.experiments.trial import with_seed as trial_with_seed  # a trial sweep: Mesa is wanted anyway

    return trial_with_seed(config, seed, "the sweep's run seed")


# --- loading ---------------------------------------------------------------------------------
def load_sweep(path: str | Path, max_runs: int | None = None) -> Sweep:
    """A Sweep from a sweep file, every point validated, or an InputError.

    ``max_runs`` (default ``MAX_RUNS``): the most runs (points x replicates) accepted; the
    count is checked before any point is built, so a design of 10^10 points is refused at once.
    """
    path = locate(path, "sweep file")
    source = str(path)
    data = read_toml(path)
    if "vary" not in data and ("arms" in data or "schedule" in data or "model" in data):
        raise InputError(source, "", "a scenario or trial file, not a sweep; a sweep file names it as base")
    try:
        file = SweepFile.model_validate(data)
    except ValidationError as error:
        raise from_validation_error(error, source, root=SweepFile) from None

    base_path = path.parent / file.base
    if not base_path.is_file():
        raise InputError(source, "base", f"no such file {base_path}")
    base_data = read_toml(base_path)
    if "arms" in base_data or "cohort_from" in base_data:  # a trial file, its cohort_from resolved
        from abm.experiments.trial import read_trial_data

        base_data = read_trial_data(base_path)
    if "vary" in base_data:
        raise InputError(source, "base", f"{file.base} is a sweep file; allowed: a scenario or trial file")
    is_trial = "arms" in base_data
    if is_trial:
        from abm.experiments.trial import TRIAL_NAMES

        names = TRIAL_NAMES
    else:
        names = SCENARIO_NAMES

    fixed = {_path(name, names, source, "set"): value for name, value in _flatten(file.set).items()}
    base_data = _overridden(base_data, fixed, source, "set")
    base = _validated(base_data, is_trial, f"{source} (base {file.base} with [set])")
    kind = base.model.kind if isinstance(base, ScenarioConfig) else "trial"
    _check_metrics(file, kind, base, source)
    if file.series and kind == "trial":
        raise InputError(source, "series", "daily series exist for scenario runs only, not trials")

    targets = {name: _path(spec.path or name, names, source, f"vary.{name}") for name, spec in file.vary.items()}
    check_size(file, source, MAX_RUNS if max_runs is None else max_runs)
    points, unit = _design(file, source)
    configs = []
    for values in points:
        overrides = {targets[name]: value for name, value in values.items()}
        point_data = _overridden(base_data, overrides, source, "vary")
        described = ", ".join(f"{name}={value!r}" for name, value in values.items())
        configs.append(_validated(point_data, is_trial, f"{source} (vary: {described})"))
    return Sweep(path, file, kind, base, points, unit, configs)


def _flatten(table: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """[set] as dotted names: TOML's model.width = 100 is {'model': {'width': 100}}."""
    flat: dict[str, Any] = {}
    for key, value in table.items():
        name = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict):
            flat.update(_flatten(value, name))
        else:
            flat[name] = value
    return flat


def _path(name: str, names: ShortNames, source: str, field: str) -> str:
    """A name of [set] or [vary] as a dotted path (``abm.config.paths``: a short name of the
    base's kind of file, or a path), checked; problems name the sweep file and the entry."""
    try:
        return dotted(names.resolve(name))
    except InputError as error:
        raise InputError(source, f"{field}: {name}" if field == "set" else field, error.message) from None


def _overridden(data: dict[str, Any], overrides: dict[str, Any], source: str, table: str) -> dict[str, Any]:
    try:
        return set_in(data, overrides)
    except InputError as error:
        raise InputError(source, f"{table}: {error.field}", error.message) from None


def _validated(data: dict[str, Any], is_trial: bool, source: str) -> ScenarioConfig | Trial:
    """A validated config; problems name the sweep file and the point."""
    if not is_trial:
        return validate(copy.deepcopy(data), source)
    from abm.experiments.trial import validate_trial

    return validate_trial(data, source)


def _check_metrics(file: SweepFile, kind: str, base: ScenarioConfig | Trial, source: str) -> None:
    if kind == "trial":
        if not file.metrics:
            raise InputError(source, "metrics", "a trial sweep must name its metrics, as 'statistic:arm'")
        arms = [a.name for a in base.arms]  # type: ignore[union-attr]
        for name in file.metrics:
            try:
                check_trial_metric(name, arms)
            except ValueError as error:
                raise InputError(source, f"metrics: {name}", str(error)) from None
        return
    for name in file.metrics:
        if problem := check_run_metric(name):
            raise InputError(source, f"metrics: {name}", f"unknown metric; {problem}")
    if len(set(file.metrics)) != len(file.metrics):
        raise InputError(source, "metrics", "a metric is named twice")


# --- designs ---------------------------------------------------------------------------------
# The most runs a sweep may have unless told otherwise (`abm sweep --max-runs`): 10^5 runs of a
# second each are over a day on 2 cores; the design alone takes ~5 KB per run in memory.
MAX_RUNS = 100_000
BYTES_PER_RUN = 5_000


def design_points(file: SweepFile) -> int:
    """How many points the design has, computed without building them."""
    design, k = file.design, len(file.vary)
    if design.method == "factorial":
        return math.prod(len(spec.values) if spec.values is not None else spec.num or 1 for spec in file.vary.values())
    n = design.samples or 1
    if design.method == "sobol":
        return n * (2 * k + 2 if design.second_order else k + 2)
    if design.method == "morris":
        return n * (k + 1)
    return n


def check_size(file: SweepFile, source: str, max_runs: int) -> None:
    """Refuse a design too large to run or to hold in memory, before building it."""
    from abm.config.scenario import available_memory

    points = design_points(file)
    runs = points * file.replicates
    if runs > max_runs:
        raise InputError(
            source,
            "design",
            f"{points:,} points x {file.replicates:,} replicates = {runs:,} runs; allowed: at most {max_runs:,} "
            "(--max-runs N to allow more)",
        )
    need, have = runs * BYTES_PER_RUN, available_memory()
    if need > have:
        raise InputError(
            source,
            "design",
            f"{runs:,} runs need about {need / 2**30:.1f} GiB to plan, more than the {have / 2**30:.1f} GiB available",
        )


def _design(file: SweepFile, source: str) -> tuple[list[dict[str, Any]], np.ndarray | None]:
    """The points (varied values by name) and, for sampled designs, their positions in [0, 1]^k."""
    names, specs = list(file.vary), list(file.vary.values())
    design = file.design
    if design.method == "factorial":
        levels = []
        for name, spec in zip(names, specs, strict=True):
            try:
                levels.append(spec.levels())
            except ValueError as error:
                raise InputError(source, f"vary.{name}", str(error)) from None
        return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*levels)], None
    unit = unit_sample(design, len(names), np.random.SeedSequence(file.seed, spawn_key=(DESIGN_STREAM,)))
    points = [{name: spec.at(float(u)) for name, spec, u in zip(names, specs, row, strict=True)} for row in unit]
    return points, unit


def unit_problem(k: int) -> dict[str, Any]:
    """SALib's problem in unit coordinates: each setting's own scale is applied afterwards."""
    return {"num_vars": k, "names": [f"x{i}" for i in range(k)], "bounds": [[0.0, 1.0]] * k}


def unit_sample(design: Design, k: int, seed: np.random.SeedSequence) -> np.ndarray:
    """Points in [0, 1]^k for a sampled design, reproducible from ``seed``."""
    rng = np.random.default_rng(seed)
    n = design.samples or 1
    if design.method == "random":
        return rng.random((n, k))
    if design.method == "latin_hypercube":
        from scipy.stats import qmc

        return qmc.LatinHypercube(d=k, rng=rng).random(n)
    salib_seed = int(rng.integers(2**31 - 1))
    if design.method == "sobol":
        from SALib.sample import sobol

        return sobol.sample(unit_problem(k), n, calc_second_order=design.second_order, seed=salib_seed)
    from SALib.sample import morris

    return morris.sample(unit_problem(k), n, num_levels=design.levels, seed=salib_seed)
