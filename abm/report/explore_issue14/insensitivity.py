"""What a partially TKI-insensitive EGFR allele does (the validation cohort's
``egfr_tki_insensitivity``: uniform 0.5-1.0 in 13.6% of patients): per insensitive patient of the
gefitinib arm, its insensitivity, size, PFS, best response and what its rebiopsy finds, at the
defaults and at division rate 0.07.

    python -m abm.report.explore_issue14.insensitivity --patients 200
"""

from __future__ import annotations

import argparse

from abm.report.explore_issue14.common import Point, run_point


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--patients", type=int, default=200)
    args = ap.parse_args()
    columns = [
        "patient_egfr_tki_insensitivity",
        "patient_initial_cells",
        "pfs_days",
        "best_response",
        "mechanisms_at_progression",
    ]
    for b in (0.04, 0.07):
        table = run_point(Point(params={"division_rate": b}), args.patients)
        gef = table[(table["arm"] == "gefitinib") & (table["patient_egfr_tki_insensitivity"] > 0)]
        sensitive = table[(table["arm"] == "gefitinib") & (table["patient_egfr_tki_insensitivity"] == 0)]
        print(
            f"division_rate {b}: {len(gef)} insensitive patients; the sensitive ones' median PFS "
            f"{sensitive['pfs_days'].median():.0f} days"
        )
        print(gef[columns].sort_values(columns[0]).to_string(index=False, float_format=lambda v: f"{v:.3g}"))


if __name__ == "__main__":
    main()
