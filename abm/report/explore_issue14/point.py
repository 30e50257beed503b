"""Evaluate one parameter point on the validation cohort: every target of issue 14.

``abm validate`` has no parameter overrides; this does, without touching the model:

    python -m abm.report.explore_issue14.point --patients 300 --workers 1 \
        --set t790m_mutation_rate=1e-9 --set division_rate=0.06 \
        --cohort 'met_amplification_rate={"distribution": "loguniform", "low": 1e-10, "high": 1e-6}' \
        --cohort axl_bypass_capacity=null --trial carrying_capacity=1e11 --dish

``--set NAME=VALUE``: a parameter (``abm parameters``); ``--cohort NAME=JSON``: a cohort entry of
the validation trial (a number, a distribution table, or null to remove it); ``--trial`` /
``--clinical KEY=VALUE``: a key of the trial's [trial] / [clinical] table. ``--point FILE``
starts from a saved point (JSON), and ``--save FILE`` writes the point used.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from abm.report.explore_issue14.common import (
    RESULTS,
    Point,
    dish_fractions,
    distance,
    evaluate_all,
    format_table,
    record,
    run_point,
    summary_stats,
)


def _value(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def _pairs(items: list[str]) -> dict[str, Any]:
    out = {}
    for item in items:
        name, _, value = item.partition("=")
        out[name.strip()] = _value(value.strip())
    return out


def parse_point(args: argparse.Namespace) -> Point:
    point = Point.from_json(json.loads(args.point.read_text())) if args.point else Point()
    point.params.update({k: float(v) for k, v in _pairs(args.set).items()})
    point.cohort.update(_pairs(args.cohort))
    point.trial.update(_pairs(args.trial))
    point.clinical.update(_pairs(args.clinical))
    if args.label:
        point.label = args.label
    return point


def add_point_arguments(ap: argparse.ArgumentParser) -> None:
    ap.add_argument("--point", type=Path, help="start from this saved point (JSON)")
    ap.add_argument("--set", action="append", default=[], metavar="NAME=VALUE")
    ap.add_argument("--cohort", action="append", default=[], metavar="NAME=JSON")
    ap.add_argument("--trial", action="append", default=[], metavar="KEY=VALUE")
    ap.add_argument("--clinical", action="append", default=[], metavar="KEY=VALUE")
    ap.add_argument("--label", default="")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_point_arguments(ap)
    ap.add_argument("--patients", type=int, default=300)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--dish", action="store_true", help="also the PC-9 dish rows")
    ap.add_argument("--save", type=Path, help="write the point as JSON")
    ap.add_argument("--log", type=Path, default=RESULTS / "points.jsonl", help="append the result here")
    ap.add_argument("--stats", action="store_true", help="print PFS quartiles and response shares")
    args = ap.parse_args()
    point = parse_point(args)
    started = time.perf_counter()
    table = run_point(point, args.patients, args.seed, args.workers)
    wall = time.perf_counter() - started
    dish = dish_fractions(point.params) if args.dish else None
    rows = evaluate_all(table, dish)
    print(json.dumps(point.to_json()))
    print(format_table(rows))
    print(
        f"distance (ten) {distance(rows):.3f}; distance (all rows) {distance(rows, 'all'):.3f}; "
        f"{args.patients} patients/arm, seed {args.seed}, {wall:.1f} s on {args.workers} worker(s)"
    )
    if args.stats:
        for arm, s in summary_stats(table).items():
            print(f"  {arm}: {s}")
    record(args.log, point, rows, {"patients": args.patients, "seed": args.seed, "wall_s": round(wall, 1)})
    if args.save:
        args.save.parent.mkdir(parents=True, exist_ok=True)
        args.save.write_text(json.dumps(point.to_json(), indent=2) + "\n")


if __name__ == "__main__":
    main()
