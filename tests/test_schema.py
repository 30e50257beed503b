"""The result files have the columns ``abm.io.schema`` declares, in order, and the docs' prose names
the same columns (the site's output reference is generated from the schema: tests/test_docs.py)."""

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
    assert header(out / "adtte.csv") == schema.ADTTE_TABLE.names()
    check_manifest(out, ["patients.csv", "adtte.csv", "summary.json", "posterior.csv"])


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


# --- the docs' prose -------------------------------------------------------------------------
# The site's output reference is written from these tables (docs/scripts/gen_reference.py;
# tests/test_docs.py checks that it lists every column of every table). The how-to guides name
# columns in their prose too: each place below must name every column of its table.
DOCS = "\n".join(
    page.read_text() for page in sorted((ROOT / "docs").rglob("*.md")) if "notes" not in page.relative_to(ROOT).parts
)
# (table, the docs' text that starts its description): a paragraph or a table row naming the
# columns in backticks.
DOCS_PLACES: list[tuple[Table, str]] = [
    (schema.ADTTE_TABLE, "`adtte.csv`, the same times to event"),
    (schema.SWEEP_RUNS, "Each column of `runs.parquet`"),
    (schema.STATES, "| `states.csv` |"),
    (schema.LINEAGE_TABLE, "| `lineage.csv` |"),
    (schema.CLONE_COUNTS, "| `clones.csv` |"),
    (schema.SWEEP_DESIGN, "| `design.parquet` |"),
    (schema.TRIAL_SUMMARY, "and `summary.json`, what `--json` prints"),
    (schema.ARM_SUMMARY, "and `summary.json`, what `--json` prints"),
    (schema.HAZARD_RATIO, "and `summary.json`, what `--json` prints"),
    (schema.TRIAL_POSTERIOR, "(`posterior.csv` in the output folder"),
    (schema.CALIBRATION_POSTERIOR, "`posterior.csv` (`particle`"),
    (schema.SENSITIVITY, "writes `DIR/sensitivity.csv` with columns"),
    (schema.SWEEP_SERIES, "| `series.parquet` |"),
    (schema.SWEEP_DESCRIPTION, "| `sweep.json` |"),
    (schema.VALIDATION_TABLE, "Its keys (`trial`"),
    (schema.VALIDATION_ROW, "Its keys (`trial`"),
    (schema.CALIBRATION_TABLE, "`calibration.json` holds `format`"),
    (schema.CALIBRATION_PRIOR, "`calibration.json` holds `format`"),
    (schema.CALIBRATION_GENERATION, "Each of `generations`:"),
    (schema.MANIFEST_TABLE, "`manifest.json` (`kind`"),
    (schema.MANIFEST_ENTRY, "`manifest.json` (`kind`"),
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


def _place(anchor: str) -> list[str]:
    """The docs' column names at ``anchor``: every backticked name up to the paragraph's end (a
    table row's end, for an anchor that starts a row)."""
    rest = DOCS[DOCS.index(anchor) :]
    end = rest.find("\n\n") if not anchor.startswith("|") else rest.find("\n")
    return _ticked(rest[:end])


@pytest.mark.parametrize(("table", "anchor"), DOCS_PLACES, ids=lambda x: getattr(x, "file", None))
def test_the_docs_prose_names_the_declared_columns(table: Table, anchor: str) -> None:
    named = _place(anchor)
    missing = [c.name for c in table.columns if c.group is None and c.name not in named]
    assert not missing, f"docs at {anchor!r} do not name {missing}"
