"""Probe 1: at division_rate 0.07 and every mutation rate x0.001, AXL-high paces progression;
how do the AXL levers and the T790M rate move the race?"""

from abm.report.explore_issue14.common import Point

MU = {
    "t790m_mutation_rate": 1e-9,
    "met_amplification_rate": 2e-10,
    "c797s_mutation_rate": 1e-10,
    "her2_amplification_rate": 5e-11,
}
BASE = {"division_rate": 0.07, **MU}
POINTS = [
    Point({**BASE}, label="B0"),
    Point({**BASE, "axl_bypass_capacity": 0.9}, label="B0 axlcap0.9"),
    Point({**BASE, "axl_bypass_capacity": 0.8}, label="B0 axlcap0.8"),
    Point({**BASE, "axl_induction_rate": 1e-7}, label="B0 axlind1e-7"),
    Point({**BASE, "axl_induction_rate": 1e-8}, label="B0 axlind1e-8"),
    Point({**BASE, "axl_high_fitness_cost": 0.15}, label="B0 axlcost0.15"),
    Point({**BASE, "t790m_mutation_rate": 1e-8}, label="B0 t790m1e-8"),
    Point({**BASE, "t790m_mutation_rate": 1e-7}, label="B0 t790m1e-7"),
    Point({**BASE, "t790m_fitness_cost": 0.0}, label="B0 t790mcost0"),
]
