"""EGFR-mutant lung cancer resistance simulator on Mesa.

The package is layered; a module imports only from its own layer and the layers below it
(``tests/test_layers.py`` checks it, the table is ``LAYERS`` there and docs/notes/issue16.md):

- ``abm.io``: reading user files, the one input error, writing results (``abm.version`` too);
- ``abm.biology``: mechanisms, drugs, parameters, rules, the day, the history before diagnosis;
- ``abm.clinic``: schedules, the readouts they react to, RECIST imaging;
- ``abm.config``: scenario files;
- ``abm.models``: the tumour models (spatial, clone), the cohort engine, the Mesa adapter;
- ``abm.experiments``: runs, virtual trials, validation, calibration, sweeps;
- ``abm.report`` and ``abm.viz``: figures and reports from result folders, the browser view;
- ``abm.cli``: the command line; this module: the public API below.

The public names are imported when first used (``from abm import SpatialTumour``), so that
``import abm`` (and ``abm --help``) stays light.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from abm.version import __version__

if TYPE_CHECKING:
    from abm.biology.drugs import DRUGS
    from abm.biology.mechanisms import MECHANISMS
    from abm.biology.parameters import Parameters
    from abm.clinic.schedule import DosingBlock
    from abm.config.scenario import ScenarioConfig
    from abm.config.scenario import load as load_scenario
    from abm.experiments.calibration import calibrate
    from abm.experiments.posterior import load_calibration
    from abm.experiments.run import RunResult, run_scenario, write_run
    from abm.experiments.sweep.design import load_sweep
    from abm.experiments.sweep.runner import run_sweep
    from abm.experiments.sweep.sensitivity import analyse
    from abm.experiments.trial import Trial, load_trial, run_trial
    from abm.experiments.trial_stats import summarise_trial
    from abm.experiments.validation import validate
    from abm.io.errors import InputError
    from abm.models.base import TumourModel
    from abm.models.clone import Clone, CloneTumour
    from abm.models.cohort import run_cohort
    from abm.models.course import Course
    from abm.models.spatial import SpatialTumour, TumourCell
    from abm.report.build import build_report
    from abm.report.calibration_report import build_calibration_report

# public name -> (module, name there)
PUBLIC: dict[str, tuple[str, str]] = {
    "DRUGS": ("abm.biology.drugs", "DRUGS"),
    "MECHANISMS": ("abm.biology.mechanisms", "MECHANISMS"),
    "Parameters": ("abm.biology.parameters", "Parameters"),
    "DosingBlock": ("abm.clinic.schedule", "DosingBlock"),
    "ScenarioConfig": ("abm.config.scenario", "ScenarioConfig"),
    "load_scenario": ("abm.config.scenario", "load"),
    "TumourModel": ("abm.models.base", "TumourModel"),
    "SpatialTumour": ("abm.models.spatial", "SpatialTumour"),
    "TumourCell": ("abm.models.spatial", "TumourCell"),
    "CloneTumour": ("abm.models.clone", "CloneTumour"),
    "Clone": ("abm.models.clone", "Clone"),
    "Course": ("abm.models.course", "Course"),
    "run_cohort": ("abm.models.cohort", "run_cohort"),
    "RunResult": ("abm.experiments.run", "RunResult"),
    "run_scenario": ("abm.experiments.run", "run_scenario"),
    "write_run": ("abm.experiments.run", "write_run"),
    "Trial": ("abm.experiments.trial", "Trial"),
    "load_trial": ("abm.experiments.trial", "load_trial"),
    "run_trial": ("abm.experiments.trial", "run_trial"),
    "summarise_trial": ("abm.experiments.trial_stats", "summarise_trial"),
    "validate": ("abm.experiments.validation", "validate"),
    "calibrate": ("abm.experiments.calibration", "calibrate"),
    "load_calibration": ("abm.experiments.posterior", "load_calibration"),
    "load_sweep": ("abm.experiments.sweep.design", "load_sweep"),
    "run_sweep": ("abm.experiments.sweep.runner", "run_sweep"),
    "analyse": ("abm.experiments.sweep.sensitivity", "analyse"),
    "InputError": ("abm.io.errors", "InputError"),
    "build_report": ("abm.report.build", "build_report"),
    "build_calibration_report": ("abm.report.calibration_report", "build_calibration_report"),
}

__all__ = [
    "DRUGS",
    "MECHANISMS",
    "Clone",
    "CloneTumour",
    "Course",
    "DosingBlock",
    "InputError",
    "Parameters",
    "RunResult",
    "ScenarioConfig",
    "SpatialTumour",
    "Trial",
    "TumourCell",
    "TumourModel",
    "__version__",
    "analyse",
    "build_calibration_report",
    "build_report",
    "calibrate",
    "load_calibration",
    "load_scenario",
    "load_sweep",
    "load_trial",
    "run_cohort",
    "run_scenario",
    "run_sweep",
    "run_trial",
    "summarise_trial",
    "validate",
    "write_run",
]


def __getattr__(name: str) -> Any:
    """A public name, imported from its module the first time it is asked for."""
    if name not in PUBLIC:
        raise AttributeError(f"module 'abm' has no attribute {name!r}")
    module, attribute = PUBLIC[name]
    value = getattr(import_module(module), attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *PUBLIC})
