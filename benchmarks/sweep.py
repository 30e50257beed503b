"""Runs per minute of `abm sweep` at 1 and 2 workers, and the 2-worker speed-up.

Runs the shipped spatial sweep (scenarios/sweep-axl-timing.toml) as a user does: the command
in a fresh process, so start-up, imports and starting the workers count. ``--replicates``
shrinks it (a copy of the file with fewer replicates per point) for a quicker figure. Each
worker count is timed ``--repeats`` times, alternating, so that both see the same load from
other jobs on a shared machine. Each command prints one JSON line: wall seconds, the CPU seconds
of the command and its workers (and per run), the cores the command obtained (CPU seconds per
wall second: below 2 at 2 workers means something else held a CPU) and the cores other
processes on the machine used meanwhile (from /proc/stat). The last lines give, per source,
the median over repeats of each worker count's wall time and of the speed-up of each repeat
(the worker counts of one repeat ran back to back, under similar load), and whether every
worker count gave the same results. ``--idle CORES`` measures on idle cores only: it waits for
other jobs to quiet down before each command and keeps only the repeats they left alone.

``--compare REV`` also times the source of git revision REV, alternating with the working
tree's (see benchmarks/trial.py), so a change's effect is measured side by side.

    python benchmarks/sweep.py [--replicates 4] [--workers 1 2] [--repeats 3] [--compare REV] [--idle 0.1]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
from trial import adopt_orphans, children_cpu, reap_orphans, source_of  # benchmarks/trial.py, beside this file

ROOT = Path(__file__).resolve().parent.parent
SWEEP = ROOT / "scenarios" / "sweep-axl-timing.toml"
TICKS = os.sysconf("SC_CLK_TCK")


def machine_busy() -> float:
    """CPU seconds all processes on the machine have used since boot (user, system, irq), or NaN."""
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    except OSError:
        return float("nan")
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(f) for f in fields[:8])
    return (user + nice + system + irq + softirq + steal) / TICKS


def time_sweep(sweep: Path, workers: int, out: Path, source: Path) -> dict:
    """One `abm sweep` of ``source``'s package: wall, CPU and the machine's other load."""
    env = {**os.environ, "PYTHONPATH": str(source)}  # `-m` from ``source``: its package first on the path
    started, cpu, busy = time.perf_counter(), children_cpu(), machine_busy()
    subprocess.run(
        [sys.executable, "-m", "abm", "sweep", str(sweep), "--workers", str(workers), "--out", str(out), "--quiet"],
        check=True, capture_output=True, cwd=source, env=env,
    )  # fmt: skip
    reap_orphans()
    wall, cpu, busy = time.perf_counter() - started, children_cpu() - cpu, machine_busy() - busy
    table = pd.read_parquet(out / "runs.parquet")
    return {
        "workers": workers,
        "runs": len(table),
        "wall_s": round(wall, 2),
        "cpu_s": round(cpu, 2),
        "cpu_s_per_run": round(cpu / len(table), 3),
        "run_seconds_sum": round(float(table["seconds"].sum()), 1),
        "cores_obtained": round(cpu / wall, 2),
        "others_cores": round(max(busy - cpu, 0.0) / wall, 2),
        "runs_per_min": round(len(table) / wall * 60, 1),
    }


def wait_for_quiet(cores: float, patience: float) -> float:
    """Wait (at most ``patience`` seconds) until other processes use less than ``cores`` over 3 s."""
    deadline = time.monotonic() + patience
    while True:
        before = machine_busy()
        time.sleep(3.0)
        others = (machine_busy() - before) / 3.0  # this process sleeps meanwhile
        if others < cores or time.monotonic() > deadline:
            return others


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sweep", type=Path, default=SWEEP)
    parser.add_argument("--replicates", type=int, help="replicates per point (default: the file's)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--compare", metavar="REV", help="also time git revision REV, alternating with this tree")
    parser.add_argument(
        "--idle",
        type=float,
        metavar="CORES",
        help="idle cores only: wait before each command until other processes use under CORES (e.g. 0.1), "
        "and keep only repeats in which none of its commands saw more; up to 3 x --repeats tries",
    )
    args = parser.parse_args()
    adopt_orphans()

    with tempfile.TemporaryDirectory() as tmp:
        sweep = args.sweep.resolve()
        if args.replicates:
            text = re.sub(r"(?m)^replicates = \d+", f"replicates = {args.replicates}", sweep.read_text())
            text = re.sub(r'(?m)^base = "([^"]+)"', lambda m: f'base = "{sweep.parent / m.group(1)}"', text)
            sweep = Path(tmp) / sweep.name
            sweep.write_text(text)
        sources = {"working tree": ROOT}
        if args.compare:
            (Path(tmp) / "rev").mkdir()
            sources = {args.compare: source_of(args.compare, Path(tmp) / "rev"), **sources}
        kept: list[dict[tuple[str, int], dict]] = []  # one dict per repeat kept: (source, workers) -> result
        tables: dict[tuple[str, int], pd.DataFrame] = {}
        tries = 3 * args.repeats if args.idle is not None else args.repeats
        for repeat in range(tries):
            results: dict[tuple[str, int], dict] = {}
            for workers in args.workers:
                for name, source in sources.items():
                    if args.idle is not None:
                        wait_for_quiet(args.idle, patience=600.0)
                    out = Path(tmp) / f"{name.replace(' ', '-')}-w{workers}-r{repeat}"
                    results[(name, workers)] = result = time_sweep(sweep, workers, out, source)
                    tables[(name, workers)] = pd.read_parquet(out / "runs.parquet").drop(columns="seconds")
                    print(json.dumps({"source": name, "repeat": repeat, **result}), flush=True)
            if args.idle is None or all(r["others_cores"] < args.idle for r in results.values()):
                kept.append(results)
            if len(kept) == args.repeats:
                break
        first = tables[(next(iter(sources)), args.workers[0])]
        same = all(first.equals(table) for table in tables.values())
        for name in sources:
            summary: dict = {"source": name, "repeats_kept": len(kept), "repeats_run": repeat + 1}
            if not kept:
                print(json.dumps(summary), flush=True)
                continue
            for w in args.workers:
                summary[f"wall_s_{w}_median"] = round(statistics.median(r[(name, w)]["wall_s"] for r in kept), 2)
                summary[f"cpu_s_per_run_{w}_median"] = round(
                    statistics.median(r[(name, w)]["cpu_s_per_run"] for r in kept), 3
                )
            base, *others = args.workers
            for w in others:
                ratios = [r[(name, base)]["wall_s"] / r[(name, w)]["wall_s"] for r in kept]
                summary[f"speedup_{w}_vs_{base}_each_repeat"] = [round(x, 2) for x in ratios]
                summary[f"speedup_{w}_vs_{base}_median"] = round(statistics.median(ratios), 2)
            summary["others_cores_median"] = round(
                statistics.median(r[(name, w)]["others_cores"] for r in kept for w in args.workers), 2
            )
            print(json.dumps(summary), flush=True)
        print(json.dumps({"identical_results": same}))


if __name__ == "__main__":
    main()
