"""Figures of a virtual trial: Kaplan-Meier PFS per arm, mechanisms at progression against the
reviewed ranges, and a swimmer plot of a sample of patients.

Inputs are the files ``abm trial`` writes: ``patients.csv`` (one row per arm and patient; see
``abm.experiments.trial.patient_row``) and ``summary.json``.
"""

from __future__ import annotations

import textwrap
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

from abm.clinic.readouts import BIOPSY_COLUMNS
from abm.experiments.validation import DAYS_PER_MONTH, TARGETS, Target
from abm.io.schema import (
    ARM,
    BEST_RESPONSE,
    DAYS_SIMULATED,
    FINAL_CELLS,
    MECHANISMS_AT_PROGRESSION,
    PATIENT,
    PFS2_DAYS,
    PFS_DAYS,
    PROGRESSED,
    PROGRESSED2,
)
from abm.report.colours import DRUG_COLOURS
from abm.report.figures.style import DPI, LABELS, OTHER, WIDTH, figure, mechanism_colour, rc

ARM_STYLES = ("-", "--", "-.", ":")


def arms_of(patients: pd.DataFrame) -> list[str]:
    """Arm names in file order."""
    return list(dict.fromkeys(patients[ARM]))


# Arms not named by one drug each: colours outside the mechanisms' (black, teal, brown, olive, indigo).
ARM_PALETTE = ("#000000", "#17becf", "#8c564b", "#bcbd22", "#393b79")


def arm_colours(arms: list[str]) -> dict[str, str]:
    """Each arm's colour: its drug's when every arm is named by a different single drug, else the arm palette."""
    if all(arm in DRUG_COLOURS for arm in arms) and len(set(arms)) == len(arms):
        return {arm: DRUG_COLOURS[arm] for arm in arms}
    return {arm: ARM_PALETTE[k % len(ARM_PALETTE)] for k, arm in enumerate(arms)}


# --- Kaplan-Meier ----------------------------------------------------------------------------
def km_fitters(patients: pd.DataFrame) -> dict[str, KaplanMeierFitter]:
    """lifelines' Kaplan-Meier fit of PFS (months) on each arm."""
    return {
        arm: KaplanMeierFitter(label=arm).fit(
            rows[PFS_DAYS] / DAYS_PER_MONTH, event_observed=rows[PROGRESSED].astype(bool)
        )
        for arm, rows in ((a, patients[patients[ARM] == a]) for a in arms_of(patients))
    }


def km_figure(folder: Path, patients_file: str = "patients.csv") -> Figure:
    """PFS per arm with 95% confidence bands, median PFS marked, and numbers at risk below."""
    patients = pd.read_csv(Path(folder) / patients_file)
    fitters = km_fitters(patients)
    with rc():
        fig = Figure(figsize=(WIDTH * 0.75, 3.2 + 0.18 * len(fitters)), dpi=DPI)
        ax = fig.add_subplot()
        colours = arm_colours(list(fitters))
        for k, (arm, kmf) in enumerate(fitters.items()):
            colour = colours[arm]
            kmf.plot_survival_function(ax=ax, ci_show=True, color=colour, ls=ARM_STYLES[k % 4], lw=1.4, gid=f"km:{arm}")
            median = kmf.median_survival_time_
            if np.isfinite(median):
                ax.plot([0, median, median], [0.5, 0.5, 0], color=colour, lw=0.6, gid=f"median:{arm}")
                ax.annotate(
                    f"{median:.1f}", (median, 0), xytext=(2, 2), textcoords="offset points", fontsize=6, color=colour
                )
        ax.set_ylim(0, 1.02)
        ax.yaxis.set_major_formatter(PercentFormatter(1.0))
        ax.set_ylabel("progression-free survival")
        ax.set_xlabel("time since start of treatment (months)")
        ax.set_xlim(0, max(kmf.timeline.max() for kmf in fitters.values()))
        ax.xaxis.set_major_locator(MultipleLocator(6))
        ax.set_title("Progression-free survival (Kaplan-Meier, 95% CI; thin lines: median, months)", loc="left")
        ax.legend(loc="upper right")
        add_at_risk_counts(*fitters.values(), ax=ax, rows_to_show=["At risk"], ypos=-0.3)
        fig.subplots_adjust(left=0.14, right=0.97, top=0.9, bottom=0.16 + 0.05 * len(fitters))
    return fig


# --- mechanisms at progression -----------------------------------------------------------------
def reviewed_ranges(arm: str) -> list[Target]:
    """The reviewed at-progression ranges that apply to an arm (matched by arm name, as in
    ``abm.experiments.validation``: gefitinib, osimertinib, ...)."""
    return [t for t in TARGETS if t.measure == "at_progression" and arm in t.arms]


def mechanism_shares(patients: pd.DataFrame, arm: str) -> pd.DataFrame:
    """Share of progressed patients of an arm whose rebiopsy found each mechanism, with a Wilson 95% CI."""
    rows = patients[(patients[ARM] == arm) & patients[PROGRESSED]]
    found = rows[MECHANISMS_AT_PROGRESSION].fillna("").str.split(";")
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
            ax.set_title("\n".join([*textwrap.wrap(arm, 24), f"({n} progressed)"]), loc="left")
            ax.set_xticks(x, [LABELS[m] for m in BIOPSY_COLUMNS], rotation=35, ha="right")
            ax.yaxis.set_major_formatter(PercentFormatter(1.0))
            ax.yaxis.set_major_locator(MultipleLocator(0.2))
            ax.grid(axis="y", color="#eeeeee", lw=0.5)
            ax.set_axisbelow(True)
        axes[0][0].set_ylabel("share of progressed patients")
        top = max(1e-9, *(ax.get_ylim()[1] for ax in axes[0]))
        axes[0][0].set_ylim(0, min(1.0, top * 1.05))
        handles = [
            Patch(fill=False, edgecolor="black", ls="--", hatch="///", label="reviewed range (biology.md)"),
            Line2D([], [], color="black", marker="|", ls="none", label="simulated, 95% CI"),
        ]
        fig.legend(handles=handles, loc="outside upper right", ncols=2)
        fig.suptitle("Mechanisms found at progression (rebiopsy), per arm", x=0.01, ha="left", fontsize=9)
    return fig


# --- swimmer plot --------------------------------------------------------------------------
SWIMMERS = 30
# Black and white shapes: colours are the mechanisms' and the drugs'.
RESPONSE_MARKERS = {"CR": ("*", "black"), "PR": ("^", "black"), "SD": ("s", "white"), "PD": ("v", "white")}


def swimmer_sample(patients: pd.DataFrame, n: int = SWIMMERS) -> list[int]:
    """The patients drawn: the first ``n`` by patient number, the same on every arm (arms share patients)."""
    return sorted(patients[PATIENT].unique())[:n]


def swimmer_figure(folder: Path, n: int = SWIMMERS) -> Figure:
    """One lane per patient and arm: time on each line of treatment, best response, progression."""
    patients = pd.read_csv(Path(folder) / "patients.csv")
    arms = arms_of(patients)
    chosen = swimmer_sample(patients, n)
    with rc():
        fig, axes = figure(1.0 + 0.11 * len(chosen), nrows=1, ncols=len(arms), sharex=True, squeeze=False)
        colours = arm_colours(arms)
        sample = patients[patients[PATIENT].isin(chosen)]
        longest = np.maximum(sample[PFS_DAYS], sample[DAYS_SIMULATED]).max() / DAYS_PER_MONTH
        marker_x = -0.035 * longest  # best response sits left of the lanes
        used: set[str] = set()  # what the legend needs to explain
        for ax, arm in zip(axes[0], arms, strict=True):
            rows = sample[sample[ARM] == arm].sort_values([PFS_DAYS, PATIENT])
            y = np.arange(len(rows))
            pfs = rows[PFS_DAYS].to_numpy() / DAYS_PER_MONTH  # follow-up's end when no progression
            simulated = rows[DAYS_SIMULATED].to_numpy() / DAYS_PER_MONTH
            progressed = rows[PROGRESSED].to_numpy(dtype=bool)
            progressed2 = rows[PROGRESSED2].to_numpy(dtype=bool)
            ax.barh(y, pfs, color=colours[arm], height=0.7, gid=f"line1:{arm}")
            later = progressed & (simulated > pfs)  # followed on after the first progression
            ax.barh(y[later], (simulated - pfs)[later], left=pfs[later], color=OTHER, height=0.7, gid=f"line2:{arm}")
            ax.scatter(pfs[progressed], y[progressed], marker="X", color="black", s=14, zorder=3, gid=f"pd:{arm}")
            pfs2 = rows[PFS2_DAYS].to_numpy() / DAYS_PER_MONTH
            ax.scatter(pfs2[progressed2], y[progressed2], marker="X", color="black", s=14, zorder=3)
            censored = ~progressed | (later & ~progressed2)
            lane_end = np.where(later, simulated, pfs)
            ax.scatter(lane_end[censored], y[censored], marker=">", color="black", s=10, zorder=3)
            gone = (rows[FINAL_CELLS] == 0).to_numpy()
            flags = {"later": later, "censored": censored, "gone": gone, "progressed": progressed}
            used |= {name for name, hit in flags.items() if hit.any()} | set(rows[BEST_RESPONSE])
            ax.scatter(
                simulated[gone],
                y[gone],
                marker="o",
                facecolor="white",
                edgecolor="black",
                s=12,
                zorder=4,
                linewidths=0.6,
            )
            for response, (marker, colour) in RESPONSE_MARKERS.items():
                hit = (rows[BEST_RESPONSE] == response).to_numpy()
                ax.scatter(
                    np.full(hit.sum(), marker_x),
                    y[hit],
                    marker=marker,
                    color=colour,
                    edgecolor="black",
                    linewidths=0.3,
                    s=14,
                    zorder=3,
                    clip_on=False,
                )
            ax.set_yticks(y, [str(p) for p in rows[PATIENT]], fontsize=5)
            ax.set_ylim(-0.7, len(rows) - 0.3)
            ax.set_title("\n".join(textwrap.wrap(arm, 24)), loc="left")
            ax.set_xlabel("months since start")
        axes[0][0].set_xlim(2 * marker_x, longest * 1.03)
        axes[0][0].set_ylabel("patient number (sorted by PFS)")
        legend: dict[str, object] = {"first line, until progression (colour: arm)": Patch(color=colours[arms[0]])}
        if "later" in used:
            legend["after first progression (the arm's next line)"] = Patch(color=OTHER)
        for response, (marker, colour) in RESPONSE_MARKERS.items():
            if response in used:
                legend[f"best response {response}"] = Line2D(
                    [], [], marker=marker, color=colour, markeredgecolor="black", markeredgewidth=0.3, ls="none"
                )
        if "progressed" in used:
            legend["progression (RECIST)"] = Line2D([], [], marker="X", color="black", ls="none")
        if "censored" in used:
            legend["followed to the end without (further) progression"] = Line2D(
                [], [], marker=">", color="black", ls="none"
            )
        if "gone" in used:
            legend["no tumour cell left"] = Line2D([], [], marker="o", mfc="white", color="black", ls="none")
        fig.legend(list(legend.values()), list(legend), loc="outside lower center", ncols=3)
        fig.suptitle(f"Swimmer plot: patients 0-{chosen[-1]} on every arm", x=0.02, ha="left", fontsize=9)
    return fig
