"""A space-filling search of the model's parameter space: where can it reach its targets?

Latin hypercube points (scipy.stats.qmc, seeded) over the box ``SPACE`` (log scale where marked),
each run on the validation cohort (``common.run_point``) and logged as one JSON line, so a killed
search resumes where it stopped (points already in the log are skipped). A name ``cohort.X`` is a
knob of the cohort's patient-to-patient variation (see ``point_from``).

    python -m abm.report.explore_issue14.search --points 400 --patients 150 --log results/lhs1.jsonl
    python -m abm.report.explore_issue14.search --box narrow ...   # the second, narrower box
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path
from typing import Any

from scipy.stats import qmc

from abm.report.explore_issue14.common import (
    RESULTS,
    Point,
    dish_fractions,
    dish_rows,
    distance,
    evaluate_all,
    json_rows,
    run_point,
    summary_stats,
)

GENETIC = ("t790m_mutation_rate", "met_amplification_rate", "c797s_mutation_rate", "her2_amplification_rate")

# (low, high, log scale)
WIDE: dict[str, tuple[float, float, bool]] = {
    "division_rate": (0.05, 0.12, False),
    "drug_kill_rate": (0.005, 0.05, True),
    "t790m_mutation_rate": (1e-10, 1e-7, True),
    "met_amplification_rate": (1e-12, 1e-8, True),
    "c797s_mutation_rate": (1e-12, 1e-8, True),
    "her2_amplification_rate": (1e-12, 1e-8, True),
    "t790m_fitness_cost": (0.0, 0.05, False),
    "met_fitness_cost": (0.0, 0.05, False),
    "axl_high_fitness_cost": (0.0, 0.15, False),
    "axl_bypass_capacity": (0.6, 0.99, False),
    "igf1r_bypass_capacity": (0.6, 0.99, False),
    "met_bypass_capacity": (0.8, 1.0, False),
    "her2_bypass_capacity": (0.8, 1.0, False),
    "persister_entry_fraction": (0.003, 0.05, True),
    "persister_reversion_rate": (0.001, 0.05, True),
    "persister_axl_share": (0.5, 0.95, False),
    "persister_death_rate": (0.002, 0.02, True),
    "axl_induction_rate": (1e-8, 1e-5, True),
    "axl_mutability_factor": (1.0, 30.0, True),
    "persister_mutability_factor": (1.0, 30.0, True),
    # patient-to-patient variation (cohort knobs, see point_from)
    "cohort.mu_sigma": (0.0, 3.0, False),
    "cohort.axl_cap_sd": (0.0, 0.1, False),
    "cohort.met_cap_sd": (0.0, 0.1, False),
    "cohort.insens_present": (0.0, 0.15, False),
}

# Around probe 7 (S1): each genetic route a 'prone' subgroup (share ``present`` of the patients,
# rate loguniform between ``low`` and ``high``; 0 in the others).
SUBGROUPS: dict[str, tuple[float, float, bool]] = {
    "division_rate": (0.06, 0.10, False),
    "drug_kill_rate": (0.008, 0.03, True),
    "cohort.t790m_mutation_rate.present": (0.4, 0.9, False),
    "cohort.t790m_mutation_rate.low": (1e-9, 1e-7, True),
    "cohort.t790m_mutation_rate.high": (1e-7, 1e-5, True),
    "cohort.met_amplification_rate.present": (0.05, 0.35, False),
    "cohort.met_amplification_rate.low": (1e-9, 1e-6, True),
    "cohort.met_amplification_rate.high": (1e-5, 5e-4, True),
    "cohort.c797s_mutation_rate.present": (0.03, 0.3, False),
    "cohort.c797s_mutation_rate.low": (1e-10, 1e-8, True),
    "cohort.c797s_mutation_rate.high": (1e-7, 1e-5, True),
    "cohort.her2_amplification_rate.present": (0.05, 0.3, False),
    "cohort.her2_amplification_rate.low": (1e-9, 1e-7, True),
    "cohort.her2_amplification_rate.high": (1e-6, 1e-4, True),
    "t790m_fitness_cost": (0.0, 0.05, False),
    "met_fitness_cost": (0.0, 0.03, False),
    "axl_bypass_capacity": (0.75, 0.97, False),
    "igf1r_bypass_capacity": (0.8, 0.99, False),
    "persister_entry_fraction": (0.005, 0.04, True),
    "persister_reversion_rate": (0.002, 0.03, True),
    "persister_axl_share": (0.6, 0.95, False),
    "cohort.axl_cap_sd": (0.0, 0.08, False),
    "cohort.insens_present": (0.0, 0.12, False),
}
BOXES = {"wide": WIDE, "subgroups": SUBGROUPS}


def point_from(values: dict[str, float], label: str) -> Point:
    """A Point from the box's coordinates: parameters, and the cohort knobs.

    cohort.mu_sigma: each genetic rate lognormal across patients with this sigma, centred on the
    parameter; cohort.axl_cap_sd / met_cap_sd: normal spread of the bypass capacity;
    cohort.<rate>.present/low/high: a prone subgroup (loguniform rate in a share of the patients, 0 in
    the others); cohort.insens_present: share of patients with an EGFR allele escaping 95-100% of every TKI's block
    (the partially insensitive alleles of the validation cohort are dropped).
    """
    params = {k: float(v) for k, v in values.items() if not k.startswith("cohort.")}
    cohort: dict[str, Any] = {}
    sigma = values.get("cohort.mu_sigma", 0.0)
    for name in GENETIC:
        fields = {f: values[f"cohort.{name}.{f}"] for f in ("present", "low", "high") if f"cohort.{name}.{f}" in values}
        if fields:  # a prone subgroup: loguniform rate in a share `present` of the patients, 0 in the others
            cohort[name] = {"distribution": "loguniform", **fields}
        elif sigma > 0:
            cohort[name] = {"distribution": "lognormal", "sigma": sigma, "low": 1e-14, "high": 1e-3}
        else:
            cohort[name] = None
    cohort["axl_bypass_capacity"] = {
        "distribution": "normal",
        "sd": values.get("cohort.axl_cap_sd", 0.0),
        "low": 0.0,
        "high": 1.0,
    }
    cohort["met_bypass_capacity"] = {
        "distribution": "normal",
        "sd": values.get("cohort.met_cap_sd", 0.0),
        "low": 0.0,
        "high": 1.0,
    }
    present = values.get("cohort.insens_present", 0.0)
    cohort["egfr_tki_insensitivity"] = (
        {"distribution": "uniform", "low": 0.95, "high": 1.0, "present": present} if present > 0 else None
    )
    return Point(params, cohort, label=label)


def sample(box: dict[str, tuple[float, float, bool]], n: int, seed: int) -> list[dict[str, float]]:
    unit = qmc.LatinHypercube(d=len(box), seed=seed).random(n)
    out = []
    for row in unit:
        values = {}
        for u, (name, (lo, hi, log)) in zip(row, box.items(), strict=True):
            values[name] = float(
                math.exp(math.log(lo) + u * (math.log(hi) - math.log(lo))) if log else lo + u * (hi - lo)
            )
        out.append(values)
    return out


def done_labels(log: Path) -> set[str]:
    if not log.exists():
        return set()
    return {json.loads(line)["label"] for line in log.read_text().splitlines() if line.strip()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--box", default="wide", choices=sorted(BOXES))
    ap.add_argument("--points", type=int, default=400)
    ap.add_argument("--patients", type=int, default=150)
    ap.add_argument("--seed", type=int, default=0, help="LHS seed (the cohort seed is always 0)")
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--log", type=Path, default=RESULTS / "lhs-wide.jsonl")
    args = ap.parse_args()
    box = BOXES[args.box]
    done = done_labels(args.log)
    args.log.parent.mkdir(parents=True, exist_ok=True)
    for k, values in enumerate(sample(box, args.points, args.seed)):
        label = f"{args.box}-{args.seed}-{k}"
        if label in done:
            continue
        point = point_from(values, label)
        started = time.perf_counter()
        table = run_point(point, args.patients, 0, args.workers)
        dish = dish_fractions(point.params, range(3))
        rows = evaluate_all(table) + dish_rows(dish)
        wall = time.perf_counter() - started
        entry = {
            "label": label,
            "values": values,
            **point.to_json(),
            "rows": json_rows(rows),
            "distance": distance(rows),
            "distance_all": distance(rows, "all"),
            "stats": summary_stats(table),
            "patients": args.patients,
            "wall_s": round(wall, 1),
        }
        with args.log.open("a") as f:
            f.write(json.dumps(entry) + "\n")
        passed = sum(r["pass"] for r in rows[:10])
        print(f"{label}: {passed}/10 pass, distance {entry['distance']:.2f} ({wall:.0f} s)", flush=True)


if __name__ == "__main__":
    main()
