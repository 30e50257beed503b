"""Issue 20, CLI polish: --version, did-you-mean, scenario names, one --workers default, errors
that name the option, PFS in months, a sweep's summary; the ADTTE table read back by two
independent Kaplan-Meier implementations; output files under a set umask."""

from __future__ import annotations

import argparse
import json
import math
import os
import stat
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from lifelines import KaplanMeierFitter
from sksurv.nonparametric import kaplan_meier_estimator

from abm.cli import DEFAULT_WORKERS, WORKERS_HELP, available_cpus, build_parser, worker_count
from abm.experiments.sweep.summary import summarise_sweep
from abm.experiments.trial_stats import format_summary
from abm.io.schema import (
    ADTTE_TABLE,
    ARMS,
    AVAL,
    CNSR,
    HAZARD_RATIOS,
    MEDIAN_PFS2_DAYS,
    MEDIAN_PFS_DAYS,
    PARAMCD,
    POINT,
    STATUS,
    USUBJID,
)
from abm.version import __version__
from tests.conftest import SCENARIOS
from tests.test_cli import SMALL


def one_line(done, *fragments: str, absent: tuple[str, ...] = ()) -> str:
    """Bad input: exit 2, nothing on stdout, one line on stderr with the fragments, no traceback."""
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2, done.stderr
    assert done.stdout == "" and "Traceback" not in done.stderr
    assert len(lines) == 1, done.stderr
    assert all(f in lines[0] for f in fragments), lines[0]
    assert not any(a in lines[0] for a in absent), lines[0]
    return lines[0]


def test_version(cli) -> None:
    done = cli("--version")
    assert done.returncode == 0 and done.stdout.strip() == f"abm {__version__}"


# --- did you mean --------------------------------------------------------------------------------
@pytest.mark.parametrize("typed", ["osimertinb", "Osimertinib"])
def test_a_misspelt_drug_gets_one_suggestion_not_the_list(typed: str, tmp_path: Path, cli) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(f'[[schedule]]\ndrug = "{typed}"\n')
    line = one_line(cli("run", bad, "--out", tmp_path / "o"), str(bad), "schedule[0].drug", absent=("gefitinib",))
    assert line.endswith(f"unknown drug '{typed}'; did you mean 'osimertinib'?")


def test_a_misspelt_parameter_gets_a_suggestion_not_every_name(tmp_path: Path, cli) -> None:
    done = cli("run", "--set", "persister_entry_fractio=0.1", "--out", tmp_path / "o")
    one_line(done, "did you mean 'persister_entry_fraction'?", absent=("division_rate", "t790m"))
    bad = tmp_path / "bad.toml"
    bad.write_text("[parameters]\npersister_entry_fractio = 0.1\n")
    one_line(cli("run", bad, "--out", tmp_path / "o"), "parameters.persister_entry_fractio: unknown key; did you mean")
    # a name close to nothing still says what is allowed
    one_line(cli("run", "--set", "zzzz=1", "--out", tmp_path / "o"), "unknown name; allowed: a parameter (")


def test_a_misspelt_readout_gets_a_suggestion(tmp_path: Path, cli) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[[schedule]]\ndrug = "osimertinib"\nstop = { readout = "ctdna_t790n", above = 0.1 }\n')
    one_line(cli("run", bad, "--out", tmp_path / "o"), "unknown readout 'ctdna_t790n'; did you mean 'ctdna_t790m'?")


def test_a_misspelt_metric_gets_a_suggestion(tmp_path: Path, cli) -> None:
    base = SCENARIOS / "osimertinib-continuous.toml"
    sweep = tmp_path / "s.toml"
    sweep.write_text(f'name = "s"\nbase = "{base}"\nmetrics = ["regrowth_dya"]\n[vary]\ndivision_rate = [0.04]\n')
    one_line(cli("sweep", sweep, "--out", tmp_path / "o"), "metrics: regrowth_dya", "did you mean 'regrowth_day'?")
    trial = SCENARIOS / "trial-first-line.toml"
    sweep.write_text(
        f'name = "s"\nbase = "{trial}"\nmetrics = ["median_pfs_dys:osimertinib"]\n[vary]\ndivision_rate = [0.04]\n'
    )
    one_line(
        cli("sweep", sweep, "--out", tmp_path / "o"),
        "unknown statistic 'median_pfs_dys'; did you mean 'median_pfs_days'",
    )


# --- scenario names --------------------------------------------------------------------------------
def test_a_bare_scenario_name_is_found_in_scenarios(tmp_path: Path, cli) -> None:
    out = tmp_path / "o"
    done = cli("run", "osimertinib-continuous", "--days", "3", "--out", out, "--quiet", *SMALL)
    assert done.returncode == 0, done.stderr
    assert json.loads((out / "summary.json").read_text())["scenario"] == "osimertinib continuous"


def test_a_misspelt_scenario_name_gets_a_suggestion(tmp_path: Path, cli) -> None:
    one_line(cli("run", "osimertinib-continuos"), "osimertinib-continuos: no such scenario file; did you mean")
    one_line(cli("trial", "trial-axl-timin"), "no such trial file; did you mean 'trial-axl-timing'?")
    one_line(cli("sweep", "sweep-axl-timin"), "no such sweep file; did you mean 'sweep-axl-timing'?")
    one_line(cli("optimise", "optimise-axl-windo"), "no such schedule family file; did you mean 'optimise-axl-window'?")
    one_line(cli("run", tmp_path / "nowhere" / "x.toml"), "no such scenario file", absent=("did you mean",))


def test_a_scenario_file_given_to_trial_says_it_is_a_scenario(cli) -> None:
    one_line(
        cli("trial", SCENARIOS / "osimertinib-continuous.toml"),
        "a scenario file, not a trial file",
        "abm run",
        absent=("Field required",),
    )


# --- options ---------------------------------------------------------------------------------------
def test_a_bad_option_value_is_reported_as_that_option(tmp_path: Path, cli) -> None:
    one_line(cli("run", "--days", "-5", "--out", tmp_path), "--days: -5 is not allowed", absent=("--set",))
    one_line(cli("run", "--seed", "-1", "--set", "model.width=30", "--out", tmp_path), "--seed: -1", absent=("--set",))
    one_line(cli("trial", "trial-first-line", "--patients", "0"), "--patients: 0 is not allowed")
    one_line(cli("run", "--set", "model.days=-5", "--out", tmp_path), "(with --set): model.days: -5 is not allowed")


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    action = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def test_one_workers_default_everywhere() -> None:
    commands = _subcommands()
    for name in ("trial", "validate", "sweep", "calibrate", "optimise"):
        workers = next(a for a in commands[name]._actions if "--workers" in a.option_strings)
        assert workers.default is None and workers.help == WORKERS_HELP, name
    assert f"default {DEFAULT_WORKERS}" in WORKERS_HELP
    assert worker_count(None) == min(DEFAULT_WORKERS, available_cpus())


def test_every_option_of_every_command_has_help_text() -> None:
    for name, command in _subcommands().items():
        for action in command._actions:
            assert action.help and action.help.strip(), f"abm {name} {action.option_strings or action.dest}"


# --- summaries -------------------------------------------------------------------------------------
def arm(median: float | None, ci: list, median2: float | None = None) -> dict:
    return {
        "patients": 10,
        "progressed": 4,
        MEDIAN_PFS_DAYS: median,
        "median_pfs_ci": ci,
        "orr": 0.5,
        "primary_resistance": 0.1,
        "mechanisms_at_progression": {},
        MEDIAN_PFS2_DAYS: median2,
        "median_pfs2_ci": [None, None],
    }


def test_the_trial_summary_gives_pfs_in_months_and_not_reached_in_words() -> None:
    summary = {
        ARMS: {
            "a": arm(365.25, [304.375, None]),
            "b": arm(None, [None, None]),
            "c": arm(None, [608.75, None], median2=730.5),
        },
        HAZARD_RATIOS: [
            {"arm": "b", "reference": "a", "hr": 0.5, "ci": [0.3, 0.8]},
            {"arm": "c", "reference": "a", "hr": 0.9, "ci": [0.6, 1.3]},
        ],
    }
    text = format_summary("t", summary)
    assert "median PFS 12.0 months (95% CI 10.0-not reached)" in text
    assert "median PFS not reached;" in text
    assert "median PFS not reached (95% CI from 20.0 months)" in text
    assert "median PFS2 24.0 months" in text
    assert "not reached days" not in text and "not reached-not reached" not in text
    assert all("days" not in line for line in text.splitlines() if "PFS" in line)
    assert text.splitlines()[-1].startswith("  finding: longest median PFS on b (not reached vs a's 12.0 months)")
    assert "a difference the 95% CI supports" in text


def test_a_sweep_summary_names_the_extremes_and_the_noise() -> None:
    rows = []
    for point, (start, value) in enumerate([(0, 100.0), (7, 300.0), (14, 500.0)]):
        for delta in (-10.0, 0.0, 10.0):
            regrew = 0 if point == 2 else 1  # point 2 never regrew: its days are capped
            nadir = [2.0, 5.0, 10.0][point] + delta / 10
            rows.append(
                {
                    POINT: point,
                    "start": start,
                    "regrowth_day": value + delta,
                    "regrew": regrew,
                    "nadir": nadir,
                    STATUS: "done",
                }
            )
    rows.append(
        {POINT: 0, "start": 0, "regrowth_day": math.nan, "regrew": math.nan, "nadir": math.nan, STATUS: "failed"}
    )
    table = pd.DataFrame(rows)
    lines = summarise_sweep(table, ["start"], ["regrowth_day", "nadir"])
    # a day capped at the run's end is censored: Kaplan-Meier medians, never a mean of capped days
    assert lines[1] == (
        "  regrowth_day (Kaplan-Meier median over the replicates; 3 of 9 runs censored at the run's end): "
        "100 (95% CI 90-110; start = 0) to not reached (start = 14)"
    )
    assert lines[2] == "  nadir: 2 (start = 0) to 10 (start = 14); beyond replicate noise (SD 1, n = 3)"
    table.loc[table[POINT] == 2, "regrew"] = 1.0
    assert lines[1] != summarise_sweep(table, ["start"], ["regrowth_day"])[1]
    assert summarise_sweep(table, ["start"], ["regrowth_day"])[1].endswith("to 500 (95% CI 490-510; start = 14)")
    table.loc[table[POINT] == 1, "nadir"] = [1.0, 5.0, 9.0]
    table.loc[table[POINT] == 2, "nadir"] = [3.0, 5.0, 7.0]
    assert "to 5 (start = 7); within replicate noise" in summarise_sweep(table, ["start"], ["nadir"])[1]


# --- ADTTE -------------------------------------------------------------------------------------------
def km_median_sksurv(days: np.ndarray, event: np.ndarray) -> float:
    """scikit-survival's Kaplan-Meier: the first time the survival is at or below 1/2 (inf: not reached)."""
    time, survival = kaplan_meier_estimator(event, days)
    below = np.flatnonzero(survival <= 0.5)
    return float(time[below[0]]) if below.size else math.inf


TRIAL = """name = "adtte check"
cohort_from = "{validation}"
[trial]
patients = 40
seed = 3
follow_up_days = 1825
[[arms]]
name = "osimertinib"
schedule = [{{ drug = "osimertinib" }}]
[[arms]]
name = "osimertinib, AXL inhibitor added at progression"
schedule = [{{ drug = "osimertinib" }}, {{ drug = "bemcentinib", start = {{ readout = "progressions", above = 0.5 }} }}]
"""


@pytest.mark.slow  # a trial or a run and a sweep: a few seconds
def test_adtte_read_back_by_two_kaplan_meier_implementations_gives_the_summary_medians(tmp_path: Path, cli) -> None:
    trial = tmp_path / "t.toml"
    trial.write_text(TRIAL.format(validation=SCENARIOS / "validation.toml"))
    out = tmp_path / "o"
    done = cli("trial", trial, "--out", out, "--json")
    assert done.returncode == 0, done.stderr
    summary = json.loads((out / "summary.json").read_text())
    adtte = pd.read_csv(out / "adtte.csv")
    assert list(adtte.columns) == ADTTE_TABLE.names()
    # PFS on both arms, PFS2 only on the arm that treats past progression; one row per subject and parameter
    assert adtte.groupby(["ARM", PARAMCD]).size().to_dict() == {
        ("osimertinib", "PFS"): 40,
        ("osimertinib, AXL inhibitor added at progression", "PFS"): 40,
        ("osimertinib, AXL inhibitor added at progression", "PFS2"): 40,
    }
    assert not adtte.duplicated([USUBJID, PARAMCD]).any()
    patients = pd.read_csv(out / "patients.csv")
    first = adtte[(adtte[PARAMCD] == "PFS") & (adtte["ARM"] == "osimertinib")]
    assert (first[AVAL].to_numpy() == patients.loc[patients["arm"] == "osimertinib", "pfs_days"].to_numpy()).all()
    assert (first[CNSR].to_numpy() == 1 - patients.loc[patients["arm"] == "osimertinib", "progressed"]).all()
    checked = 0
    for (name, code), rows in adtte.groupby(["ARM", PARAMCD]):
        expected = summary[ARMS][name][MEDIAN_PFS_DAYS if code == "PFS" else MEDIAN_PFS2_DAYS]
        expected = math.inf if expected is None else expected
        event = rows[CNSR].to_numpy() == 0
        lifelines = KaplanMeierFitter().fit(rows[AVAL], event_observed=event).median_survival_time_
        assert lifelines == expected and km_median_sksurv(rows[AVAL].to_numpy(float), event) == expected
        checked += math.isfinite(expected)
    assert checked == 3  # every median reached: the readers agree on numbers, not only on "not reached"


# --- umask ---------------------------------------------------------------------------------------------
@pytest.mark.slow  # a trial or a run and a sweep: a few seconds
def test_every_output_file_honours_the_umask(tmp_path: Path, cli) -> None:
    """Group-writable under umask 002 (not 0600/0700 whatever the umask): a run with its report, a sweep."""
    sweep = tmp_path / "s.toml"
    base = SCENARIOS / "osimertinib-continuous.toml"
    sweep.write_text(
        f'name = "s"\nbase = "{base}"\nmetrics = ["nadir_total"]\nseries = true\n'
        '[set]\n"model.width" = 30\n"model.height" = 30\n"model.initial_cells" = 200\n"model.days" = 5\n'
        "[vary]\ndivision_rate = [0.04, 0.05]\n"
    )
    old = os.umask(0o002)
    try:
        assert cli("run", "--days", "5", "--out", tmp_path / "r", "--quiet", "--report", *SMALL).returncode == 0
        assert cli("sweep", sweep, "--out", tmp_path / "w", "--quiet", "--workers", "1").returncode == 0
    finally:
        os.umask(old)
    paths = [p for folder in ("r", "w") for p in (tmp_path / folder).rglob("*")]
    assert any(p.suffix == ".png" for p in paths) and any(p.parent.name == "runs" for p in paths)
    for path in [tmp_path / "r", tmp_path / "w", *paths]:
        want = 0o775 if path.is_dir() else 0o664
        assert stat.S_IMODE(path.stat().st_mode) == want, path
