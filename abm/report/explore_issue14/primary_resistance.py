"""Can the model show primary resistance (RECIST PD at the first scan) at all?

A tumour whose EGFR allele escapes every TKI (egfr_tki_insensitivity = 1) grows on the drug as it
grew untreated. Its expected course is followed deterministically here with the model's own rules
(``rules.crowding_loss``, the daily growth factor (1 - loss)(1 + division) of ``abm.biology.kinetics``) and
read by the model's RECIST (``abm.clinic.recist.Recist``, the residual lesion of ``ClinicalSettings``,
scans every 56 days). Printed: per division rate and tumour size, the untreated volume doubling
time and the first scan that calls progression (1 = primary resistance as ``abm validate``
measures it: best response PD = progression at the first scan after baseline).

    python -m abm.report.explore_issue14.primary_resistance
"""

from __future__ import annotations

from abm.biology.kinetics import untreated_growth
from abm.biology.parameters import Parameters
from abm.biology.rules import crowding_loss
from abm.clinic.recist import Recist
from abm.config.scenario import ClinicalSettings

CAPACITY = 1e11


def first_progression_scan(p: Parameters, cells: float, clinical: ClinicalSettings, scans: int = 12) -> int | None:
    """Index of the first scan (1 = day 56) calling progression for an untreated-like course."""
    recist = Recist(residual_fraction=clinical.residual_lesion_fraction)
    total = cells
    for day in range(scans * clinical.imaging_interval_days + 1):
        if day % clinical.imaging_interval_days == 0 and recist.scan(day, total):
            return day // clinical.imaging_interval_days
        loss = p.death_rate + float(crowding_loss(p.division_rate, p.death_rate, total, CAPACITY))
        total *= (1.0 - loss) * (1.0 + p.division_rate)
    return None


def main() -> None:
    clinical = ClinicalSettings()
    sizes = (1e9, 3e9, 1e10, 3e10)
    print("fully TKI-insensitive tumour on the drug (= untreated growth), carrying capacity 1e11, scans every 56 d")
    print(f"{'division':>9s} " + " ".join(f"{'VDT@' + format(n, '.0e'):>10s} {'1st PD':>7s}" for n in sizes))
    for b in (0.04, 0.06, 0.08, 0.1, 0.12, 0.15, 0.2):
        p = Parameters(division_rate=b)
        cells = []
        for n in sizes:
            vdt = untreated_growth(p, n, CAPACITY).doubling_days
            scan = first_progression_scan(p, n, clinical)
            cells.append(f"{vdt:10.0f} {('scan ' + str(scan)) if scan else 'never':>7s}")
        print(f"{b:9.2f} " + " ".join(cells))
    print("PD at the first scan (day 56) needs the lesion to grow >= 20% in diameter and >= 5 mm: cells x1.84")
    print("(with the residual lesion of 15% of baseline), i.e. a volume doubling time <= 64 days.")


if __name__ == "__main__":
    main()
