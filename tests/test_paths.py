"""One grammar sets a value at a path (``abm.config.paths``), validated as a file is, at every entry
point: `--set`, a sweep file, a trial file, calibration's ``with_values`` and the viz's controls."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from abm.config import paths
from abm.config.scenario import load, validate
from abm.config.scenario import with_values as scenario_with_values
from abm.experiments.calibration import with_values
from abm.experiments.priors import PRIORS
from abm.experiments.sweep.design import load_sweep
from abm.experiments.trial import load_trial
from abm.experiments.validation import validation_trial
from abm.io.errors import InputError
from tests.conftest import ROOT, SCENARIOS

TRIAL = SCENARIOS / "trial-first-line.toml"


def one_line(error: pytest.ExceptionInfo[InputError], *fragments: str) -> None:
    text = str(error.value)
    assert "\n" not in text
    assert all(f in text for f in fragments), text


def test_parse_and_dotted_are_inverse() -> None:
    for name in ("model.width", "schedule[1].start", "arms[0].schedule[1].stop", "cohort.division_rate.sigma"):
        assert paths.dotted(paths.parse_path(name)) == name
    assert paths.parse_path("schedule[1].start") == ("schedule", 1, "start")


def test_set_in_sets_creates_tables_and_durations_last() -> None:
    data = {"schedule": [{"drug": "osimertinib"}, {"drug": "bemcentinib", "start": 3}]}
    new = paths.set_in(data, {"schedule[1].duration": 10, "schedule[1].start": 5, ("model", "width"): 50})
    assert new["schedule"][1] == {"drug": "bemcentinib", "start": 5, "stop": 15}
    assert new["model"] == {"width": 50}
    assert data["schedule"][1] == {"drug": "bemcentinib", "start": 3}  # a copy


# --- --set ------------------------------------------------------------------------------------
def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "abm", *args], capture_output=True, text=True, cwd=ROOT, timeout=120)


@pytest.mark.parametrize(
    ("assignment", "fragments"),
    [
        ("parameters.divison_rate=0.1", ("parameters.divison_rate: unknown key; did you mean 'division_rate'?",)),
        ("division_rate=1.5", ("parameters.division_rate: 1.5 is not allowed; allowed: ",)),
    ],
)
def test_set_refuses_a_typo_and_an_out_of_range_value_in_one_line(assignment: str, fragments: tuple[str]) -> None:
    done = cli("run", "--set", assignment, "--days", "1", "--quiet", "--out", "/nonexistent/never")
    assert done.returncode == 2 and done.stdout == "" and "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "(with --set)" in lines[0], done.stderr
    assert all(f in lines[0] for f in fragments), lines[0]


def test_a_valid_set_gives_the_same_scenario_as_the_file_saying_it() -> None:
    path = SCENARIOS / "osimertinib-axl-days0-9.toml"
    data = paths.set_in({}, {})  # nothing set: nothing changes
    assert data == {}
    by_set = load(path, {"division_rate": 0.05, "model.width": 60, "schedule[1].duration": 20})
    base = load(path)
    assert by_set.parameters.division_rate == 0.05 and by_set.model.width == 60
    assert by_set.schedule[1].stop == base.schedule[1].start + 20
    assert scenario_with_values(base, {"division_rate": 0.05, "model.width": 60, "schedule[1].duration": 20}, "x") == (
        by_set
    )


def test_a_clone_tumours_derived_plateau_follows_a_new_factor() -> None:
    scenario = load(SCENARIOS / "clone-osimertinib.toml")
    factor = scenario.parameters.carrying_capacity_factor
    doubled = scenario_with_values(scenario, {"carrying_capacity_factor": factor * 2}, "x")
    assert (
        doubled.model.carrying_capacity
        == load(SCENARIOS / "clone-osimertinib.toml", {"carrying_capacity_factor": factor * 2}).model.carrying_capacity
    )


# --- a sweep file -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("vary", "fragments"),
    [
        (
            '"parameters.divison_rate" = [0.04]',
            ("vary: parameters.divison_rate", "unknown key; did you mean 'division_rate'?"),
        ),
        ('"parameters.division_rate" = [1.5]', ("parameters.division_rate: 1.5 is not allowed",)),
    ],
)
def test_a_sweep_refuses_a_typo_and_an_out_of_range_value(tmp_path: Path, vary: str, fragments: tuple[str]) -> None:
    base = SCENARIOS / "osimertinib-axl-days0-9.toml"
    sweep = tmp_path / "s.toml"
    sweep.write_text(f'name = "s"\nbase = "{base}"\n[vary]\n{vary}\n')
    with pytest.raises(InputError) as error:
        load_sweep(sweep)
    one_line(error, str(sweep), *fragments)


# --- a trial file -------------------------------------------------------------------------------
def test_a_trial_file_refuses_a_typo_and_an_out_of_range_value() -> None:
    with pytest.raises(InputError) as error:
        load_trial(TRIAL, {"patiens": 3})
    one_line(error, str(TRIAL), "patiens: unknown name; did you mean 'patients'?")
    with pytest.raises(InputError) as error:
        load_trial(TRIAL, {"patients": 0})
    one_line(error, str(TRIAL), "trial.patients: 0 is not allowed")
    with pytest.raises(InputError) as error:
        load_trial(TRIAL, {"arms[0].schedule[0].dose": -1.0})
    one_line(error, "arms[0].schedule[0].dose")


def test_a_valid_trial_override_is_the_file_with_that_value() -> None:
    trial = load_trial(TRIAL, {"patients": 12, "seed": 3})
    base = load_trial(TRIAL)
    assert trial == base.model_copy(update={"trial": base.trial.model_copy(update={"patients": 12, "seed": 3})})


# --- calibration ------------------------------------------------------------------------------
def legacy_with_values(trial, values):  # the model_copy(update=) it replaces: the same object for valid values
    params = {k: v for k, v in values.items() if not k.startswith("cohort.")}
    cohort = dict(trial.cohort)
    for key, value in values.items():
        if key.startswith("cohort."):
            _, name, field = key.split(".")
            cohort[name] = cohort[name].model_copy(update={field: value})
    return trial.model_copy(update={"parameters": trial.parameters.model_copy(update=params), "cohort": cohort})


def test_calibration_values_are_validated_and_valid_ones_unchanged() -> None:
    trial = validation_trial()
    for at in (0.0, 0.5, 1.0):  # the priors' ends and middles
        values = {k: p.low + at * (p.high - p.low) for k, p in PRIORS.items()}
        assert with_values(trial, values) == legacy_with_values(trial, values)
    with pytest.raises(InputError) as error:
        with_values(trial, {"divison_rate": 0.05})
    one_line(error, "divison_rate: unknown name")
    with pytest.raises(InputError) as error:
        with_values(trial, {"division_rate": 1.5})
    one_line(error, "parameters.division_rate: 1.5 is not allowed")
    with pytest.raises(InputError) as error:
        with_values(trial, {"cohort.division_rate.sigmaa": 0.1})
    one_line(error, "cohort.division_rate.sigmaa: unknown key")
    with pytest.raises(InputError) as error:
        with_values(trial, {"cohort.division_rate.sigma": -0.1})
    one_line(error, "cohort.division_rate.sigma")


# --- the viz ------------------------------------------------------------------------------------
def test_the_viz_setter_refuses_a_typo_and_an_out_of_range_value() -> None:
    from abm.viz.controls import edited, without_block

    scenario = load(SCENARIOS / "osimertinib-axl-days0-9.toml")
    data = scenario.model_dump(mode="json")
    with pytest.raises(InputError) as error:
        validate(edited(data, ("parameters", "divison_rate"), 0.05), "the controls")
    one_line(error, "the controls: parameters.divison_rate: unknown key")
    with pytest.raises(InputError) as error:
        validate(edited(data, ("parameters", "division_rate"), 1.5), "the controls")
    one_line(error, "the controls: parameters.division_rate: 1.5 is not allowed")
    changed = validate(edited(data, ("schedule", 1, "dose"), 0.5), "the controls")
    assert changed == scenario_with_values(scenario, {"schedule[1].dose": 0.5}, "x")
    assert len(validate(without_block(data, 1), "the controls").schedule) == len(scenario.schedule) - 1


# --- seeds set in code ----------------------------------------------------------------------------
def test_a_sweep_run_seed_is_validated_and_a_valid_one_unchanged() -> None:
    from pydantic import BaseModel

    from abm.experiments.sweep.design import with_seed

    for config, table in ((load(SCENARIOS / "clone-osimertinib.toml"), "model"), (load_trial(TRIAL), "trial")):
        with pytest.raises(InputError) as error:
            with_seed(config, -1)
        one_line(error, f"the sweep's run seed: {table}.seed: -1 is not allowed")
        inner: BaseModel = getattr(config, table)
        legacy = config.model_copy(update={table: inner.model_copy(update={"seed": 12345})})
        assert with_seed(config, 12345) == legacy


def test_a_patients_drawn_characteristics_are_validated() -> None:
    from pydantic import ValidationError

    from abm.experiments.trial import patient_scenario

    trial = load_trial(TRIAL)
    assert patient_scenario(trial, trial.arms[0], {"division_rate": 0.05}).parameters.division_rate == 0.05
    with pytest.raises(ValidationError, match="division_rate"):
        patient_scenario(trial, trial.arms[0], {"division_rate": 1.5})
