"""Is HER2 after osimertinib (2-3%) below HER2 after gefitinib (~12%) only with a drug change?

In ``abm.biology.drugs`` neither gefitinib nor osimertinib blocks the HER2 route, so a HER2-amplified
clone grows alike on both and its share at progression cannot fall on osimertinib. This script
tries the one change that would separate them, in this process only (``abm/`` is not edited):
osimertinib given a partial HER2 block (it inhibits HER2 weakly). Single worker, so the patched
drug table is the one the cohort engine reads.

    python -m abm.report.explore_issue14.her2_osimertinib --point abm/report/explore_issue14/points/S1b.json
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from types import MappingProxyType

from abm.biology import drugs, rules
from abm.biology.mechanisms import Route
from abm.report.explore_issue14.batch import compact
from abm.report.explore_issue14.common import Point, evaluate_all, run_point


def patch_osimertinib_her2(block: float) -> None:
    osi = drugs.DRUGS["osimertinib"]
    blocks = (
        {**osi.blocks, Route.HER2: block} if block > 0 else {k: v for k, v in osi.blocks.items() if k != Route.HER2}
    )
    drugs.DRUGS["osimertinib"] = drugs.Drug(osi.name, osi.drug_class, MappingProxyType(blocks), osi.source)
    rules.rule_tables.cache_clear()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--point", type=Path, required=True)
    ap.add_argument("--patients", type=int, default=300)
    ap.add_argument("--blocks", type=float, nargs="+", default=[0.0, 0.3, 0.6, 0.9])
    args = ap.parse_args()
    point = Point.from_json(json.loads(args.point.read_text()))
    for block in args.blocks:
        patch_osimertinib_her2(block)
        rows = evaluate_all(run_point(point, args.patients, 0, 1))
        print(f"osimertinib HER2 block {block:.2f}: {compact(rows)}", flush=True)


if __name__ == "__main__":
    main()
