"""Cell counts by mechanism over time for a few virtual patients of the validation cohort.

Each patient's characteristics are those the validation trial draws for it (same seed, same
cohort); its tumour is run on ``abm.models.clone.CloneTumour`` with a daily record (a different random
stream from the cohort engine's, so the same patient, another draw of its tumour). One panel per
patient and arm: log10 cells of each mechanism, with the RECIST progressions marked.

    python -m abm.report.explore_issue14.trajectories --patients 0 1 2 3 --out docs/notes/figures/x.png \
        [--point abm/report/explore_issue14/points/best.json]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from abm.biology.mechanisms import DRIVER_SWITCHES
from abm.experiments.trial import patient_characteristics, patient_scenario, patient_seed
from abm.models.clone import CloneTumour
from abm.report.colours import MECHANISM_COLOURS
from abm.report.explore_issue14.common import Point, make_trial

SHOWN = (
    "total",
    "sensitive",
    "persister",
    "axl_high",
    "igf1r_active",
    "t790m",
    "met_amplified",
    "c797s",
    "her2_amplified",
    *(m.name for m in DRIVER_SWITCHES),  # issue 17
)


ABBREV = {
    "initial_cells": "N0",
    "t790m_mutation_rate": "mu_T790M",
    "met_amplification_rate": "mu_MET",
    "c797s_mutation_rate": "mu_C797S",
    "her2_amplification_rate": "mu_HER2",
    "axl_bypass_capacity": "AXLcap",
    "met_bypass_capacity": "METcap",
    "egfr_tki_insensitivity": "insens",
    "division_rate": "b",
}


def run_patient(point: Point, patient: int, arm_index: int, days: int = 1825, seed: int = 0):
    """(timeseries, progression days, characteristics) of one patient on one arm."""
    trial = make_trial(point, patients=max(patient + 1, 1), seed=seed)
    arm = trial.arms[arm_index]
    characteristics = patient_characteristics(trial, patient_seed(trial, patient))
    scenario = patient_scenario(trial, arm, characteristics)
    scenario = scenario.model_copy(update={"model": scenario.model.model_copy(update={"days": days})})
    model = CloneTumour(scenario, rng=1000 + patient, record=True)
    while model.running:
        model.step()
    return model.timeseries(), list(model.recist.progression_days), characteristics


def plot(point: Point, patients: list[int], arms: list[int], out: Path, days: int, title: str) -> None:
    fig, axes = plt.subplots(len(patients), len(arms), figsize=(6.5 * len(arms), 2.8 * len(patients)), squeeze=False)
    trial = make_trial(point, patients=1)
    for i, patient in enumerate(patients):
        for j, arm_index in enumerate(arms):
            df, progressions, c = run_patient(point, patient, arm_index, days)
            ax = axes[i][j]
            for column in SHOWN:
                if column not in df or df[column].max() <= 0:
                    continue
                y = np.log10(df[column].clip(lower=0.5))
                colour = "black" if column == "total" else MECHANISM_COLOURS.get(column, None)
                ax.plot(df["day"] / 30.4375, y, label=column, color=colour, lw=2 if column == "total" else 1.2)
            for k, d in enumerate(progressions[:2]):  # the first two RECIST progressions (PFS, then the next)
                ax.axvline(d / 30.4375, color="red", ls="--" if k == 0 else ":", lw=1.5 if k == 0 else 1)
            ax.set_ylim(-0.5, 11.5)
            extra = ", ".join(f"{ABBREV.get(k, k)}={v:.2g}" for k, v in c.items() if v)
            ax.set_title(f"patient {patient}, {trial.arms[arm_index].name}\n{extra}", fontsize=8)
            ax.set_xlabel("months")
            ax.set_ylabel("log10 cells")
            ax.grid(alpha=0.3)
    axes[0][0].legend(fontsize=7, ncol=3, loc="lower left")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=90)
    print(f"wrote {out}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--point", type=Path, help="a JSON point (abm/report/explore_issue14/points/*.json); default: defaults"
    )
    ap.add_argument("--patients", type=int, nargs="+", default=[0, 1, 2, 3])
    ap.add_argument("--arms", type=int, nargs="+", default=[0, 1], help="arm indices (0 gefitinib, 1 osimertinib)")
    ap.add_argument("--days", type=int, default=1825)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--title", default="")
    args = ap.parse_args()
    point = Point.from_json(json.loads(args.point.read_text())) if args.point else Point(label="defaults")
    plot(point, args.patients, args.arms, args.out, args.days, args.title or point.label)


if __name__ == "__main__":
    main()
