"""The validation figure: each reviewed range against the simulated value and its 95% CI.

Input: ``validation.json`` written by ``abm validate --out DIR`` ({"targets": rows}, rows as
``abm.experiments.validation.evaluate`` gives them, non-finite numbers as null).
"""

from __future__ import annotations

import math
import textwrap
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import PercentFormatter

from abm.io.schema import CI, HIGH, LOW, MECHANISM, PASSED, PATIENTS, SEED, SETTING, SIMULATED, SOURCE, TARGETS, UNIT
from abm.report.citations import readable_source
from abm.report.figures.style import LABELS, figure, rc
from abm.report.results import read_json

# Filled: within the range; open: outside (black and white: colours are the mechanisms').
PASS, FAIL = "black", "white"

# The simulated value judged with its 95% CI against the reviewed range: (marker, fill style,
# face colour, legend text). ``abm validate`` counts a target as passed when the point lies in
# the range; the figure also says where its CI lies.
VERDICTS = {
    "inside": ("o", "full", PASS, "point and whole 95% CI in range: pass"),
    "crosses": ("o", "left", PASS, "point in range, CI crosses an end: pass, not sure"),
    "overlaps": ("o", "full", FAIL, "point outside, CI overlaps the range: fail, not excluded"),
    "outside": ("D", "full", FAIL, "whole 95% CI outside the range: fail"),
    "point": ("s", "full", PASS, "no CI (dish mean): point in range, pass"),
    "point-out": ("s", "full", FAIL, "no CI (dish mean): point outside, fail"),
}


def verdict(row: dict) -> str:
    """Where the simulated value and its 95% CI lie against the reviewed range (a key of VERDICTS)."""
    low = row[LOW]
    high = row[HIGH] if row[HIGH] is not None else math.inf
    lo, hi = row[CI]
    inside = bool(row[PASSED])
    if lo is None and hi is None:
        return "point" if inside else "point-out"
    lo = -math.inf if lo is None else lo
    hi = math.inf if hi is None else hi
    if inside:
        return "inside" if low <= lo and hi <= high else "crosses"
    return "overlaps" if lo <= high and hi >= low else "outside"


def target_label(row: dict) -> str:
    """'mechanism' over 'setting' (wrapped), in readable words."""
    mechanism = LABELS.get(row[MECHANISM], row[MECHANISM])
    return mechanism + "\n" + "\n".join(textwrap.wrap(row[SETTING], 32))


def short_source(row: dict) -> str:
    """The row's source as a figure can hold it: 'bypass-resistance review (seed 003), sec. 3.1.2'."""
    return "\n".join(textwrap.wrap(readable_source(row.get(SOURCE, ""), short=True).split(":")[0], 50)[:2])


def validation_figure(folder: Path) -> Figure:
    """Forest plot: one row per target, the reviewed range as a band, the simulated value with its CI."""
    data = read_json(Path(folder) / "validation.json")
    rows = data[TARGETS]
    panels = [(unit, [r for r in rows if r[UNIT] == unit]) for unit in dict.fromkeys(r[UNIT] for r in rows)]
    with rc():
        heights = [len(p) for _, p in panels]
        fig, axes = figure(
            1.0 + 0.42 * sum(heights), nrows=len(panels), ncols=1, squeeze=False, gridspec_kw={"height_ratios": heights}
        )
        for ax, (unit, group) in zip(axes[:, 0], panels, strict=True):
            y = np.arange(len(group))[::-1]
            top = 0.0
            for yi, row in zip(y, group, strict=True):
                value = row[SIMULATED]
                # an open-ended range (">= 3-fold") is drawn to past the value or twice its lower end
                high = row[HIGH] if row[HIGH] is not None else max(2 * row[LOW], 1.3 * (value or 0.0))
                ax.barh(
                    yi,
                    high - row[LOW],
                    left=row[LOW],
                    height=0.6,
                    color="#d9d9d9",
                    edgecolor="#7f7f7f",
                    lw=0.6,
                    gid=f"range:{row[SETTING]}:{row[MECHANISM]}",
                )
                value, (lo, hi) = row[SIMULATED], row[CI]
                marker, fill, colour, _ = VERDICTS[verdict(row)]
                reached = value is not None
                shown = value if reached else (hi if hi is not None else high)
                lo = shown if lo is None else lo
                hi_shown = hi if hi is not None else shown
                drawn = ax.errorbar(
                    shown,
                    yi,
                    xerr=[[max(shown - lo, 0)], [max(hi_shown - shown, 0)]],
                    fmt=marker if reached else ">",
                    color="black",
                    mfc=colour,
                    fillstyle=fill,
                    mfcalt="white",
                    mec="black",
                    ms=4.5,
                    clip_on=False,
                    elinewidth=1.0,
                    capsize=2,
                )
                drawn.lines[0].set_gid(f"simulated:{row[SETTING]}:{row[MECHANISM]}")  # the point itself
                top = max(top, high, hi_shown, shown)
                counted = f"n={row[PATIENTS]}" if row[PATIENTS] else "dish"
                note = counted + ("" if reached else ", median not reached") + "\n" + short_source(row)
                ax.annotate(
                    note,
                    (1.0, yi),
                    xycoords=("axes fraction", "data"),
                    xytext=(3, 0),
                    textcoords="offset points",
                    va="center",
                    fontsize=6,
                    color="#555555",
                )
            ax.set_yticks(y, [target_label(r) for r in group])
            ax.set_ylim(-0.6, len(group) - 0.4)
            if unit == "share":
                ax.xaxis.set_major_formatter(PercentFormatter(1.0))
                ax.set_xlabel("share of patients")
                ax.set_xlim(-0.01 * top, min(1.0, top * 1.08))
            else:
                ax.set_xlabel(unit)
                ax.set_xlim(0, top * 1.08)
            ax.grid(axis="x", color="#eeeeee", lw=0.5)
            ax.set_axisbelow(True)
        passed = sum(bool(r[PASSED]) for r in rows)
        verdicts = [verdict(r) for r in rows]
        cohort = f"{data[PATIENTS]} patients per arm, seed {data[SEED]}" if PATIENTS in data else "cohort unknown"
        fig.suptitle(
            f"Validation against the reviewed ranges: {passed} of {len(rows)} pass (simulated value in the range); "
            f"{verdicts.count('inside')} with the whole 95% CI in it, {verdicts.count('outside')} with the CI "
            f"wholly outside\n({cohort.rstrip('; ')}; right: patients and source)",
            x=0.01,
            ha="left",
            fontsize=8,
        )
        handles = [Patch(facecolor="#d9d9d9", edgecolor="#7f7f7f", label="reviewed range (biology notes)")]
        for key in dict.fromkeys(verdicts):
            marker, fill, colour, text = VERDICTS[key]
            handles.append(
                Line2D([], [], marker=marker, color="black", mfc=colour, fillstyle=fill, mfcalt="white", label=text)
            )
        fig.legend(handles=handles, loc="outside lower center", ncols=2)
    return fig
