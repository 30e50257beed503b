"""Probe 5: per-patient spread of the genetic rates (lognormal sigma, centred on the parameter):
does a head start for a random mechanism in each tumour give partial shares?"""

from abm.report.explore_issue14.common import Point

MU = {
    "t790m_mutation_rate": 3e-9,
    "met_amplification_rate": 2e-10,
    "c797s_mutation_rate": 1e-10,
    "her2_amplification_rate": 2e-10,
}
BASE = {"division_rate": 0.085, "axl_bypass_capacity": 0.9, "igf1r_bypass_capacity": 0.8, **MU}


def spread(sigma: float) -> dict:
    return {name: {"distribution": "lognormal", "sigma": sigma, "low": 1e-14, "high": 1e-4} for name in MU}


NOINS = {"egfr_tki_insensitivity": None}
POINTS = [
    Point({**BASE}, cohort={**NOINS, **spread(1.0)}, label="B3 sigma1"),
    Point({**BASE}, cohort={**NOINS, **spread(2.0)}, label="B3 sigma2"),
    Point({**BASE}, cohort={**NOINS, **spread(3.0)}, label="B3 sigma3"),
    Point({**BASE, "t790m_mutation_rate": 1e-8}, cohort={**NOINS, **spread(3.0)}, label="B3 sigma3 t790m1e-8"),
    Point(
        {
            **BASE,
            "t790m_mutation_rate": 1e-8,
            "met_amplification_rate": 5e-11,
            "her2_amplification_rate": 5e-11,
            "c797s_mutation_rate": 3e-11,
        },
        cohort={**NOINS, **spread(3.0)},
        label="B3 sigma3 t790m1e-8 others/4",
    ),
]
