"""This project's spatial model against idiomatic Mesa, side by side: cell-steps/s, set-up, peak memory.

The workload: a growing tumour seeded as a disc on 5% of a 400x400 lattice, drug off, 200
days, seed 0. This project's model runs it with its full rules (default parameters); the
reference is a model of the same workload written as idiomatic Mesa 3.5 (one agent per cell,
Python loops over agents): ``benchmarks/naive_mesa.py`` (its rules in ``benchmarks/naive_rules.py``),
or another script given with ``--naive PATH`` (it must take ``--steps``, ``--drug off``,
``--width``, ``--seed`` and ``--reporter get|select`` and print JSON with ``cell_steps``; ``get``
is the faster way it counts, ``select`` as Mesa's examples do). With ``--no-naive`` only this
project's model runs.
A cell-step is one live cell for one day (the sum over days of the cells alive at the start
of the day). Each run is its own subprocess, so that its peak memory (maximum resident set
size, from the kernel's rusage of that child) and its set-up time are its own. With
``--repeats`` above 1 the runs alternate and the median run of each implementation is shown.

    python benchmarks/spatial.py [--width 400] [--days 200] [--seed 0] [--repeats 3] [--naive PATH | --no-naive]

With the reference, the last line is ``ratio X``: this project's cell-steps/s over the reference's
with ``get``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def benchmark_scenario(width: int, days: int) -> Any:
    """The workload: a disc on 5% of a width x width lattice, drug off, default parameters."""
    from abm.config.scenario import ScenarioConfig

    return ScenarioConfig.model_validate(
        {
            "name": f"benchmark {width}x{width}",
            "model": {"width": width, "height": width, "initial_cells": int(0.05 * width * width), "days": days},
            "schedule": [],
        }
    )


def timed(build: Callable[[], Any], cells: Callable[[Any], int]) -> dict:
    """Build a model (the set-up), then step it while it runs (the loop), timing both.

    A cell-step is one live cell for one day: ``cells(model)`` at the start of each day, summed.
    """
    t0 = time.perf_counter()
    model = build()
    t1, c1 = time.perf_counter(), time.process_time()
    cell_steps = 0
    while model.running:
        cell_steps += cells(model)
        model.step()
    t2, c2 = time.perf_counter(), time.process_time()
    return {
        "setup_s": round(t1 - t0, 4),
        "loop_s": round(t2 - t1, 4),
        "loop_cpu_s": round(c2 - c1, 4),
        "cell_steps": cell_steps,
        "loop_cell_steps_per_s": round(cell_steps / (t2 - t1), 1),
        "final_cells": cells(model),
    }


def run_ours(width: int, days: int, seed: int, read_agents: bool = False) -> dict:
    """One run of this project's spatial model, in this process.

    ``read_agents``: ask for the model's Mesa agents once in the set-up, as user code that reads
    them does, so that they are kept in step with the lattice every day.
    """
    from abm.models.spatial import SpatialTumour

    def build() -> SpatialTumour:
        model = SpatialTumour(benchmark_scenario(width, days), rng=seed)
        if read_agents:
            assert len(model.agents) == model.counts["total"]
        return model

    return timed(build, lambda model: model.counts["total"])


def in_child(command: list[str], env: dict[str, str] | None = None, cwd: Path | None = None) -> dict:
    """Run a command that prints one JSON line; add its peak resident memory in MiB."""
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=cwd or ROOT, env=env)
    assert proc.stdout is not None
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        sys.exit(f"error: {' '.join(command)} exited with {proc.returncode}")
    result = json.loads(out.strip().splitlines()[-1])
    result["peak_mib"] = round(usage.ru_maxrss / 1024, 1)  # ru_maxrss is in KiB on Linux
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--width", type=int, default=400)
    parser.add_argument("--days", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=1, help="runs of each implementation; the median is shown")
    parser.add_argument(
        "--naive",
        type=Path,
        default=Path(__file__).with_name("naive_mesa.py"),
        help="script of the idiomatic-Mesa reference (default: benchmarks/naive_mesa.py)",
    )
    parser.add_argument("--no-naive", action="store_true", help="run only this project's model")
    parser.add_argument("--ours-only", action="store_true", help=argparse.SUPPRESS)  # the child process
    args = parser.parse_args()

    if args.ours_only:
        print(json.dumps(run_ours(args.width, args.days, args.seed)))
        return

    naive = None if args.no_naive else args.naive
    if naive is not None and not naive.is_file():
        print(f"error: --naive: no file {naive}; pass the path of the reference script", file=sys.stderr)
        sys.exit(2)
    size = ["--width", str(args.width), "--seed", str(args.seed)]
    commands = {
        "this project (spatial)": [sys.executable, __file__, "--ours-only", "--days", str(args.days), *size],
        **{
            f"naive Mesa --reporter {reporter}": [
                sys.executable,
                str(naive.resolve()),  # type: ignore[union-attr]
                "--steps",
                str(args.days),
                "--drug",
                "off",
                "--reporter",
                reporter,
                *size,
            ]
            for reporter in (("get", "select") if naive is not None else ())
        },
    }
    runs: dict[str, list[dict]] = {name: [] for name in commands}
    for _ in range(args.repeats):
        for name, command in commands.items():
            runs[name].append(in_child(command))

    print(
        f"{args.width}x{args.width} lattice, {args.days} days, drug off, seed {args.seed}, {args.repeats} run(s) each"
    )
    print(f"{'implementation':<28}{'cell-steps/s':>14}{'loop s':>9}{'set-up s':>10}{'peak MiB':>10}{'cell-steps':>12}")
    median = {}
    for name, results in runs.items():
        r = sorted(results, key=lambda r: r["loop_cell_steps_per_s"])[len(results) // 2]
        median[name] = r
        rate = r["loop_cell_steps_per_s"]
        print(
            f"{name:<28}{rate / 1e6:>12.2f} M{r['loop_s']:>9.3f}{r['setup_s']:>10.3f}{r['peak_mib']:>10.1f}"
            f"{r['cell_steps']:>12}"
        )
    if naive is None:
        return
    ours = median["this project (spatial)"]["loop_cell_steps_per_s"]
    select = median["naive Mesa --reporter select"]["loop_cell_steps_per_s"]
    get = median["naive Mesa --reporter get"]["loop_cell_steps_per_s"]
    print(f"ratio vs --reporter select {ours / select:.1f}")
    print(f"ratio {ours / get:.1f}")


if __name__ == "__main__":
    main()
