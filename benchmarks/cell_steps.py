"""Cell-steps per second of the spatial model on 100x100, 200x200 and 400x400 lattices.

A cell-step is one live cell for one day (the sum over days of live cells). The workload is
that of ``benchmarks/spatial.py`` (drug off, a growing tumour seeded as a disc on 5% of the
lattice, 200 days), run on this project's full rules.

    python benchmarks/cell_steps.py [--widths 100 200 400] [--days 200] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from spatial import run_ours  # the one timed run of the spatial model


def measure(width: int, days: int, seed: int) -> dict:
    """One run: set-up seconds, loop seconds, cell-steps and cell-steps/s."""
    run = run_ours(width, days, seed)
    return {"width": width, "days": days, **run, "cell_steps_per_s": run["loop_cell_steps_per_s"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--widths", type=int, nargs="+", default=[100, 200, 400])
    parser.add_argument("--days", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3, help="runs per width; the median is reported")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    for width in args.widths:
        runs = sorted(
            (measure(width, args.days, args.seed) for _ in range(args.repeats)), key=lambda r: r["cell_steps_per_s"]
        )
        print(json.dumps(runs[len(runs) // 2]))


if __name__ == "__main__":
    main()
