"""Posterior draws carried to trials and the validation, and what a calibration identifies.

(abm.experiments.posterior)
"""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from abm.cli import main
from abm.experiments import posterior
from abm.experiments.trial import load_trial, run_trial
from abm.io.outdir import OutputFolder
from abm.report.calibration_report import identifiability_table
from tests.conftest import ROOT, SCENARIOS

FIXTURE = ROOT / "tests" / "fixtures" / "calibration-small"  # 5 particles of 3 plain parameters
FIRST_LINE = SCENARIOS / "trial-first-line.toml"


def abm(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "abm", *map(str, args)], capture_output=True, text=True, cwd=ROOT, timeout=300
    )


def write_calibration(folder: Path, priors: dict, particles: pd.DataFrame, point: dict | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    meta = {
        "format": 1,
        "method": "test",
        "preset": "test",
        "seed": 0,
        "priors": priors,
        "point": point or {k: float(particles[k].median()) for k in priors},
        "generations": [],
        "patients_per_arm": 10,
        "workers": 1,
        "wall_seconds": 0.0,
        "targets": [],
    }
    (folder / "calibration.json").write_text(json.dumps(meta))
    particles.to_csv(folder / "posterior.csv", index=False)
    return folder


# --- draws -----------------------------------------------------------------------------------
def two_particles() -> posterior.Calibration:
    particles = pd.DataFrame({"particle": [0, 1], "weight": [0.9, 0.1], "division_rate": [0.04, 0.03]})
    prior = posterior.Prior("uniform", 0.02, 0.05)
    return posterior.Calibration(
        Path("."), {}, {"division_rate": prior}, {"division_rate": 0.04}, particles, ["division_rate"]
    )


def test_draws_are_deterministic_for_a_seed_and_follow_the_weights() -> None:
    calibration = two_particles()
    assert posterior.draws(calibration, 50, seed=3) == posterior.draws(calibration, 50, seed=3)
    # systematic resampling: the first particle is drawn 900 times in 1000, give or take one
    first = sum(d["division_rate"] == 0.04 for d in posterior.draws(calibration, 1000, seed=7))
    assert abs(first - 900) <= 1
    # one draw per seed over 400 seeds: ~90% from the first (binomial SD 1.5%; 4 SDs allowed)
    single = [posterior.draws(calibration, 1, seed=s)[0]["division_rate"] == 0.04 for s in range(400)]
    assert abs(np.mean(single) - 0.9) < 0.06


def test_more_draws_than_particles_repeat_particles_in_proportion() -> None:
    calibration = posterior.load_calibration(FIXTURE)
    drawn = posterior.draw_indices(calibration.weights, 20, seed=0)
    counts = np.bincount(drawn, minlength=5)
    assert counts.sum() == 20
    assert np.all(np.abs(counts - 20 * calibration.weights) < 1)  # floor or ceil of 20 w
    assert set(posterior.draws(calibration, 3, seed=0)[0]) == {
        "division_rate",
        "axl_bypass_capacity",
        "t790m_mutation_rate",
    }


# --- malformed calibration folders -----------------------------------------------------------
def _break(folder: Path, how: str) -> None:
    meta = json.loads((folder / "calibration.json").read_text())
    table = pd.read_csv(folder / "posterior.csv")
    if how == "no posterior.csv":
        (folder / "posterior.csv").unlink()
    elif how == "missing column":
        table.drop(columns="axl_bypass_capacity").to_csv(folder / "posterior.csv", index=False)
    elif how == "weights":
        table.assign(weight=table["weight"] * 2).to_csv(folder / "posterior.csv", index=False)
    elif how == "distribution":
        meta["priors"]["division_rate"]["distribution"] = "normal"
    elif how == "unknown key":
        meta["priors"]["no_such_rate"] = {"distribution": "uniform", "low": 0, "high": 1}
    elif how == "not json":
        (folder / "calibration.json").write_text("{")
        return
    (folder / "calibration.json").write_text(json.dumps(meta))


@pytest.mark.parametrize(
    ("how", "where"),
    [
        ("no posterior.csv", "posterior.csv: missing"),
        ("missing column", "posterior.csv: axl_bypass_capacity: missing column"),
        ("weights", "posterior.csv: weight: sum 2"),
        ("distribution", "calibration.json: priors.division_rate.distribution: 'normal' is not allowed"),
        ("unknown key", "calibration.json: priors.no_such_rate: 'no_such_rate' is not allowed"),
        ("not json", "calibration.json: cannot read"),
    ],
)
def test_a_malformed_calibration_folder_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], how: str, where: str
) -> None:
    folder = tmp_path / "cal"
    shutil.copytree(FIXTURE, folder)
    _break(folder, how)
    status = main(
        ["trial", str(FIRST_LINE), "--posterior", "2", "--calibration", str(folder), "--out", str(tmp_path / "o")]
    )
    err = capsys.readouterr().err.strip()
    assert status == 2
    assert len(err.splitlines()) == 1 and where in err, err
    assert not (tmp_path / "o").exists()  # refused before any patient ran


@pytest.mark.slow
def test_a_bad_calibration_folder_exits_2_from_the_command_line(tmp_path: Path) -> None:
    done = abm("trial", FIRST_LINE, "--posterior", "2", "--calibration", tmp_path / "nowhere")
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "no such calibration folder" in done.stderr
    assert "Traceback" not in done.stderr


# --- trials under the posterior --------------------------------------------------------------
@pytest.mark.slow
def test_trial_posterior_writes_posterior_csv_and_the_summary(tmp_path: Path) -> None:
    out = tmp_path / "trial"
    done = abm("trial", FIRST_LINE, "--posterior", "3", "--patients", "30", "--calibration", FIXTURE, "--out", out)
    assert done.returncode == 0, done.stderr
    tidy = pd.read_csv(out / "posterior.csv")
    assert list(tidy.columns) == ["draw", "arm", "metric", "value"]
    assert sorted(tidy["draw"].unique()) == [0, 1, 2]
    arms = ["gefitinib", "osimertinib"]
    for draw in range(3):
        rows = tidy[tidy["draw"] == draw]
        assert list(rows["arm"].unique()) == arms
        assert {"median_pfs_days", "progressed_share", "at_progression.t790m"} <= set(rows["metric"])
        hr = rows[rows["metric"] == "hazard_ratio"]
        assert list(hr["arm"]) == ["osimertinib"]  # against the first arm, not for it
    summary = json.loads((out / "summary.json").read_text())
    assert summary["posterior"]["draws"] == 3 and len(summary["posterior"]["parameters"]) == 3
    assert summary["calibration"]["point"]["division_rate"] == 0.04
    assert "posterior over 3 draws" in done.stdout
    assert "HR vs gefitinib" in done.stdout and "not the sampling CI" in done.stdout
    assert "months" in done.stdout
    OutputFolder(out, "trial").check()  # a second run may replace this folder: posterior.csv is a trial's file


def test_every_draw_sees_the_same_patients() -> None:
    trial = load_trial(FIRST_LINE, {"patients": 12})
    calibration = posterior.load_calibration(FIXTURE)
    sets = posterior.draws(calibration, 2, seed=0)
    assert sets[0] != sets[1]
    tables: list[pd.DataFrame] = []

    def run(t: object) -> pd.DataFrame:
        tables.append(run_trial(t, workers=1, progress=False))
        return tables[-1]

    tidy = posterior.posterior_trial(trial, sets, run, "test")
    assert len(tables) == 2
    for column in ("patient", "patient_initial_cells", "patient_egfr_tki_insensitivity"):
        assert tables[0][column].tolist() == tables[1][column].tolist()
    # the parameters differ, so the courses do
    assert tables[0]["final_cells"].tolist() != tables[1]["final_cells"].tolist()
    assert set(tidy["draw"]) == {0, 1}


def test_interval_keeps_a_median_not_reached_last() -> None:
    mid, lo, hi = posterior.interval([300.0, 400.0, math.inf])
    assert lo == 300.0 and hi == math.inf and mid == 400.0
    assert posterior.interval([1.0, 2.0, 3.0]) == pytest.approx((2.0, 1.05, 2.95))


# --- the validation under the posterior ------------------------------------------------------
@pytest.mark.parametrize("with_key", [True, False])
def test_posterior_intervals_join_old_and_new_validation_rows(with_key: bool) -> None:
    def rows(value: float) -> list[dict]:
        row = {"setting": "first-line", "mechanism": "t790m", "low": 0.5, "high": 0.7, "simulated": value}
        return [{**row, "key": "t790m_gefitinib"} if with_key else row]

    values: dict[str, list[float]] = {}
    for v in (0.4, 0.55, 0.6, 0.65):
        for i, row in enumerate(rows(v)):
            values.setdefault(posterior.row_key(row, i), []).append(v)
    joined = posterior.add_posterior(rows(0.6), values)
    assert joined[0]["posterior"][0] == pytest.approx(0.4 + 0.075 * 0.15)
    assert joined[0]["posterior_pass"] == 0.75
    assert "t790m" in posterior.format_posterior_rows(joined, 4)


@pytest.mark.slow
def test_validate_posterior_adds_an_interval_to_every_row(capsys: pytest.CaptureFixture[str]) -> None:
    args = [
        "validate",
        "--posterior",
        "2",
        "--patients",
        "15",
        "--workers",
        "1",
        "--json",
        "--calibration",
        str(FIXTURE),
    ]
    status = main(args)
    assert status in (0, 1)
    result = json.loads(capsys.readouterr().out)
    for row in result["targets"]:
        lo, hi = row["posterior"]
        assert lo is None or hi is None or lo <= hi
        assert row["posterior_pass"] in (0.0, 0.5, 1.0)


# --- identifiability -------------------------------------------------------------------------
@pytest.mark.slow
def test_identifiability_ratios(tmp_path: Path) -> None:
    n = 1001
    priors = {
        "division_rate": {"distribution": "uniform", "low": 0.035, "high": 0.045, "source": "t"},
        "axl_bypass_capacity": {"distribution": "uniform", "low": 0.94, "high": 0.99, "source": "t"},
        "t790m_mutation_rate": {"distribution": "loguniform", "low": 1e-7, "high": 1e-5, "source": "t"},
        "met_bypass_capacity": {"distribution": "uniform", "low": 0.9, "high": 1.0, "source": "t"},
    }
    even = np.linspace(0.0, 1.0, n)
    weights = np.ones(n)
    weights[even > 0.25] = 0.0  # met_bypass_capacity: all the weight on the lowest quarter of the prior
    particles = pd.DataFrame(
        {
            "particle": range(n),
            "weight": weights / weights.sum(),
            "division_rate": 0.0395 + 0.001 * even[::-1],  # a tenth of the prior: narrow
            "axl_bypass_capacity": 0.94 + 0.05 * even,  # the prior itself (under the same weights: see below)
            "t790m_mutation_rate": 10 ** (-7 + 2 * even),
            "met_bypass_capacity": 0.9 + 0.1 * even,
        }
    )
    # the weights keep the lowest quarter of every column; spread each column so that quarter is what we want
    q = even <= 0.25
    particles.loc[q, "division_rate"] = np.linspace(0.0395, 0.0405, q.sum())
    particles.loc[q, "axl_bypass_capacity"] = np.linspace(0.94, 0.99, q.sum())
    particles.loc[q, "t790m_mutation_rate"] = 10 ** np.linspace(-7, -6, q.sum())  # half the decades
    folder = write_calibration(tmp_path / "cal", priors, particles)
    table = identifiability_table(posterior.load_calibration(folder)).set_index("key")
    assert table.loc["division_rate", "width_ratio"] == pytest.approx(0.1, abs=0.005)
    assert table.loc["division_rate", "verdict"] == "identified"
    assert table.loc["axl_bypass_capacity", "width_ratio"] == pytest.approx(1.0, abs=0.01)
    assert table.loc["axl_bypass_capacity", "verdict"] == "prior"
    assert table.loc["t790m_mutation_rate", "width_ratio"] == pytest.approx(0.5, abs=0.01)  # in decades
    assert table.loc["t790m_mutation_rate", "prior_width_95"] == pytest.approx(1.9)
    assert table.loc["met_bypass_capacity", "width_ratio"] == pytest.approx(0.25, abs=0.01)
    assert table.loc["division_rate", "posterior_50"] == pytest.approx(0.04, abs=1e-5)

    done = abm("report", folder)
    assert done.returncode == 0, done.stderr
    assert "identified" in done.stdout and "division_rate" in done.stdout
    report = folder / "report"
    assert (report / "identifiability.csv").is_file() and (report / "report.html").is_file()
    assert (report / "figures" / "pairs.png").is_file() and (report / "figures" / "marginals.png").is_file()
    assert "data:image/png;base64" in (report / "report.html").read_text()
