"""Issue 15 fault tests: kills at random moments and a full disk never leave a mixed or partial
output folder; a killed trial leaves no worker behind. Bounded: a dozen small kills."""

from __future__ import annotations

import hashlib
import json
import os
import random
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from abm.io.outdir import MANIFEST
from tests.conftest import ROOT
from tests.test_cli import SMALL

KILLS = 12
SPATIAL = [*SMALL, "--days", "40"]
CLONE = ["--set", "model.kind='clone'", "--set", "model.initial_cells=1000000", "--days", "40"]


def start_run(out: Path, args: list[str], seed: int, **popen: object) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "abm", "run", "--out", str(out), "--quiet", "--seed", str(seed), *args]
    return subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, **popen)


def whole_run(out: Path) -> tuple[str, int]:
    """Assert ``out`` holds exactly one run's complete set; return its model kind and seed."""
    manifest = json.loads((out / MANIFEST).read_text())
    assert manifest["kind"] == "run"
    assert sorted(p.name for p in out.iterdir()) == sorted([*manifest["files"], MANIFEST])
    for name, facts in manifest["files"].items():
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == facts["sha256"], name
    summary = json.loads((out / "summary.json").read_text())
    kind = summary["kind"]
    assert ("lineage.csv" in manifest["files"]) == (kind == "clone")
    assert ("snapshots.npz" in manifest["files"]) == (kind == "spatial")
    days = (out / "timeseries.csv").read_text().count("\n") - 1
    assert days == summary["days_simulated"] + 1
    return kind, summary["seed"]


@pytest.mark.slow
def test_sigkill_at_random_moments_leaves_exactly_one_whole_run(tmp_path: Path) -> None:
    """Class 2: each kill lands anywhere from start-up to the swap; the folder is always one run."""
    out = tmp_path / "out"
    first = start_run(out, SPATIAL, seed=1)
    started = time.perf_counter()
    assert first.wait(timeout=120) == 0, first.stderr.read() if first.stderr else ""
    duration = time.perf_counter() - started
    seen = {whole_run(out)}
    rng = random.Random(15)
    for k in range(KILLS):
        args, seed = (CLONE, 100 + k) if k % 2 == 0 else (SPATIAL, 200 + k)
        process = start_run(out, args, seed)
        time.sleep(rng.uniform(0.3, 1.1) * duration)  # most land in the run, some in the writing
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        seen.add(whole_run(out))
    assert len(seen) > 1, "no run completed between kills: the kills all landed too early to test the swap"
    leftovers = [p.name for p in tmp_path.iterdir() if p.name != "out"]
    assert len(leftovers) <= 1  # at most the staging folder of the last killed run; the next run tidies it
    done = start_run(out, SPATIAL, seed=7)
    assert done.wait(timeout=120) == 0
    assert whole_run(out) == ("spatial", 7)
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


@pytest.mark.slow
def test_full_disk_mid_write_keeps_the_previous_run(tmp_path: Path) -> None:
    """Class 2: a file-size limit makes the larger writes fail (EFBIG), as a full disk would."""
    out = tmp_path / "out"
    assert start_run(out, SPATIAL, seed=1).wait(timeout=120) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    limit = 4000  # bytes: above summary.json's, below timeseries.csv's of a clone run

    def small_files() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    process = start_run(out, [*CLONE, "--days", "200"], seed=2, preexec_fn=small_files)
    assert process.wait(timeout=120) == 2
    stderr = process.stderr.read().decode() if process.stderr else ""
    assert stderr.count("\n") == 1 and "abm: error: --out" in stderr and "the folder is as it was" in stderr, stderr
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def session_processes(session: int) -> list[int]:
    """Processes of a session (its leader and everything it started), from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == session and fields[0] != "Z":
            found.append(int(entry.name))
    return found


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_sigkill_of_a_trial_leaves_no_worker_within_5_s(tmp_path: Path) -> None:
    """Class 9: trial workers watch their parent, as sweep workers do."""
    trial = tmp_path / "t.toml"
    trial.write_text(
        'name = "t"\n[trial]\npatients = 400\nfollow_up_days = 1825\n'
        '[[arms]]\nname = "a"\nschedule = [{ drug = "gefitinib" }]\n'
        '[[arms]]\nname = "b"\nschedule = [{ drug = "osimertinib" }]\n'
    )
    command = [sys.executable, "-m", "abm", "trial", str(trial), "--workers", "2", "--out", str(tmp_path / "out")]
    process = subprocess.Popen(command, cwd=ROOT, start_new_session=True, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while len(session_processes(process.pid)) < 3 and time.monotonic() < deadline:  # parent and 2 workers
        time.sleep(0.2)
    assert len(session_processes(process.pid)) >= 3, "the workers never started"
    time.sleep(2.0)  # the workers are simulating
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)
    killed = time.monotonic()
    while session_processes(process.pid) and time.monotonic() - killed < 5.0:
        time.sleep(0.1)
    left = session_processes(process.pid)
    for pid in left:  # do not leave them running if the test fails
        os.kill(pid, signal.SIGKILL)
    assert not left, f"{len(left)} processes of the killed trial still running after 5 s"
    assert not (tmp_path / "out").exists()
