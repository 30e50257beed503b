"""The spatial model beside its limit, a numpy lattice with the same rules, side by side in one run.

The limit is ``benchmarks/numpy_lattice.py``: the same day (the rule tables of ``abm.biology.rules``,
death or rescue, division with contention for room, switching, moving) on a bare numpy array,
with no Mesa agents, grid, course or data collector. The workload is the one of
``benchmarks/spatial.py`` (a disc on 5% of the lattice, drug off, default parameters, 200 days,
seed 0) at 100x100, 400x400 and 1000x1000. The model and the numpy lattice draw their random
numbers in the same order, so each pair of runs grows the same tumour: the table's last column
(cells on the last day) shows it; ``ratio`` is the model's rate over that lattice's. A second
yardstick, ``numpy lattice, sparse`` (``SparseNumpyLattice``), draws each rare event for its
candidates only instead of one uniform number per cell: the same rules and distribution, other
draws and another tumour, several times fewer random numbers; ``ratio sparse`` is a rate over
its rate, what is left when the model's draws are counted against it too.

Rows: ``spatial`` is the model as a batch run or a trial uses it (nobody reads its Mesa agents);
``spatial, agents read`` is the same run by a user who asks for ``model.agents`` once after
set-up, so that one Mesa ``CellAgent`` per living cell is kept in step every day;
``--baseline DIR`` (repeatable) adds the spatial model of another checkout of this project (for
instance the commit before a change, ``git archive REV | tar -x -C DIR``), named after DIR: the
same timed run with that checkout first on ``PYTHONPATH``. Every run is its own subprocess (its set-up time and peak
memory are its own); runs alternate (all implementations at a size, then the next size,
``--repeats`` times) and the median run of each is shown. The rate is cell-steps per CPU-second
of the loop, which other work on a shared machine disturbs less than wall time (both are shown);
a ratio is a rate over the numpy lattice's.

    python benchmarks/spatial_limit.py [--widths 100 400 1000] [--days 200] [--seed 0] [--repeats 3]
                                       [--baseline DIR]...

``benchmarks/spatial.py`` compares the spatial model with an idiomatic-Mesa model (``--naive PATH``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from spatial import in_child, run_ours  # noqa: E402 (benchmarks/ is not a package)

CHILDREN = ("numpy", "numpy-sparse", "spatial", "spatial-agents")
SAME_DRAWS, SPARSE = "numpy lattice", "numpy lattice, sparse"


def child(kind: str, width: int, days: int, seed: int) -> dict:
    """One timed run in this process."""
    if kind.startswith("numpy"):
        from numpy_lattice import run

        return run(width, days, seed, sparse=kind == "numpy-sparse")
    return run_ours(width, days, seed, read_agents=kind == "spatial-agents")


def cpu_rate(run: dict) -> float:
    """Cell-steps per CPU-second of the loop (robust to other work on a shared machine)."""
    return run["cell_steps"] / run["loop_cpu_s"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--widths", type=int, nargs="+", default=[100, 400, 1000])
    parser.add_argument("--days", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=3, help="runs of each implementation; the median is shown")
    parser.add_argument(
        "--baseline", type=Path, action="append", default=[], help="another checkout whose spatial model to run too"
    )
    parser.add_argument("--child", choices=CHILDREN, help=argparse.SUPPRESS)
    parser.add_argument("--width", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        print(json.dumps(child(args.child, args.width, args.days, args.seed)))
        return

    baselines = [path.resolve() for path in args.baseline]
    for baseline in baselines:
        if not (baseline / "abm" / "spatial.py").is_file():
            sys.exit(f"error: --baseline: no abm/models/spatial.py in {baseline}")
    implementations = {  # name: (child kind, environment)
        SAME_DRAWS: ("numpy", None),
        SPARSE: ("numpy-sparse", None),
        "spatial": ("spatial", None),
        "spatial, agents read": ("spatial-agents", None),
    }
    for baseline in baselines:  # the same timed run, importing abm from the baseline
        implementations[f"{baseline.name} spatial"] = ("spatial", {**os.environ, "PYTHONPATH": str(baseline)})
    runs: dict[tuple[int, str], list[dict]] = {}
    for _ in range(args.repeats):
        for width in args.widths:
            for name, (kind, env) in implementations.items():
                command = [sys.executable, __file__, "--child", kind, "--width", str(width)]
                command += ["--days", str(args.days), "--seed", str(args.seed)]
                runs.setdefault((width, name), []).append(in_child(command, env=env))

    print(f"{args.days} days, drug off, seed {args.seed}, {args.repeats} run(s) each, median shown")
    for baseline in baselines:
        print(f"{baseline.name}: {baseline}")
    print("rate: cell-steps per CPU-second of the loop; ratio: rate over the numpy lattice's (the same draws),")
    print("ratio sparse: over the sparse-draw numpy lattice's (the same rules, other draws)")
    for width in args.widths:
        print(f"\n{width}x{width}")
        print(
            f"{'implementation':<26}{'rate':>10}{'ratio':>7}{'ratio sparse':>13}{'loop s':>8}{'loop CPU s':>11}"
            f"{'set-up s':>10}{'peak MiB':>10}{'final cells':>13}"
        )
        medians = {name: sorted(runs[width, name], key=cpu_rate)[args.repeats // 2] for name in implementations}
        limit, sparse = cpu_rate(medians[SAME_DRAWS]), cpu_rate(medians[SPARSE])
        for name, r in medians.items():
            rate = cpu_rate(r)
            print(
                f"{name:<26}{rate / 1e6:>8.2f} M{rate / limit:>7.2f}{rate / sparse:>13.2f}{r['loop_s']:>8.3f}"
                f"{r['loop_cpu_s']:>11.3f}{r['setup_s']:>10.3f}{r['peak_mib']:>10.1f}{r['final_cells']:>13}"
            )
        same = len({r["final_cells"] for name, r in medians.items() if name != SPARSE}) == 1
        print("the same tumour in every run but the sparse one" if same else "warning: other tumours than the model's")


if __name__ == "__main__":
    main()
