"""Cell-steps per second of the spatial model on 100x100, 200x200 and 400x400 lattices.

A cell-step is one live cell for one day (the sum over days of live cells). The workload is
the one of ../shared/bench (drug off, a growing tumour seeded as a disc on 5% of the
lattice, 200 days), run on this project's full rules.

    python benchmarks/cell_steps.py [--widths 100 200 400] [--days 200] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import time

from abm.scenario import Scenario
from abm.spatial import SpatialTumour


def measure(width: int, days: int, seed: int) -> dict:
    """One run: set-up seconds, loop seconds, cell-steps and cell-steps/s."""
    scenario = Scenario.model_validate(
        {
            "name": f"benchmark {width}x{width}",
            "model": {
                "width": width,
                "height": width,
                "initial_cells": int(0.05 * width * width),
                "days": days,
                "seed": seed,
            },
            "schedule": [],
        }
    )
    t0 = time.perf_counter()
    model = SpatialTumour(scenario)
    t1 = time.perf_counter()
    cell_steps = 0
    while model.running:
        cell_steps += model.counts["total"]
        model.step()
    t2 = time.perf_counter()
    return {
        "width": width,
        "days": days,
        "setup_s": round(t1 - t0, 3),
        "loop_s": round(t2 - t1, 3),
        "cell_steps": cell_steps,
        "cell_steps_per_s": round(cell_steps / (t2 - t1)),
        "final_cells": model.counts["total"],
    }


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
