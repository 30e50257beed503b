"""Sweeps: designs and seeds, identical results on any workers or a Dask cluster, nothing lost
when killed, failed runs recorded, one-line errors, sensitivity indices, mesa.batch_run."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import mesa
import numpy as np
import pandas as pd
import pytest

from abm.biology.drugs import DRUG_NAMES
from abm.biology.mechanisms import COUNT_COLUMNS
from abm.cli import main
from abm.config.scenario import load
from abm.experiments.sweep import runner as batch
from abm.experiments.sweep.design import load_sweep
from abm.experiments.sweep.runner import run_sweep
from abm.models.spatial import SpatialTumour
from tests.conftest import ROOT, SCENARIOS
from tests.test_cli import abm, assert_one_line_error

AXL_BASE = SCENARIOS / "osimertinib-axl-days0-9.toml"

# A small spatial sweep: 3 x 2 schedules x 3 replicates = 18 runs of a 30x30 lattice.
SMALL = f"""
name = "small AXL timing"
base = "{AXL_BASE}"
replicates = 3
seed = 7
metrics = ["regrowth_day", "final_total", "share_axl_high", "exposure_bemcentinib"]
[set]
"model.width" = 30
"model.height" = 30
"model.initial_cells" = 200
"model.days" = 90
[vary]
"schedule[1].start" = [0, 10, 20]
"schedule[1].duration" = [5, 30]
"""


def cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """`abm ARGS` in this process (no start-up cost), its output captured as a subprocess's."""
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main([str(a) for a in args])
    return subprocess.CompletedProcess(["abm", *map(str, args)], code, out.getvalue(), err.getvalue())


def write(tmp_path: Path, text: str, name: str = "sweep.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def results(table: pd.DataFrame) -> pd.DataFrame:
    """The runs table without the wall time, which no two runs share."""
    return table.drop(columns="seconds").reset_index(drop=True)


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pd.DataFrame]:
    """The small sweep run once in this process (1 worker): the reference table."""
    folder = tmp_path_factory.mktemp("small")
    path = write(folder, SMALL)
    summary, table = run_sweep(load_sweep(path), folder / "out", workers=1, progress=False)
    assert (summary.done, summary.failed, summary.skipped) == (18, 0, 0)
    return path, table


# --- sweep files and designs ------------------------------------------------------------------
def test_factorial_points_replicates_and_common_seeds(small: tuple[Path, pd.DataFrame]) -> None:
    path, table = small
    sweep = load_sweep(path)
    assert sweep.kind == "spatial" and sweep.n_runs == 18
    assert list(table["run"]) == list(range(18))
    assert list(table["point"]) == [p for p in range(6) for _ in range(3)]
    assert list(table["replicate"]) == [0, 1, 2] * 6
    # Every point's schedule is its start and start + duration.
    for point, config in enumerate(sweep.configs):
        values = sweep.points[point]
        block = config.schedule[1]
        assert (block.start, block.stop) == (
            values["schedule[1].start"],
            values["schedule[1].start"] + values["schedule[1].duration"],
        )
    # Common random numbers: replicate r has one seed at every point, and replicates differ.
    seeds = table.pivot(index="point", columns="replicate", values="seed")
    assert (seeds.nunique(axis=0) == 1).all() and seeds.iloc[0].nunique() == 3
    assert table["seed"].between(0, 2**63 - 1).all()
    # Exposure is the dose-days of the window (the tumour may die out before it ends).
    assert (table["exposure_bemcentinib"] <= table["schedule[1].duration"]).all()
    assert (table["exposure_bemcentinib"] == table["schedule[1].duration"]).mean() > 0.5


def test_a_censored_day_is_recorded_with_its_event_and_settings_are_labelled_in_words(tmp_path: Path) -> None:
    sweep = load_sweep(write(tmp_path, SMALL + '[labels]\n"schedule[1].duration" = "AXL inhibitor days"\n'))
    # regrowth_day is model.days when the tumour never regrew: its event column says which runs are censored
    assert sweep.metrics == ("regrowth_day", "final_total", "share_axl_high", "exposure_bemcentinib", "regrew")
    assert {name: v["label"] for name, v in sweep.description()["vary"].items()} == {
        "schedule[1].start": "AXL inhibitor (bemcentinib) start (day)",  # from the base's second block
        "schedule[1].duration": "AXL inhibitor days",  # the file's own
    }
    bad = write(tmp_path, SMALL + "[labels]\nnadir_day = 'x'\n", "bad.toml")
    assert_one_line_error(cli("sweep", bad, "--out", tmp_path / "out"), "labels: nadir_day is not a varied setting")


def test_ranges_and_sampled_designs(tmp_path: Path) -> None:
    text = f"""
name = "ranges"
base = "{AXL_BASE}"
design = "factorial"
[vary]
division_rate = {{ low = 0.02, high = 0.06, num = 3 }}
persister_entry_fraction = {{ low = 0.001, high = 0.1, num = 3, scale = "log" }}
"schedule[1].start" = {{ low = 0, high = 9, num = 4, integer = true }}
"""
    sweep = load_sweep(write(tmp_path, text))
    assert sweep.n_runs == 36
    assert sorted({p["division_rate"] for p in sweep.points}) == pytest.approx([0.02, 0.04, 0.06])
    assert sorted({p["persister_entry_fraction"] for p in sweep.points}) == pytest.approx([0.001, 0.01, 0.1])
    assert sorted({p["schedule[1].start"] for p in sweep.points}) == [0, 3, 6, 9]

    k = 3
    sizes = {
        '{ method = "random", samples = 20 }': 20,
        '{ method = "latin_hypercube", samples = 20 }': 20,
        '{ method = "sobol", samples = 8 }': 8 * (k + 2),
        '{ method = "sobol", samples = 8, second_order = true }': 8 * (2 * k + 2),
        '{ method = "morris", samples = 5, levels = 4 }': 5 * (k + 1),
    }
    for design, n in sizes.items():
        sampled = (
            text.replace('design = "factorial"', f"design = {design}").replace(", num = 3", "").replace(", num = 4", "")
        )
        sweep = load_sweep(write(tmp_path, sampled))
        assert len(sweep.points) == n, design
        assert sweep.unit is not None and sweep.unit.shape == (n, k)
        assert ((sweep.unit >= 0) & (sweep.unit <= 1)).all()
        rates = np.array([p["division_rate"] for p in sweep.points])
        assert ((rates >= 0.02) & (rates <= 0.06)).all()
        assert all(isinstance(p["schedule[1].start"], int) for p in sweep.points)
        assert load_sweep(write(tmp_path, sampled)).points == sweep.points  # reproducible from the seed
        if "latin_hypercube" in design:  # one sample in each of the n equal strata of every setting
            strata = np.sort(np.floor(sweep.unit * n), axis=0)
            assert (strata == np.arange(n)[:, None]).all()


def test_independent_seeds_differ_between_points(tmp_path: Path) -> None:
    sweep = load_sweep(write(tmp_path, SMALL.replace("seed = 7", 'seed = 7\nseeds = "independent"')))
    seeds = [run.seed for run in sweep.runs()]
    assert len(set(seeds)) == len(seeds)


# --- running: workers, Dask, resume, failures ----------------------------------------------------
def test_one_and_two_workers_give_identical_results(small: tuple[Path, pd.DataFrame], tmp_path: Path) -> None:
    path, one = small
    summary, two = run_sweep(load_sweep(path), tmp_path / "two", workers=2, progress=False)
    assert summary.done == 18
    pd.testing.assert_frame_equal(results(one), results(two))
    assert one["final_total"].nunique() > 3  # the runs really differ


@pytest.mark.slow
def test_dask_local_cluster_gives_identical_results(small: tuple[Path, pd.DataFrame], tmp_path: Path) -> None:
    from distributed import LocalCluster

    path, one = small
    with LocalCluster(
        host="127.0.0.1", n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        summary, table = run_sweep(load_sweep(path), tmp_path / "dask", scheduler=cluster.scheduler_address)
    assert (summary.done, summary.failed) == (18, 0)
    pd.testing.assert_frame_equal(results(one), results(table))


@pytest.mark.slow
def test_sweep_killed_halfway_resumes_to_the_uninterrupted_table(
    small: tuple[Path, pd.DataFrame], tmp_path: Path
) -> None:
    path, one = small
    # Slower runs (a longer horizon) so that the kill lands mid-sweep.
    longer = write(tmp_path, path.read_text().replace('"model.days" = 90', '"model.days" = 400'))
    out = tmp_path / "out"
    command = [sys.executable, "-m", "abm", "sweep", longer, "--workers", "2", "--out", out, "--quiet"]
    process = subprocess.Popen(command, cwd=ROOT, start_new_session=True, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 240
    while len(list((out / "runs").glob("*.json"))) < 6 and time.monotonic() < deadline:
        assert process.poll() is None, "the sweep ended before it could be killed"
        time.sleep(0.02)
    os.killpg(process.pid, signal.SIGKILL)  # the sweep and its workers, as a killed job
    process.wait()
    kept = len(list((out / "runs").glob("*.json")))
    assert 6 <= kept < 18, kept
    assert not (out / "runs.parquet").exists()

    resumed = abm("sweep", longer, "--workers", "2", "--out", out, "--quiet")
    assert resumed.returncode == 0, resumed.stderr
    assert f"18 runs: 18 done, 0 failed ({18 - kept} run now" in resumed.stdout
    after_kill = pd.read_parquet(out / "runs.parquet")

    summary, straight = run_sweep(load_sweep(longer), tmp_path / "straight", workers=1, progress=False)
    assert summary.done == 18
    pd.testing.assert_frame_equal(results(after_kill), results(straight))
    assert not results(straight).equals(results(one))  # the longer horizon did change the runs

    again = cli("sweep", longer, "--workers", "2", "--out", out, "--quiet")  # nothing left to run
    assert "18 runs: 18 done, 0 failed (0 run now" in again.stdout


def test_a_failing_run_is_recorded_and_the_sweep_goes_on(
    small: tuple[Path, pd.DataFrame], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, one = small
    real = batch.simulate

    def fragile(config, metrics, series):  # type: ignore[no-untyped-def]
        if config.schedule[1].start == 10 and config.schedule[1].stop == 40 and config.model.seed == one["seed"][1]:
            raise RuntimeError("lattice on fire")
        return real(config, metrics, series)

    monkeypatch.setattr(batch, "simulate", fragile)
    summary, table = run_sweep(load_sweep(path), tmp_path / "out", workers=1, progress=False)
    assert (summary.done, summary.failed) == (17, 1)
    failed = table[table["status"] == "failed"]
    assert list(failed["run"]) == [10]  # point 3 (start 10, duration 30), replicate 1
    assert failed["error"].iloc[0].startswith("RuntimeError: lattice on fire")
    assert failed[["regrowth_day", "final_total"]].isna().all(axis=None)
    assert (table.loc[table["status"] == "done", "error"] == "").all()
    done = table["status"] == "done"
    pd.testing.assert_frame_equal(results(table[done]), results(one[done]))

    # Resuming runs the failed run again; once it succeeds the table is the clean one.
    monkeypatch.setattr(batch, "simulate", real)
    summary, table = run_sweep(load_sweep(path), tmp_path / "out", workers=1, progress=False)
    assert (summary.done, summary.failed, summary.skipped) == (1, 0, 17)
    pd.testing.assert_frame_equal(results(table), results(one))


def test_cli_sweep_writes_documented_outputs_with_series(tmp_path: Path) -> None:
    path = write(tmp_path, SMALL.replace("replicates = 3", "replicates = 1\nseries = true"))
    out = tmp_path / "out"
    done = cli("sweep", path, "--workers", "1", "--out", out, "--quiet")
    assert done.returncode == 0, done.stderr
    assert "6 runs: 6 done, 0 failed" in done.stdout
    description = json.loads((out / "sweep.json").read_text())
    assert {k: description[k] for k in ("name", "base", "design", "parameters", "replicates", "seed", "kind")} == {
        "name": "small AXL timing",
        "base": str(AXL_BASE),
        "design": "factorial",
        "parameters": ["schedule[1].start", "schedule[1].duration"],
        "replicates": 1,
        "seed": 7,
        "kind": "spatial",
    }
    # regrew added: the event of the censored regrowth_day
    assert description["metrics"] == ["regrowth_day", "final_total", "share_axl_high", "exposure_bemcentinib", "regrew"]
    runs = pd.read_parquet(out / "runs.parquet")
    assert list(runs.columns) == [
        "run", "point", "replicate", "seed", "schedule[1].start", "schedule[1].duration",
        "regrowth_day", "final_total", "share_axl_high", "exposure_bemcentinib", "regrew", "status", "error",
        "seconds",
    ]  # fmt: skip
    assert runs["run"].dtype == "int64" and runs["final_total"].dtype == "float64"
    series = pd.read_parquet(out / "series.parquet")
    assert list(series.columns) == ["run", "day", *COUNT_COLUMNS, "total", *DRUG_NAMES]
    last = series.groupby("run").tail(1).set_index("run")
    assert (last["total"] == runs.set_index("run")["final_total"]).all()
    exposure = series.groupby("run")["bemcentinib"].sum()
    assert (exposure == runs.set_index("run")["exposure_bemcentinib"]).all()
    # The same run through `abm run` gives the same daily table (which adds the concentrations).
    run3 = runs.iloc[3]
    single = cli(
        "run", AXL_BASE, "--seed", str(run3["seed"]), "--days", "90", "--out", tmp_path / "single", "--quiet",
        "--set", "model.width=30", "--set", "model.height=30", "--set", "model.initial_cells=200",
        "--set", f"schedule[1].start={run3['schedule[1].start']}",
        "--set", f"schedule[1].duration={run3['schedule[1].duration']}",
    )  # fmt: skip
    assert single.returncode == 0, single.stderr
    timeseries = pd.read_csv(tmp_path / "single" / "timeseries.csv")
    mine = series[series["run"] == 3].drop(columns="run").reset_index(drop=True)
    assert set(timeseries.columns) - set(mine.columns) == {f"concentration_{d}" for d in DRUG_NAMES}
    pd.testing.assert_frame_equal(mine, timeseries[mine.columns], check_dtype=False)


def test_resume_refuses_a_folder_of_another_sweep(tmp_path: Path) -> None:
    out = tmp_path / "out"
    one_replicate = SMALL.replace("replicates = 3", "replicates = 1")
    first = write(tmp_path, one_replicate, "one.toml")
    assert cli("sweep", first, "--workers", "1", "--out", out, "--quiet").returncode == 0
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    other = write(tmp_path, one_replicate.replace("seed = 7", "seed = 8"), "two.toml")
    assert_one_line_error(cli("sweep", other, "--out", out), "--out", "holds results of a different sweep")
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before


BAD_SWEEPS = {
    "unknown key": ("replicate = 3\n", "replicate", "unknown key; did you mean 'replicates'?"),
    "unknown metric": ('metrics = ["tumour_size"]\n', "metrics: tumour_size", "unknown metric; allowed: final_total"),
    "unknown design": ('design = "grid"\n', "design.method", "'grid' is not allowed"),
    "sobol samples": ('design = { method = "sobol", samples = 10 }\n', "design", "power of 2, got 10"),
    "range without num": ("", "vary.division_rate", "needs num"),
    "unknown name": ("", "vary.growth", "unknown name; allowed: a parameter"),
    "value out of range": ("", "vary: division_rate=1.5", "parameters.division_rate: 1.5 is not allowed"),
    "block index out of range": ("", "vary: schedule[5].start", "index 5 is out of range; the file has 2 entries"),
    "duration of a triggered block": ("", "vary: schedule[1].duration", "start is a day, not a trigger"),
    "varying the seed": ("", "vary", "seeds come from the sweep's seed"),
    "missing base": ('base = "nowhere.toml"\n', "base", "no such file"),
    "series of a trial": ("", "series", "scenario runs only"),
    "trial metric without arm": ("", "metrics: orr", "name the arm"),
    "unknown target metric": ("", "metrics: target.egfr_gefitinib", "unknown target 'egfr_gefitinib'"),
    "calibration metric without the validation arms": (
        "",
        "metrics: calibration_distance",
        "needs the arms of scenarios/validation.toml; missing: 'gefitinib'",
    ),
    "not a sweep": ("", "", "a scenario or trial file, not a sweep"),
}
VARY = {
    "range without num": "division_rate = { low = 0.02, high = 0.05 }",
    "unknown name": "growth = [1, 2]",
    "value out of range": "division_rate = [0.02, 1.5]",
    "block index out of range": '"schedule[5].start" = [1, 2]',
    "varying the seed": '"model.seed" = [1, 2]',
}


def bad_sweep_text(case: str) -> str:
    head = BAD_SWEEPS[case][0]
    trial = SCENARIOS / "trial-axl-timing.toml"
    if case == "not a sweep":
        return AXL_BASE.read_text()
    if case == "duration of a triggered block":
        base = SCENARIOS / "osimertinib-savolitinib-on-regrowth.toml"
        return f'name = "s"\nbase = "{base}"\n[vary]\n"schedule[1].duration" = [5, 10]\n'
    trials = {  # a trial base and the metric asked of it
        "series of a trial": (trial, '"orr:osimertinib"'),
        "trial metric without arm": (trial, '"orr"'),
        "unknown target metric": (SCENARIOS / "validation.toml", '"target.egfr_gefitinib"'),
        "calibration metric without the validation arms": (trial, '"calibration_distance"'),
    }
    if case in trials:
        base, metric = trials[case]
        extra = "series = true\n" if case == "series of a trial" else ""
        return f'name = "t"\nbase = "{base}"\n{extra}metrics = [{metric}]\n[vary]\ndivision_rate = [0.04, 0.05]\n'
    base_line = "" if head.startswith("base") else f'base = "{AXL_BASE}"\n'
    vary = VARY.get(case, "division_rate = [0.04, 0.05]")
    return f'name = "s"\n{base_line}{head}[vary]\n{vary}\n'


@pytest.mark.slow
@pytest.mark.parametrize("case", list(BAD_SWEEPS))
def test_bad_sweep_file_gives_one_line_exit_2(case: str, tmp_path: Path) -> None:
    path = write(tmp_path, bad_sweep_text(case))
    out = tmp_path / "out"
    # One case through a real process (no traceback on stderr), the others in this one.
    done = (abm if case == "unknown key" else cli)("sweep", path, "--out", out)
    _, field, fragment = BAD_SWEEPS[case]
    assert_one_line_error(done, str(path), field, fragment)
    assert not out.exists()


@pytest.mark.slow
def test_bad_command_line_gives_one_line_exit_2(small: tuple[Path, pd.DataFrame], tmp_path: Path) -> None:
    path, _ = small
    assert_one_line_error(cli("sweep", path, "--workers", "0"), "--workers", "allowed: 1 or more")
    refused = cli("sweep", path, "--scheduler", "tcp://127.0.0.1:9", "--out", tmp_path / "out")
    assert_one_line_error(refused, "--scheduler", "cannot connect to a Dask scheduler")
    assert_one_line_error(cli("sensitivity", tmp_path / "nothing"), "no sweep.json")


# --- sensitivity --------------------------------------------------------------------------------
SMALL_TRIAL = """
name = "small trial"
[trial]
patients = 12
follow_up_days = 1500
[cohort]
division_rate = { distribution = "normal", sd = 0.001, low = 0.03, high = 0.06 }
[[arms]]
name = "osimertinib"
schedule = [{ drug = "osimertinib" }]
[[arms]]
name = "osimertinib + AXL inhibitor upfront"
schedule = [{ drug = "osimertinib" }, { drug = "bemcentinib" }]
"""
TRIAL_MORRIS = """
name = "morris on a small trial"
base = "small-trial.toml"
design = { method = "morris", samples = 3, levels = 4 }
seed = 1
metrics = ["mean_pfs_days:osimertinib", "hazard_ratio:osimertinib + AXL inhibitor upfront", "orr:osimertinib"]
[vary]
division_rate = { low = 0.036, high = 0.048 }
ctdna_interval_days = [14, 28, 42, 56]
"""


@pytest.mark.slow
def test_morris_sensitivity_of_a_trial_metric(tmp_path: Path) -> None:
    write(tmp_path, SMALL_TRIAL, "small-trial.toml")
    path = write(tmp_path, TRIAL_MORRIS)
    out = tmp_path / "out"
    done = cli("sweep", path, "--workers", "1", "--out", out, "--quiet")
    assert done.returncode == 0, done.stderr
    assert "9 runs: 9 done" in done.stdout
    result = cli("sensitivity", out, "--metric", "mean_pfs_days:osimertinib")
    assert result.returncode == 0, result.stderr
    table = pd.read_csv(out / "sensitivity.csv")
    assert list(table.columns) == [
        "method", "metric", "parameter", "mu_star", "mu_star_conf", "sigma", "S1", "S1_conf", "ST", "ST_conf"
    ]  # fmt: skip
    assert list(table["parameter"]) == ["division_rate", "ctdna_interval_days"]  # ranked by mu_star
    assert table[["S1", "S1_conf", "ST", "ST_conf"]].isna().all(axis=None)
    faster, control = table.iloc[0], table.iloc[1]
    # Faster growth shortens PFS on every trajectory; the ctDNA interval changes nothing (no
    # schedule reads ctDNA, and every point has the same patients).
    assert faster["mu_star"] > 50 and control["mu_star"] == 0.0 and control["sigma"] == 0.0
    lines = result.stdout.splitlines()
    assert lines[0] == "mean_pfs_days:osimertinib (morris):"
    assert lines[2].split()[:2] == ["1", "division_rate"] and lines[3].split()[:2] == ["2", "ctdna_interval_days"]
    # The Morris effect is the metric's mean change over the setting's whole range.
    runs = pd.read_parquet(out / "runs.parquet")
    design = pd.read_parquet(out / "design.parquet")
    assert list(design.columns) == ["point", "division_rate", "ctdna_interval_days", "unit.division_rate",
                                    "unit.ctdna_interval_days"]  # fmt: skip
    assert (runs["division_rate"] == design["division_rate"]).all()
    assert_one_line_error(cli("sensitivity", out, "--method", "sobol"), "--method", "needs a sobol sweep")
    assert_one_line_error(cli("sensitivity", out, "--metric", "pfs"), "--metric", "not a metric of this sweep")


@pytest.mark.slow
def test_sobol_indices_on_clone_runs(tmp_path: Path) -> None:
    text = f"""
name = "sobol on the clone model"
base = "{SCENARIOS / "clone-osimertinib.toml"}"
design = {{ method = "sobol", samples = 8 }}
metrics = ["fraction_alive", "progression_day"]
[set]
"model.days" = 120
"model.initial_cells" = 1000000
[vary]
division_rate = {{ low = 0.03, high = 0.06 }}
ctdna_interval_days = [14, 28]
"""
    out = tmp_path / "out"
    summary, _ = run_sweep(load_sweep(write(tmp_path, text)), out, workers=1, progress=False)
    assert summary.done == 8 * 4
    from abm.experiments.sweep.sensitivity import analyse

    table = analyse(out, ["fraction_alive"])
    assert list(table["parameter"]) == ["division_rate", "ctdna_interval_days"]
    assert table[["mu_star", "mu_star_conf", "sigma"]].isna().all(axis=None)
    growth, control = table.iloc[0], table.iloc[1]
    assert growth["ST"] > 0.5 and growth["S1"] > 0.5
    assert control["ST"] == 0.0 and control["S1"] == 0.0


# --- Mesa's batch_run ---------------------------------------------------------------------------
@pytest.mark.slow
def test_spatial_model_under_mesa_batch_run() -> None:
    settings = {"width": 30, "height": 30, "initial_cells": 150, "days": 40}
    rows = mesa.batch_run(
        SpatialTumour,
        parameters={"config": str(AXL_BASE), **settings, "persister_entry_fraction": [0.0, 0.1]},
        rng=[11, 12],
        number_processes=2,
        max_steps=1000,
        data_collection_period=-1,
        display_progress=False,
    )
    assert len(rows) == 4
    for row in rows:
        model = SpatialTumour(
            load(AXL_BASE), rng=row["rng"], **settings, persister_entry_fraction=row["persister_entry_fraction"]
        )
        while model.running:
            model.step()
        assert row["Step"] == model.steps == 40
        assert {k: row[k] for k in ("day", "total", *COUNT_COLUMNS)} == {
            "day": 40, **model.counts
        }  # fmt: skip
        assert row["bemcentinib"] == 0.0 and row["osimertinib"] == 1.0  # day 40 is past the 10-day window
    assert len({r["total"] for r in rows}) > 1  # the seeds and settings do matter


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("sweep-*.toml")), ids=lambda p: p.stem)
def test_every_shipped_sweep_loads(path: Path) -> None:
    """A shipped sweep names only settings the model has (one varied a rate biology v2 removed)."""
    sweep = load_sweep(path)
    assert sweep.n_runs > 0
