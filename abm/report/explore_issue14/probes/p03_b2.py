"""Probe 3: T790M ~1.5e-9, division rate 0.085; primary resistance: can a fully insensitive EGFR
allele show PD at the first scan? (with and without a per-patient spread of the division rate)"""

from abm.report.explore_issue14.common import Point

MU = {
    "t790m_mutation_rate": 1.5e-9,
    "met_amplification_rate": 2e-10,
    "c797s_mutation_rate": 1e-10,
    "her2_amplification_rate": 2e-10,
}
BASE = {"division_rate": 0.085, "axl_bypass_capacity": 0.9, **MU}
FULL = {"egfr_tki_insensitivity": {"distribution": "uniform", "low": 0.97, "high": 1.0, "present": 0.08}}
SPREAD = {"division_rate": {"distribution": "lognormal", "sigma": 0.3, "low": 0.02, "high": 0.3}}
POINTS = [
    Point({**BASE}, label="B2"),
    Point({**BASE}, cohort=FULL, label="B2 insens>0.97 in 8%"),
    Point({**BASE}, cohort={**FULL, **SPREAD}, label="B2 insens>0.97 in 8%, division lognormal 0.3"),
    Point({**BASE}, cohort={**SPREAD}, label="B2 division lognormal 0.3"),
]
