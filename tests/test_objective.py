"""The calibration's objective as sweep metrics: ``calibration_distance`` and ``target.KEY`` of a
sweep over the validation trial are the ABC's distance and summary statistics, computed through
the one evaluation path (the sweep runner's ``simulate``); a sweep asking for them on a trial
without the validation arms, or for a target that does not exist, is one clear error."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from abm.experiments import calibration
from abm.experiments.calibration import FEASIBLE, RangeDistance, TrialModel, _names
from abm.experiments.objective import distance, feasible, target_ranges
from abm.experiments.priors import PRIORS
from abm.experiments.sweep.design import load_sweep
from abm.experiments.sweep.runner import run_sweep
from abm.experiments.trial import Trial, run_trial
from abm.experiments.validation import TRIAL_TARGETS, VALIDATION_TRIAL, target_values, validation_trial
from abm.io.errors import InputError
from tests.conftest import ROOT, SCENARIOS

# The validation trial on 6 patients per arm; AXL capacity 0.8 is a point the calibration rejects unrun.
PROFILE = f"""
name = "objective on a tiny validation trial"
base = "{VALIDATION_TRIAL}"
seed = 3
metrics = ["calibration_distance", "target.t790m_gefitinib", "target.pfs_gefitinib", "orr:gefitinib"]
[set]
"trial.patients" = 6
[vary]
axl_bypass_capacity = [0.8, 0.9]
"""


def sweep_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sweep.toml"
    path.write_text(text)
    return path


def same(a: float, b: float) -> bool:
    """Equal as floats, NaN equal to NaN (a median not reached, a share of nobody)."""
    return a == b or (math.isnan(a) and math.isnan(b))


def test_a_sweep_reports_the_calibration_distance_and_the_targets_of_its_runs(tmp_path: Path) -> None:
    sweep = load_sweep(sweep_file(tmp_path, PROFILE))
    _, table = run_sweep(sweep, tmp_path / "out", workers=1, progress=False)
    assert list(table["status"]) == ["done", "done"]
    ranges = target_ranges()
    for run, row in zip(sweep.runs(), table.to_dict("records"), strict=True):
        # the same trial, seed included, run again outside the sweep
        values = target_values(run_trial(run.config, workers=1, progress=False))
        rows = [{"simulated": values[t.key], "low": t.low, "high": t.high, "unit": t.unit} for t in TRIAL_TARGETS]
        if feasible(run.config.parameters):
            assert row["calibration_distance"] == distance(rows)
        else:  # the ABC's distance of a point it rejects unrun
            assert row["axl_bypass_capacity"] == 0.8 and row["calibration_distance"] == math.inf
        # the pyabc distance of the same summary statistics is the same number
        assert row["calibration_distance"] == RangeDistance(ranges)(
            {FEASIBLE: float(feasible(run.config.parameters)), **values}, {}
        )
        assert same(row["target.t790m_gefitinib"], values["t790m_gefitinib"])
        assert same(row["target.pfs_gefitinib"], values["pfs_gefitinib"])
    assert table["calibration_distance"].iloc[1] < math.inf


def test_a_particle_is_evaluated_by_the_sweep_runner(monkeypatch: pytest.MonkeyPatch) -> None:
    """TrialModel's summary statistics are the runner's target metrics at the candidate's cohort seed."""
    calls = []
    simulate = calibration.simulate

    def recorded(config: Trial, metrics: tuple[str, ...], series: bool) -> tuple[dict[str, float], None]:
        calls.append(metrics)
        return simulate(config, metrics, series)

    monkeypatch.setattr(calibration, "simulate", recorded)
    trial = validation_trial(patients=4)
    keys = [t.key for t in TRIAL_TARGETS]
    shipped = json.loads((ROOT / "calibration" / "posterior" / "calibration.json").read_text())["point"]
    pars = {name: math.log10(shipped[k]) if PRIORS[k].log else shipped[k] for k, name in _names(PRIORS).items()}
    np.random.seed(11)
    summaries = TrialModel(trial, PRIORS, keys)(pars)
    assert calls == [tuple(f"target.{k}" for k in keys)]
    np.random.seed(11)
    cohort_seed = int(np.random.randint(0, 2**31 - 1))
    seeded = calibration.with_values(trial, calibration.decode(pars, PRIORS))
    seeded = seeded.model_copy(update={"trial": seeded.trial.model_copy(update={"seed": cohort_seed})})
    expected = target_values(run_trial(seeded, workers=1, progress=False))
    assert summaries[FEASIBLE] == 1.0
    assert all(same(summaries[k], expected[k]) for k in keys)


def test_an_unknown_target_and_a_trial_without_the_validation_arms_are_one_line_errors(tmp_path: Path) -> None:
    unknown = PROFILE.replace('"target.t790m_gefitinib"', '"target.egfr_gefitinib"')
    with pytest.raises(InputError) as error:
        load_sweep(sweep_file(tmp_path, unknown))
    message = str(error.value)
    assert "\n" not in message
    assert "metrics: target.egfr_gefitinib: unknown target 'egfr_gefitinib'; allowed: target.KEY" in message
    assert "t790m_gefitinib" in message  # the allowed keys are listed
    other_trial = f"""
name = "objective on a trial of other arms"
base = "{SCENARIOS / "trial-axl-timing.toml"}"
metrics = ["calibration_distance"]
[vary]
division_rate = [0.04, 0.05]
"""
    with pytest.raises(InputError) as error:
        load_sweep(sweep_file(tmp_path, other_trial))
    message = str(error.value)
    assert "\n" not in message
    assert (
        "metrics: calibration_distance: needs the arms of scenarios/validation.toml; "
        "missing: 'gefitinib', 'gefitinib then osimertinib'"
    ) in message
    # a target that reads one arm needs only that arm
    one_arm = other_trial.replace('["calibration_distance"]', '["target.c797s_osimertinib", "target.met_gefitinib"]')
    with pytest.raises(InputError, match=r"metrics: target.met_gefitinib: .*missing: 'gefitinib' \("):
        load_sweep(sweep_file(tmp_path, one_arm))
