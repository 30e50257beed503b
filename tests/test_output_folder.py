"""Issue 15: an output folder is one unit, checked before the work, written with the user's umask."""

from __future__ import annotations

import json
import os
import shutil
import stat
import time
from pathlib import Path

import pytest

from abm.cli import main
from abm.io.outdir import MANIFEST
from abm.report.build import build_report
from tests.test_cli import SMALL, assert_one_line_error
from tests.test_hostile_input import abm, snapshot

CLONE = ["--set", "model.kind='clone'", "--set", "model.initial_cells=100000"]


def run(out: Path, *args: str) -> int:
    return main(["run", "--days", "5", "--out", str(out), "--quiet", *args])


def test_reused_out_holds_only_the_last_run_and_the_report_draws_it(tmp_path: Path) -> None:
    """Class 1: a clone run into a spatial run's folder replaces it whole (no snapshots.npz left)."""
    out = tmp_path / "out"
    assert run(out, *SMALL) == 0
    assert (out / "snapshots.npz").is_file()
    assert run(out, *CLONE) == 0
    manifest = json.loads((out / MANIFEST).read_text())
    assert manifest["kind"] == "run"
    assert sorted(p.name for p in out.iterdir()) == sorted([*manifest["files"], MANIFEST])
    assert "snapshots.npz" not in manifest["files"] and "lineage.csv" in manifest["files"]
    assert json.loads((out / "summary.json").read_text())["kind"] == "clone"
    build_report(out)
    assert not (out / "figures" / "run-snapshots.png").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging folder left


def test_folder_of_another_kind_is_refused_unless_overwrite(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "out"
    assert run(out, *SMALL) == 0
    before = snapshot(out)
    trial = tmp_path / "t.toml"
    trial.write_text(
        'name = "t"\n[trial]\npatients = 2\nfollow_up_days = 10\n[[arms]]\nname = "a"\n'
        'schedule = [{ drug = "osimertinib" }]\n'
    )
    refused = abm("trial", trial, "--out", out, capsys=capsys)
    assert_one_line_error(refused, "--out", "holds the results of a run, not a trial", "--overwrite")
    assert snapshot(out) == before
    assert abm("trial", trial, "--out", out, "--overwrite", "--json", capsys=capsys).returncode == 0
    assert json.loads((out / MANIFEST).read_text())["kind"] == "trial"
    assert not (out / "timeseries.csv").exists()


def test_folder_with_files_abm_did_not_write_is_never_replaced(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("my notes")
    done = abm("run", "--days", "2", "--out", out, "--overwrite", *SMALL, capsys=capsys)
    assert_one_line_error(done, "--out", "holds files abm did not write (notes.txt)")
    assert snapshot(out) == {"notes.txt": b"my notes"}


def test_unwritable_out_is_refused_before_the_run(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """Class 8: a run of many days would take minutes; the bad --out is found in well under that."""
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    started = time.perf_counter()
    done = abm("run", "--days", "100000", "--out", blocker / "out", *SMALL, capsys=capsys)
    assert_one_line_error(done, "--out", "cannot write in")
    assert time.perf_counter() - started < 10
    assert_one_line_error(abm("calibrate", "--out", blocker, capsys=capsys), "--out", "is a file; allowed: a folder")
    assert_one_line_error(abm("calibrate", "--preset", "huge", capsys=capsys), "--preset", "allowed: small, full")


def test_a_failed_write_leaves_the_old_folder_as_it_was(
    tmp_path: Path, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Class 2, in-process: the disk fills on the third file; the previous run is untouched."""
    from abm.io import output

    out = tmp_path / "out"
    assert run(out, *SMALL) == 0
    before = snapshot(out)
    real, calls = output.atomic_write, []

    def full_disk(path: Path, write: object) -> None:
        calls.append(path)
        if len(calls) == 3:
            raise OSError(28, "No space left on device")
        real(path, write)  # type: ignore[arg-type]

    monkeypatch.setattr(output, "atomic_write", full_disk)
    done = abm("run", "--days", "3", "--seed", "9", "--out", out, *SMALL, capsys=capsys)
    assert done.returncode != 0 and "No space left on device" in done.stderr and "Traceback" not in done.stderr
    assert snapshot(out) == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_output_files_honour_the_umask(tmp_path: Path) -> None:
    """Class 12: files are not 0600 whatever the umask."""
    old = os.umask(0o027)
    try:
        assert run(tmp_path / "out", *SMALL) == 0
    finally:
        os.umask(old)
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in (tmp_path / "out").iterdir()}
    assert set(modes.values()) == {0o640}, modes
    assert stat.S_IMODE((tmp_path / "out").stat().st_mode) == 0o750


def test_report_refuses_a_file_changed_since_the_run(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "out"
    assert run(out, *SMALL) == 0
    shutil.copy(out / "states.csv", out / "timeseries.csv")
    assert_one_line_error(abm("report", out, capsys=capsys), "timeseries.csv", "changed since the run")


def test_json_outputs_are_standard_json(tmp_path: Path) -> None:
    """Class 4: no NaN or Infinity in a written JSON file (a median not reached is null)."""
    from abm.io.output import write_json

    write_json({"median": float("nan"), "ci": [1.0, float("inf")], "n": 3}, tmp_path / "s.json")

    def refuse(name: str) -> None:
        raise ValueError(f"non-standard JSON constant {name}")

    assert json.loads((tmp_path / "s.json").read_text(), parse_constant=refuse) == {
        "median": None,
        "ci": [1.0, None],
        "n": 3,
    }
