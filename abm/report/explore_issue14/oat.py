"""Local (one-at-a-time) sensitivity around a point: which parameter moves which target, which way.

Each knob is moved down and up by its step (``STEPS``: x1/3 and x3 for rates, +-0.03 for
capacities, ...) with everything else fixed, on the same cohort seed (common random numbers,
so differences are not sampling noise of separate cohorts), and the change of every target's
value is logged. ``--table`` prints the markdown table of the note from a log.

    python -m abm.report.explore_issue14.oat --point abm/report/explore_issue14/points/best.json \
        --patients 300 --log abm/report/explore_issue14/results/oat-best.jsonl
    python -m abm.report.explore_issue14.oat --table abm/report/explore_issue14/results/oat-best.jsonl
"""

from __future__ import annotations

import argparse
import copy
import json
import time
from pathlib import Path
from typing import Any

from abm.report.explore_issue14.batch import short_name
from abm.report.explore_issue14.common import Point, dish_fractions, dish_rows, evaluate_all, json_rows, run_point

# knob -> (kind, step): "log" multiplies by step and 1/step; "lin" adds -step and +step (clipped to
# [0, 1] for fractions); a knob "cohort.NAME.FIELD" is that field of a cohort distribution.
STEPS: dict[str, tuple[str, float]] = {
    "division_rate": ("lin", 0.01),
    "drug_kill_rate": ("log", 2.0),
    "t790m_fitness_cost": ("lin", 0.02),
    "met_fitness_cost": ("lin", 0.02),
    "axl_high_fitness_cost": ("lin", 0.03),
    "axl_bypass_capacity": ("lin", 0.03),
    "igf1r_bypass_capacity": ("lin", 0.03),
    "met_bypass_capacity": ("lin", 0.03),
    "her2_bypass_capacity": ("lin", 0.03),
    "persister_entry_fraction": ("log", 2.0),
    "persister_reversion_rate": ("log", 3.0),
    "persister_axl_share": ("lin", 0.1),
    "persister_death_rate": ("log", 2.0),
    "persister_division_rate": ("log", 2.0),
    "axl_induction_rate": ("log", 10.0),
    "axl_induction_rate_persister": ("log", 3.0),
    "igf1r_induction_rate": ("log", 10.0),
    "axl_mutability_factor": ("log", 3.0),
    "persister_mutability_factor": ("log", 3.0),
    "c797s_cis_share": ("lin", 0.1),
    "cohort.t790m_mutation_rate.present": ("lin", 0.15),
    "cohort.t790m_mutation_rate.high": ("log", 3.0),
    "cohort.met_amplification_rate.present": ("lin", 0.05),
    "cohort.met_amplification_rate.high": ("log", 3.0),
    "cohort.c797s_mutation_rate.present": ("lin", 0.05),
    "cohort.c797s_mutation_rate.high": ("log", 3.0),
    "cohort.her2_amplification_rate.present": ("lin", 0.05),
    "cohort.her2_amplification_rate.high": ("log", 3.0),
    "cohort.axl_bypass_capacity.sd": ("lin", 0.03),
    "cohort.egfr_tki_insensitivity.present": ("lin", 0.05),
    "trial.carrying_capacity": ("log", 3.0),
}
DEFAULTS = {"persister_division_rate": 0.004, "axl_induction_rate_persister": 4e-4, "igf1r_induction_rate": 2e-7,
            "persister_death_rate": 0.006, "persister_kill_rate": 0.05, "c797s_cis_share": 0.85,
            "her2_bypass_capacity": 1.0, "met_bypass_capacity": 0.99, "drug_kill_rate": 0.015,
            "persister_entry_fraction": 0.02, "persister_reversion_rate": 0.01, "persister_axl_share": 0.8,
            "axl_induction_rate": 1e-6, "axl_mutability_factor": 10.0, "persister_mutability_factor": 10.0,
            "t790m_fitness_cost": 0.03, "met_fitness_cost": 0.02, "axl_high_fitness_cost": 0.05,
            "axl_bypass_capacity": 0.97, "igf1r_bypass_capacity": 0.97, "division_rate": 0.04,
            "trial.carrying_capacity": 1e11}  # fmt: skip


def get(point: Point, knob: str) -> float | None:
    if knob.startswith("cohort."):
        _, name, field = knob.split(".")
        spec = point.cohort.get(name)
        return None if not isinstance(spec, dict) else spec.get(field)
    if knob.startswith("trial."):
        return point.trial.get(knob.split(".", 1)[1], DEFAULTS.get(knob))
    return point.params.get(knob, DEFAULTS.get(knob))


def moved(point: Point, knob: str, value: float) -> Point:
    new = copy.deepcopy(point)
    if knob.startswith("cohort."):
        _, name, field = knob.split(".")
        new.cohort[name] = {**new.cohort[name], field: value}
    elif knob.startswith("trial."):
        new.trial[knob.split(".", 1)[1]] = int(value) if knob == "trial.carrying_capacity" else value
    else:
        new.params[knob] = value
    return new


def steps(knob: str, value: float) -> list[tuple[str, float]]:
    kind, step = STEPS[knob]
    if kind == "log":
        return [(f"/{step:g}", value / step), (f"x{step:g}", value * step)]
    bounded = knob.endswith(("capacity", "share", "cost", "present", "fraction")) or knob.startswith("cohort.")
    lo, hi = value - step, value + step
    if bounded:
        lo, hi = max(lo, 0.0), min(hi, 1.0)
    return [(f"-{step:g}", lo), (f"+{step:g}", hi)]


def run(point: Point, patients: int, seed: int, log: Path, knobs: list[str]) -> None:
    done = set()
    if log.exists():
        done = {json.loads(line)["knob_step"] for line in log.read_text().splitlines() if line.strip()}

    def evaluate(p: Point, key: str) -> None:
        if key in done:
            return
        started = time.perf_counter()
        rows = evaluate_all(run_point(p, patients, seed, 1)) + dish_rows(dish_fractions(p.params, range(3)))
        entry = {"knob_step": key, **p.to_json(), "rows": json_rows(rows), "wall_s": time.perf_counter() - started}
        with log.open("a") as f:
            f.write(json.dumps(entry) + "\n")
        print(f"{key}: {time.perf_counter() - started:.0f} s", flush=True)

    log.parent.mkdir(parents=True, exist_ok=True)
    evaluate(point, "base")
    for knob in knobs:
        value = get(point, knob)
        if value is None:
            continue
        for label, v in steps(knob, value):
            if v == value:
                continue
            evaluate(moved(point, knob, v), f"{knob} {label}")


def table(log: Path, threshold: float = 0.15) -> str:
    """Markdown: one row per knob, per target the change (down step / up step) where it is at least
    ``threshold`` of the target's range width (checks without a range: of 1 = 100 points)."""
    entries = {e["knob_step"]: e for e in map(json.loads, log.read_text().splitlines())}
    base = entries["base"]["rows"]
    names = [short_name(r) for r in base]
    keep = [k for k, n in enumerate(names) if not n.startswith(("erad", "none", "MET<"))]
    lines = ["| knob (down / up) | " + " | ".join(names[k] for k in keep) + " |", "|---" * (len(keep) + 1) + "|"]
    knobs: dict[str, list[str]] = {}
    for key in entries:
        if key != "base":
            knobs.setdefault(key.rsplit(" ", 1)[0], []).append(key)
    for knob, keys in knobs.items():
        cells = []
        for k in keep:
            b = base[k]["simulated"]
            unit = base[k]["unit"]
            width = base[k]["high"] - base[k]["low"] if base[k]["high"] is not None else None
            scale = {"fold": 3.0, "days": 100.0}.get(unit, width or 1.0)
            changes = []
            for key in keys:
                v = entries[key]["rows"][k]["simulated"]
                changes.append(None if v is None or b is None else v - b)
            big = any(c is not None and abs(c) / scale >= threshold for c in changes)
            if not big:
                cells.append("")
                continue

            def show(c: Any, unit: str = unit) -> str:
                if c is None:
                    return "?"
                if unit == "months":
                    return f"{c:+.1f}"
                if unit == "days":
                    return f"{c:+.0f}"
                if unit == "fold":
                    return f"{c:+.1f}"
                return f"{100 * c:+.0f}"

            cells.append(" / ".join(show(c) for c in changes))
        steps_text = " ".join(key.rsplit(" ", 1)[1] for key in keys)
        lines.append(f"| {knob} ({steps_text}) | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--point", type=Path)
    ap.add_argument("--patients", type=int, default=300)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--log", type=Path)
    ap.add_argument("--knobs", nargs="*", default=list(STEPS))
    ap.add_argument("--table", type=Path, help="print the markdown table of this log and stop")
    args = ap.parse_args()
    if args.table:
        print(table(args.table))
        return
    point = Point.from_json(json.loads(args.point.read_text()))
    run(point, args.patients, args.seed, args.log, args.knobs)


if __name__ == "__main__":
    main()
