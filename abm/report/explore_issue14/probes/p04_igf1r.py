"""Probe 4: at B2 most tumours progress through IGF-1R-active cells (reverted IGF-1R persisters,
bypass capacity 0.97), which no target measures. Lower the IGF-1R capacity; drop the partially
insensitive EGFR alleles (they give long responses with every mechanism found, or stable disease)."""

from abm.report.explore_issue14.common import Point

MU = {
    "t790m_mutation_rate": 1.5e-9,
    "met_amplification_rate": 2e-10,
    "c797s_mutation_rate": 1e-10,
    "her2_amplification_rate": 2e-10,
}
BASE = {"division_rate": 0.085, "axl_bypass_capacity": 0.9, **MU}
NOINS = {"egfr_tki_insensitivity": None}
POINTS = [
    Point({**BASE}, label="B2"),
    Point({**BASE}, cohort=NOINS, label="B2 no insens"),
    Point({**BASE, "igf1r_bypass_capacity": 0.9}, cohort=NOINS, label="B2 no insens igfcap0.9"),
    Point({**BASE, "igf1r_bypass_capacity": 0.8}, cohort=NOINS, label="B2 no insens igfcap0.8"),
    Point(
        {**BASE, "igf1r_bypass_capacity": 0.8, "t790m_mutation_rate": 1e-8},
        cohort=NOINS,
        label="B2 no insens igfcap0.8 t790m1e-8",
    ),
]
