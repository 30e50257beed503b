"""Evaluate a list of points (a JSON file: a list of Point objects, or a Python file defining
``POINTS``) and print one compact line per point: the value of every target.

    python -m abm.report.explore_issue14.batch points.json --patients 150 --workers 1 --log results/x.jsonl
"""

from __future__ import annotations

import argparse
import json
import runpy
import time
from pathlib import Path
from typing import Any

from abm.report.explore_issue14.common import RESULTS, Point, distance, evaluate_all, record, run_point, summary_stats

# Short names of the rows of ``common.evaluate_all`` (and ``dish_rows``), by (setting, mechanism).
NAMES = {
    ("first-line gefitinib/erlotinib", "t790m"): "T790Mg",
    ("first-line gefitinib/erlotinib", "met_amplified"): "METg",
    ("first-line gefitinib/erlotinib", "axl_high"): "AXLg",
    ("untreated", "met_amplified"): "METu",
    ("first-line osimertinib", "met_amplified"): "METo",
    ("first-line osimertinib", "t790m"): "T790Mo",
    ("second-line osimertinib after T790M+ progression", "met_amplified"): "MET2",
    ("any first-line EGFR TKI", "primary resistance"): "prim",
    ("first-line gefitinib", "median PFS"): "PFSg",
    ("first-line osimertinib", "median PFS"): "PFSo",
    ("first-line osimertinib", "c797s"): "C797So",
    ("first-line gefitinib/erlotinib", "her2_amplified"): "HER2g",
    ("first-line osimertinib", "her2_amplified"): "HER2o",
    ("untreated", "doubling time (days)"): "VDT",
    ("gefitinib, failing by MET", "MET <1% before"): "MET<1%",
    ("first-line gefitinib/erlotinib", "igf1r_active (check)"): "IGFg",
    ("first-line gefitinib/erlotinib", "nothing found (check)"): "noneG",
    ("first-line osimertinib", "igf1r_active (check)"): "IGFo",
    ("first-line osimertinib", "nothing found (check)"): "noneO",
    ("any first-line EGFR TKI", "no response, PD <=16 w (check)"): "prim16w",
    ("gefitinib", "eradicated"): "eradG",
    ("osimertinib", "eradicated"): "eradO",
    ("gefitinib then osimertinib", "eradicated"): "eradGO",
    ("PC-9 dish, osimertinib 9 d", "surviving fraction"): "dish",
    ("PC-9 dish, + AXL inhibitor", "fold lower"): "dishAXL",
    ("PC-9 dish, + IGF-1R inhibitor", "fold lower"): "dishIGF",
}
SHORT = tuple(NAMES.values())


def short_name(row: dict[str, Any]) -> str:
    return NAMES.get((row["setting"], row["mechanism"]), row["mechanism"])


def compact(rows: list[dict[str, Any]]) -> str:
    parts = []
    for r in rows:
        name, v = short_name(r), r["simulated"]
        mark = "" if r["pass"] else "*"
        if v is None or v != v:
            parts.append(f"{name}=nan{mark}")
        elif r["unit"] == "months":
            parts.append(f"{name}={v:.1f}{mark}")
        elif r["unit"] == "days":
            parts.append(f"{name}={v:.0f}{mark}")
        elif r["unit"] == "fold":
            parts.append(f"{name}={v:.1f}x{mark}")
        else:
            parts.append(f"{name}={100 * v:.0f}{mark}")
    return " ".join(parts)


def load_points(path: Path) -> list[Point]:
    if path.suffix == ".py":
        return list(runpy.run_path(str(path))["POINTS"])
    return [Point.from_json(p) for p in json.loads(path.read_text())]


def evaluate_points(points: list[Point], patients: int, seed: int, workers: int, log: Path | None) -> list[dict]:
    out = []
    for point in points:
        started = time.perf_counter()
        table = run_point(point, patients, seed, workers)
        rows = evaluate_all(table)
        wall = time.perf_counter() - started
        stats = summary_stats(table)
        gef = stats.get("gefitinib", {})
        d = distance(rows)
        print(
            f"[{point.label}] d={d:.2f} pass={sum(r['pass'] for r in rows[:10])}/10 {compact(rows)} "
            f"PFSq={gef.get('pfs_q25_q50_q75_months')} prog={gef.get('progressed', 0):.2f} "
            f"none={gef.get('none_found_at_progression') or 0:.2f} ({wall:.0f}s)",
            flush=True,
        )
        if log is not None:
            record(log, point, rows, {"patients": patients, "seed": seed, "distance": d, "stats": stats})
        out.append({"point": point, "rows": rows, "distance": d, "stats": stats})
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("points", type=Path)
    ap.add_argument("--patients", type=int, default=150)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--log", type=Path, default=RESULTS / "batch.jsonl")
    args = ap.parse_args()
    evaluate_points(load_points(args.points), args.patients, args.seed, args.workers, args.log)


if __name__ == "__main__":
    main()
