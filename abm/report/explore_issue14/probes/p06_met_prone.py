"""Probe 6: untreated MET (>= 1% of cells at diagnosis in 1-6% of patients) with MET at
progression in only 5-22%: a MET-prone subgroup whose amplification rate is spread over decades
(loguniform, ``present`` < 1; the others never amplify MET), MET near-neutral off drug."""

from abm.report.explore_issue14.common import Point

MU = {"t790m_mutation_rate": 3e-9, "c797s_mutation_rate": 1e-10, "her2_amplification_rate": 2e-10}
BASE = {"division_rate": 0.085, "axl_bypass_capacity": 0.9, "igf1r_bypass_capacity": 0.8, **MU}
NOINS = {"egfr_tki_insensitivity": None}


def prone(low: float, high: float, present: float) -> dict:
    return {"met_amplification_rate": {"distribution": "loguniform", "low": low, "high": high, "present": present}}


POINTS = [
    Point(
        {**BASE, "met_fitness_cost": 0.0}, cohort={**NOINS, **prone(1e-9, 1e-4, 0.2)}, label="prone 1e-9..1e-4 20% c0"
    ),
    Point(
        {**BASE, "met_fitness_cost": 0.01},
        cohort={**NOINS, **prone(1e-9, 1e-4, 0.2)},
        label="prone 1e-9..1e-4 20% c.01",
    ),
    Point(
        {**BASE, "met_fitness_cost": 0.0},
        cohort={**NOINS, **prone(1e-10, 1e-4, 0.15)},
        label="prone 1e-10..1e-4 15% c0",
    ),
    Point(
        {**BASE, "met_fitness_cost": 0.0}, cohort={**NOINS, **prone(1e-8, 3e-5, 0.15)}, label="prone 1e-8..3e-5 15% c0"
    ),
]
