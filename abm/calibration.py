"""Calibration: fit the rates so the validation cohort reproduces the reviewed frequencies.

Method: a two-stage space-filling search with a distance (documented, deterministic).

1. The start point ``START`` (the centre of the box, found by a hand exploration of the model's
   levers) and a Latin hypercube (scipy.stats.qmc, seeded) over the box ``FIT`` (log scale for
   mutation, induction and reversion rates); each point runs the validation cohort on a small
   sample of patients.
2. A second Latin hypercube in a box a quarter the width around the best point, on more
   patients; the stage-1 winner is re-measured there too. Values are rounded to 3 significant
   digits.
3. Confirmation: the ``CONFIRM`` best points of stage 2 run on the whole validation cohort
   (``scenarios/validation.toml``: 1000 patients, its seed), exactly as ``abm validate`` runs
   it; the best of them is the fit.

Points that break the biology the targets do not measure are rejected before they run
(``feasible``): AXL-high and MET-amplified cells must grow on an EGFR TKI alone (biology.md
'Cell states': they are killed only by the TKI plus their own inhibitor).

Distance: the sum over targets of ((value - nearest edge of the reviewed range) / range
width)^2 for values outside the range, plus 0.05 x ((value - range centre) / width)^2 so that
among fits inside every range the most central wins, plus 0.25 x the same squared distance for
each end of the value's 95% CI that lies outside the range (a fit near an edge is more likely
to fail on another sample). Only the targets of ``validation.TARGETS``
enter. The fitted values are written to ``calibration/fitted.json`` with the targets they met;
``abm/parameters.py`` carries them as defaults and cites that file.
"""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

import numpy as np
from scipy.stats import qmc

from abm.drugs import DRUGS, route_blocks
from abm.mechanisms import AXL_HIGH, MET_AMPLIFIED, Route, state_of
from abm.parameters import Parameters
from abm.rules import crowding_loss, death_probability, division_probability
from abm.scenario import CloneSettings, plateau
from abm.trial import Trial, run_trial
from abm.validation import TARGETS, evaluate, json_ready, validation_trial

FITTED_FILE = Path(__file__).resolve().parent.parent / "calibration" / "fitted.json"

# Fitted quantities: (low, high, log scale). A plain name is a parameter (its default in
# abm/parameters.py); "cohort.NAME.FIELD" is a field of the validation cohort's distribution
# of NAME (in scenarios/validation.toml). The other rates are set from the seeds directly
# (persisters: the PC-9 dish, 003 §5.2) or are modelling assumptions.
FIT: dict[str, tuple[float, float, bool]] = {
    "cohort.axl_bypass_capacity.sd": (0.01, 0.04, False),
    "cohort.egfr_tki_insensitivity.present": (0.08, 0.16, False),
    "division_rate": (0.035, 0.045, False),
    "drug_kill_rate": (0.008, 0.03, False),
    "axl_bypass_capacity": (0.94, 0.99, False),
    "met_bypass_capacity": (0.97, 1.0, False),
    "axl_induction_rate": (1e-7, 1e-5, True),
    "axl_induction_rate_persister": (1e-4, 2e-3, True),
    "axl_reversion_rate": (0.007, 0.05, True),
    "t790m_mutation_rate": (2e-7, 5e-6, True),
    "met_amplification_rate": (5e-8, 1e-6, True),
    "c797s_mutation_rate": (2e-8, 5e-7, True),
}

# Where the search starts (evaluated first): the biology v2 defaults (issue 12), set by hand
# from the dynamics; the calibration v2 issue replaces this search with a posterior.
START: dict[str, float] = {
    "cohort.axl_bypass_capacity.sd": 0.02,
    "cohort.egfr_tki_insensitivity.present": 0.136,
    "division_rate": 0.04,
    "drug_kill_rate": 0.015,
    "axl_bypass_capacity": 0.97,
    "met_bypass_capacity": 0.99,
    "axl_induction_rate": 1e-6,
    "axl_induction_rate_persister": 4e-4,
    "axl_reversion_rate": 0.0172,
    "t790m_mutation_rate": 1e-6,
    "met_amplification_rate": 2e-7,
    "c797s_mutation_rate": 1e-7,
}


CI_WEIGHT = 0.25  # weight of the part of a target's 95% CI that lies outside its range
CONFIRM = 3  # best points of the last stage re-measured on the full validation cohort


def feasible(p: Parameters) -> bool:
    """True when AXL-high and MET-amplified cells grow on every EGFR TKI alone (biology.md 'Cell states').

    Judged in a tumour of 10^9 cells at the default carrying capacity, crowding loss included.
    """
    egfr_tkis = [name for name, drug in DRUGS.items() if Route.EGFR_SENSITIVE in drug.blocks]
    capacity = plateau(p, CloneSettings.model_fields["initial_cells"].default)
    crowding = crowding_loss(p.division_rate, p.death_rate, 1e9, capacity)
    for tki in egfr_tkis:
        blocks = route_blocks({tki: 1.0})
        growth = division_probability(p, blocks) - death_probability(p, blocks) - crowding
        if min(growth[state_of(AXL_HIGH)], growth[state_of(MET_AMPLIFIED)]) <= 0.0:
            return False
    return True


def distance(rows: list[dict[str, Any]]) -> float:
    """How far the simulated values are from the reviewed ranges (0 = all at their centres)."""
    total = 0.0
    for row in rows:
        value, low, high = row["simulated"], row["low"], row["high"]
        width = high - low
        if not math.isfinite(value):
            total += 100.0
            continue
        outside = max(low - value, value - high, 0.0) / width
        total += outside**2 + 0.05 * ((value - (low + high) / 2) / width) ** 2
        # a fit whose 95% CI also lies inside the range is less likely to fail on a new sample
        for bound in row.get("ci") or ():
            if bound is not None and math.isfinite(bound):
                total += CI_WEIGHT * (max(low - bound, bound - high, 0.0) / width) ** 2
    return total


def _round(x: float) -> float:
    return float(f"{x:.3g}")


def _to_values(unit: np.ndarray, box: dict[str, tuple[float, float, bool]]) -> dict[str, float]:
    values = {}
    for u, (name, (low, high, log)) in zip(unit, box.items(), strict=True):
        x = math.exp(math.log(low) + u * (math.log(high) - math.log(low))) if log else low + u * (high - low)
        values[name] = _round(x)
    return values


def _shrunk(box: dict[str, tuple[float, float, bool]], best: dict[str, float], share: float) -> dict:
    """A box ``share`` as wide as ``box`` (in its own scale), centred on ``best``, clipped to ``box``."""
    out = {}
    for name, (low, high, log) in box.items():
        if log:
            lo, hi, x = math.log(low), math.log(high), math.log(best[name])
        else:
            lo, hi, x = low, high, best[name]
        half = share * (hi - lo) / 2
        a, b = max(lo, x - half), min(hi, x + half)
        out[name] = (math.exp(a), math.exp(b), True) if log else (a, b, False)
    return out


def with_values(trial: Trial, values: dict[str, float]) -> Trial:
    """The trial with fitted quantities set: parameters, and fields of cohort distributions."""
    params = {k: v for k, v in values.items() if not k.startswith("cohort.")}
    cohort = dict(trial.cohort)
    for key, value in values.items():
        if key.startswith("cohort."):
            _, name, field = key.split(".")
            cohort[name] = cohort[name].model_copy(update={field: value})
    return trial.model_copy(update={"parameters": trial.parameters.model_copy(update=params), "cohort": cohort})


def evaluate_point(trial: Trial, values: dict[str, float], workers: int) -> tuple[float, list[dict[str, Any]]]:
    """Distance and target rows of the validation cohort at these values."""
    trial = with_values(trial, values)
    if not feasible(trial.parameters):
        return math.inf, []
    rows = evaluate(run_trial(trial, workers=workers, progress=False))
    return distance(rows), rows


def calibrate(
    points: tuple[int, int] = (40, 20),
    patients: tuple[int, int] = (150, 300),
    seed: int = 0,
    workers: int = 1,
    log: Any = print,
) -> dict[str, Any]:
    """Run the stages; returns the fit, its distance and target rows, and the method."""
    started = time.perf_counter()
    best: tuple[float, dict[str, float], list[dict[str, Any]]] | None = None
    box = FIT
    history: list[dict[str, Any]] = []
    for stage, (n_points, n_patients) in enumerate(zip(points, patients, strict=True), start=1):
        if best is not None:
            box = _shrunk(FIT, best[1], 0.25)
        trial = validation_trial(patients=n_patients, seed=seed)
        sampler = qmc.LatinHypercube(d=len(box), seed=np.random.default_rng([seed, stage]))
        candidates = [_to_values(u, box) for u in sampler.random(n_points)]
        if best is None:
            candidates.insert(0, dict(START))
        else:
            candidates.insert(0, best[1])  # re-measure the stage-1 winner on more patients
            best = None
        for k, values in enumerate(candidates, start=1):
            d, rows = evaluate_point(trial, values, workers)
            history.append({"stage": stage, "distance": d, "values": values})
            if best is None or d < best[0]:
                best = (d, values, rows)
            log(f"stage {stage} point {k}/{len(candidates)}: distance {d:.3f} (best {best[0]:.3f})")
    # Confirmation: the last stage's best points on the whole validation cohort, as `abm validate` runs it.
    last = sorted((h for h in history if h["stage"] == len(points)), key=lambda h: h["distance"])[:CONFIRM]
    full = validation_trial(seed=seed)
    best = None
    for k, h in enumerate(last, start=1):
        d, rows = evaluate_point(full, h["values"], workers)
        if best is None or d < best[0]:
            best = (d, h["values"], rows)
        log(f"confirmation point {k}/{len(last)} on {full.trial.patients} patients: distance {d:.3f}")
    assert best is not None
    return {
        "method": (
            "start point, two-stage Latin hypercube search (scipy.stats.qmc) over FIT with a range distance, "
            f"then the {CONFIRM} best re-measured on the full validation cohort"
        ),
        "seed": seed,
        "points": list(points),
        "patients": [*patients, full.trial.patients],
        "fitted": best[1],
        "distance": best[0],
        "targets": json_ready(best[2]),
        "passed": sum(r["pass"] for r in best[2]),
        "n_targets": len(TARGETS),
        "start": dict(START),
        "box": {k: list(v) for k, v in FIT.items()},
        "seconds": round(time.perf_counter() - started, 1),
    }
