"""Figures of the note from the search logs.

    python -m abm.report.explore_issue14.figures --wide results/lhs-wide.jsonl --subgroups results/lhs-subgroups.jsonl

- issue14-pfs-vs-vdt.png: every searched point's cohort median untreated doubling time against its
  median PFS on gefitinib, coloured by the division rate: the PFS target needs fast regrowth, the
  doubling-time band slow growth at diagnosis, and the Gompertzian crowding ties the two.
- issue14-shares-vs-rates.png (wide box, homogeneous rates with an optional lognormal spread):
  the share of progressions showing T790M / MET against the rate, coloured by the spread sigma.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from abm.report.explore_issue14.analyse_search import load

OUT = Path(__file__).resolve().parents[3] / "docs" / "notes" / "figures"


def pfs_vs_vdt(logs: list[Path]) -> None:
    fig, ax = plt.subplots(figsize=(6.5, 4.5))
    markers = ("o", "^")
    for k, log in enumerate(logs):
        x, y, _, _ = load(log)
        sc = ax.scatter(
            y["VDT"],
            y["PFSg"],
            c=x["division_rate"],
            cmap="viridis",
            vmin=0.04,
            vmax=0.12,
            s=16,
            marker=markers[k % 2],
            label=log.stem,
            alpha=0.8,
        )
    ax.axhspan(12, 24, color="tab:green", alpha=0.1, label="PFS target 12-24 months")
    ax.axvspan(100, 400, color="tab:blue", alpha=0.07, label="doubling-time band 100-400 d")
    ax.axvline(190, color="tab:blue", ls=":", lw=1, label="reported median ~190 d")
    ax.set_xscale("log")
    ax.set_xlim(50, 400)
    ax.set_ylim(0, 62)
    ax.set_xlabel("cohort median untreated volume doubling time (days)")
    ax.set_ylabel("median PFS, first-line gefitinib (months)")
    fig.colorbar(sc, ax=ax, label="division_rate (per day)")
    ax.legend(fontsize=7, loc="upper left")
    ax.set_title("Every searched point: fast regrowth and slow untreated growth conflict", fontsize=9)
    fig.tight_layout()
    fig.savefig(OUT / "issue14-pfs-vs-vdt.png", dpi=100)


def shares_vs_rates(log: Path) -> None:
    x, y, _, _ = load(log)
    fig, axes = plt.subplots(1, 3, figsize=(14, 4.0), layout="constrained")
    for ax, (rate, share, band) in zip(
        axes,
        (
            ("t790m_mutation_rate", "T790Mg", (0.5, 0.7)),
            ("met_amplification_rate", "METg", (0.05, 0.22)),
            ("her2_amplification_rate", "HER2g", (0.08, 0.16)),
        ),
        strict=True,
    ):
        sc = ax.scatter(np.log10(x[rate]), 100 * y[share], c=x["cohort.mu_sigma"], cmap="plasma", vmin=0, vmax=3, s=14)
        ax.axhspan(100 * band[0], 100 * band[1], color="tab:green", alpha=0.15)
        ax.set_xlabel(f"log10 {rate}")
        ax.set_ylabel(f"% with {share[:-1]} at gefitinib progression")
    fig.colorbar(sc, ax=axes, label="lognormal sigma of the rates across patients")
    fig.suptitle("Wide box: a mechanism's share at progression against its rate (green: reviewed range)", fontsize=9)
    fig.savefig(OUT / "issue14-shares-vs-rates.png", dpi=100, bbox_inches="tight")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--wide", type=Path, required=True)
    ap.add_argument("--subgroups", type=Path)
    args = ap.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    pfs_vs_vdt([args.wide, *([args.subgroups] if args.subgroups else [])])
    shares_vs_rates(args.wide)
    print(f"wrote {OUT}/issue14-pfs-vs-vdt.png, issue14-shares-vs-rates.png")


if __name__ == "__main__":
    main()
