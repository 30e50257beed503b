"""The calibration's objective: how far a point's simulated targets are from their reviewed ranges.

One function for the ABC-SMC (``abm.experiments.calibration``, its pyabc distance) and for
sweeps (the ``calibration_distance`` metric of ``abm.experiments.sweep.metrics``), so a
profile of the objective over a grid is the very distance the calibration minimises.

Per target (``target_distance``): for a share, ((value - nearest edge of the reviewed range) /
range width)^2 outside the range, plus ``CENTRE_WEIGHT`` x ((value - range centre) / width)^2,
so that inside every range the central fits are preferred, plus ``OUTSIDE_COST`` for any miss at
all: a squared miss in range widths lets a share a tenth of a width outside cost 0.01, so the
fit traded an edge for centrality elsewhere (session 7: primary resistance 3.4% against 4-10%).
Durations (days, months) are
measured on their ratio scale instead: log(value / nearest edge) / log(1 + ``DURATION_TOLERANCE``)
outside, ``CENTRE_WEIGHT`` x (log(value / geometric centre) / log(high / low))^2 inside. A value
that is NaN or infinite (a median PFS not reached) counts ``NOT_FINITE``. The distance of a
point is the sum over the targets, in their order; a point that breaks biology the targets do
not measure (``feasible`` is False) is infinitely far.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from abm.biology.drugs import DRUGS, route_blocks
from abm.biology.mechanisms import AXL_HIGH, MET_AMPLIFIED, Route, state_of
from abm.biology.parameters import Parameters
from abm.biology.rules import crowding_loss, death_probability, division_probability
from abm.config.scenario import CloneSettings, plateau
from abm.experiments.validation import TRIAL_TARGETS, Target

NOT_FINITE = 100.0  # distance added for a target whose value is NaN or infinite
CENTRE_WEIGHT = 0.05  # weight of the distance to the range centre, inside the range
# Added once for a target outside its range, however little: an epsilon below it means every
# target inside. A quarter of the cost of a share a whole range width outside, so a particle
# whose 200 patients per arm put a noisy share (SE ~2 points) just outside is not thrown out
# for it alone, but the fit cannot buy centrality elsewhere with a row left outside.
OUTSIDE_COST = 0.25
# Durations (a median PFS, a doubling time) are judged on their own ratio scale: their reviewed
# ranges span 2-4x, so a miss in range widths would let a median 10% outside count 0.01. A miss
# of 10% counts 1 instead, as a share a whole range width outside does: about the sampling
# precision of a median over 200 patients per arm (PFS CI +-12%, cohort doubling time +-4%).
DURATION_UNITS = frozenset({"days", "months"})
DURATION_TOLERANCE = 0.1
# How the distance is built, in words: a calibration's run.json keeps it, so a resumed run
# with another objective is refused.
DISTANCE = (
    f"shares in range widths, durations in log(1 + {DURATION_TOLERANCE}), centre weight {CENTRE_WEIGHT}, "
    f"{OUTSIDE_COST} for each target outside"
)

Ranges = dict[str, tuple[float, float, str]]  # target key: (low, high, unit)


def feasible(p: Parameters) -> bool:
    """True when AXL-high and MET-amplified cells grow on every EGFR TKI alone (biology.md 'Cell states').

    Judged in a tumour of 10^9 cells at the default carrying capacity, crowding loss included.
    """
    # the drugs that block the driver and neither of the two bypass routes judged here (an EGFR-MET
    # antibody blocks MET-amplified cells by design)
    egfr_tkis = [
        name
        for name, drug in DRUGS.items()
        if Route.EGFR_SENSITIVE in drug.blocks and not drug.blocks.keys() & {Route.AXL, Route.MET}
    ]
    capacity = plateau(p, CloneSettings.model_fields["initial_cells"].default)
    crowding = crowding_loss(p.division_rate, p.death_rate, 1e9, capacity)
    for tki in egfr_tkis:
        blocks = route_blocks({tki: 1.0})
        growth = division_probability(p, blocks) - death_probability(p, blocks) - crowding
        if min(growth[state_of(AXL_HIGH)], growth[state_of(MET_AMPLIFIED)]) <= 0.0:
            return False
    return True


def target_distance(value: float, low: float, high: float, unit: str = "share") -> float:
    """One target's share of the distance: its squared miss outside [low, high], the cost of being
    outside at all, and the pull to the centre."""
    if not math.isfinite(value) or (unit in DURATION_UNITS and value <= 0.0):
        return NOT_FINITE
    if unit in DURATION_UNITS:  # a ratio scale: misses as log ratios, 10% outside counts 1
        outside = max(math.log(low / value), math.log(value / high), 0.0) / math.log1p(DURATION_TOLERANCE)
        centre = CENTRE_WEIGHT * (math.log(value / math.sqrt(low * high)) / math.log(high / low)) ** 2
    else:
        width = high - low if math.isfinite(high) else max(abs(low), 1.0)
        outside = max(low - value, value - high, 0.0) / width
        centre = CENTRE_WEIGHT * ((value - (low + high) / 2) / width) ** 2 if math.isfinite(high) else 0.0
    return outside**2 + centre + (OUTSIDE_COST if outside > 0.0 else 0.0)


def distance(rows: list[dict[str, Any]]) -> float:
    """How far simulated values are from their reviewed ranges (rows with simulated, low, high, unit)."""
    return sum(target_distance(r["simulated"], r["low"], r["high"], r.get("unit", "share")) for r in rows)


def target_ranges(targets: Iterable[Target] = TRIAL_TARGETS) -> Ranges:
    """Each target's reviewed range and unit, by key, in the targets' order."""
    return {t.key: (t.low, t.high, t.unit) for t in targets}


def range_distance(values: Mapping[str, float], ranges: Ranges) -> float:
    """``distance`` of simulated values by target key, over the targets of ``ranges`` (summed in their order)."""
    return sum(target_distance(float(values[key]), *target) for key, target in ranges.items())


def calibration_distance(parameters: Parameters, values: Mapping[str, float]) -> float:
    """The calibration's distance of a point over every trial target: infinite where the point is
    not ``feasible`` (the calibration rejects it unrun), else ``range_distance``."""
    if not feasible(parameters):
        return math.inf
    return range_distance(values, target_ranges())
