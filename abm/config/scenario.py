"""Scenario files (TOML): model settings, parameter overrides and a drug schedule.

    name = "osimertinib continuous"
    [model]
    width = 100
    days = 365
    [parameters]
    persister_entry_fraction = 0.02
    [[schedule]]
    drug = "osimertinib"

Everything is validated on load; a problem becomes one ``InputError`` naming the file, the
field and what is allowed, before anything runs or is written.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Discriminator, Field, Tag, ValidationError, model_validator

from abm.biology.parameters import KINDS, Parameters
from abm.biology.rules import MUTATION_RATES
from abm.clinic.schedule import DosingBlock
from abm.config.files import locate
from abm.config.paths import ShortNames, set_in, set_values
from abm.io.errors import InputError, from_validation_error
from abm.io.inputs import USER_FILE, read_text

# Memory per lattice site of the spatial model: Mesa's Cell with its connections dict and
# neighbourhood cache (~2 KB, measured on a 400x400 grid) plus the agent and numpy arrays.
BYTES_PER_SITE = 2500
MAX_DAYS = 100_000


class SpatialSettings(BaseModel):
    """The spatial model: the lattice, the initial tumour, how long."""

    model_config = USER_FILE

    kind: Literal["spatial"] = "spatial"
    width: int = Field(100, ge=3, description="lattice sites along x")
    height: int = Field(100, ge=3, description="lattice sites along y")
    initial_cells: int = Field(1000, ge=1, description="tumour cells on day 0")
    layout: Literal["disc", "scattered"] = Field(
        "disc", description="disc: a compact tumour in the centre; scattered: cells seeded at random, as in a dish"
    )
    represents_cells: int | None = Field(
        None,
        ge=1,
        le=10**13,
        description="the lattice is a sample of a tumour of this many cells: its pre-existing subclones are "
        "that tumour's (abm.biology.founding); default: the lattice's cells are the whole tumour",
    )
    mutation_scale: float = Field(
        1.0,
        ge=1.0,
        le=1e6,
        description="multiplies every per-division mutation rate, so a lattice of 10^3-10^5 cells shows what a "
        "tumour of 10^9-10^11 does (about as many mutants per cell); stated in every output; default: 1 (none)",
    )
    carrying_capacity: int | None = Field(
        None,
        ge=2,
        le=10**15,
        description="Gompertzian crowding loss (rules.crowding_loss) of the tumour the lattice is (or samples, "
        "at represents_cells); default: none, the lattice's own space limits growth (a dish)",
    )
    days: int = Field(365, ge=0, le=MAX_DAYS, description="days to simulate (one step = one day)")
    seed: int = Field(0, ge=0, description="random seed")
    stop_when_extinct: bool = Field(True, description="end the run early when no cell is left")

    @model_validator(mode="after")
    def _fits(self) -> SpatialSettings:
        sites = self.width * self.height
        if self.initial_cells > sites:
            raise ValueError(f"initial_cells {self.initial_cells} exceeds the {sites} lattice sites")
        return self


class CloneSettings(BaseModel):
    """The clone-level model: a whole tumour as clones with cell counts, no space."""

    model_config = USER_FILE

    kind: Literal["clone"]
    initial_cells: int = Field(10**10, ge=1, le=10**13, description="tumour cells on day 0")
    carrying_capacity: int | None = Field(
        None,
        ge=1,
        le=10**15,
        description="Gompertzian plateau of the tumour burden (rules.crowding_loss); sets, with the volume doubling "
        "time at diagnosis, how much faster a tumour regrows after a response; default: the parameter "
        "carrying_capacity_factor x initial_cells",
    )
    days: int = Field(365, ge=0, le=MAX_DAYS, description="days to simulate (one step = one day)")
    seed: int = Field(0, ge=0, description="random seed")
    stop_when_extinct: bool = Field(True, description="end the run early when no cell is left")


class ClinicalSettings(BaseModel):
    """How the tumour is watched: imaging visits (RECIST) and liquid biopsies (ctDNA)."""

    model_config = USER_FILE

    imaging_interval_days: int = Field(56, ge=1, description="days between scans (8 weeks, as in most TKI trials)")
    ctdna_interval_days: int = Field(28, ge=1, description="days between liquid biopsies")
    ctdna_detection_limit: float = Field(
        0.01, ge=0.0, le=1.0, description="smallest share of tumour DNA a ctDNA assay reports (assumption)"
    )
    tissue_detection_limit: float = Field(
        0.1, ge=0.0, le=1.0, description="share of cells that must be AXL-high for a rebiopsy to call it (assumption)"
    )
    pk: bool = Field(
        False,
        description="true: doses go through each drug's pharmacokinetics (abm drugs): concentrations build up, "
        "a short holiday keeps most of the block, a stop washes out over half-lives, and the day's exposure "
        "(equal to the standard dose's at its steady state) acts; false: a relative dose acts the day it is "
        "given and is gone the next (the calibrated model)",
    )
    adherence: float = Field(
        1.0,
        ge=0.0,
        le=1.0,
        description="probability that each scheduled administration is taken (missed doses drawn per patient; "
        "a [cohort] characteristic in trials); 1: every dose",
    )
    residual_lesion_fraction: float = Field(
        0.15,
        ge=0.0,
        le=1.0,
        description="what a scan still measures of a lesion whose tumour cells are gone (stroma, fibrosis, necrosis), "
        "as a share of the tumour cells' volume at the baseline of the current line of therapy (a later line is "
        "measured from its own baseline, the progression scan: abm.clinic.recist); assumption: caps the first "
        "line's best response near -50% in diameter, about the typical best response of EGFR-mutant NSCLC to TKIs "
        "(complete responses are rare)",
    )


def _model_kind(value: Any) -> str:
    """The model kind of settings data; files without ``kind`` are spatial."""
    if isinstance(value, dict):
        return value.get("kind", "spatial")
    return getattr(value, "kind", "spatial")


ModelSettings = Annotated[
    Annotated[SpatialSettings, Tag("spatial")] | Annotated[CloneSettings, Tag("clone")],
    Discriminator(_model_kind),
]
MODEL_SETTING_NAMES = tuple(dict.fromkeys([*SpatialSettings.model_fields, *CloneSettings.model_fields]))


class ScenarioConfig(BaseModel):
    """A complete, validated description of one run: a scenario file's configuration.

    Not Mesa's ``mesa.experimental.scenarios.Scenario`` (which every ``mesa.Model`` holds as
    ``model.scenario``, with the model's random stream): ours is read by the models as ``config``.
    """

    model_config = USER_FILE

    name: str = "osimertinib continuous"
    description: str = ""
    model: ModelSettings = SpatialSettings()
    parameters: Parameters = Parameters()
    clinical: ClinicalSettings = ClinicalSettings()
    # TOML arrays are lists; strict=False lets a list stand for the tuple (its items stay strict)
    schedule: tuple[DosingBlock, ...] = Field((DosingBlock(drug="osimertinib"),), strict=False)

    @model_validator(mode="after")
    def _plateau(self) -> ScenarioConfig:
        # A clone tumour without a stated plateau gets its own: a multiple of its size at diagnosis.
        if isinstance(self.model, CloneSettings) and self.model.carrying_capacity is None:
            capacity = plateau(self.parameters, self.model.initial_cells)
            # model_copy skips validation: safe, plateau is an int in the field's range [2, 10^15]
            # by construction, and validating again inside this validator would only cost time
            model = self.model.model_copy(update={"carrying_capacity": capacity})
            model.__pydantic_fields_set__.discard("carrying_capacity")  # derived: not among what was given
            object.__setattr__(self, "model", model)
        return self


def plateau(parameters: Parameters, initial_cells: float) -> int:
    """A tumour's Gompertzian plateau: ``carrying_capacity_factor`` x its cells at diagnosis."""
    return min(10**15, max(2, round(parameters.carrying_capacity_factor * initial_cells)))


def as_run(scenario: ScenarioConfig) -> ScenarioConfig:
    """The scenario as a model runs it: a lattice's ``mutation_scale`` applied to the per-division rates."""
    scale = getattr(scenario.model, "mutation_scale", 1.0)
    if scale == 1.0:
        return scenario
    p = scenario.parameters
    rates = {name: min(1.0, getattr(p, name) * scale) for name in MUTATION_RATES.values()}
    scaled = Parameters(**{**p.model_dump(), **rates})
    # model_copy skips validation: safe, the new parameters were validated just above, and the rest
    # is the validated scenario (_plateau reads no mutation rate, so its result stands)
    return scenario.model_copy(update={"parameters": scaled})


DEFAULT_SCENARIO = ScenarioConfig(
    description="Built-in default: osimertinib at the standard dose from day 0, on a lattice that samples a "
    "10^10-cell tumour (its pre-existing subclones and crowding), mutation rates x1000 so the sample shows "
    "what the whole tumour does.",
    model=SpatialSettings(
        width=120,
        height=120,
        initial_cells=3000,
        days=730,
        represents_cells=10**10,
        carrying_capacity=10**11,
        mutation_scale=1000.0,
    ),
)


def available_memory() -> int:
    """Bytes of memory this process could use (MemAvailable, or physical memory)."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def check_memory(scenario: ScenarioConfig, source: str) -> None:
    """Refuse a lattice that would not fit in memory, before allocating it."""
    m = scenario.model
    if not isinstance(m, SpatialSettings):
        return
    need = m.width * m.height * BYTES_PER_SITE
    have = available_memory()
    if need > have:
        raise InputError(
            source,
            "model.width x model.height",
            f"a {m.width} x {m.height} lattice needs about {need / 2**30:.1f} GiB, "
            f"more than the {have / 2**30:.1f} GiB available; "
            f"allowed: at most about {have // BYTES_PER_SITE:,} sites",
        )


def parameter_words() -> dict[str, str]:
    """What each parameter allows, in the words of its kind (``parameters.KINDS``), for error messages."""
    words = {}
    for name, field in Parameters.model_fields.items():
        kind = (field.json_schema_extra or {}).get("kind")
        if kind in KINDS:
            words[name] = KINDS[kind][0]
    return words


def file_error(error: ValidationError, source: str, root: type[BaseModel] | None = None) -> InputError:
    """A pydantic error of a scenario or trial file as one InputError: its keys listed from the
    file's model (``root``; default a scenario's), its parameters described in the words of their kind."""
    return from_validation_error(error, source, root=root or ScenarioConfig, parameter_words=parameter_words())


def validate(data: dict[str, Any], source: str) -> ScenarioConfig:
    """A ScenarioConfig from plain data (parsed TOML), or an InputError."""
    try:
        scenario = ScenarioConfig.model_validate(data)
    except ValidationError as error:
        raise file_error(error, source) from None
    check_memory(scenario, source)
    return scenario


def read_toml(path: Path) -> dict[str, Any]:
    """Parsed TOML, or an InputError naming the file and the syntax problem."""
    text = read_text(path, "scenario file")  # bounded: /dev/zero is refused, not read forever
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise InputError(str(path), "", f"not valid TOML: {error}") from None


def file_kind(data: dict[str, Any]) -> str:
    """What a TOML file in scenarios/ holds: 'trial' (arms), 'sweep' (vary) or 'scenario' (one tumour)."""
    if "arms" in data or "trial" in data:
        return "trial"
    if "vary" in data:
        return "sweep"
    return "scenario"


def load(
    path: str | Path | None = None, overrides: dict[str, Any] | None = None, options: dict[str, str] | None = None
) -> ScenarioConfig:
    """Load a scenario file (by path or by name in scenarios/; or the built-in default) and apply
    dotted overrides. ``options``: the command-line option that set an override (``{"model.days":
    "--days"}``), so a bad value is reported as that option's, not as a --set."""
    if path is None:
        data: dict[str, Any] = DEFAULT_SCENARIO.model_dump(exclude_defaults=True)
        # the schedule is written out, so `--set schedule[0].dose=...` finds its block
        data["schedule"] = [b.model_dump(exclude_defaults=True) for b in DEFAULT_SCENARIO.schedule]
        kinds = {(overrides or {}).get(k, "spatial") for k in ("model.kind", "kind")}
        if kinds != {"spatial"}:
            data["model"] = {}  # the default's lattice settings do not apply to another model
        source = "built-in default scenario"
    else:
        path = locate(path, "scenario file")
        data = read_toml(path)
        source = str(path)
        if file_kind(data) == "trial":
            raise InputError(source, "", "a trial file; run it with `abm trial`")
        if file_kind(data) == "sweep":
            raise InputError(source, "", "a sweep file; run it with `abm sweep`")
    options = {k: v for k, v in (options or {}).items() if k in (overrides or {})}  # the options given
    if overrides:
        data = set_in(data, overrides, SCENARIO_NAMES)
        if set(overrides) - set(options):
            source += " (with --set)"
    return validate_with_options(data, source, options, validate)


def validate_with_options[T](
    data: dict[str, Any], source: str, options: dict[str, str] | None, check: Callable[[dict[str, Any], str], T]
) -> T:
    """``check(data, source)``, a bad value set by a command-line option reported as that option's."""
    try:
        return check(data, source)
    except InputError as error:
        if error.field in (options or {}):
            raise InputError(options[error.field], "", error.message) from None  # type: ignore[index]
        raise


SCENARIO_NAMES = ShortNames(
    (
        ("parameters", Parameters.model_fields),
        ("model", MODEL_SETTING_NAMES),
        ("clinical", ClinicalSettings.model_fields),
        ("", ("name", "description")),
    ),
    "unknown name; allowed: a parameter ("
    + ", ".join(Parameters.model_fields)
    + "), a model setting ("
    + ", ".join(MODEL_SETTING_NAMES)
    + "), a clinical setting ("
    + ", ".join(ClinicalSettings.model_fields)
    + ") or a dotted path such as model.width or schedule[1].start",
)


def with_values(scenario: ScenarioConfig, values: dict[str, Any], source: str) -> ScenarioConfig:
    """The scenario with values set at paths (``abm.config.paths``), validated as a file is."""
    return set_values(scenario, values, source, names=SCENARIO_NAMES, validate=validate)


def with_seed(scenario: ScenarioConfig, seed: int, source: str) -> ScenarioConfig:
    """The scenario with ``model.seed`` set, validated as a file is (a negative seed is an InputError)."""
    return with_values(scenario, {("model", "seed"): seed}, source)


def parse_assignment(text: str) -> tuple[str, Any]:
    """'NAME=VALUE' with VALUE read as a TOML value (number, bool, quoted string), else text."""
    name, sep, raw = text.partition("=")
    if not sep or not name.strip():
        raise InputError("--set", text, "expected NAME=VALUE, e.g. --set persister_entry_fraction=0.02")
    try:
        value = tomllib.loads(f"v = {raw.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw.strip()
    return name.strip(), value
