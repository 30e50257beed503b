"""The cohort engine beside the speed limit: a minimal numpy multi-type branching process.

The limit is the same process written as plainly as numpy allows: every patient's cells per
state in one (patients, states) array, each day binomial deaths (with rescue as persisters),
births, mutant daughters and switches for all living (patient, state) pairs at once, their
destinations by vectorised multinomials, from one shared generator (so no per-patient streams,
no clinic, no stopping). Both start from the same founded tumours (default parameters, 10^10
cells, osimertinib every day) and run the same number of days; only the days are timed (CPU
seconds of this process), the founding is not. Printed per cohort size: patient-days per CPU
second of each and their ratio (engine / limit).

    python benchmarks/limit.py [--patients 50 1000 10000] [--days 365] [--repeats 1]
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from abm.biology.rules import CYCLING, crowding_at, doses_key, gompertz_position, hit_probability, rule_tables
from abm.config.scenario import ScenarioConfig
from abm.models.cohort import found_tumours, run_cohort
from abm.models.course import Course


def scenario(days: int) -> ScenarioConfig:
    return ScenarioConfig.model_validate(
        {
            "name": "limit benchmark",
            "model": {"kind": "clone", "initial_cells": 10**10, "carrying_capacity": 10**11, "days": days},
            "schedule": [{"drug": "osimertinib"}],
        }
    )


def numpy_limit(counts: np.ndarray, sc: ScenarioConfig, days: int, seed: int = 0) -> np.ndarray:
    """The minimal numpy branching process: ``days`` days of every patient at once."""
    p = sc.parameters
    t = rule_tables(p, doses_key({"osimertinib": 1.0}))
    moves = {"rescue": t.rescue_moves, "daughter": t.daughter_moves, "switch": t.switch_moves}
    rng = np.random.default_rng(seed)
    counts = counts.copy()
    capacity = sc.model.carrying_capacity

    def scatter(new: np.ndarray, patients: np.ndarray, states: np.ndarray, cells: np.ndarray, kind: str) -> None:
        targets, probs = moves[kind]
        split = rng.multinomial(cells, probs[states])
        rows, column = np.nonzero(split)
        np.add.at(new, (patients[rows], targets[states[rows], column]), split[rows, column])

    for _ in range(days):
        patients, states = np.nonzero(counts)
        n = counts[patients, states]
        position = gompertz_position(counts.sum(axis=1).astype(float), capacity)
        crowd = crowding_at(p.division_rate, p.death_rate, position)
        hit = hit_probability(
            t.death[states], crowd[patients], CYCLING[states], t.cytotoxic[states], position[patients]
        )
        survivors = rng.binomial(n, 1.0 - hit)
        rescued = rng.binomial(
            n - survivors, np.divide(t.rescue_any[states], hit, where=hit > 0, out=np.zeros_like(hit))
        )
        births = rng.binomial(survivors, t.division[states])
        mutants = rng.binomial(births, t.mutate_any[states])
        movers = rng.binomial(survivors, t.switch_any[states])
        new = np.zeros_like(counts)
        np.add.at(new, (patients, states), survivors - movers + births - mutants)
        for cells, kind in ((rescued, "rescue"), (mutants, "daughter"), (movers, "switch")):
            some = cells > 0
            scatter(new, patients[some], states[some], cells[some], kind)
        counts = new
    return counts


def measure(n: int, days: int) -> dict:
    sc = scenario(days)
    courses = [Course(sc) for _ in range(n)]
    seeds = np.random.SeedSequence(0).spawn(n)
    founded = found_tumours(courses, seeds)
    run_cohort([Course(sc)], seeds[:1], founded=(founded[0][:1], founded[1][:1]))  # compiled (or cached) first
    started = time.process_time()
    final = run_cohort(courses, seeds, founded=founded)
    engine = time.process_time() - started
    simulated = sum(c.day for c in courses)
    started = time.process_time()
    numpy_limit(founded[0], sc, days)
    limit = time.process_time() - started
    return {
        "patients": n,
        "days": days,
        "engine_patient_days_per_cpu_s": round(simulated / engine),
        "limit_patient_days_per_cpu_s": round(n * days / limit),
        "ratio": round((simulated / engine) / (n * days / limit), 2),
        "living_states_per_patient": [round(float((c > 0).sum(axis=1).mean()), 1) for c in (founded[0], final)],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, nargs="+", default=[50, 1000, 10000])
    parser.add_argument("--days", type=int, default=365)
    args = parser.parse_args()
    for n in args.patients:
        print(json.dumps(measure(n, args.days)), flush=True)


if __name__ == "__main__":
    main()
