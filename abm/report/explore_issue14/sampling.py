"""How many patients per arm does one particle need? Sampling error of every target at one point.

Runs the point on several cohort seeds at several cohort sizes and prints, per target, the
standard deviation across seeds of the simulated value beside the target's range width, and the
patients per arm at which that SD falls to a quarter of the width (so that a particle inside the
range by half a width is inside on 95% of cohorts): SD scales as 1/sqrt(n), so
n_needed = n * (SD_n / (width / 4))^2, from the largest n run. Also the wall time of one particle.

    python -m abm.report.explore_issue14.sampling --point abm/report/explore_issue14/points/best.json \
        --sizes 100 200 400 --seeds 6
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

import numpy as np

from abm.report.explore_issue14.common import Point, evaluate_all, run_point


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--point", type=Path, required=True)
    ap.add_argument("--sizes", type=int, nargs="+", default=[100, 200, 400])
    ap.add_argument("--seeds", type=int, default=6)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--out", type=Path, help="write the per-seed values as JSON")
    args = ap.parse_args()
    point = Point.from_json(json.loads(args.point.read_text()))
    values: dict[int, list[list[float]]] = {}
    walls: dict[int, list[float]] = {}
    names: list[str] = []
    widths: list[float] = []
    for n in args.sizes:
        for seed in range(1, args.seeds + 1):
            started = time.perf_counter()
            rows = evaluate_all(run_point(point, n, seed, args.workers))
            walls.setdefault(n, []).append(time.perf_counter() - started)
            names = [f"{r['setting'][:34]} | {r['mechanism'][:20]}" for r in rows]
            widths = [r["high"] - r["low"] for r in rows]
            values.setdefault(n, []).append([r["simulated"] for r in rows])
            print(f"n={n} seed={seed}: {walls[n][-1]:.1f} s", flush=True)
    big = max(args.sizes)
    print(
        f"\n{'target':58s} {'width':>7s} " + " ".join(f"{'SD@' + str(n):>9s}" for n in args.sizes) + "  n for SD<=w/4"
    )
    for k, name in enumerate(names):
        w = widths[k]
        if not math.isfinite(w) or w <= 0 or "check" in name:
            continue
        sds = [float(np.nanstd([v[k] for v in values[n]], ddof=1)) for n in args.sizes]
        need = big * (sds[-1] / (w / 4)) ** 2 if sds[-1] > 0 else 0.0
        print(f"{name:58s} {w:7.3g} " + " ".join(f"{s:9.4f}" for s in sds) + f"  {need:10.0f}")
    for n in args.sizes:
        print(
            f"wall time per particle at {n} patients/arm, {args.workers} worker(s): median {np.median(walls[n]):.1f} s"
        )
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps({"names": names, "widths": widths, "values": values, "walls": walls}) + "\n")


if __name__ == "__main__":
    main()
