"""Figures of a virtual trial: Kaplan-Meier PFS per arm, mechanisms at progression against the
reviewed ranges, and a swimmer plot of a sample of patients.

Inputs are the files ``abm trial`` writes: ``patients.csv`` (one row per arm and patient; see
``abm.trial.patient_row``) and ``summary.json``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from lifelines import KaplanMeierFitter
from lifelines.plotting import add_at_risk_counts
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from matplotlib.ticker import MultipleLocator, PercentFormatter
from scipy.stats import binomtest

from abm.drugs import DRUG_NAMES
from abm.readouts import BIOPSY_COLUMNS
from abm.validation import DAYS_PER_MONTH, TARGETS, Target
from analysis.figures.style import DPI, LABELS, OTHER, WIDTH, drug_colour, figure, mechanism_colour, rc

ARM_STYLES = ("-", "--", "-.", ":")


def arms_of(patients: pd.DataFrame) -> list[str]:
    """Arm names in file order."""
    return list(dict.fromkeys(patients["arm"]))


def arm_colour(arm: str, k: int) -> str:
    """An arm named after a drug takes the drug's colour; others a colour of their own."""
    drugs = arm_drugs(arm)
    if drugs:
        return drug_colour(drugs[-1])
    return ("#333333", "#7f7f7f", "#b15928", "#6a3d9a")[k % 4]


def arm_drugs(arm: str) -> list[str]:
    """Drugs an arm's name mentions, in the order mentioned (the name is all the files say of it)."""
    words = arm.replace("+", " ").replace(",", " ").split()
    return [w for w in words if w in DRUG_NAMES]


# --- Kaplan-Meier ----------------------------------------------------------------------------
def km_fitters(patients: pd.DataFrame) -> dict[str, KaplanMeierFitter]:
    """lifelines' Kaplan-Meier fit of PFS (months) on each arm."""
    return {
        arm: KaplanMeierFitter(label=arm).fit(
            rows["pfs_days"] / DAYS_PER_MONTH, event_observed=rows["progressed"].astype(bool)
        )
        for arm, rows in ((a, patients[patients["arm"] == a]) for a in arms_of(patients))
    }


def km_figure(folder: Path) -> Figure:
    """PFS per arm with 95% confidence bands, median PFS marked, and numbers at risk below."""
    patients = pd.read_csv(Path(folder) / "patients.csv")
    fitters = km_fitters(patients)
    with rc():
        fig = Figure(figsize=(WIDTH * 0.75, 3.2 + 0.18 * len(fitters)), dpi=DPI)
        ax = fig.add_subplot()
        for k, (arm, kmf) in enumerate(fitters.items()):
            colour = arm_colour(arm, k)
            kmf.plot_survival_function(ax=ax, ci_show=True, color=colour, ls=ARM_STYLES[k % 4], lw=1.4, gid=f"km:{arm}")
            median = kmf.median_survival_time_
            if np.isfinite(median):
                ax.plot([0, median, median], [0.5, 0.5, 0], color=colour, lw=0.8, ls=":", gid=f"median:{arm}")
                ax.annotate(
                    f"{median:.1f}", (median, 0), xytext=(2, 2), textcoords="offset points", fontsize=6, color=colour
                )
        ax.set_ylim(0, 1.02)
        ax.yaxis.set_major_formatter(PercentFormatter(1.0))
        ax.set_ylabel("progression-free survival")
        ax.set_xlabel("time since start of treatment (months)")
        ax.set_xlim(0, max(kmf.timeline.max() for kmf in fitters.values()))
        ax.xaxis.set_major_locator(MultipleLocator(6))
        ax.set_title("Progression-free survival (Kaplan-Meier, 95% CI; dotted: median, months)", loc="left")
        ax.legend(loc="upper right")
        add_at_risk_counts(*fitters.values(), ax=ax, rows_to_show=["At risk"], ypos=-0.3)
        fig.subplots_adjust(left=0.14, right=0.97, top=0.9, bottom=0.16 + 0.05 * len(fitters))
    return fig


# --- mechanisms at progression -----------------------------------------------------------------
def reviewed_ranges(arm: str) -> list[Target]:
    """The reviewed at-progression ranges that apply to an arm (matched by arm name, as in
    ``abm.validation``: gefitinib, osimertinib, ...)."""
    return [t for t in TARGETS if t.measure == "at_progression" and arm in t.arms]


def mechanism_shares(patients: pd.DataFrame, arm: str) -> pd.DataFrame:
    """Share of progressed patients of an arm whose rebiopsy found each mechanism, with a Wilson 95% CI."""
    rows = patients[(patients["arm"] == arm) & patients["progressed"]]
    found = rows["mechanisms_at_progression"].fillna("").str.split(";")
    out = []
    for m in BIOPSY_COLUMNS:
        k, n = int(found.map(lambda ms, m=m: m in ms).sum()), len(rows)
        ci = binomtest(k, n).proportion_ci(method="wilson") if n else None
        out.append(
            {
                "mechanism": m,
                "share": k / n if n else 0.0,
                "low": ci.low if ci else 0.0,
                "high": ci.high if ci else 0.0,
                "patients": n,
            }
        )
    return pd.DataFrame(out)


def mechanisms_figure(folder: Path) -> Figure:
    """Per arm, the mechanisms found at progression (bars, 95% CI) with the reviewed ranges over them."""
    patients = pd.read_csv(Path(folder) / "patients.csv")
    arms = arms_of(patients)
    with rc():
        fig, axes = figure(2.6, nrows=1, ncols=len(arms), sharey=True, squeeze=False)
        x = np.arange(len(BIOPSY_COLUMNS))
        for ax, arm in zip(axes[0], arms, strict=True):
            shares = mechanism_shares(patients, arm)
            ax.bar(
                x, shares["share"], color=[mechanism_colour(m) for m in BIOPSY_COLUMNS], width=0.7, gid=f"bars:{arm}"
            )
            ax.errorbar(
                x,
                shares["share"],
                yerr=[shares["share"] - shares["low"], shares["high"] - shares["share"]],
                fmt="none",
                ecolor="black",
                elinewidth=0.8,
                capsize=2,
            )
            for target in reviewed_ranges(arm):
                i = BIOPSY_COLUMNS.index(target.mechanism)
                ax.add_patch(
                    Rectangle(
                        (i - 0.45, target.low),
                        0.9,
                        target.high - target.low,
                        fill=False,
                        edgecolor="black",
                        lw=1.0,
                        ls="--",
                        hatch="///",
                        alpha=0.7,
                        gid=f"range:{arm}:{target.mechanism}",
                    )
                )
            n = int(shares["patients"].iloc[0])
            ax.set_title(f"{arm} ({n} progressed)", loc="left")
            ax.set_xticks(x, [LABELS[m] for m in BIOPSY_COLUMNS], rotation=35, ha="right")
            ax.yaxis.set_major_formatter(PercentFormatter(1.0))
        axes[0][0].set_ylabel("share of progressed patients")
        top = max(1e-9, *(ax.get_ylim()[1] for ax in axes[0]))
        axes[0][0].set_ylim(0, min(1.0, top * 1.05))
        handles = [
            Patch(fill=False, edgecolor="black", ls="--", hatch="///", label="reviewed range (biology.md)"),
            Line2D([], [], color="black", marker="|", ls="none", label="simulated, 95% CI"),
        ]
        fig.legend(handles=handles, loc="outside upper right", ncols=2)
    return fig


# --- swimmer plot --------------------------------------------------------------------------
SWIMMERS = 30
# Black and white shapes: colours are the mechanisms' and the drugs'.
RESPONSE_MARKERS = {"CR": ("*", "black"), "PR": ("^", "black"), "SD": ("s", "white"), "PD": ("v", "white")}


def swimmer_sample(patients: pd.DataFrame, n: int = SWIMMERS) -> list[int]:
    """The patients drawn: the first ``n`` by patient number, the same on every arm (arms share patients)."""
    return sorted(patients["patient"].unique())[:n]


def swimmer_figure(folder: Path, n: int = SWIMMERS) -> Figure:
    """One lane per patient and arm: time on each line of treatment, best response, progression."""
    patients = pd.read_csv(Path(folder) / "patients.csv")
    arms = arms_of(patients)
    chosen = swimmer_sample(patients, n)
    with rc():
        fig, axes = figure(0.8 + 0.11 * len(chosen), nrows=1, ncols=len(arms), sharex=True, squeeze=False)
        legend: dict[str, object] = {}
        for k, (ax, arm) in enumerate(zip(axes[0], arms, strict=True)):
            rows = patients[(patients["arm"] == arm) & patients["patient"].isin(chosen)].sort_values("pfs_days")
            drugs = arm_drugs(arm)
            first = drug_colour(drugs[0]) if drugs else arm_colour(arm, k)
            second = drug_colour(drugs[1]) if len(drugs) > 1 else OTHER
            y = np.arange(len(rows))
            pfs = rows["pfs_days"].to_numpy() / DAYS_PER_MONTH
            end = rows["days_simulated"].to_numpy() / DAYS_PER_MONTH
            ax.barh(y, pfs, color=first, height=0.7, gid=f"line1:{arm}")
            legend.setdefault(f"first line: {drugs[0] if drugs else arm}", Patch(color=first))
            later = end > pfs
            if later.any():
                ax.barh(y[later], (end - pfs)[later], left=pfs[later], color=second, height=0.7, gid=f"line2:{arm}")
                legend.setdefault(
                    f"after progression: {drugs[1] if len(drugs) > 1 else 'continued'}", Patch(color=second)
                )
            progressed = rows["progressed"].to_numpy(dtype=bool)
            ax.scatter(pfs[progressed], y[progressed], marker="X", color="black", s=14, zorder=3, gid=f"pd:{arm}")
            if "progressed2" in rows:
                p2 = rows["progressed2"].to_numpy(dtype=bool)
                pfs2 = rows["pfs2_days"].to_numpy() / DAYS_PER_MONTH
                ax.scatter(pfs2[p2], y[p2], marker="X", color="black", s=14, zorder=3)
            ongoing = ~progressed
            ax.scatter(end[ongoing], y[ongoing], marker=">", color="black", s=10, zorder=3)
            for response, (marker, colour) in RESPONSE_MARKERS.items():
                hit = (rows["best_response"] == response).to_numpy()
                ax.scatter(
                    np.full(hit.sum(), -0.8),
                    y[hit],
                    marker=marker,
                    color=colour,
                    edgecolor="black",
                    linewidths=0.3,
                    s=14,
                    zorder=3,
                    clip_on=False,
                )
            ax.set_yticks(y, [str(p) for p in rows["patient"]], fontsize=5)
            ax.set_ylim(-0.7, len(rows) - 0.3)
            ax.set_title(arm, loc="left")
            ax.set_xlabel("time since start of treatment (months)")
        longest = patients.loc[patients["patient"].isin(chosen), "days_simulated"].max() / DAYS_PER_MONTH
        axes[0][0].set_xlim(-1.5, longest * 1.03)
        axes[0][0].set_ylabel("patient number (sorted by PFS)")
        for response, (marker, colour) in RESPONSE_MARKERS.items():
            legend[f"best response {response}"] = Line2D(
                [], [], marker=marker, color=colour, markeredgecolor="black", markeredgewidth=0.3, ls="none"
            )
        legend["progression (RECIST)"] = Line2D([], [], marker="X", color="black", ls="none")
        legend["no progression by end of follow-up"] = Line2D([], [], marker=">", color="black", ls="none")
        fig.legend(list(legend.values()), list(legend), loc="outside lower center", ncols=4)
        fig.suptitle(f"Swimmer plot: patients 0-{chosen[-1]} on every arm", x=0.02, ha="left", fontsize=9)
    return fig
