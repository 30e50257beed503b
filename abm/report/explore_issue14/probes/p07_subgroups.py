"""Probe 7: every genetic route as a 'prone' subgroup: in a share ``present`` of patients the rate
is loguniform over a range (their subclone pre-exists at 1e-6..1e-2 of the tumour, Turke's '<1%'),
in the others it is 0. AXL capacity 0.9 with a spread, IGF-1R capacity 0.8."""

from abm.report.explore_issue14.common import Point


def lu(low: float, high: float, present: float) -> dict:
    return {"distribution": "loguniform", "low": low, "high": high, "present": present}


BASE = {"division_rate": 0.085, "axl_bypass_capacity": 0.9, "igf1r_bypass_capacity": 0.8, "met_fitness_cost": 0.0}
COHORT = {
    "egfr_tki_insensitivity": None,
    "t790m_mutation_rate": lu(3e-8, 3e-6, 0.6),
    "met_amplification_rate": lu(1e-6, 3e-4, 0.15),
    "c797s_mutation_rate": lu(1e-8, 1e-6, 0.12),
    "her2_amplification_rate": lu(1e-7, 1e-5, 0.12),
    "axl_bypass_capacity": {"distribution": "normal", "sd": 0.05, "low": 0.0, "high": 1.0},
}
POINTS = [
    Point({**BASE}, cohort=COHORT, label="S1"),
    Point({**BASE, "division_rate": 0.07}, cohort=COHORT, label="S1 b.07"),
    Point({**BASE, "axl_bypass_capacity": 0.85}, cohort=COHORT, label="S1 axl.85"),
]
