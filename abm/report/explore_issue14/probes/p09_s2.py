"""Probe 9: from S1b, AXL share (cap between 0.85 and 0.9), MET at second-line osimertinib
(a wider MET-prone range), division rate 0.08 (VDT >= 100 d)."""

from abm.report.explore_issue14.common import Point
from abm.report.explore_issue14.probes.p07_subgroups import BASE, COHORT, lu

B = {**BASE, "axl_bypass_capacity": 0.87, "igf1r_bypass_capacity": 0.95}
METW = {**COHORT, "met_amplification_rate": lu(1e-8, 3e-4, 0.25)}
POINTS = [
    Point({**B}, cohort=COHORT, label="S2 axl.87"),
    Point({**B, "axl_bypass_capacity": 0.88}, cohort=COHORT, label="S2 axl.88"),
    Point({**B}, cohort=METW, label="S2 axl.87 MET 25% 1e-8..3e-4"),
    Point({**B, "division_rate": 0.08}, cohort=METW, label="S2 axl.87 MET wide b.08"),
    Point({**B, "division_rate": 0.075}, cohort=METW, label="S2 axl.87 MET wide b.075"),
]
