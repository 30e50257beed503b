"""Probe 2: AXL capacity 0.9 (AXL no longer wins every race), T790M 1e-8; division rate and
the other genetic rates."""

from abm.report.explore_issue14.common import Point

MU = {
    "t790m_mutation_rate": 1e-8,
    "met_amplification_rate": 2e-10,
    "c797s_mutation_rate": 1e-10,
    "her2_amplification_rate": 5e-11,
}
BASE = {"division_rate": 0.07, "axl_bypass_capacity": 0.9, **MU}
POINTS = [
    Point({**BASE}, label="B1"),
    Point({**BASE, "division_rate": 0.08}, label="B1 b0.08"),
    Point({**BASE, "division_rate": 0.09}, label="B1 b0.09"),
    Point({**BASE, "met_amplification_rate": 1e-9}, label="B1 met1e-9"),
    Point({**BASE, "met_amplification_rate": 5e-9}, label="B1 met5e-9"),
    Point({**BASE, "her2_amplification_rate": 5e-10}, label="B1 her2 5e-10"),
    Point({**BASE, "c797s_mutation_rate": 1e-9}, label="B1 c797s1e-9"),
    Point({**BASE, "axl_bypass_capacity": 0.93}, label="B1 axlcap0.93"),
    Point({**BASE, "t790m_mutation_rate": 3e-9}, label="B1 t790m3e-9"),
]
