"""Figures of one run: Muller plot of the mechanisms, burden with drug bands, lattice snapshots.

Inputs are the files ``abm run`` writes: ``timeseries.csv`` (always), ``states.csv`` (cells
per state), ``lineage.csv`` + ``clones.csv`` (clone runs) and ``snapshots.npz`` (spatial runs).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyfish
from matplotlib.axes import Axes
from matplotlib.colors import ListedColormap, to_rgba
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator, PercentFormatter

from abm.biology.drugs import DRUG_NAMES, DRUGS
from abm.biology.mechanisms import COUNT_COLUMNS, MECHANISMS, N_STATES, bit, describe, mechanisms_of
from abm.biology.pharmacokinetics import NG_PER_ML_PER_MG_PER_L, administrations
from abm.io.schema import CONCENTRATION_PREFIX, DAY, PATIENT
from abm.report.figures.style import LABELS, PRIORITY, drug_colour, figure, lead_mechanism, mechanism_colour, rc
from abm.report.results import has

# A clone (or state) that never reaches this share of the tumour is drawn as part of its parent.
MIN_SHARE = 1e-3


# --- Muller plot ---------------------------------------------------------------------------
def _names(state: int) -> set[str]:
    return {m.name for m in mechanisms_of(state)}


def _colour_of(state: int, parent_state: int | None) -> str:
    """The mechanism a clone is drawn as: the one it acquired from its parent (else its own lead one)."""
    gained = _names(state) - (_names(parent_state) if parent_state is not None else set())
    return lead_mechanism(gained or _names(state))


def muller_layers(folder: Path) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """Populations and tree for the Muller plot, from the best file the run has.

    Returns (populations: Id, Step, Pop; tree: Id, ParentId (NaN for a root), mechanism;
    how it is nested: 'ancestry', 'mechanism sets' or 'none').
    """
    folder = Path(folder)
    if has(folder, "lineage.csv") and has(folder, "clones.csv"):  # only the files of the run that wrote it
        lineage = pd.read_csv(folder / "lineage.csv")
        counts = pd.read_csv(folder / "clones.csv")
        lineage = lineage[lineage[PATIENT] == 0] if "patient" in lineage else lineage
        pops = counts.rename(columns={"clone": "Id", "day": "Step", "cells": "Pop"})
        state_of = dict(zip(lineage["clone"], lineage["state"], strict=True))
        parent = dict(zip(lineage["clone"], lineage["parent"], strict=True))
        tree = pd.DataFrame({"Id": lineage["clone"], "ParentId": lineage["parent"]})
        tree["mechanism"] = [
            _colour_of(state_of[c], None if pd.isna(parent[c]) else state_of[int(parent[c])]) for c in tree["Id"]
        ]
        return *_merge_small(pops, tree), "ancestry"
    if has(folder, "states.csv"):
        states = pd.read_csv(folder / "states.csv")
        code = {describe(s): s for s in range(N_STATES)}
        present = [code[c] for c in states.columns if c != "day"]
        pops = states.melt(id_vars="day", var_name="name", value_name="Pop")
        pops = pd.DataFrame({"Id": pops["name"].map(code), "Step": pops[DAY], "Pop": pops["Pop"]})
        rows = []
        for s in present:
            parent = _state_parent(s, set(present))
            rows.append({"Id": s, "ParentId": np.nan if parent is None else parent, "mechanism": _colour_of(s, parent)})
        return *_merge_small(pops, pd.DataFrame(rows)), "mechanism sets"
    ts = pd.read_csv(folder / "timeseries.csv")
    pops = ts.melt(id_vars="day", value_vars=list(COUNT_COLUMNS), var_name="mechanism", value_name="Pop")
    ids = {c: k for k, c in enumerate(COUNT_COLUMNS)}
    pops = pd.DataFrame({"Id": pops["mechanism"].map(ids), "Step": pops[DAY], "Pop": pops["Pop"]})
    tree = pd.DataFrame({"Id": list(ids.values()), "ParentId": np.nan, "mechanism": list(ids)})
    return pops, tree, "none"


# Without recorded ancestry, the mechanism a state most likely gained last: a reversible switch
# (persister, then AXL-high) before any genetic change, C797S (on the T790M allele) before T790M.
GAINED_LAST: tuple[str, ...] = ("persister", "axl_high", *(m for m in PRIORITY if m not in ("persister", "axl_high")))


def _state_parent(state: int, present: set[int]) -> int | None:
    """The state with the last-gained mechanism removed (again, until one seen in the run), or None."""
    by_name = {m.name: m for m in MECHANISMS}
    parent = state
    while parent:
        last = next(m for m in GAINED_LAST if m in _names(parent))
        parent &= ~bit(by_name[last])
        if parent in present:
            return parent
    return None


def _merge_small(pops: pd.DataFrame, tree: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Fold clones that never reach MIN_SHARE into their nearest kept ancestor (cells are kept)."""
    totals = pops.groupby("Step")["Pop"].transform("sum").replace(0, 1)
    peak = (pops["Pop"] / totals).groupby(pops["Id"]).max()
    parent = {int(i): (None if pd.isna(p) else int(p)) for i, p in zip(tree["Id"], tree["ParentId"], strict=True)}
    keep = {i for i in parent if parent[i] is None} | {int(i) for i in peak.index[peak >= MIN_SHARE]}
    for i in list(keep):  # ancestors of kept clones are kept, so nesting stays whole
        while parent.get(i) is not None and parent[i] not in keep:
            i = parent[i]
            keep.add(i)

    def home(i: int) -> int:
        while i not in keep:
            i = parent[i]  # type: ignore[assignment]
        return i

    pops = pops.assign(Id=pops["Id"].map(lambda i: home(int(i))))
    pops = pops.groupby(["Id", "Step"], as_index=False)["Pop"].sum()
    return pops, tree[tree["Id"].isin(keep)].reset_index(drop=True)


def muller_stack(pops: pd.DataFrame, tree: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """pyfish's nested stack (rows: layers in drawing order, columns: days; each column sums to 1)
    and the mechanism of each row."""
    edges = tree.dropna(subset=["ParentId"])
    parent_df = pd.DataFrame({"ParentId": edges["ParentId"].astype(int), "ChildId": edges["Id"].astype(int)})
    roots = tree.loc[tree["ParentId"].isna(), "Id"].astype(int)
    # Roots list themselves as their own parent: pyfish then joins them under one root.
    parent_df = pd.concat([pd.DataFrame({"ParentId": roots, "ChildId": roots}), parent_df], ignore_index=True)
    stack, _, _, _ = pyfish.process_data(pops, parent_df)
    mechanism = dict(zip(tree["Id"].astype(int), tree["mechanism"], strict=True))
    return stack, [mechanism[int(i)] for i in stack.index]


MULLER_NESTING = {
    "ancestry": (
        "(nested by ancestry)",
        f"Each clone is drawn inside the\nclone it arose from, in the colour\nof the mechanism it acquired.\n"
        f"Clones never above {MIN_SHARE:.1%}\nare drawn as part of their parent.",
    ),
    "mechanism sets": (
        "(nested by mechanism sets)",
        f"Each cell state is drawn inside\nthe state without its latest\nmechanism (switches before\n"
        f"mutations), in the colour of\nthat mechanism. States never\nabove {MIN_SHARE:.1%} join their parent.",
    ),
    "none": ("(shares of mechanism calls)", "A cell with two mechanisms\ncounts in both layers."),
}


def muller_figure(folder: Path) -> Figure:
    """Mechanism shares over time as a Muller (fish) plot, nested by ancestry when recorded, over
    the tumour's absolute size (cells, log axis): shares of a shrunken tumour are shares of few cells."""
    pops, tree, nesting = muller_layers(folder)
    stack, mechanisms = muller_stack(pops, tree)
    ts = pd.read_csv(Path(folder) / "timeseries.csv")
    with rc():
        fig, (ax, size) = figure(4.0, nrows=2, sharex=True, gridspec_kw={"height_ratios": [3, 1.25]})
        colours = np.array([to_rgba(mechanism_colour(m)) for m in mechanisms])
        pyfish.fish_plot(stack, stack.columns, colours, ax=ax)
        for k, collection in enumerate(ax.collections[1:-1]):  # pyfish pads with two grey layers
            collection.set_gid(f"layer:{mechanisms[k]}")
        for collection in ax.collections:
            # each layer's edge in its own colour: antialiased edges of adjacent layers otherwise
            # leave a pale seam (most visibly along the 50% line, where pyfish centres the root)
            collection.set_edgecolor(collection.get_facecolor())
            collection.set_linewidth(0.4)
        ax.set_ylim(0, 1)
        ax.yaxis.set_major_formatter(PercentFormatter(1.0))
        ax.set_yticks([0, 0.25, 0.5, 0.75, 1.0])
        ax.set_ylabel("share of tumour cells")
        title, note = MULLER_NESTING[nesting]
        ax.set_title(f"Mechanisms over time: Muller plot {title}, above the tumour's size", loc="left")
        shown = [m for m in COUNT_COLUMNS if m in set(mechanisms)]
        handles = [Patch(color=mechanism_colour(m), label=LABELS[m]) for m in shown]
        legend = ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), title="mechanism")
        legend._legend_box.align = "left"
        ax.text(1.02, 0.0, note, transform=ax.transAxes, fontsize=6, va="bottom", ha="left", wrap=False)
        _size_panel(size, ts)
    return fig


def _size_panel(ax: Axes, ts: pd.DataFrame) -> None:
    """All tumour cells on a log axis, the day-0 size dashed and the nadir marked: the shares'
    denominator."""
    day, total = ts[DAY].to_numpy(), ts["total"].to_numpy(dtype=float)
    ax.plot(day, np.where(total > 0, total, np.nan), color="black", lw=1.2, gid="muller:total")
    ax.axhline(total[0], color="#888888", lw=0.6, ls="--")
    nadir = int(np.argmin(total))
    ax.plot([day[nadir]], [max(total[nadir], 1.0)], "o", color="black", ms=3, gid="muller:nadir")
    ax.annotate(
        f"nadir {total[nadir]:,.0f} cells (day {day[nadir]:g})",
        (day[nadir], max(total[nadir], 1.0)),
        xytext=(5, -4),
        textcoords="offset points",
        fontsize=6,
        va="top",
    )
    ax.set_yscale("log")
    ax.set_ylim(max(0.5, np.nanmin(np.where(total > 0, total, np.nan)) / 12), total.max() * 3)  # room for the label
    ax.set_ylabel("tumour cells\n(log)")
    ax.set_xlabel("time (days)")
    ax.xaxis.set_major_locator(MaxNLocator(8, integer=True))
    ax.text(
        1.02,
        0.5,
        f"dashed: day 0\n({total[0]:,.0f} cells)",
        transform=ax.transAxes,
        fontsize=6,
        va="center",
        ha="left",
    )


# --- burden with drug bands ----------------------------------------------------------------
# Concentrations are drawn relative to the standard regimen's steady-state average (1 = the
# exposure the model was calibrated at), on a log axis down to this share of it.
CONCENTRATION_FLOOR = 1e-3


def burden_figure(folder: Path) -> Figure:
    """Tumour cells (log axis) and cells carrying each mechanism; each drug's plasma concentration
    relative to its standard steady state (when the run recorded it); the drug doses as bands below."""
    ts = pd.read_csv(Path(folder) / "timeseries.csv")
    drugs = [d for d in DRUG_NAMES if d in ts and (ts[d] > 0).any()]
    levels = [d for d in drugs if CONCENTRATION_PREFIX + d in ts]
    with rc():
        rows = max(1, len(drugs))
        heights = [4, *([1.6] if levels else []), 0.35 * rows]
        fig, axes = figure(
            2.6 + 0.25 * rows + (0.9 if levels else 0.0),
            nrows=len(heights),
            sharex=True,
            gridspec_kw={"height_ratios": heights},
            squeeze=True,
        )
        ax, bands = axes[0], axes[-1]
        day = ts[DAY].to_numpy()
        ax.plot(day, ts["total"].where(ts["total"] > 0), color="black", lw=1.6, label="all tumour cells", gid="total")
        for m in COUNT_COLUMNS:
            if (ts[m] > 0).any():
                ax.plot(
                    day, ts[m].where(ts[m] > 0), color=mechanism_colour(m), lw=1.0, label=LABELS[m], gid=f"line:{m}"
                )
        ax.set_yscale("log")
        ax.set_ylabel("cells")
        ax.set_title("Tumour burden (log scale) and cells carrying each mechanism", loc="left")
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
        if levels:
            _concentration_panel(axes[1], ts, levels)
        for k, drug in enumerate(drugs):
            dose = ts[drug].to_numpy(dtype=float)
            top = dose.max()
            # Band height shows the dose relative to the run's highest dose of that drug.
            bands.fill_between(
                day,
                k + 0.5 - 0.4 * dose / top,
                k + 0.5 + 0.4 * dose / top,
                step="post",
                color=drug_colour(drug),
                lw=0,
                gid=f"dose:{drug}",
            )
        bands.set_yticks([k + 0.5 for k in range(len(drugs))], drugs)
        bands.set_ylim(len(drugs) or 1, 0)
        bands.spines["left"].set_visible(False)
        bands.tick_params(axis="y", length=0)
        bands.set_xlabel("time (days)")
        bands.set_title("drugs given (band height: relative dose)", loc="left", fontsize=7)
        bands.set_xlim(day[0], day[-1])
        if not drugs:
            bands.set_yticks([0.5], ["no drug"])
    return fig


def _concentration_panel(ax: Axes, ts: pd.DataFrame, drugs: list[str]) -> None:
    """Each drug's day-average plasma concentration over its standard regimen's Css,avg (log axis),
    with the dose days of the drugs given every few days marked along the top."""
    day = ts[DAY].to_numpy()
    spaced = 0  # drugs given every few days so far: their marks are stacked down from the top
    for drug in drugs:
        pk = DRUGS[drug].pk
        steady = pk.standard_average_mg_l * NG_PER_ML_PER_MG_PER_L
        relative = ts[CONCENTRATION_PREFIX + drug].to_numpy(dtype=float) / steady
        ax.plot(
            day,
            np.where(relative > 0.0, relative, np.nan),
            color=drug_colour(drug),
            lw=1.0,
            label=f"{drug} (1 = {steady:,.3g} ng/mL)",
            gid=f"concentration:{drug}",
        )
        if pk.interval_days > 1:
            due = [d for d, given in zip(day, administrations(pk, ts[drug].tolist()), strict=True) if given]
            ax.plot(
                due,
                [0.97 - 0.09 * spaced] * len(due),
                "v",
                transform=ax.get_xaxis_transform(),
                color=drug_colour(drug),
                ms=3.5,
                gid=f"administration:{drug}",
            )
            spaced += 1
    ax.axhline(1.0, color="grey", lw=0.6, ls="--", gid="steady state")
    ax.set_yscale("log")
    ax.set_ylim(CONCENTRATION_FLOOR, None)
    ax.yaxis.set_major_locator(LogLocator(base=10.0, numticks=12))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.set_ylabel("plasma level /\nsteady state")
    ax.set_title(
        "plasma level (day's average) over the standard steady state; acts with [clinical] pk = true; "
        "\u25bc: doses of a drug given every few days",
        loc="left",
        fontsize=7,
    )
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=6)


# --- lattice snapshots ---------------------------------------------------------------------
def load_snapshots(folder: Path) -> dict[int, np.ndarray]:
    """The lattice of states (-1 empty) on each snapshot day."""
    with np.load(Path(folder) / "snapshots.npz") as data:
        return {int(d): data[f"day_{int(d)}"] for d in data["days"]}


def lattice_categories(lattice: np.ndarray) -> np.ndarray:
    """Each site as an index into COUNT_COLUMNS (its lead mechanism), or -1 when empty."""
    lookup = np.array([COUNT_COLUMNS.index(lead_mechanism(_names(s))) for s in range(N_STATES)])
    return np.where(lattice >= 0, lookup[np.clip(lattice, 0, None)], -1)


def snapshots_figure(folder: Path) -> Figure:
    """The lattice on each snapshot day, each cell in the colour of its lead mechanism."""
    snaps = load_snapshots(folder)
    days = sorted(snaps)
    cmap = ListedColormap(["white", *(mechanism_colour(m) for m in COUNT_COLUMNS)])
    with rc():
        n = len(days)
        fig, axes = figure(7.0 / max(n, 1) * 1.05 + 0.7, nrows=1, ncols=n, squeeze=False)
        seen: set[int] = set()
        for ax, day in zip(axes[0], days, strict=True):
            cats = lattice_categories(snaps[day])
            seen |= set(np.unique(cats[cats >= 0]).tolist())
            ax.imshow(
                cats.T + 1,
                cmap=cmap,
                vmin=0,
                vmax=len(COUNT_COLUMNS),
                origin="lower",
                interpolation="nearest",
                gid=f"snapshot:{day}",
            )
            ax.set_title(f"day {day}\n{int((snaps[day] >= 0).sum()):,} cells")
            ax.set_xticks([])
            ax.set_yticks([])
            ax.spines[["top", "right"]].set_visible(True)  # the lattice's edge on every side
        width, height = snaps[days[0]].shape
        # the lattice's size in the title: an x label under the first panel ran into the legend
        fig.suptitle(f"Lattice of {width} x {height} sites", x=0.01, ha="left", fontsize=8)
        handles = [
            Patch(color=mechanism_colour(COUNT_COLUMNS[c]), label=LABELS[COUNT_COLUMNS[c]]) for c in sorted(seen)
        ]
        fig.legend(handles=handles, loc="outside lower center", ncols=min(4, max(1, len(handles))))
    return fig
