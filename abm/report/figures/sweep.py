"""Figures of a parameter sweep: a heatmap of a metric over two parameters (replicate means ±
SD, or Kaplan-Meier medians of a censored day), a line with error bars over one parameter, and
the sensitivity indices ranked. Axes are labelled in words (sweep.json ``vary.NAME.label``).

Inputs (the sweep's fixed schema): ``sweep.json`` {name, base, design, parameters, metrics,
replicates, seed, kind}; ``runs.parquet``, one row per run: run, point, replicate, seed, one
column per varied parameter and per metric, status ("done" | "failed"), error, seconds;
``sensitivity.csv``: method, metric, parameter, mu_star, mu_star_conf, sigma, S1, S1_conf, ST, ST_conf.
Failed runs are left out of every figure (the report counts them).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle
from matplotlib.transforms import ScaledTranslation

from abm.biology.drugs import DRUG_NAMES
from abm.biology.mechanisms import COUNT_COLUMNS
from abm.biology.parameters import Parameters
from abm.clinic.readouts import MECHANISM_COLUMNS
from abm.experiments.sweep.summary import censored_medians, is_censored_metric
from abm.io.schema import STATUS
from abm.report.figures.style import LABELS, figure, rc
from abm.report.results import read_json

# A parameter with more distinct values than this (a sampled design) is binned for line plots.
MAX_LEVELS = 12
LINE_LEVELS = 6  # most lines in one line plot (one per value of a second parameter)


def load_sweep(folder: Path) -> tuple[dict, pd.DataFrame]:
    """The sweep description and its runs that finished."""
    folder = Path(folder)
    spec = read_json(folder / "sweep.json")
    runs = pd.read_parquet(folder / "runs.parquet")
    return spec, runs[runs[STATUS] == "done"].reset_index(drop=True)


# Run metrics in words (``abm.experiments.sweep.metrics.RUN_METRICS`` says how each is measured).
METRIC_LABELS = {
    "final_total": "tumour cells at the end",
    "fraction_alive": "cells at the end / cells on day 0",
    "nadir_total": "fewest tumour cells (nadir)",
    "nadir_day": "day of the nadir",
    "regrowth_day": "day the tumour regrew to its day-0 size",
    "regrew": "share of runs that regrew to the day-0 size",
    "progression_day": "day of the first RECIST progression",
    "progressed": "share of runs with a RECIST progression",
    "extinct": "share of runs with no tumour cell left",
    **{f"share_{m}": f"share of cells {LABELS[m]} at the end" for m in MECHANISM_COLUMNS},
    **{f"final_{c}": f"{LABELS[c]} cells at the end" for c in COUNT_COLUMNS},
    **{f"exposure_{d}": f"{d} dose-days" for d in DRUG_NAMES},
}


def axis_label(name: str) -> str:
    """A parameter or metric name with its unit, as far as the name or the parameter table says."""
    if name in METRIC_LABELS:
        return METRIC_LABELS[name]
    field = name.rsplit(".", 1)[-1]
    if field in Parameters.model_fields:
        extra = Parameters.model_fields[field].json_schema_extra or {}
        return f"{name} ({str(extra.get('allowed', '')).split(',')[0]})"
    base = name.split(":", 1)[0]
    if "day" in base:
        return f"{name} (days)"
    if any(w in base for w in ("share", "fraction", "orr", "progressed", "resistance", "extinct", "regrew")):
        return f"{name} (share)"
    if "total" in base or base.startswith(("final_", "nadir_")):
        return f"{name} (cells)"
    return name


def label(spec: dict, name: str) -> str:
    """The axis label of a varied setting or metric: a setting's from sweep.json (``vary.NAME.label``:
    the file's [labels], else worded from the base at run time), else from the name."""
    return spec.get("vary", {}).get(name, {}).get("label") or axis_label(name)


def replicate_means(runs: pd.DataFrame, by: list[str], metric: str) -> pd.DataFrame:
    """Mean, SD and number of finished replicates of ``metric`` for each combination of ``by``."""
    grouped = runs.groupby(by)[metric]
    return grouped.agg(mean="mean", sd="std", n="count").reset_index()


def _number(x: float) -> str:
    """Three significant figures, without exponents up to the millions: '8,732', '0.0118'."""
    if not np.isfinite(x):
        return "n/a"
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.3g}"


def heatmap_figure(folder: Path, metric: str, x: str, y: str) -> Figure:
    """``metric`` on the grid of two parameters, each cell labelled with its value and its
    uncertainty: the replicate mean ± SD; for a day censored at the run's end (``regrowth_day``,
    ``progression_day``) the Kaplan-Meier median over the replicates and how many were censored."""
    spec, runs = load_sweep(folder)
    censored = is_censored_metric(metric, runs)
    if censored:
        stats = censored_medians(runs, [x, y], metric).rename(columns={"median": "mean"})
    else:
        stats = replicate_means(runs, [x, y], metric)
    grid = stats.pivot(index=y, columns=x, values="mean").sort_index().sort_index(axis=1)
    values = grid.to_numpy(dtype=float)
    shown = np.where(np.isfinite(values), values, np.nan)  # not reached: no colour (hatched)
    with rc():
        fig, ax = figure(3.2 + 0.14 * len(grid), width=4.8 + 0.3 * len(grid.columns))
        ax.add_patch(
            Rectangle(
                (-0.5, -0.5),
                len(grid.columns),
                len(grid),
                facecolor="#eeeeee",
                hatch="///",
                edgecolor="#bbbbbb",
                lw=0,
                zorder=-1,  # behind the image: seen only where a cell has no value
            )
        )
        image = ax.imshow(shown, origin="lower", aspect="auto", cmap="viridis", gid=f"heatmap:{metric}")
        ax.set_xticks(
            range(len(grid.columns)), [f"{v:g}" for v in grid.columns], rotation=45 if len(grid.columns) > 8 else 0
        )
        ax.set_yticks(range(len(grid.index)), [f"{v:g}" for v in grid.index])
        counts = stats.pivot(index=y, columns=x, values="n").reindex_like(grid).to_numpy()
        full = int(np.nanmax(counts)) if counts.size else 0
        # off a full-factorial grid a cell pools runs whose other parameters differ: show every n
        factorial = spec.get("design") == "factorial" and len(spec.get("parameters", [x, y])) <= 2
        second = "censored" if censored else "sd"
        spread = stats.pivot(index=y, columns=x, values=second).reindex_like(grid).to_numpy(dtype=float)
        finite = shown[np.isfinite(shown)]
        middle = (finite.min() + finite.max()) / 2 if finite.size else 0
        if values.size <= 150:
            for (i, j), v in np.ndenumerate(values):
                n = 0 if np.isnan(counts[i, j]) else int(counts[i, j])
                if censored:
                    text = ("not\nreached" if v == np.inf else _number(v)) + f"\n{int(spread[i, j])}/{n} cens."
                else:
                    text = _number(v) + ("" if not np.isfinite(spread[i, j]) else f"\n±{_number(spread[i, j])}")
                    if n != full or not factorial:  # a replicate failed here, or pooled runs
                        text += f"\n(n={n})"
                ax.text(
                    j,
                    i,
                    text,
                    ha="center",
                    va="center",
                    fontsize=5.5,
                    color="black" if not np.isfinite(shown[i, j]) or shown[i, j] > middle else "white",
                    gid=f"cell:{i}:{j}",
                )
        ax.set_xlabel(label(spec, x))
        ax.set_ylabel(label(spec, y))
        bar = fig.colorbar(image, ax=ax, shrink=0.9)
        if censored:
            what = (
                f"Kaplan-Meier median over the {full} replicates\n(cells: median, censored/runs; "
                "hatched: not reached,\nover half the runs censored at the run's end)"
            )
        else:
            pooled = f"{full} replicates" if factorial else "the n runs in the cell"
            what = f"mean over {pooled}\n(cells: mean ± SD over replicates)"
        bar.set_label(f"{label(spec, metric)},\n{what}", fontsize=6.5)
        ax.set_title(f"{spec.get('name', 'sweep')}:\n{label(spec, metric)}", loc="left")
        ax.spines[["top", "right"]].set_visible(True)
    return fig


def line_data(runs: pd.DataFrame, metric: str, x: str, by: str | None = None) -> pd.DataFrame:
    """Replicate mean and SD of ``metric`` along ``x`` (binned when sampled), per value of ``by``;
    for a censored day, its Kaplan-Meier median with 95% CI (columns median, low, high) instead."""
    runs = runs.copy()
    if runs[x].nunique() > MAX_LEVELS:  # a sampled design: bin into quantiles, at the bins' means
        bins = pd.qcut(runs[x], 10, duplicates="drop")
        runs[x] = runs.groupby(bins, observed=True)[x].transform("mean")
    by_columns = [x] if by is None else [by, x]
    if is_censored_metric(metric, runs):
        return censored_medians(runs, by_columns, metric)
    return replicate_means(runs, by_columns, metric)


def line_figure(folder: Path, metric: str, x: str) -> Figure:
    """``metric`` against one parameter: replicate mean with ±1 SD error bars, replicates as dots
    (a censored day: Kaplan-Meier median with its 95% CI). Lines of the levels of a second
    parameter are set slightly apart so their bars do not overlap.

    With exactly two parameters, one line per value of the other (when it has few values);
    otherwise the other parameters are averaged over.
    """
    spec, runs = load_sweep(folder)
    others = [p for p in spec["parameters"] if p != x]
    by = others[0] if len(others) == 1 and runs[others[0]].nunique() <= LINE_LEVELS else None
    data = line_data(runs, metric, x, by)
    censored = "median" in data
    with rc():
        fig, ax = figure(3.3, width=5.2)
        groups = [(None, data)] if by is None else list(data.groupby(by))
        # Levels of a numeric parameter on a sequential scale (not the mechanisms' colours).
        shades = colormaps["viridis"](np.linspace(0.0, 0.85, max(len(groups), 1)))
        step = 3.0 if len(groups) > 1 else 0.0  # points between neighbouring lines
        top = 0.0
        unreached = []  # (x, colour, transform, level) of medians not reached, drawn above the rest
        for k, (level_and_rows, colour) in enumerate(zip(groups, shades, strict=True)):
            level, rows = level_and_rows
            rows = rows.sort_values(x)
            shift = ax.transData + ScaledTranslation((k - (len(groups) - 1) / 2) * step / 72, 0, fig.dpi_scale_trans)
            name = "replicate mean" if by is None else f"{level:g}"
            if censored:
                centre = rows["median"].to_numpy(dtype=float)
                reached = np.isfinite(centre)
                lo = np.where(np.isfinite(rows["low"]), rows["low"], centre)
                hi = np.where(np.isfinite(rows["high"]), rows["high"], centre)
                err = [np.where(reached, centre - lo, 0), np.where(reached, hi - centre, 0)]
                centre = np.where(reached, centre, np.nan)
            else:
                centre = rows["mean"].to_numpy(dtype=float)
                sd = rows["sd"].fillna(0.0).to_numpy()
                err = [sd, sd]
            top = max(top, np.nanmax(centre + err[1]) if np.isfinite(centre).any() else 0.0)
            drawn = ax.errorbar(
                rows[x],
                centre,
                yerr=err,
                color=colour,
                marker="o",
                ms=3,
                lw=1.2,
                elinewidth=0.8,
                capsize=2,
                label=name,
                transform=shift,
            )
            # a shifted transform leaves the data limits alone: give them the bars' ends
            ends = np.concatenate([centre - err[0], centre + err[1]])
            ax.update_datalim(np.column_stack([np.tile(rows[x].to_numpy(dtype=float), 2), ends])[np.isfinite(ends)])
            drawn.lines[0].set_gid(f"line:{metric}:{level}")
            drawn.lines[2][0].set_gid(f"bars:{metric}:{level}")
            if censored and (~reached).any():
                unreached.append((rows[x][~reached], colour, shift, level))
            if not censored and runs[x].nunique() <= MAX_LEVELS:
                own = runs if by is None else runs[runs[by] == level]
                ax.scatter(own[x], own[metric], s=3, color=colour, alpha=0.35, lw=0, zorder=3, transform=shift)
        if not censored and runs[x].nunique() <= MAX_LEVELS:
            ax.update_datalim(np.column_stack([runs[x], runs[metric]])[runs[metric].notna().to_numpy()])
        for xs, colour, shift, level in unreached:
            ax.update_datalim([(float(xs.min()), top * 1.08 or 1.0)])
            ax.scatter(
                xs,
                np.full(len(xs), top * 1.08 or 1.0),
                marker="^",
                facecolor="white",
                edgecolor=colour,
                s=18,
                transform=shift,
                zorder=4,
                gid=f"not-reached:{metric}:{level}",
            )
        ax.autoscale_view()
        ax.set_xlabel(label(spec, x))
        ax.set_ylabel(label(spec, metric))
        if censored:
            how = "Kaplan-Meier median over replicates, 95% CI; ▵: not reached (over half censored)"
        else:
            how = "replicate mean ± 1 SD; dots: replicates"
        ax.set_title(f"{spec.get('name', 'sweep')}: {label(spec, metric)}\n({how})", loc="left", fontsize=8)
        ax.legend(
            loc="upper center",
            bbox_to_anchor=(0.5, -0.2),
            ncols=min(6, len(groups)),
            title=None if by is None else label(spec, by),
        )
    return fig


def sensitivity_figure(folder: Path, method: str, metric: str) -> Figure:
    """Parameters ranked by their sensitivity index (Morris mu*, or Sobol ST with S1 beside it), with CIs."""
    table = pd.read_csv(Path(folder) / "sensitivity.csv")
    rows = table[(table["method"] == method) & (table["metric"] == metric)]
    morris = rows["mu_star"].notna().any() and not rows["ST"].notna().any()
    key = "mu_star" if morris else "ST"
    rows = rows.sort_values(key, ascending=True)
    with rc():
        fig, ax = figure(1.0 + 0.28 * len(rows), width=4.6)
        y = np.arange(len(rows))
        if morris:
            ax.barh(
                y,
                rows["mu_star"],
                xerr=rows["mu_star_conf"],
                color="#404040",
                height=0.6,
                capsize=2,
                gid=f"ranked:{method}:{metric}",
            )
            ax.set_xlabel("Morris μ* (mean absolute elementary effect, metric units)")
            handles = None
        else:
            ax.barh(
                y + 0.17,
                rows["ST"],
                xerr=rows["ST_conf"],
                color="#404040",
                height=0.34,
                capsize=2,
                gid=f"ranked:{method}:{metric}",
            )
            ax.barh(y - 0.17, rows["S1"], xerr=rows["S1_conf"], color="#b0b0b0", height=0.34, capsize=2)
            ax.set_xlabel("Sobol index (share of the metric's variance)")
            handles = [Patch(color="#404040", label="total order ST"), Patch(color="#b0b0b0", label="first order S1")]
        ax.set_yticks(y, rows["parameter"])
        ax.axvline(0, color="black", lw=0.6)
        ax.set_title(f"Sensitivity of {metric} ({method})", loc="left")
        if handles:
            ax.legend(handles=handles, loc="lower right")
    return fig
