"""The result files have the columns ``abm.io.schema`` declares, in order, and the README's column
tables name the same columns."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from abm.biology.drugs import DRUG_NAMES
from abm.biology.mechanisms import COUNT_COLUMNS
from abm.cli import main
from abm.config.scenario import load
from abm.experiments import posterior
from abm.experiments.run import run_scenario, write_run
from abm.experiments.sweep.design import load_sweep
from abm.experiments.sweep.runner import run_sweep
from abm.experiments.sweep.sensitivity import analyse
from abm.experiments.validation import TRIAL_TARGETS
from abm.io import schema
from abm.io.schema import DAY, Table
from tests.conftest import ROOT, SCENARIOS

RUN_GROUPS = {"<count column>": COUNT_COLUMNS, "<drug>": DRUG_NAMES}


def header(path: Path) -> list[str]:
    return path.read_text().splitlines()[0].split(",")


@pytest.mark.parametrize("kind", ["spatial", "clone"])
def test_a_run_writes_the_declared_columns(tmp_path: Path, kind: str) -> None:
    if kind == "spatial":
        overrides = {"model.width": 20, "model.height": 20, "model.initial_cells": 50, "model.days": 4}
        scenario = load(SCENARIOS / "osimertinib-continuous.toml", overrides)
    else:
        scenario = load(SCENARIOS / "clone-osimertinib.toml", {"model.initial_cells": 10**6, "model.days": 4})
    write_run(run_scenario(scenario, progress=False), tmp_path)
    only = ("clone runs",) if kind == "clone" else ()
    assert header(tmp_path / "timeseries.csv") == schema.TIMESERIES.names(RUN_GROUPS, only)
    states = header(tmp_path / "states.csv")
    assert states[0] == DAY and states[1:] and all(set(s.split("+")) <= set(COUNT_COLUMNS) for s in states[1:])
    assert list(json.loads((tmp_path / "summary.json").read_text())) == schema.RUN_SUMMARY.names()
    if kind == "clone":
        assert header(tmp_path / "lineage.csv") == schema.LINEAGE_TABLE.names()
        assert header(tmp_path / "clones.csv") == schema.CLONE_COUNTS.names()


def test_a_trial_writes_the_declared_columns(tmp_path: Path) -> None:
    trial = SCENARIOS / "trial-first-line.toml"
    out = tmp_path / "out"
    # one posterior draw of the small fixture calibration: the summary's optional keys and posterior.csv
    posterior_draw = ["--posterior", "1", "--calibration", str(ROOT / "tests" / "fixtures" / "calibration-small")]
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "abm",
            "trial",
            str(trial),
            "--patients",
            "3",
            "--out",
            str(out),
            "--json",
            *posterior_draw,
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    from abm.experiments.trial import load_trial

    cohort = list(load_trial(trial).cohort)
    assert header(out / "patients.csv") == schema.PATIENTS_TABLE.names({"<name>": cohort})
    summary = json.loads((out / "summary.json").read_text())
    assert list(summary) == schema.TRIAL_SUMMARY.names(only=("--calibration or --posterior", "--posterior"))
    for arm in summary[schema.ARMS].values():
        assert list(arm) == schema.ARM_SUMMARY.names()
    assert len(summary[schema.HAZARD_RATIOS]) == len(summary[schema.ARMS]) - 1
    for hazard_ratio in summary[schema.HAZARD_RATIOS]:
        assert list(hazard_ratio) == schema.HAZARD_RATIO.names()
    assert header(out / "posterior.csv") == schema.TRIAL_POSTERIOR.names()
    check_manifest(out, ["patients.csv", "summary.json", "posterior.csv"])


def check_manifest(out: Path, files: list[str]) -> None:
    manifest = json.loads((out / "manifest.json").read_text())
    assert list(manifest) == schema.MANIFEST_TABLE.names()
    assert sorted(manifest[schema.FILES]) == sorted(files)
    for entry in manifest[schema.FILES].values():
        assert list(entry) == schema.MANIFEST_ENTRY.names()


def test_a_validation_writes_the_declared_keys(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    args = ["validate", "--patients", "2", "--workers", "1", "--no-dish", "--json", "--out", str(out)]
    assert main(args) in (0, 1)
    printed = json.loads(capsys.readouterr().out)
    written = json.loads((out / "validation.json").read_text())
    assert written == printed
    assert list(written) == schema.VALIDATION_TABLE.names()
    rows = written[schema.TARGETS] + written[schema.CHECKS]
    assert len(written[schema.TARGETS]) == len(TRIAL_TARGETS) and written[schema.CHECKS]
    assert all(list(row) == schema.VALIDATION_ROW.names() for row in rows)
    # --posterior adds its fields to every row, measured by the draws or not
    values = {posterior.row_key(rows[0], 0): [0.1, 0.2]}
    for row in posterior.add_posterior(rows, values):
        assert list(row) == schema.VALIDATION_ROW.names(only=("--posterior",))
    check_manifest(out, ["validation.json"])


def check_calibration(meta: dict) -> None:
    assert list(meta) == schema.CALIBRATION_TABLE.names()
    assert meta[schema.PRIORS] and meta[schema.POINT].keys() == meta[schema.PRIORS].keys()
    for prior in meta[schema.PRIORS].values():
        assert list(prior) == schema.CALIBRATION_PRIOR.names()
    assert meta["generations"]
    for generation in meta["generations"]:
        assert list(generation) == schema.CALIBRATION_GENERATION.names()


def test_a_calibration_and_its_report_write_the_declared_keys(tmp_path: Path) -> None:
    from abm.experiments.calibration import Preset, calibrate
    from abm.experiments.priors import PRIORS
    from abm.report.calibration_report import build_calibration_report

    out = tmp_path / "cal"
    priors = dict(list(PRIORS.items())[:2])
    preset = Preset(particles=6, patients_per_arm=2, max_generations=2, min_epsilon=0.0, max_evaluations=200)
    calibrate(
        out,
        preset,
        "test",
        priors=priors,
        targets=[t.key for t in TRIAL_TARGETS[:3]],
        stand_in_delay=0.0,
        log=lambda m: None,
    )
    check_calibration(json.loads((out / "calibration.json").read_text()))
    assert header(out / "posterior.csv") == schema.CALIBRATION_POSTERIOR.names({"<key>": list(priors)})
    build_calibration_report(out)
    assert header(out / "report" / "identifiability.csv") == schema.IDENTIFIABILITY.names()


def test_the_shipped_calibration_has_the_declared_keys() -> None:
    check_calibration(json.loads((ROOT / "calibration" / "posterior" / "calibration.json").read_text()))


def test_a_sweep_writes_the_declared_columns(tmp_path: Path) -> None:
    sweep_file = tmp_path / "s.toml"
    sweep_file.write_text(
        f'name = "s"\nbase = "{SCENARIOS / "clone-osimertinib.toml"}"\n'
        'design = { method = "morris", samples = 2, levels = 4 }\n'
        'metrics = ["final_total", "extinct"]\nseries = true\n'
        '[set]\n"model.days" = 4\n"model.initial_cells" = 1000000\n'
        "[vary]\ndivision_rate = { low = 0.04, high = 0.05 }\n"
    )
    sweep = load_sweep(sweep_file)
    out = tmp_path / "out"
    run_sweep(sweep, out, workers=1, progress=False)
    varied, metrics = sweep.parameters, list(sweep.metrics)
    runs = pd.read_parquet(out / "runs.parquet")
    assert list(runs.columns) == schema.SWEEP_RUNS.names({"<setting>": varied, "<metric>": metrics})
    design = pd.read_parquet(out / "design.parquet")
    assert list(design.columns) == schema.SWEEP_DESIGN.names({"<setting>": varied})
    assert list(analyse(out).columns) == schema.SENSITIVITY.names()
    assert list(json.loads((out / "sweep.json").read_text())) == schema.SWEEP_DESCRIPTION.names()
    series = pd.read_parquet(out / "series.parquet")
    assert list(series.columns) == schema.SWEEP_SERIES.names(RUN_GROUPS, ("clone runs",))


# --- the README ---------------------------------------------------------------------------------
README = (ROOT / "README.md").read_text()
# (table, the README text that starts its description, form): "table" is a markdown table whose
# first cells name the columns; "text" a paragraph or table row naming them in backticks.
README_PLACES: list[tuple[Table, str, str]] = [
    (schema.TIMESERIES, "`timeseries.csv`, one row per day", "table"),
    (schema.PATIENTS_TABLE, "Outputs in DIR: `patients.csv`", "table"),
    (schema.SWEEP_RUNS, "| `runs.parquet` column | meaning |", "table"),
    (schema.STATES, "| `states.csv` |", "text"),
    (schema.LINEAGE_TABLE, "| `lineage.csv` |", "text"),
    (schema.CLONE_COUNTS, "| `clones.csv` |", "text"),
    (schema.SWEEP_DESIGN, "| `design.parquet` |", "text"),
    (schema.TRIAL_SUMMARY, "and `summary.json`, what `--json` prints", "text"),
    (schema.ARM_SUMMARY, "and `summary.json`, what `--json` prints", "text"),
    (schema.HAZARD_RATIO, "and `summary.json`, what `--json` prints", "text"),
    (schema.TRIAL_POSTERIOR, "(`posterior.csv` in the output folder", "text"),
    (schema.CALIBRATION_POSTERIOR, "`posterior.csv` (`particle`", "text"),
    (schema.SENSITIVITY, "writes `DIR/sensitivity.csv` with columns", "text"),
    (schema.SWEEP_SERIES, "| `series.parquet` |", "text"),
    (schema.SWEEP_DESCRIPTION, "| `sweep.json` |", "text"),
    (schema.VALIDATION_TABLE, "| `validation.json` key | meaning |", "table"),
    (schema.VALIDATION_ROW, "| row field | meaning |", "table"),
    (schema.CALIBRATION_TABLE, "| `calibration.json` key | meaning |", "table"),
    (schema.CALIBRATION_PRIOR, "| `priors` |", "text"),
    (schema.CALIBRATION_GENERATION, "Each of `generations`:", "text"),
    (schema.IDENTIFIABILITY, "| `identifiability.csv` column | meaning |", "table"),
    (schema.MANIFEST_TABLE, "`manifest.json` (`kind`", "text"),
    (schema.MANIFEST_ENTRY, "`manifest.json` (`kind`", "text"),
]


def _ticked(text: str) -> list[str]:
    """Names in backticks (`a, b` counts as two); `x` ... `y` as the drugs from x to y."""
    found: list[str] = []
    for quoted in re.findall(r"`([^`]+)`", text):
        found += [part.strip() for part in quoted.split(",")]
    if "..." in text:  # `x` ... `y`, or `prefix_x` ... `prefix_y`: every drug, with the prefix
        for prefix in dict.fromkeys(name.removesuffix(DRUG_NAMES[0]) for name in found):
            first, last = prefix + DRUG_NAMES[0], prefix + DRUG_NAMES[-1]
            if first in found and last in found:
                drugs = [prefix + d for d in DRUG_NAMES]
                found = [*found[: found.index(first)], *drugs, *found[found.index(last) + 1 :]]
    return found


def _place(anchor: str, form: str) -> tuple[list[str], str]:
    """The README's column names at ``anchor`` (first cells of a table, else every backticked
    name up to the paragraph's end) and the paragraph after a table."""
    start = README.index(anchor)
    rest = README[start:]
    if form == "text":
        end = rest.find("\n\n") if not anchor.startswith("|") else rest.find("\n")
        return _ticked(rest[:end]), ""
    lines = rest.splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith("|"))
    rows = []
    for line in lines[first + 2 :]:
        if not line.startswith("|"):
            break
        rows.append(line.split("|")[1])
    after = "\n".join(lines[first + 2 + len(rows) :]).split("\n\n")[0]
    return [name for row in rows for name in _ticked(row)], after


@pytest.mark.parametrize(("table", "anchor", "form"), README_PLACES, ids=lambda x: getattr(x, "file", None))
def test_the_readme_names_the_declared_columns(table: Table, anchor: str, form: str) -> None:
    named, after = _place(anchor, form)
    if form == "table":
        groups = {"<count column>": COUNT_COLUMNS, "<drug>": DRUG_NAMES, "<name>": ["<name>"]}
        assert named == table.names(groups), f"README at {anchor!r}"
        for column in table.columns:  # a column some runs add is named just below the table
            if column.only:
                assert f"`{column.name}`" in after, column.name
    else:
        missing = [c.name for c in table.columns if c.group is None and c.name not in named]
        assert not missing, f"README at {anchor!r} does not name {missing}"


def test_every_table_is_checked_against_the_readme() -> None:
    checked = {id(t) for t, _, _ in README_PLACES}
    assert [t.file for t in schema.TABLES if id(t) not in checked] == ["summary.json"]  # a run's: prose
