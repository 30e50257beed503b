"""abm calibrate (ABC-SMC): priors, distance, determinism across workers, resuming, the output format.

The sampler and resuming are tested on ``StandInModel`` (same interface, microseconds per
evaluation); one smoke test runs the real validation trial on a few patients.
"""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from abm.biology.parameters import Parameters
from abm.cli import main
from abm.experiments.calibration import (
    CALIBRATION_DIR,
    FORMAT,
    PRESETS,
    Preset,
    RangeDistance,
    calibrate,
    check_priors,
    with_values,
)
from abm.experiments.objective import DURATION_UNITS, NOT_FINITE, OUTSIDE_COST, distance, feasible
from abm.experiments.priors import PRIORS
from abm.experiments.trial import Distribution
from abm.experiments.validation import TRIAL_TARGETS, validation_trial
from abm.io.errors import InputError
from tests.conftest import ROOT

# The validation trial with every cohort entry the priors fit (the prone-subgroup structure of
# the exploration's point S5, docs/notes/issue14-exploration.md), for tests that need all keys.
COHORT_TOML = """
name = "validation cohort, prone subgroups (test)"
[trial]
patients = 20
seed = 0
follow_up_days = 1825
[clinical]
imaging_interval_days = 56
ctdna_interval_days = 28
ctdna_detection_limit = 0.01
tissue_detection_limit = 0.1
[parameters]
division_rate = 0.075
axl_bypass_capacity = 0.89
met_fitness_cost = 0.0
[cohort]
initial_cells = { distribution = "lognormal", median = 1e10, sigma = 0.8, low = 1e9, high = 5e10 }
division_rate = { distribution = "lognormal", sigma = 0.2, low = 0.01, high = 0.3 }
egfr_tki_insensitivity = { distribution = "uniform", low = 0.97, high = 1.0, present = 0.05 }
axl_bypass_capacity = { distribution = "normal", sd = 0.05, low = 0.0, high = 1.0 }
t790m_mutation_rate = { distribution = "loguniform", low = 3e-8, high = 3e-6, present = 0.65 }
met_amplification_rate = { distribution = "loguniform", low = 1e-8, high = 3e-4, present = 0.2 }
c797s_mutation_rate = { distribution = "loguniform", low = 1e-8, high = 1e-6, present = 0.12 }
her2_amplification_rate = { distribution = "loguniform", low = 1e-7, high = 1e-5, present = 0.12 }
[[arms]]
name = "gefitinib"
schedule = [{ drug = "gefitinib" }]
[[arms]]
name = "osimertinib"
schedule = [{ drug = "osimertinib" }]
[[arms]]
name = "gefitinib then osimertinib"
schedule = [
  { drug = "gefitinib", stop = { readout = "progressions", above = 0.5 } },
  { drug = "osimertinib", start = { readout = "progressions", above = 0.5 } },
]
"""

# Stand-in runs: 20 particles, up to 3 generations.
TOY = Preset(particles=20, patients_per_arm=10, max_generations=3, min_epsilon=0.0, max_evaluations=1000)


@pytest.fixture
def cohort_file(tmp_path: Path) -> Path:
    path = tmp_path / "validation-prone.toml"
    path.write_text(COHORT_TOML)
    return path


def toy_run(out: Path, cohort_file: Path, preset: Preset = TOY, workers: int = 1, seed: int = 3) -> dict:
    return calibrate(
        out, preset, "test", seed=seed, workers=workers, trial_path=cohort_file, stand_in_delay=0.0, log=lambda m: None
    )


def test_priors_lie_in_order_have_sources_and_name_fittable_quantities(cohort_file: Path) -> None:
    for key, prior in PRIORS.items():
        assert prior.distribution in ("uniform", "loguniform"), key
        assert prior.low < prior.high, key
        assert prior.distribution == "uniform" or prior.low > 0, key
        assert len(prior.source) > 10, key  # a citation or the assumption, in words
        assert key in Parameters.model_fields or (key.startswith("cohort.") and len(key.split(".")) == 3), key
    # the brief's ranges, spot-checked
    assert (PRIORS["division_rate"].low, PRIORS["division_rate"].high) == (0.04, 0.16)
    # every key applies to a cohort that has its entries, and moves what it names
    trial = validation_trial(path=cohort_file)
    check_priors(trial, PRIORS, str(cohort_file))
    values = {k: (p.low + p.high) / 2 for k, p in PRIORS.items()}
    fitted = with_values(trial, values)
    assert fitted.parameters.division_rate == values["division_rate"]
    assert fitted.cohort["t790m_mutation_rate"].present == values["cohort.t790m_mutation_rate.present"]
    assert fitted.cohort["division_rate"].sigma == values["cohort.division_rate.sigma"]


def test_a_prior_the_cohort_lacks_is_one_clear_error(cohort_file: Path) -> None:
    trial = validation_trial(path=cohort_file)
    cohort = {k: v for k, v in trial.cohort.items() if k != "her2_amplification_rate"}
    with pytest.raises(InputError, match=r"cohort\.her2_amplification_rate: missing; the prior"):
        check_priors(trial.model_copy(update={"cohort": cohort}), PRIORS, "validation.toml")
    # a field the distribution does not read fits nothing: refused too
    normal = {**trial.cohort, "division_rate": Distribution(distribution="normal", sd=0.01)}
    with pytest.raises(InputError, match="a normal has no field sigma"):
        check_priors(trial.model_copy(update={"cohort": normal}), PRIORS, "validation.toml")


def test_distance_is_least_at_the_centres_and_grows_outside() -> None:
    centre = [{"simulated": (t.low + t.high) / 2, "low": t.low, "high": t.high} for t in TRIAL_TARGETS]
    assert distance(centre) == 0.0
    inside = [{**r, "simulated": r["low"] + 0.4 * (r["high"] - r["low"])} for r in centre]
    edge = [{**r, "simulated": r["high"]} for r in centre]
    outside = [{**r, "simulated": r["high"] + (r["high"] - r["low"])} for r in centre]
    # inside a range only the small centre term counts: 0.05 x 0.25 per target at an edge
    assert 0 < distance(inside) < distance(edge) == pytest.approx(0.0125 * len(centre))
    # a width outside: the squared miss, the cost of being outside, the centre term
    assert distance(outside) == pytest.approx(len(centre) * (1.0 + OUTSIDE_COST + 0.05 * 1.5**2))
    # any miss at all costs OUTSIDE_COST: a tenth of a width outside is not 0.01 (session 7)
    just_outside = [{**r, "simulated": r["high"] + 0.1 * (r["high"] - r["low"])} for r in centre]
    assert distance(just_outside) == pytest.approx(len(centre) * (0.01 + OUTSIDE_COST + 0.05 * 0.6**2))
    assert distance([{"simulated": math.inf, "low": 12, "high": 24}]) == NOT_FINITE
    ranges = {t.key: (t.low, t.high, t.unit) for t in TRIAL_TARGETS}
    d = RangeDistance(ranges)
    # centres on each target's own scale: geometric for durations
    at_centres = {k: math.sqrt(lo * hi) if u in DURATION_UNITS else (lo + hi) / 2 for k, (lo, hi, u) in ranges.items()}
    assert d({"feasible": 1.0, **at_centres}, {}) == 0.0
    assert d({"feasible": 0.0, **at_centres}, {}) == math.inf  # rejected unrun
    assert d({"feasible": 1.0, **at_centres, "pfs_gefitinib": math.nan}, {}) == NOT_FINITE


def test_durations_are_judged_on_their_ratio_scale() -> None:
    """A doubling time 4% under its range must cost something: in range widths (300 d) it was 0.0002."""
    vdt = next(t for t in TRIAL_TARGETS if t.key == "vdt_untreated")
    assert vdt.unit == "days"

    def row(value: float, low: float = vdt.low, high: float = vdt.high, unit: str = vdt.unit) -> list[dict]:
        return [{"simulated": value, "low": low, "high": high, "unit": unit}]

    centre = math.sqrt(vdt.low * vdt.high)  # the geometric centre, 200 d
    assert distance(row(centre)) == 0.0
    assert distance(row(vdt.low)) == pytest.approx(0.05 * 0.25)  # an edge: half the log width off centre
    # 10% under (or over) the range counts 1, the cost of being outside and the centre term, on either side alike
    assert distance(row(vdt.low / 1.1)) == pytest.approx(
        1.0 + OUTSIDE_COST + 0.05 * (0.5 + math.log(1.1) / math.log(4)) ** 2
    )
    assert distance(row(vdt.high * 1.1)) == pytest.approx(distance(row(vdt.low / 1.1)))
    assert distance(row(96.0)) > 0.15  # the point of the first fit
    # what the range-width scale made of it: the cost of being outside, and 0.0002 more
    assert distance(row(96.0, unit="share")) < OUTSIDE_COST + 0.02
    assert distance(row(0.0)) == NOT_FINITE  # no positive duration is no duration
    # months alike: a median PFS of 10.9 months (12 / 1.1) against 12-24
    assert distance(row(12 / 1.1, 12, 24, "months")) == pytest.approx(
        1.0 + OUTSIDE_COST + 0.05 * (0.5 + math.log(1.1) / math.log(2)) ** 2
    )


def test_infeasible_biology_is_rejected() -> None:
    assert feasible(Parameters())
    # AXL-high cells that shrink on an EGFR TKI alone contradict biology.md ('Cell states')
    assert not feasible(Parameters(axl_bypass_capacity=0.6))
    assert not feasible(Parameters(met_bypass_capacity=0.5))


@pytest.mark.slow
def test_calibration_directory_format(tmp_path: Path, cohort_file: Path) -> None:
    out = tmp_path / "cal"
    result = toy_run(out, cohort_file)
    data = json.loads((out / "calibration.json").read_text())
    assert data == json.loads(json.dumps(result))
    assert {
        "format",
        "method",
        "preset",
        "seed",
        "priors",
        "point",
        "generations",
        "patients_per_arm",
        "workers",
        "wall_seconds",
        "targets",
    } <= set(data)
    assert (data["format"], data["preset"], data["seed"], data["patients_per_arm"]) == (FORMAT, "test", 3, 10)
    assert list(data["priors"]) == list(PRIORS) == list(data["point"])
    for key, prior in data["priors"].items():
        assert set(prior) == {"distribution", "low", "high", "source"}
        assert prior["low"] <= data["point"][key] <= prior["high"], key
    assert data["targets"] == [t.key for t in TRIAL_TARGETS]
    assert [g["t"] for g in data["generations"]] == [0, 1, 2]
    for g in data["generations"]:
        assert g["particles"] == 20 and g["evaluations"] >= 20
        assert g["acceptance_rate"] == pytest.approx(g["particles"] / g["evaluations"])
    epsilons = [g["epsilon"] for g in data["generations"]]
    assert epsilons[1] > epsilons[2]  # the quantile schedule tightens
    posterior = pd.read_csv(out / "posterior.csv")
    assert list(posterior.columns) == ["particle", "weight", *PRIORS]
    assert list(posterior["particle"]) == list(range(20))
    assert posterior["weight"].sum() == pytest.approx(1.0)
    # the point is the weighted median of the posterior columns
    key = "division_rate"
    order = posterior.sort_values(key)
    median = order[key].to_numpy()[np.searchsorted(order["weight"].cumsum().to_numpy(), 0.5)]
    assert data["point"][key] == pytest.approx(median)
    log = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    assert [e["t"] for e in log if e["event"] == "generation"] == [0, 1, 2]
    assert log[-1] == {**log[-1], "event": "stop", "reason": "3 generations"}
    assert (out / "abc.db").stat().st_size > 0


@pytest.mark.slow
def test_same_posterior_on_one_and_two_workers(tmp_path: Path, cohort_file: Path) -> None:
    one = toy_run(tmp_path / "one", cohort_file, workers=1)
    two = toy_run(tmp_path / "two", cohort_file, workers=2)
    assert (tmp_path / "one" / "posterior.csv").read_bytes() == (tmp_path / "two" / "posterior.csv").read_bytes()
    assert one["point"] == two["point"] and one["generations"] == two["generations"]
    other = toy_run(tmp_path / "seed4", cohort_file, seed=4)
    assert other["point"] != one["point"]  # the seed matters


@pytest.mark.slow
def test_same_posterior_on_a_dask_cluster_with_threaded_workers(tmp_path: Path, cohort_file: Path) -> None:
    """Two threads in one Dask worker share numpy's global generator: candidates must not mix draws."""
    from distributed import LocalCluster

    here = toy_run(tmp_path / "here", cohort_file)
    with LocalCluster(n_workers=1, threads_per_worker=2, processes=True, dashboard_address=None) as cluster:
        there = calibrate(
            tmp_path / "dask",
            TOY,
            "test",
            seed=3,
            scheduler=cluster.scheduler_address,
            trial_path=cohort_file,
            stand_in_delay=0.0,
            log=lambda m: None,
        )
    assert there["generations"] == here["generations"]
    assert (tmp_path / "dask" / "posterior.csv").read_bytes() == (tmp_path / "here" / "posterior.csv").read_bytes()


@pytest.mark.slow
def test_a_stopped_run_continued_equals_an_uninterrupted_one(tmp_path: Path, cohort_file: Path) -> None:
    whole = toy_run(tmp_path / "whole", cohort_file)
    first = toy_run(tmp_path / "parts", cohort_file, Preset(**{**TOY.__dict__, "max_generations": 1}))
    assert len(first["generations"]) == 1
    continued = toy_run(tmp_path / "parts", cohort_file, workers=2)
    assert continued["generations"] == whole["generations"]
    assert (tmp_path / "parts" / "posterior.csv").read_bytes() == (tmp_path / "whole" / "posterior.csv").read_bytes()
    # running a finished run again changes nothing
    again = toy_run(tmp_path / "whole", cohort_file)
    assert again["generations"] == whole["generations"] and again["point"] == whole["point"]
    # other settings in the same folder are refused, not mixed in
    with pytest.raises(InputError, match="holds a run with other seed"):
        toy_run(tmp_path / "whole", cohort_file, seed=5)


@pytest.mark.slow
def test_kill_9_mid_generation_then_resume_equals_uninterrupted(tmp_path: Path, cohort_file: Path) -> None:
    out = tmp_path / "killed"
    script = (
        "from pathlib import Path\n"
        "from abm.experiments.calibration import Preset, calibrate\n"
        "if __name__ == '__main__':\n"
        f"    calibrate(Path({str(out)!r}), Preset(**{TOY.__dict__!r}), 'test', seed=3, workers=2,\n"
        f"              trial_path=Path({str(cohort_file)!r}), stand_in_delay=0.03)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    log = out / "log.jsonl"
    deadline = time.monotonic() + 120
    try:
        # wait until generation 0 is stored, then kill while generation 1 is being sampled
        while '"t": 0' not in (log.read_text() if log.exists() else ""):
            assert process.poll() is None and time.monotonic() < deadline, "the run ended before generation 0"
            time.sleep(0.05)
        time.sleep(0.3)
        assert process.poll() is None, "the run ended before it could be killed"
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL
    assert '"t": 1' not in log.read_text()  # killed mid-generation 1
    resumed = toy_run(out, cohort_file)
    whole = toy_run(tmp_path / "whole", cohort_file)
    assert resumed["generations"] == whole["generations"]
    assert (out / "posterior.csv").read_bytes() == (tmp_path / "whole" / "posterior.csv").read_bytes()


@pytest.mark.slow
def test_the_evaluation_budget_stops_the_run_at_the_last_complete_generation(tmp_path: Path, cohort_file: Path) -> None:
    result = toy_run(tmp_path / "budget", cohort_file, Preset(**{**TOY.__dict__, "max_evaluations": 30}))
    # generation 0 uses 20-21 evaluations; generation 1 needs more than the 9-10 left
    assert [g["t"] for g in result["generations"]] == [0]
    assert "budget" in result["stopped"]


def test_presets_are_bounded() -> None:
    for preset in PRESETS.values():
        assert preset.max_evaluations >= 3 * preset.particles  # room for a few generations
        assert 0 < preset.alpha < 1 and preset.max_generations >= 2
    # a bound on the wall time at the measured cost, on 2 workers: the full preset's own run in
    # session 7 took 5144 s for 2753 evaluations (1.87 s per evaluation at 200 patients per arm,
    # overheads included, the machine otherwise idle): ~1.9 s per 100 patients per arm, one worker
    small, full = PRESETS["small"], PRESETS["full"]
    assert small.max_evaluations * 1.9 * small.patients_per_arm / 100 / 2 <= 15 * 60
    assert full.max_evaluations * 1.9 * full.patients_per_arm / 100 / 2 <= 2 * 3600


def test_bad_flags_are_one_line_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for args, fragment in (
        (["--preset", "medium"], "--preset: medium: allowed: small, full"),
        (["--seed", "-1"], "--seed: -1: allowed: 0 or more"),
        (["--workers", "0"], "--workers: 0: allowed: 1 or more"),
        (["--workers", "2", "--scheduler", "tcp://127.0.0.1:1"], "give one of the two"),
    ):
        assert main(["calibrate", *args, "--out", str(tmp_path / "x")]) == 2
        printed = capsys.readouterr()
        lines = printed.err.strip().splitlines()
        assert len(lines) == 1 and fragment in lines[0], printed.err
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("mine")
    with pytest.raises(InputError, match=r"holds files abm did not write \(notes.txt\)"):
        toy_run(tmp_path / "mine", tmp_path / "unused.toml")


@pytest.mark.slow
def test_real_model_smoke(tmp_path: Path, cohort_file: Path) -> None:
    """The validation trial itself: 20 patients per arm, 4 particles, 2 generations."""
    out = tmp_path / "real"
    preset = Preset(particles=4, patients_per_arm=20, max_generations=2, min_epsilon=0.0, max_evaluations=100)
    result = calibrate(out, preset, "test", seed=1, workers=1, trial_path=cohort_file, log=lambda m: None)
    assert [g["t"] for g in result["generations"]] == [0, 1]
    assert math.isfinite(result["generations"][1]["epsilon"])
    for key, prior in PRIORS.items():
        assert prior.low <= result["point"][key] <= prior.high, key
    posterior = pd.read_csv(out / "posterior.csv")
    assert len(posterior) == 4 and posterior["weight"].sum() == pytest.approx(1.0)


def test_defaults_are_the_shipped_posterior_point() -> None:
    """The defaults (abm/biology/parameters.py, scenarios/validation.toml) are the shipped posterior's
    point, to the 3 significant digits they are written with, and it lies inside its priors."""
    shipped = json.loads((CALIBRATION_DIR / "posterior" / "calibration.json").read_text())
    trial = validation_trial()
    for key, value in shipped["point"].items():
        if key.startswith("cohort."):
            _, name, field = key.split(".")
            default = getattr(trial.cohort[name], field)
        else:
            default = getattr(trial.parameters, key)
        assert default == pytest.approx(value, rel=5e-3), key
        prior = shipped["priors"][key]
        assert prior["low"] <= value <= prior["high"], key
    assert set(shipped["point"]) == set(PRIORS)
