"""Issue 15: bad input of every kind gets one line and exit 2, and a good result folder survives it.

Each case is a file (or command) a hostile or careless user could give; the good folder is
written once per module and copied, so every case checks byte-identity without a new run. The
cases call the command line in-process (``abm.cli.main``), which is what the ``abm`` script
runs, so the many cases cost milliseconds each; tests/test_cli.py covers the script itself.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from abm.cli import main
from tests.test_cli import SMALL, assert_one_line_error


def abm(*args: str | Path, capsys: pytest.CaptureFixture[str]) -> subprocess.CompletedProcess[str]:
    """``abm ARGS`` in this process: its exit status and what it printed."""
    capsys.readouterr()
    status = main([str(a) for a in args])
    printed = capsys.readouterr()
    return subprocess.CompletedProcess(list(map(str, args)), status, printed.out, printed.err)


ARM = '[[arms]]\nname = "a"\nschedule = [{ drug = "osimertinib" }]\n'
TRIAL = 'name = "t"\n[trial]\npatients = 3\nfollow_up_days = 20\n'
SWEEP_BASE = "[model]\nwidth = 20\nheight = 20\ninitial_cells = 50\ndays = 3\n"


@pytest.fixture(scope="module")
def good_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("good") / "run"
    assert main(["run", "--days", "5", "--out", str(out), "--quiet", *SMALL]) == 0
    return out


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` by relative path, with its bytes."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def out(good_run: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "out"
    shutil.copytree(good_run, folder)
    return folder


# (command, file name, file text, fragments of the one-line error)
CASES: dict[str, tuple[str, str, str, tuple[str, ...]]] = {
    # class 3: no coercion between bool, number and string
    "bool rate": ("run", "s.toml", "[parameters]\ndivision_rate = true\n", ("parameters.division_rate", "True")),
    "string width": ("run", "s.toml", '[model]\nwidth = "50"\n', ("model.width", "'50' is not allowed", "integer")),
    "float width": ("run", "s.toml", "[model]\nwidth = 50.0\n", ("model.width", "50.0 is not allowed")),
    "string dose": (
        "run",
        "s.toml",
        '[[schedule]]\ndrug = "osimertinib"\ndose = "1.0"\n',
        ("schedule[0].dose", "'1.0' is not allowed; allowed: a number"),
    ),
    "string flag": (
        "run",
        "s.toml",
        '[model]\nstop_when_extinct = "yes"\n',
        ("model.stop_when_extinct", "true or false"),
    ),
    "string patients": (
        "trial",
        "t.toml",
        'name = "t"\n[trial]\npatients = "3"\n' + ARM,
        ("trial.patients", "'3' is not allowed"),
    ),
    "bool replicates": (
        "sweep",
        "w.toml",
        'name = "w"\nbase = "b.toml"\nreplicates = true\n[vary]\n"model.seed" = [1]\n',
        ("replicates", "True is not allowed"),
    ),
    "bool cohort value": (
        "trial",
        "t.toml",
        TRIAL + "[cohort]\ndivision_rate = true\n" + ARM,
        ("cohort.division_rate", "True is not allowed; allowed: a number"),
    ),
    # class 4: finite numbers only
    "nan dose": (
        "run",
        "s.toml",
        '[[schedule]]\ndrug = "osimertinib"\ndose = nan\n',
        ("schedule[0].dose", "nan is not allowed; allowed: a finite number"),
    ),
    "inf dose": ("run", "s.toml", '[[schedule]]\ndrug = "osimertinib"\ndose = inf\n', ("schedule[0].dose", "inf")),
    "nan trigger": (
        "run",
        "s.toml",
        '[[schedule]]\ndrug = "osimertinib"\nstart = { readout = "burden", above = nan }\n',
        ("schedule[0].start.above", "finite"),
    ),
    "nan rate": ("run", "s.toml", "[parameters]\ndeath_rate = nan\n", ("parameters.death_rate", "nan")),
    "inf cohort sd": (
        "trial",
        "t.toml",
        TRIAL + '[cohort]\ndivision_rate = { distribution = "normal", sd = inf }\n' + ARM,
        ("cohort.division_rate.sd", "finite"),
    ),
    # class 5: cohorts checked against the model's bounds before any patient runs
    "cohort median beyond bounds": (
        "trial",
        "t.toml",
        TRIAL + '[cohort]\ninitial_cells = { distribution = "lognormal", median = 1e14, sigma = 1 }\n' + ARM,
        ("cohort.initial_cells.median", "allowed: cells, 1 to 10^13"),
    ),
    "cohort fixed value beyond bounds": (
        "trial",
        "t.toml",
        TRIAL + "[cohort]\ndivision_rate = 3\n" + ARM,
        ("cohort.division_rate", "3.0 is not allowed; allowed: probability per day"),
    ),
    "cohort low above high": (
        "trial",
        "t.toml",
        TRIAL + '[cohort]\ndivision_rate = { distribution = "uniform", low = 0.5, high = 0.1 }\n' + ARM,
        ("cohort.division_rate", "high must be at least low"),
    ),
    # class 6: one line, not a traceback
    "binary scenario": ("run", "s.toml", "\x00\xff\xfe binary", ("s.toml", "not a text file")),
    "cohort_from cycle": (
        "trial",
        "t.toml",
        'name = "t"\ncohort_from = "t.toml"\n' + ARM,
        ("cohort_from", "t.toml is already in the chain"),
    ),
    # all-of triggers and for_days: the branch the file meant, one line
    "all-of with a trigger's key": (
        "trial",
        "t.toml",
        TRIAL
        + '[[arms]]\nname = "a"\nschedule = [{ drug = "osimertinib", start = '
        + '{ all = [{ readout = "progressions", above = 0.5 }], readout = "day" } }]\n',
        ("arms[0].schedule[0].start.readout", "unknown key; allowed: all"),
    ),
    "all-of with an unknown readout": (
        "run",
        "s.toml",
        '[[schedule]]\ndrug = "osimertinib"\nstop = { all = [{ readout = "biopsy_mood", above = 0.5 }] }\n',
        ("schedule[0].stop.all[0].readout", "unknown readout 'biopsy_mood'; allowed: day"),
    ),
    "for_days zero": (
        "run",
        "s.toml",
        '[[schedule]]\ndrug = "osimertinib"\nfor_days = 0\n',
        ("schedule[0].for_days", "0 is not allowed; allowed: greater than or equal to 1"),
    ),
    # class 12: an index past the end says so
    "index beyond the schedule": (
        "run",
        "s.toml",
        "",
        ("schedule[3].dose", "index 3 is out of range"),
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_file_gives_one_line_exit_2_and_keeps_the_good_folder(
    case: str, out: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    command, name, text, fragments = CASES[case]
    before = snapshot(out)
    (tmp_path / name).write_bytes(text.encode("latin-1") if "\xff" in text else text.encode())
    (tmp_path / "b.toml").write_text(SWEEP_BASE)
    extra = ["--set", "schedule[3].dose=2"] if case == "index beyond the schedule" else []
    done = abm(command, tmp_path / name, "--out", out, *extra, capsys=capsys)
    assert_one_line_error(done, *fragments)
    assert snapshot(out) == before


def test_unbounded_input_is_refused_without_reading_it(out: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = snapshot(out)
    assert_one_line_error(abm("run", "/dev/zero", "--out", out, capsys=capsys), "/dev/zero", "larger than")
    assert snapshot(out) == before


def test_a_whole_number_is_a_number_and_clipped_draws_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Strictness keeps what is right: `dose = 1` is a dose; a normal's tails are clipped, as documented."""
    scenario = tmp_path / "s.toml"
    scenario.write_text('[[schedule]]\ndrug = "osimertinib"\ndose = 1\n')
    assert (
        abm("run", scenario, "--days", "2", "--out", tmp_path / "r", "--quiet", *SMALL, capsys=capsys).returncode == 0
    )
    trial = tmp_path / "t.toml"
    trial.write_text(TRIAL + '[cohort]\ndivision_rate = { distribution = "normal", sd = 10 }\n' + ARM)
    done = abm("trial", trial, "--out", tmp_path / "t", "--json", capsys=capsys)
    assert done.returncode == 0, done.stderr
    drawn = (tmp_path / "t" / "patients.csv").read_text().splitlines()[1:]
    rates = [float(line.split(",")[-1]) for line in drawn]
    assert all(0.0 <= r <= 1.0 for r in rates) and len(rates) == 3


# --- class 6: corrupt result files, a malformed sweep folder -------------------------------------
SWEEP = 'name = "w"\nbase = "b.toml"\nmetrics = ["final_total"]\n[vary]\ndivision_rate = [0.04, 0.05]\n'


@pytest.fixture(scope="module")
def good_sweep(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("sweep")
    (folder / "b.toml").write_text(SWEEP_BASE)
    (folder / "w.toml").write_text(SWEEP)
    assert main(["sweep", str(folder / "w.toml"), "--workers", "1", "--out", str(folder / "out"), "--quiet"]) == 0
    return folder


@pytest.mark.parametrize(
    ("kind", "name", "content", "fragment"),
    [
        ("run", "summary.json", b'{"nadir": 3', "summary.json"),
        ("trial", "patients.csv", b"\x00\xff\xfe", "patients.csv"),
        ("trial", "summary.json", b'{"arms": {"a": 1}}', "not the trial results abm writes"),
        ("validation", "validation.json", b"[1, 2]", "validation.json"),
        ("sweep", "runs.parquet", b"PAR1 not really", "runs.parquet"),
    ],
)
def test_corrupt_result_files_give_one_line(
    kind: str, name: str, content: bytes, fragment: str, tmp_path: Path, good_run: Path, good_sweep: Path, capsys
) -> None:
    folder = tmp_path / kind
    if kind == "sweep":
        shutil.copytree(good_sweep / "out", folder)
    else:
        shutil.copytree(good_run, folder)
        (folder / "manifest.json").unlink()  # a folder from before manifests (or copied without one)
        if kind != "run":
            for stale in ("timeseries.csv", "summary.json"):
                (folder / stale).unlink()
        if kind == "trial":
            (folder / "patients.csv").write_text("arm,patient\na,0\n")
    (folder / name).write_bytes(content)
    assert_one_line_error(abm("report", folder, capsys=capsys), fragment)


def test_malformed_sweep_folder_gives_one_line(tmp_path: Path, good_sweep: Path, capsys) -> None:
    folder = tmp_path / "out"
    shutil.copytree(good_sweep / "out", folder)
    (folder / "sweep.json").write_text('{"design": "morris", "parameters": 3}')
    assert_one_line_error(abm("sensitivity", folder, capsys=capsys), "sweep.json", "parameters")
    # class 12: stray or malformed files in runs/ are not runs; the sweep resumes as done
    shutil.rmtree(folder)
    shutil.copytree(good_sweep / "out", folder)
    (folder / "runs" / "copy of 0000000.json").write_text((folder / "runs" / "0000000.json").read_text())
    (folder / "runs" / "0000005.json").write_text("[1, 2]")
    (folder / "runs" / "0000001.json").write_text('{"run": "x"}')  # malformed: run 1 is run again
    done = abm("sweep", good_sweep / "w.toml", "--workers", "1", "--out", folder, "--quiet", capsys=capsys)
    assert done.returncode == 0, done.stderr
    assert "2 runs: 2 done, 0 failed (1 run now" in done.stdout


# --- class 7: unbounded work refused or capped before it starts --------------------------------
def test_huge_design_is_refused_before_it_is_built(tmp_path: Path, capsys) -> None:
    (tmp_path / "b.toml").write_text(SWEEP_BASE)
    huge = tmp_path / "w.toml"
    huge.write_text(
        'name = "w"\nbase = "b.toml"\n[vary]\n'
        "division_rate = { low = 0.01, high = 0.05, num = 100000 }\n"
        "death_rate = { low = 0.001, high = 0.005, num = 100000 }\n"
    )
    done = abm("sweep", huge, "--out", tmp_path / "out", capsys=capsys)
    assert_one_line_error(done, "design", "10,000,000,000 runs", "--max-runs")
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_workers_beyond_the_cpus_are_capped(tmp_path: Path, capsys) -> None:
    trial = tmp_path / "t.toml"
    trial.write_text(TRIAL + ARM)
    done = abm("trial", trial, "--workers", "512", "--out", tmp_path / "out", "--json", capsys=capsys)
    assert done.returncode == 0
    assert "--workers 512 capped at the" in done.stderr


# --- class 10: a Dask cluster with no worker ----------------------------------------------------
@pytest.mark.slow
def test_dask_cluster_without_workers_is_a_clear_error(
    tmp_path: Path, good_sweep: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    from distributed import LocalCluster

    from abm.experiments import pool

    monkeypatch.setattr(pool, "WORKER_WAIT", 1.0)
    out = tmp_path / "out"
    with LocalCluster(n_workers=0, processes=False, dashboard_address=None) as cluster:
        done = abm(
            "sweep", good_sweep / "w.toml", "--scheduler", cluster.scheduler_address, "--out", out, capsys=capsys
        )
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert lines[0].startswith("waiting up to 1 s for a Dask worker")
    assert "no Dask worker joined in 1 s" in lines[-1] and "Traceback" not in done.stderr
    assert not out.exists()  # nothing written: a rerun starts clean


# --- class 11: the viz beyond loopback ------------------------------------------------------------
def test_viz_beyond_loopback_needs_a_flag_and_warns(capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    from abm.viz import server

    assert_one_line_error(abm("viz", "--host", "0.0.0.0", capsys=capsys), "--host", "--allow-remote")
    started = []
    monkeypatch.setattr(server.os, "execve", lambda *args: started.append(args))
    from abm.viz import assets

    monkeypatch.setattr(assets, "installed", lambda folder: True)
    assert server.serve(None, "0.0.0.0", 8765, allow_remote=True) == 0
    assert "warning: serving on 0.0.0.0" in capsys.readouterr().err
    assert started and "0.0.0.0" in started[0][1]
    assert server.is_loopback("127.0.0.1") and server.is_loopback("::1") and not server.is_loopback("10.0.0.1")


# --- class 12: a closed pipe ----------------------------------------------------------------------
def test_closed_pipe_ends_quietly() -> None:
    from tests.conftest import ROOT

    command = [sys.executable, "-m", "abm", "parameters"]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # the reader is gone before the first line, as `| head -0`
    assert process.wait(timeout=60) == 141
    assert process.stderr.read() == b""


@pytest.mark.slow
def test_any_in_range_rates_give_probabilities(tmp_path: Path) -> None:
    """Biology v2 rates are independent: every in-range combination runs (death is capped at 1),
    so no combination needs refusing; the extremes run to the end without a crash."""
    path = tmp_path / "extreme.toml"
    path.write_text(
        '[model]\nkind = "clone"\ninitial_cells = 1000\ndays = 20\nstop_when_extinct = false\n'
        "[parameters]\ndeath_rate = 1.0\ndrug_kill_rate = 1.0\ndivision_rate = 1.0\n"
        "persister_entry_fraction = 1.0\npersister_death_rate = 1.0\n"
    )
    done = subprocess.run(
        [sys.executable, "-m", "abm", "run", str(path), "--out", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
