"""Probe 8: S1 tuning: which non-genetic route paces the tumours with no genetic subclone
(AXL found in too many; osimertinib PFS too long)?"""

from abm.report.explore_issue14.common import Point
from abm.report.explore_issue14.probes.p07_subgroups import BASE, COHORT

POINTS = [
    Point({**BASE, "axl_bypass_capacity": 0.85, "igf1r_bypass_capacity": 0.9}, cohort=COHORT, label="S1 axl.85 igf.9"),
    Point(
        {**BASE, "axl_bypass_capacity": 0.85, "igf1r_bypass_capacity": 0.95}, cohort=COHORT, label="S1 axl.85 igf.95"
    ),
    Point({**BASE, "axl_bypass_capacity": 0.8, "igf1r_bypass_capacity": 0.95}, cohort=COHORT, label="S1 axl.8 igf.95"),
    Point({**BASE, "axl_bypass_capacity": 0.9, "persister_axl_share": 0.5}, cohort=COHORT, label="S1 axlshare.5"),
    Point({**BASE, "axl_high_fitness_cost": 0.1}, cohort=COHORT, label="S1 axlcost.1"),
]
