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
from lifelines.utils import median_survival_times
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from matplotlib.ticker import MultipleLocator, PercentFormatter

from abm.clinic.readouts import BIOPSY_COLUMNS
from abm.experiments.trial_stats import has_second_line, hazard_ratio, wilson_ci
from abm.experiments.validation import DAYS_PER_MONTH, TARGETS, Target
from abm.io.schema import (
    ARM,
    BEST_RESPONSE,
    CI,
    DAYS_SIMULATED,
    FINAL_CELLS,
    HR,
    MECHANISMS_AT_PROGRESSION,
    PATIENT,
    PFS2_DAYS,
    PFS_DAYS,
    PROGRESSED,
    PROGRESSED2,
)
from abm.report.figures.style import DPI, LABELS, WIDTH, figure, mechanism_colour, rc

ARM_STYLES = ("-", "--", "-.", ":")


def arms_of(patients: pd.DataFrame) -> list[str]:
    """Arm names in file order."""
    return list(dict.fromkeys(patients[ARM]))


# Arms in file order take the Okabe-Ito colours (told apart with the common colour-vision
# deficiencies and in greyscale by their line styles): black for the reference arm, then orange,
# blue, reddish purple, bluish green, vermillion, sky blue.
ARM_PALETTE = ("#000000", "#E69F00", "#0072B2", "#CC79A7", "#009E73", "#D55E00", "#56B4E9")


def arm_colours(arms: list[str]) -> dict[str, str]:
    """Each arm's colour, by its place in the file."""
    return {arm: ARM_PALETTE[k % len(ARM_PALETTE)] for k, arm in enumerate(arms)}


# --- Kaplan-Meier ----------------------------------------------------------------------------
# Endpoints drawn: PFS (first progression) and PFS2 (the next line's progression, on the arms
# that follow patients past a first progression), each from its days and event columns.
ENDPOINTS = {"PFS": (PFS_DAYS, PROGRESSED), "PFS2": (PFS2_DAYS, PROGRESSED2)}


def km_fitters(
    patients: pd.DataFrame, endpoint: str = "PFS", arms: list[str] | None = None
) -> dict[str, KaplanMeierFitter]:
    """lifelines' Kaplan-Meier fit of ``endpoint`` (months) on each arm (default: every arm)."""
    days, event = ENDPOINTS[endpoint]
    return {
        arm: KaplanMeierFitter(label=arm).fit(rows[days] / DAYS_PER_MONTH, event_observed=rows[event].astype(bool))
        for arm, rows in ((a, patients[patients[ARM] == a]) for a in (arms or arms_of(patients)))
    }


def second_line_arms(patients: pd.DataFrame) -> list[str]:
    """The arms that followed patients past a first progression (a PFS2 exists), in file order."""
    return [a for a in arms_of(patients) if has_second_line(patients[patients[ARM] == a])]


def at_risk(kmf: KaplanMeierFitter, times: np.ndarray) -> list[int]:
    """Patients still at risk (no event, not censored) just before each time, as lifelines counts them."""
    durations = np.asarray(kmf.durations)
    return [int((durations >= t).sum()) for t in times]


def median_text(kmf: KaplanMeierFitter) -> str:
    """'median 18.4 (95% CI 16.6-20.2)' in months, 'not reached' in words."""
    median = kmf.median_survival_time_
    lo, hi = median_survival_times(kmf.confidence_interval_).iloc[0]
    if not np.isfinite(median):
        return "median not reached" + (f" (95% CI from {lo:.1f})" if np.isfinite(lo) else "")
    upper = f"{hi:.1f}" if np.isfinite(hi) else "not reached"
    return f"median {median:.1f} (95% CI {lo:.1f}-{upper})"


def hr_text(hr: dict, reference: int) -> str:
    """'HR vs 1: 1.14 (95% CI 0.93-1.39)' from ``trial_stats.hazard_ratio``'s result."""
    if hr[HR] is None or None in hr[CI]:
        return f"HR vs {reference}: not estimable"
    return f"HR vs {reference}: {hr[HR]:.2f} (95% CI {hr[CI][0]:.2f}-{hr[CI][1]:.2f})"


def km_figure(folder: Path, patients_file: str = "patients.csv", endpoint: str = "PFS") -> Figure:
    """Kaplan-Meier ``endpoint`` (PFS or PFS2) per arm: the reference (first) arm with its 95%
    confidence band, each median in the legend (months, 95% CI), the 50% line with each arm's
    median dropped to the axis, and numbers at risk below, rows keyed by the arm's number."""
    patients = pd.read_csv(Path(folder) / patients_file)
    arms = arms_of(patients) if endpoint == "PFS" else second_line_arms(patients)
    if not arms:
        raise ValueError(f"no arm has a {endpoint} (no arm follows patients past a first progression)")
    fitters = km_fitters(patients, endpoint, arms)
    first = km_fitters(patients, "PFS", arms) if endpoint == "PFS2" else {}
    every = arms_of(patients)
    colours = arm_colours(every)
    number = {arm: every.index(arm) + 1 for arm in arms}  # the arm's number in the file, on every figure
    days, event = ENDPOINTS[endpoint]
    hrs = {arm: hazard_ratio(patients, arm, arms[0], days, event) for arm in arms[1:]}
    with rc():
        fig = Figure(figsize=(WIDTH, 3.0 + 0.16 * len(arms)), dpi=DPI, layout="constrained")
        grid = fig.add_gridspec(2, 1, height_ratios=[3.0, 0.13 * (len(arms) + 1)])
        ax = fig.add_subplot(grid[0])
        table = fig.add_subplot(grid[1])
        ax.axhline(0.5, color="#999999", lw=0.5, ls=":", zorder=0)
        for k, (arm, kmf) in enumerate(fitters.items()):
            colour = colours[arm]
            label = f"{number[arm]}  {textwrap.shorten(arm, 48)}\n    {median_text(kmf)}"
            if arm in hrs:
                label += f"\n    {hr_text(hrs[arm], number[arms[0]])}"
            # one band only, the reference arm's: several overlapping bands blend into one colour
            kmf.plot_survival_function(
                ax=ax,
                ci_show=k == 0,
                ci_alpha=0.15,
                color=colour,
                ls=ARM_STYLES[k % 4],
                lw=1.4,
                label=label,
                gid=f"km:{arm}",
            )
            if arm in first:  # PFS of the same arm, for comparison
                first[arm].plot_survival_function(
                    ax=ax, ci_show=False, color=colour, lw=0.8, alpha=0.5, ls=(0, (1, 1)), label="_", gid=f"pfs:{arm}"
                )
            median = kmf.median_survival_time_
            if np.isfinite(median):
                ax.plot([median, median], [0, 0.5], color=colour, lw=0.6, ls=ARM_STYLES[k % 4], gid=f"median:{arm}")
        ax.set_ylim(0, 1.02)
        ax.yaxis.set_major_formatter(PercentFormatter(1.0))
        ax.set_ylabel("progression-free survival" if endpoint == "PFS" else "free of second progression (PFS2)")
        end = max(kmf.timeline.max() for kmf in fitters.values())
        ax.set_xlim(0, end)
        ax.xaxis.set_major_locator(MultipleLocator(6))
        ax.set_xlabel("months since start of treatment")
        what = "Progression-free survival" if endpoint == "PFS" else "PFS2: time to progression on the next line"
        ax.set_title(f"{what} (Kaplan-Meier; band: 95% CI of arm {number[arms[0]]})", loc="left")
        handles, labels = ax.get_legend_handles_labels()
        keep = [(h, lab) for h, lab in zip(handles, labels, strict=True) if not lab.startswith("_")]
        if first:
            keep.append(
                (Line2D([], [], color="black", lw=0.8, alpha=0.5, ls=(0, (1, 1))), "dotted: PFS of the same arm")
            )
        legend = ax.legend(
            *zip(*keep, strict=True),
            loc="upper left",
            bbox_to_anchor=(1.01, 1.0),
            title="arm: median, months",
            alignment="left",
            handlelength=2.5,
        )
        legend.set_gid("km-legend")
        # numbers at risk at the axis ticks, one row per arm keyed by its number in its colour
        ticks = [t for t in ax.get_xticks() if 0 <= t <= end]
        for k, (arm, kmf) in enumerate(fitters.items()):
            y = len(fitters) - k
            table.text(
                -0.045,
                y,
                str(number[arm]),
                transform=table.get_yaxis_transform(),
                ha="right",
                va="center",
                fontsize=7,
                color=colours[arm],
                fontweight="bold",
            )
            for t, n in zip(ticks, at_risk(kmf, np.array(ticks)), strict=True):
                table.text(t, y, str(n), ha="center", va="center", fontsize=6.5, gid=f"at-risk:{arm}:{t:g}")
        table.set_xlim(ax.get_xlim())
        table.set_ylim(0.4, len(fitters) + 0.9)
        table.text(
            -0.06, len(fitters) + 0.75, "number at risk", transform=table.get_yaxis_transform(), fontsize=7, va="center"
        )
        table.axis("off")
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
        low, high = wilson_ci(k, n)
        out.append(
            {
                "mechanism": m,
                "share": k / n if n else 0.0,
                "low": low or 0.0,
                "high": high or 0.0,
                "patients": n,
            }
        )
    return pd.DataFrame(out)


def mechanisms_figure(folder: Path) -> Figure:
    """Per arm, the mechanisms found at progression (bars, 95% CI) with the reviewed ranges over them."""
    patients = pd.read_csv(Path(folder) / "patients.csv")
    arms = arms_of(patients)
    with rc():
        # one row per arm: every mechanism's name fits under the bottom row, once
        fig, axes = figure(1.2 + 1.3 * len(arms), nrows=len(arms), ncols=1, sharex=True, sharey=True, squeeze=False)
        x = np.arange(len(BIOPSY_COLUMNS))
        for ax, arm in zip(axes[:, 0], arms, strict=True):
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
            ax.set_title(f"{arm} ({n} progressed)", loc="left", fontsize=8)
            ax.set_xticks(x, [LABELS[m] for m in BIOPSY_COLUMNS], rotation=30, ha="right")
            ax.yaxis.set_major_formatter(PercentFormatter(1.0))
            ax.yaxis.set_major_locator(MultipleLocator(0.2))
            ax.grid(axis="y", color="#eeeeee", lw=0.5)
            ax.set_axisbelow(True)
        fig.supylabel("share of progressed patients", fontsize=8)
        top = max(1e-9, *(ax.get_ylim()[1] for ax in axes[:, 0]))
        axes[0][0].set_ylim(0, min(1.0, top * 1.05))
        handles = [
            Patch(fill=False, edgecolor="black", ls="--", hatch="///", label="reviewed range (biology notes)"),
            Line2D([], [], color="black", marker="|", ls="none", label="simulated, Wilson 95% CI"),
        ]
        fig.legend(handles=handles, loc="outside upper right", ncols=2)
        fig.suptitle("Mechanisms found at progression (rebiopsy), per arm", x=0.01, ha="left", fontsize=9)
    return fig


# --- swimmer plot --------------------------------------------------------------------------
SWIMMERS = 30
# Black and white shapes: colours are the arms'.
RESPONSE_MARKERS = {"CR": ("*", "black"), "PR": ("^", "black"), "SD": ("s", "white"), "PD": ("v", "white")}
SECOND_LINE = "#7a7a7a"  # the next line after a first progression, in every arm's lane


def swimmer_sample(patients: pd.DataFrame, n: int = SWIMMERS) -> list[int]:
    """The patients drawn: the first ``n`` by patient number, the same on every arm (arms share patients)."""
    return sorted(patients[PATIENT].unique())[:n]


def swimmer_order(patients: pd.DataFrame, chosen: list[int]) -> list[int]:
    """The lanes' order, bottom to top, the same on every arm: by PFS on the reference (first)
    arm, then by patient number; so one patient is one row across the panels."""
    reference = patients[(patients[ARM] == arms_of(patients)[0]) & patients[PATIENT].isin(chosen)]
    return list(reference.sort_values([PFS_DAYS, PATIENT])[PATIENT])


def swimmer_figure(folder: Path, n: int = SWIMMERS) -> Figure:
    """One lane per patient and arm, the same row for a patient on every arm: time on the first
    line (arm colour) and on the next line after a first progression (grey), best response,
    progressions, censoring, and eradication (no tumour cell left)."""
    patients = pd.read_csv(Path(folder) / "patients.csv")
    arms = arms_of(patients)
    order = swimmer_order(patients, swimmer_sample(patients, n))
    with rc():
        fig, axes = figure(1.3 + 0.11 * len(order), nrows=1, ncols=len(arms), sharex=True, sharey=True, squeeze=False)
        colours = arm_colours(arms)
        sample = patients[patients[PATIENT].isin(order)]
        longest = np.maximum(sample[PFS_DAYS], sample[DAYS_SIMULATED]).max() / DAYS_PER_MONTH
        marker_x = -0.04 * longest  # best response sits left of the lanes
        used: set[str] = set()  # what the legend needs to explain
        y = np.arange(len(order))
        for k, (ax, arm) in enumerate(zip(axes[0], arms, strict=True)):
            rows = sample[sample[ARM] == arm].set_index(PATIENT).loc[order].reset_index()
            pfs = rows[PFS_DAYS].to_numpy() / DAYS_PER_MONTH  # follow-up's end when no progression
            simulated = rows[DAYS_SIMULATED].to_numpy() / DAYS_PER_MONTH
            progressed = rows[PROGRESSED].to_numpy(dtype=bool)
            progressed2 = rows[PROGRESSED2].to_numpy(dtype=bool)
            gone = (rows[FINAL_CELLS] == 0).to_numpy()
            later = progressed & (simulated > pfs)  # followed on after the first progression
            lane_end = np.where(later, simulated, pfs)
            censored = (~progressed | (later & ~progressed2)) & ~gone
            for lane in y[::2]:  # every other lane shaded, to follow a row across the panels
                ax.axhspan(lane - 0.5, lane + 0.5, color="#f3f3f3", lw=0, zorder=0)
            ax.barh(y, pfs, color=colours[arm], height=0.72, zorder=2, gid=f"line1:{arm}")
            # the next line drawn over the first progression's tick, so a short one stays visible
            ax.barh(
                y[later],
                (simulated - pfs)[later],
                left=pfs[later],
                color=SECOND_LINE,
                height=0.42,
                zorder=3,
                gid=f"line2:{arm}",
            )
            ax.scatter(
                pfs[progressed], y[progressed], marker="|", color="black", s=40, lw=1.2, zorder=2.5, gid=f"pd:{arm}"
            )
            pfs2 = rows[PFS2_DAYS].to_numpy() / DAYS_PER_MONTH
            ax.scatter(
                pfs2[progressed2], y[progressed2], marker="X", color="black", s=9, lw=0, zorder=4, gid=f"pd2:{arm}"
            )
            ax.scatter(lane_end[censored], y[censored], marker=">", color="black", s=8, zorder=4, gid=f"censored:{arm}")
            ax.scatter(
                simulated[gone],
                y[gone],
                marker="o",
                facecolor="white",
                edgecolor="black",
                s=12,
                zorder=4,
                linewidths=0.6,
                gid=f"eradicated:{arm}",
            )
            flags = {
                "later": later,
                "censored": censored,
                "gone": gone,
                "progressed": progressed,
                "progressed2": progressed2,
            }
            used |= {name for name, hit in flags.items() if hit.any()} | set(rows[BEST_RESPONSE])
            for response, (marker, colour) in RESPONSE_MARKERS.items():
                hit = (rows[BEST_RESPONSE] == response).to_numpy()
                ax.scatter(
                    np.full(hit.sum(), marker_x),
                    y[hit],
                    marker=marker,
                    color=colour,
                    edgecolor="black",
                    linewidths=0.3,
                    s=12,
                    zorder=3,
                    clip_on=False,
                )
            ax.set_title(
                "\n".join(textwrap.wrap(f"{k + 1}  {arm}", 26)), loc="left", color=colours[arm] if k else "black"
            )
            ax.set_xlabel("months since start")
        axes[0][0].set_yticks(y, [str(p) for p in order], fontsize=5)
        axes[0][0].set_ylim(-0.6, len(order) - 0.4)
        axes[0][0].set_xlim(2 * marker_x, longest * 1.03)
        axes[0][0].set_ylabel("patient (sorted by PFS on arm 1)")
        legend: dict[str, object] = {"first line, until progression (colour: arm)": Patch(color=colours[arms[0]])}
        if "later" in used:
            legend["next line after the first progression"] = Patch(color=SECOND_LINE)
        for response, (marker, colour) in RESPONSE_MARKERS.items():
            if response in used:
                legend[f"best response {response}"] = Line2D(
                    [], [], marker=marker, color=colour, markeredgecolor="black", markeredgewidth=0.3, ls="none"
                )
        if "progressed" in used:
            legend["first progression (RECIST)"] = Line2D([], [], marker="|", color="black", ls="none", markersize=7)
        if "progressed2" in used:
            legend["progression on the next line (PFS2)"] = Line2D(
                [], [], marker="X", color="black", ls="none", markersize=4
            )
        if "censored" in used:
            legend["followed to the end without (further) progression"] = Line2D(
                [], [], marker=">", color="black", ls="none", markersize=4
            )
        if "gone" in used:
            legend["eradicated: no tumour cell left, follow-up stops (censored)"] = Line2D(
                [], [], marker="o", mfc="white", color="black", ls="none", markersize=4
            )
        fig.legend(list(legend.values()), list(legend), loc="outside lower center", ncols=3)
        fig.suptitle(
            f"Swimmer plot: patients 0-{max(order)}, the same patients on every arm", x=0.02, ha="left", fontsize=9
        )
    return fig
