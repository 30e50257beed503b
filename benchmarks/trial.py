"""Wall time of a virtual trial: `abm trial` on the first-line trial file, as a user runs it.

Runs the command (a fresh process, so start-up and imports count) for several cohort sizes and
worker counts and prints one JSON line each: source, patients per arm, workers, wall seconds,
CPU seconds (the command and its workers: less sensitive than wall time to other load on the
machine), patient-runs per second, and simulated patient-days per second. ``--compare REV`` runs the
same commands on the source of git revision REV too, alternating with the working tree's, so
the two are timed side by side under the same machine load (modules REV lacks, such as an
untracked work-in-progress one, are taken from the working tree).

    python benchmarks/trial.py [--patients 250 500 1000] [--workers 1 2] [--compare REV]
                               [--trial scenarios/trial-first-line.toml]
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent


def source_of(revision: str, into: Path) -> Path:
    """The package of git revision ``revision`` extracted under ``into``."""
    archive = subprocess.run(["git", "archive", revision, "abm"], check=True, capture_output=True, cwd=ROOT).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    for module in (ROOT / "abm").rglob("*.py"):
        copy = into / module.relative_to(ROOT)
        if not copy.exists():
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(module, copy)
    return into


def children_cpu() -> float:
    """CPU seconds of this process's finished descendants (all of them: see ``adopt_orphans``)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def adopt_orphans() -> None:
    """Make this process the reaper of its descendants' orphans (Linux), so their CPU time counts.

    Workers are forked by a fork server that outlives the command by a moment: without this
    they would be reaped by init, and their CPU seconds lost to ``RUSAGE_CHILDREN``.
    """
    with contextlib.suppress(OSError, AttributeError):  # not Linux: CPU of orphans goes uncounted
        ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER


def reap_orphans() -> None:
    """Wait for every adopted descendant to end (the fork server ends when the command has)."""
    while True:
        try:
            os.wait()
        except ChildProcessError:
            return


def time_trial(trial: Path, patients: int, workers: int, source: Path) -> dict:
    """One `abm trial` run of ``source``'s package: wall time and throughput."""
    env = {**os.environ, "PYTHONPATH": str(source)}  # run from ``source``: `-m` puts the cwd first on the path
    with tempfile.TemporaryDirectory() as out:
        started, cpu = time.perf_counter(), children_cpu()
        subprocess.run(
            [sys.executable, "-m", "abm", "trial", str(trial), "--patients", str(patients),
             "--workers", str(workers), "--out", out, "--json"],
            check=True, capture_output=True, cwd=source, env=env,
        )  # fmt: skip
        reap_orphans()  # the fork server and its workers, adopted (adopt_orphans): their CPU counts
        wall, cpu = time.perf_counter() - started, children_cpu() - cpu
        table = pd.read_csv(Path(out) / "patients.csv")
    return {
        "patients_per_arm": patients,
        "workers": workers,
        "wall_s": round(wall, 2),
        "cpu_s": round(cpu, 2),
        "patient_runs_per_s": round(len(table) / wall, 1),
        "patient_days_per_s": round(table["days_simulated"].sum() / wall),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, nargs="+", default=[250, 500, 1000])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--trial", type=Path, default=ROOT / "scenarios" / "trial-first-line.toml")
    parser.add_argument("--compare", metavar="REV", help="also time git revision REV, alternating with this tree")
    args = parser.parse_args()
    args.trial = args.trial.resolve()
    adopt_orphans()
    with tempfile.TemporaryDirectory() as scratch:
        sources = {"working tree": ROOT}
        if args.compare:
            sources = {args.compare: source_of(args.compare, Path(scratch)), **sources}
        for n in args.patients:
            for workers in args.workers:
                for name, source in sources.items():
                    result = time_trial(args.trial, n, workers, source)
                    print(json.dumps({"source": name, "trial": args.trial.name, **result}), flush=True)


if __name__ == "__main__":
    main()
