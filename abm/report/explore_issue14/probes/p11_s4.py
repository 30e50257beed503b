"""Probe 11: S4 = S3 moved to the centre of the ranges: MET-prone 18%, T790M-prone 65%, and the
IGF-1R capacity up a little to bring osimertinib's median PFS off the 24-month edge."""

from abm.report.explore_issue14.common import Point
from abm.report.explore_issue14.probes.p07_subgroups import BASE, COHORT, lu

B = {**BASE, "axl_bypass_capacity": 0.87, "igf1r_bypass_capacity": 0.95, "division_rate": 0.075}
C = {**COHORT, "met_amplification_rate": lu(1e-8, 3e-4, 0.18), "t790m_mutation_rate": lu(3e-8, 3e-6, 0.65)}
POINTS = [
    Point({**B, "igf1r_bypass_capacity": 0.96}, cohort=C, label="S4a igf.96"),
    Point({**B, "igf1r_bypass_capacity": 0.97}, cohort=C, label="S4b igf.97"),
    Point({**B, "igf1r_bypass_capacity": 0.97, "axl_bypass_capacity": 0.88}, cohort=C, label="S4c igf.97 axl.88"),
    Point({**B, "igf1r_bypass_capacity": 0.96, "t790m_fitness_cost": 0.01}, cohort=C, label="S4d igf.96 t790mcost.01"),
]
