"""Fixed-seed statistics of the spatial model, to check that a faster implementation draws the same distributions.

``spatial_reference.json`` holds, per case, the mean and SD over ``REFERENCE_SEEDS`` of each
statistic below. It was first recorded before the speed-up of issue 7 (agents created and removed
one Mesa call at a time), and recorded again when biology v2 (issue 12) changed the rules on
purpose (persister rescue at death, the new states). A test reruns the cases on other seeds (``SEEDS``).
Regenerate only when the biology changes on purpose:

    python -m tests.spatial_reference  # rewrites tests/spatial_reference.json

The cases are small, exercise every rule (death, division with contention for room,
mutation, switching, motility) with the drug off and on, and end before the lattice fills.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from abm.biology.mechanisms import COUNT_COLUMNS
from abm.config.scenario import Scenario
from abm.models.spatial import SpatialTumour

FIXTURE = Path(__file__).with_name("spatial_reference.json")
SEEDS = range(20)  # what the test runs
REFERENCE_SEEDS = range(1000, 1060)  # what the fixture was recorded on: more runs, other seeds
Z_MEAN = 4.0
MAX_CV = 0.5
SD_FACTOR = 1.8
# Counts founded by rare events whose SD a 60-run reference underestimates: IGF-1R-active cells
# under osimertinib grow from the few persisters that revert while IGF-1R stays on (seen: SD 6 on
# the reference seeds, 17 on the test seeds). Their means are still compared.
JACKPOT = frozenset({"igf1r_active"})

# The defaults in force when the fixture was recorded (biology v2, issue 12): every case starts
# from these, so a later re-fit of the defaults does not move the reference. Pre-existing
# subclones are set (not grown from history) so a case's founding draws only its own fractions.
RECORDED_DEFAULTS: dict[str, float] = {
    "division_rate": 0.04,
    "death_rate": 0.0002,
    "drug_kill_rate": 0.015,
    "axl_induction_rate": 1e-06,
    "axl_induction_rate_persister": 0.0004,
    "axl_reversion_rate": 0.0172,
    "met_amplification_rate": 2e-07,
    "t790m_mutation_rate": 1e-06,
    "c797s_mutation_rate": 1e-07,
    "her2_amplification_rate": 5e-08,
    "axl_bypass_capacity": 0.97,
    "met_bypass_capacity": 0.99,
    "t790m_initial_fraction": 0.0,
    "met_amplified_initial_fraction": 0.0,
    "c797s_initial_fraction": 0.0,
    "her2_amplified_initial_fraction": 0.0,
}

CASES: dict[str, dict[str, Any]] = {
    # A growing disc, drug off: contention for room at the rim, AXL-high cells wandering off.
    "disc-drug-off": {
        "model": {"width": 60, "height": 60, "initial_cells": 300, "days": 60},
        "parameters": {
            "division_rate": 0.2,
            "death_rate": 0.04,
            "axl_high_initial_fraction": 0.2,
            "axl_high_motility": 0.3,
            "t790m_initial_fraction": 0.05,
            "met_amplified_initial_fraction": 0.05,
            "her2_amplification_rate": 0.002,
        },
        "schedule": [],
    },
    # A disc under continuous osimertinib: kill, persister entry, AXL induction, resistant regrowth.
    "disc-osimertinib": {
        "model": {"width": 60, "height": 60, "initial_cells": 1200, "days": 50},
        "parameters": {
            "division_rate": 0.2,
            "death_rate": 0.03,
            "drug_kill_rate": 0.17,
            "persister_entry_fraction": 0.1,
            "axl_induction_rate_persister": 0.05,
            "t790m_initial_fraction": 0.01,
            "met_amplified_initial_fraction": 0.02,
            "c797s_mutation_rate": 0.002,
        },
        "schedule": [{"drug": "osimertinib"}],
    },
    # Scattered cells, gefitinib 5 days on / 5 off: switching both ways, motility under drug.
    "scattered-gefitinib-intermittent": {
        "model": {"width": 60, "height": 60, "initial_cells": 500, "layout": "scattered", "days": 40},
        "parameters": {
            "division_rate": 0.3,
            "death_rate": 0.03,
            "drug_kill_rate": 0.27,
            "persister_entry_fraction": 0.1,
            "axl_induction_rate": 0.01,
            "axl_high_motility": 0.5,
            "t790m_mutation_rate": 0.001,
        },
        "schedule": [{"drug": "gefitinib", "on_days": 5, "off_days": 5}],
    },
}


def scenario(case: str, parameters: dict[str, float] | None = None) -> Scenario:
    """The scenario of one case, parameters optionally changed."""
    data = CASES[case]
    merged = {**RECORDED_DEFAULTS, **data["parameters"], **(parameters or {})}
    return Scenario.model_validate({"name": case, **data, "parameters": merged})


def statistics(model: SpatialTumour) -> dict[str, float]:
    """What a run is summarised by: final counts, cells at the rim, spread from the centre, the day-10 total."""
    occupied = model.lattice >= 0
    padded = np.pad(occupied, 1, constant_values=True)
    w, h = occupied.shape
    empty_neighbour = np.zeros_like(occupied)
    for di in (-1, 0, 1):
        for dj in (-1, 0, 1):
            if di or dj:
                empty_neighbour |= ~padded[1 + di : 1 + di + w, 1 + dj : 1 + dj + h]
    i, j = np.nonzero(occupied)
    r2 = (i - (w - 1) / 2) ** 2 + (j - (h - 1) / 2) ** 2
    df = model.timeseries()
    return {
        **{column: float(model.counts[column]) for column in ("total", *COUNT_COLUMNS)},
        "rim": float((occupied & empty_neighbour).sum()),
        "mean_r2": float(r2.mean()) if r2.size else 0.0,
        "total_day10": float(df["total"].iloc[10]),
    }


def run_case(case: str, seeds: range = SEEDS, parameters: dict[str, float] | None = None) -> dict[str, np.ndarray]:
    """Each statistic of a case over the seeds."""
    sc = scenario(case, parameters)
    runs = []
    for seed in seeds:
        model = SpatialTumour(sc, rng=seed)
        while model.running:
            model.step()
        runs.append(statistics(model))
    return {name: np.array([r[name] for r in runs]) for name in runs[0]}


def mismatches(values: dict[str, np.ndarray], reference: dict[str, dict[str, float]], runs: int) -> list[str]:
    """The statistics whose distribution differs from the reference beyond the stated tolerances.

    Means: within ``Z_MEAN`` standard errors of the difference of two sample means (both samples'
    SDs). SDs of the well-behaved statistics (coefficient of variation below ``MAX_CV``; the
    mutant counts are jackpot-distributed and their SDs too noisy to compare): within a factor
    ``SD_FACTOR`` (beyond the 0.1% and 99.9% quantiles of the SD ratio of 20 vs 60 normal runs).
    """
    out = []
    for name, ref in reference.items():
        v = values[name]
        mean, sd = float(v.mean()), float(v.std(ddof=1))
        se = np.sqrt(sd**2 / v.size + ref["sd"] ** 2 / runs)
        if abs(mean - ref["mean"]) > Z_MEAN * se:
            out.append(f"{name}: mean {mean:.1f}, reference {ref['mean']:.1f} +- {Z_MEAN} x {se:.2f}")
        well_behaved = 0 < ref["sd"] < MAX_CV * ref["mean"] and name not in JACKPOT
        if well_behaved and not 1 / SD_FACTOR <= sd / ref["sd"] <= SD_FACTOR:
            out.append(f"{name}: SD {sd:.1f}, reference {ref['sd']:.1f} (allowed factor {SD_FACTOR})")
    return out


def record() -> None:
    """Rewrite the fixture from the current implementation."""
    out = {}
    for case in CASES:
        values = run_case(case, REFERENCE_SEEDS)
        out[case] = {name: {"mean": float(v.mean()), "sd": float(v.std(ddof=1))} for name, v in values.items()}
        print(case, {name: round(s["mean"], 1) for name, s in out[case].items()})
    FIXTURE.write_text(json.dumps({"runs": len(REFERENCE_SEEDS), "cases": out}, indent=1) + "\n")


if __name__ == "__main__":
    record()
