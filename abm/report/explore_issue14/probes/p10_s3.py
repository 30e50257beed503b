"""Probe 10: S3 = S2 with the wide MET-prone group at 20-22%, division 0.075-0.08, and a few
fully TKI-insensitive tumours (they cannot show PD at the first scan; see primary_resistance.py)."""

from abm.report.explore_issue14.common import Point
from abm.report.explore_issue14.probes.p07_subgroups import BASE, COHORT, lu

B = {**BASE, "axl_bypass_capacity": 0.87, "igf1r_bypass_capacity": 0.95, "division_rate": 0.075}
INS = {"egfr_tki_insensitivity": {"distribution": "uniform", "low": 0.95, "high": 1.0, "present": 0.06}}
POINTS = [
    Point({**B}, cohort={**COHORT, "met_amplification_rate": lu(1e-8, 3e-4, 0.2)}, label="S3 MET20%"),
    Point({**B}, cohort={**COHORT, "met_amplification_rate": lu(1e-8, 3e-4, 0.22)}, label="S3 MET22%"),
    Point(
        {**B, "division_rate": 0.08},
        cohort={**COHORT, "met_amplification_rate": lu(1e-8, 3e-4, 0.2)},
        label="S3 MET20% b.08",
    ),
    Point({**B}, cohort={**COHORT, **INS, "met_amplification_rate": lu(1e-8, 3e-4, 0.2)}, label="S3 MET20% insens6%"),
]
