"""Runs per minute of `abm sweep` at 1 and 2 workers, and the 2-worker speed-up.

Runs the shipped spatial sweep (scenarios/sweep-axl-timing.toml) as a user does: the command
in a fresh process, so start-up, imports and starting the workers count. ``--replicates``
shrinks it (a copy of the file with fewer replicates per point) for a quicker figure. Each
worker count is timed ``--repeats`` times, alternating, and the fastest is kept (other jobs on
a shared machine only ever slow a run down); each repeat's figures are printed too, with the
cores the command obtained (CPU seconds of it and its workers per wall second: below 2 at 2
workers means other jobs held the CPU). Prints one JSON line per worker count, then the
speed-up; also checks that both gave the same results.

    python benchmarks/sweep.py [--replicates 4] [--workers 1 2] [--repeats 1]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
SWEEP = ROOT / "scenarios" / "sweep-axl-timing.toml"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sweep", type=Path, default=SWEEP)
    parser.add_argument("--replicates", type=int, help="replicates per point (default: the file's)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        sweep = args.sweep.resolve()
        if args.replicates:
            text = re.sub(r"(?m)^replicates = \d+", f"replicates = {args.replicates}", sweep.read_text())
            text = re.sub(r'(?m)^base = "([^"]+)"', lambda m: f'base = "{sweep.parent / m.group(1)}"', text)
            sweep = Path(tmp) / sweep.name
            sweep.write_text(text)
        walls: dict[int, list[float]] = {w: [] for w in args.workers}
        cores: dict[int, list[float]] = {w: [] for w in args.workers}  # CPU seconds obtained per wall second
        tables: dict[int, pd.DataFrame] = {}  # of the fastest repeat
        for repeat in range(args.repeats):
            for workers in args.workers:
                out = Path(tmp) / f"w{workers}-r{repeat}"
                started = time.perf_counter()
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                subprocess.run(
                    [sys.executable, "-m", "abm", "sweep", str(sweep), "--workers", str(workers), "--out", str(out),
                     "--quiet"],
                    check=True, capture_output=True, cwd=ROOT,
                )  # fmt: skip
                wall = time.perf_counter() - started
                after = resource.getrusage(resource.RUSAGE_CHILDREN)  # the sweep and its workers
                cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
                cores[workers].append(cpu / wall)
                if not walls[workers] or wall < min(walls[workers]):
                    tables[workers] = pd.read_parquet(out / "runs.parquet")
                walls[workers].append(wall)
        runs = len(next(iter(tables.values())))
        best = {w: min(walls[w]) for w in args.workers}
        for workers in args.workers:
            table = tables[workers]
            print(
                json.dumps(
                    {
                        "sweep": args.sweep.name,
                        "runs": runs,
                        "workers": workers,
                        "wall_s": round(best[workers], 2),
                        "wall_s_each_repeat": [round(w, 2) for w in walls[workers]],
                        "cores_obtained_each_repeat": [round(c, 2) for c in cores[workers]],
                        "runs_per_min": round(runs / best[workers] * 60, 1),
                        "run_seconds_sum": round(float(table["seconds"].sum()), 1),
                        "load_average_1min": round(os.getloadavg()[0], 2),
                    }
                )
            )
        if len(args.workers) > 1:
            first, *others = args.workers
            same = all(tables[first].drop(columns="seconds").equals(tables[w].drop(columns="seconds")) for w in others)
            speedups = {f"speedup_{w}_vs_{first}": round(best[first] / best[w], 2) for w in others}
            # Per repeat (the two counts ran back to back, so under similar load from other jobs).
            for w in others:
                pairs = zip(walls[first], walls[w], strict=True)
                speedups[f"speedup_{w}_vs_{first}_each_repeat"] = [round(a / b, 2) for a, b in pairs]
            print(json.dumps({**speedups, "identical_results": same}))


if __name__ == "__main__":
    main()
