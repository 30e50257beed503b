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

import copy
import os
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, ValidationError, model_validator

from abm.errors import InputError, from_validation_error
from abm.parameters import Parameters
from abm.schedule import DosingBlock

# Memory per lattice site of the spatial model: Mesa's Cell with its connections dict and
# neighbourhood cache (~2 KB, measured on a 400x400 grid) plus the agent and numpy arrays.
BYTES_PER_SITE = 2500
MAX_DAYS = 100_000


class SpatialSettings(BaseModel):
    """The spatial model: the lattice, the initial tumour, how long."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["spatial"] = "spatial"
    width: int = Field(100, ge=3, description="lattice sites along x")
    height: int = Field(100, ge=3, description="lattice sites along y")
    initial_cells: int = Field(1000, ge=1, description="tumour cells on day 0")
    layout: Literal["disc", "scattered"] = Field(
        "disc", description="disc: a compact tumour in the centre; scattered: cells seeded at random, as in a dish"
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

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["clone"]
    initial_cells: int = Field(10**10, ge=1, le=10**13, description="tumour cells on day 0")
    carrying_capacity: int = Field(
        10**12, ge=1, le=10**15, description="logistic limit on cells (a lethal burden is ~10^12 cells)"
    )
    days: int = Field(365, ge=0, le=MAX_DAYS, description="days to simulate (one step = one day)")
    seed: int = Field(0, ge=0, description="random seed")
    stop_when_extinct: bool = Field(True, description="end the run early when no cell is left")


class ClinicalSettings(BaseModel):
    """How the tumour is watched: imaging visits (RECIST) and liquid biopsies (ctDNA)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    imaging_interval_days: int = Field(56, ge=1, description="days between scans (8 weeks, as in most TKI trials)")
    ctdna_interval_days: int = Field(28, ge=1, description="days between liquid biopsies")
    ctdna_detection_limit: float = Field(
        0.01, ge=0.0, le=1.0, description="smallest share of tumour DNA a ctDNA assay reports (assumption)"
    )
    tissue_detection_limit: float = Field(
        0.1, ge=0.0, le=1.0, description="share of cells that must be AXL-high for a rebiopsy to call it (assumption)"
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


class Scenario(BaseModel):
    """A complete, validated description of one run."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = "osimertinib continuous"
    description: str = ""
    model: ModelSettings = SpatialSettings()
    parameters: Parameters = Parameters()
    clinical: ClinicalSettings = ClinicalSettings()
    schedule: tuple[DosingBlock, ...] = (DosingBlock(drug="osimertinib"),)


DEFAULT_SCENARIO = Scenario(description="Built-in default: osimertinib at the standard dose from day 0.")


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


def check_memory(scenario: Scenario, source: str) -> None:
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


def validate(data: dict[str, Any], source: str) -> Scenario:
    """A Scenario from plain data (parsed TOML), or an InputError."""
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as error:
        raise from_validation_error(error, source) from None
    check_memory(scenario, source)
    return scenario


def read_toml(path: Path) -> dict[str, Any]:
    """Parsed TOML, or an InputError naming the file and the syntax problem."""
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except FileNotFoundError:
        raise InputError(str(path), "", "no such scenario file") from None
    except tomllib.TOMLDecodeError as error:
        raise InputError(str(path), "", f"not valid TOML: {error}") from None
    except OSError as error:
        raise InputError(str(path), "", f"cannot read: {error.strerror}") from None


def load(path: str | Path | None = None, overrides: dict[str, Any] | None = None) -> Scenario:
    """Load a scenario file (or the built-in default) and apply dotted overrides."""
    if path is None:
        data: dict[str, Any] = DEFAULT_SCENARIO.model_dump(exclude_defaults=True)
        source = "built-in default scenario"
    else:
        data = read_toml(Path(path))
        source = str(path)
        if "arms" in data:
            raise InputError(source, "", "a trial file; run it with `abm trial`")
    if overrides:
        data = apply_overrides(data, overrides)
        source += " (with --set)"
    return validate(data, source)


def resolve_name(name: str) -> tuple[str, ...]:
    """A --set name as a path: 'persister_entry_fraction' -> ('parameters', 'persister_entry_fraction')."""
    parts = tuple(name.split("."))
    if len(parts) > 1:
        return parts
    if name in Parameters.model_fields:
        return ("parameters", name)
    if name in MODEL_SETTING_NAMES:
        return ("model", name)
    if name in ("name", "description"):
        return (name,)
    raise InputError(
        "--set",
        name,
        "unknown name; allowed: a parameter ("
        + ", ".join(Parameters.model_fields)
        + "), a model setting ("
        + ", ".join(MODEL_SETTING_NAMES)
        + ") or a dotted path such as model.width",
    )


def apply_overrides(data: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``data`` with each dotted-path override set."""
    data = copy.deepcopy(data)
    for name, value in overrides.items():
        node = data
        *parents, leaf = resolve_name(name)
        for part in parents:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise InputError("--set", name, f"{part} is not a table")
        node[leaf] = value
    return data


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
