"""Calibration targets: a smaller validation passes, the distance behaves, the CLI speaks JSON."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from abm.experiments.objective import distance
from abm.experiments.priors import PRIORS
from abm.experiments.trial import load_trial
from abm.experiments.validation import CHECKS, DISH_TARGETS, TARGETS, TRIAL_TARGETS, validate, validation_trial
from tests.conftest import ROOT, documented_targets


@pytest.mark.slow
def test_smaller_validation_passes_every_target() -> None:
    rows, table = validate(validation_trial(patients=400, seed=1), workers=2, progress=False, dish=True)
    targets = [r for r in rows if r["kind"] == "target"]
    assert len(targets) == len(TRIAL_TARGETS) + len(DISH_TARGETS)
    failed = [(r["key"], r["simulated"], (r["low"], r["high"])) for r in targets if not r["pass"]]
    assert not failed, failed
    assert table["patient"].nunique() == 400


def test_trial_files_use_the_calibrated_cohort() -> None:
    """The shipped trial files' patients are the validation cohort's (fitted) patients."""
    reference = validation_trial().cohort
    # the cohort fields abm calibrate fits (abm/experiments/priors.py) that the validation cohort has
    fitted_fields = {tuple(k.split(".")[1:]) for k in PRIORS if k.startswith("cohort.")}
    fitted_fields = {(name, field) for name, field in fitted_fields if name in reference}
    for path in sorted((ROOT / "scenarios").glob("trial-*.toml")):
        cohort = load_trial(path).cohort
        for name, field in fitted_fields:
            if path.stem == "trial-met-after-first-gen" and name == "met_amplified_initial_fraction":
                # that trial gives every tumour a MET subclone on purpose: its own entry wins
                assert cohort[name].present == 1.0 and cohort[name].low == 1e-4, cohort[name]
                continue
            assert getattr(cohort[name], field) == getattr(reference[name], field), (path.name, name, field)


def test_targets_are_the_documented_ranges_and_hold_the_reviewed_values() -> None:
    documented = documented_targets()
    assert list(documented) == [t.key for t in TRIAL_TARGETS]
    for t in TRIAL_TARGETS:
        value, low, high = documented[t.key]
        assert (t.low, t.high) == (low, high), t.key
        assert t.low <= value <= t.high, t.key


def test_distance_is_zero_at_centres_and_grows_outside() -> None:
    centre = [{"simulated": (t.low + t.high) / 2, "low": t.low, "high": t.high} for t in TARGETS]
    assert distance(centre) == 0.0
    edge = [{**r, "simulated": r["high"]} for r in centre]
    outside = [{**r, "simulated": r["high"] + (r["high"] - r["low"])} for r in centre]
    assert 0 < distance(edge) < distance(outside)
    assert distance([{"simulated": float("inf"), "low": 12, "high": 24}]) >= 100


@pytest.mark.slow
def test_validate_json_shape(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "abm",
            "validate",
            "--patients",
            "20",
            "--workers",
            "1",
            "--json",
            "--out",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert done.returncode in (0, 1), done.stderr
    data = json.loads(done.stdout)
    # the judged rows (the trial's, then the dishes') in "targets", the checks apart
    assert [r["key"] for r in data["targets"]] == [t.key for t in (*TRIAL_TARGETS, *DISH_TARGETS)]
    assert [r["key"] for r in data["checks"]] == [t.key for t in CHECKS]
    for row in data["targets"] + data["checks"]:
        assert {"key", "kind", "setting", "mechanism", "low", "high", "source", "simulated", "ci", "pass"} <= set(row)
    assert {r["kind"] for r in data["targets"]} == {"target"} and {r["kind"] for r in data["checks"]} == {"check"}
    assert data["dish"] is True
    assert done.returncode == (0 if all(r["pass"] for r in data["targets"]) else 1)
    # --out writes the same object for `abm report`
    assert json.loads((tmp_path / "validation.json").read_text()) == data
    assert (data["patients"], data["seed"]) == (20, 0)


@pytest.mark.slow
def test_validate_no_dish_prints_every_row_grouped() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "abm", "validate", "--patients", "3", "--workers", "1", "--no-dish"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert done.returncode == 1, done.stderr  # 3 patients per arm cannot pass every target
    lines = done.stdout.splitlines()
    assert lines[1] == "targets:" and "PC-9" not in done.stdout
    checks = lines.index("checks (no reviewed range, not judged):")
    assert checks - 3 == len(TRIAL_TARGETS)  # title, header, one line per target
    assert len(lines) - checks - 3 == len(CHECKS)  # title, header, the checks, the count
    assert lines[-1].endswith(f" of {len(TRIAL_TARGETS)} targets pass")
