"""Wall time of a virtual trial: `abm trial` on the first-line trial file, as a user runs it.

Runs the command (a fresh process, so start-up and imports count) for several cohort sizes
and prints one JSON line each: patients per arm, workers, wall seconds, patient-runs per
second, and simulated patient-days per second.

    python benchmarks/trial.py [--patients 250 500 1000] [--workers 2] [--trial scenarios/trial-first-line.toml]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, nargs="+", default=[250, 500, 1000])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--trial", type=Path, default=ROOT / "scenarios" / "trial-first-line.toml")
    args = parser.parse_args()
    for n in args.patients:
        with tempfile.TemporaryDirectory() as out:
            started = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "abm", "trial", str(args.trial), "--patients", str(n),
                 "--workers", str(args.workers), "--out", out, "--json"],
                check=True, capture_output=True, cwd=ROOT,
            )  # fmt: skip
            wall = time.perf_counter() - started
            table = pd.read_csv(Path(out) / "patients.csv")
        print(
            json.dumps(
                {
                    "trial": args.trial.name,
                    "patients_per_arm": n,
                    "workers": args.workers,
                    "wall_s": round(wall, 2),
                    "patient_runs_per_s": round(len(table) / wall, 1),
                    "patient_days_per_s": round(table["days_simulated"].sum() / wall),
                }
            )
        )


if __name__ == "__main__":
    main()
