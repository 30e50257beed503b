"""Figures of a parameter sweep: a heatmap of a metric over two parameters (replicate means),
a line with replicate bands over one parameter, and the sensitivity indices ranked.

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
from matplotlib.patches import Patch

from abm.biology.parameters import Parameters
from abm.io.schema import STATUS
from abm.report.figures.style import figure, rc
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


def axis_label(name: str) -> str:
    """A parameter or metric name with its unit, as far as the name or the parameter table says."""
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


def replicate_means(runs: pd.DataFrame, by: list[str], metric: str) -> pd.DataFrame:
    """Mean, SD and number of finished replicates of ``metric`` for each combination of ``by``."""
    grouped = runs.groupby(by)[metric]
    return grouped.agg(mean="mean", sd="std", n="count").reset_index()


def heatmap_figure(folder: Path, metric: str, x: str, y: str) -> Figure:
    """``metric`` (mean over replicates) on the grid of two parameters, each cell labelled with its value."""
    spec, runs = load_sweep(folder)
    means = replicate_means(runs, [x, y], metric)
    grid = means.pivot(index=y, columns=x, values="mean").sort_index().sort_index(axis=1)
    with rc():
        fig, ax = figure(3.0 + 0.12 * len(grid), width=4.6 + 0.25 * len(grid.columns))
        image = ax.imshow(
            grid.to_numpy(dtype=float), origin="lower", aspect="auto", cmap="viridis", gid=f"heatmap:{metric}"
        )
        ax.set_xticks(
            range(len(grid.columns)), [f"{v:g}" for v in grid.columns], rotation=45 if len(grid.columns) > 8 else 0
        )
        ax.set_yticks(range(len(grid.index)), [f"{v:g}" for v in grid.index])
        values = grid.to_numpy(dtype=float)
        counts = means.pivot(index=y, columns=x, values="n").reindex_like(grid).to_numpy()
        full = int(np.nanmax(counts)) if counts.size else 0
        # off a full-factorial grid a cell pools runs whose other parameters differ: show every n
        factorial = spec.get("design") == "factorial" and len(spec.get("parameters", [x, y])) <= 2
        finite = values[np.isfinite(values)]
        middle = (finite.min() + finite.max()) / 2 if finite.size else 0
        if values.size <= 150:
            for (i, j), v in np.ndenumerate(values):
                text = "n/a" if not np.isfinite(v) else f"{v:.3g}"
                if counts[i, j] != full or not factorial:  # a replicate failed here, or pooled runs
                    text += f"\n(n={0 if np.isnan(counts[i, j]) else int(counts[i, j])})"
                ax.text(
                    j,
                    i,
                    text,
                    ha="center",
                    va="center",
                    fontsize=6,
                    color="black" if np.isfinite(v) and v > middle else "white",
                )
        ax.set_xlabel(axis_label(x))
        ax.set_ylabel(axis_label(y))
        bar = fig.colorbar(image, ax=ax, shrink=0.9)
        pooled = f"mean of {full} replicates" if factorial else "mean of the n runs in the cell"
        bar.set_label(f"{axis_label(metric)},\n{pooled}")
        ax.set_title(f"{spec.get('name', 'sweep')}:\n{metric}", loc="left")
        ax.spines[["top", "right"]].set_visible(True)
    return fig


def line_data(runs: pd.DataFrame, metric: str, x: str, by: str | None = None) -> pd.DataFrame:
    """Replicate mean and SD of ``metric`` along ``x`` (binned when sampled), per value of ``by``."""
    runs = runs.copy()
    if runs[x].nunique() > MAX_LEVELS:  # a sampled design: bin into quantiles, at the bins' means
        bins = pd.qcut(runs[x], 10, duplicates="drop")
        runs[x] = runs.groupby(bins, observed=True)[x].transform("mean")
    return replicate_means(runs, [x] if by is None else [by, x], metric)


def line_figure(folder: Path, metric: str, x: str) -> Figure:
    """``metric`` against one parameter: replicate mean with a band of +/- 1 SD, replicates as dots.

    With exactly two parameters, one line per value of the other (when it has few values);
    otherwise the other parameters are averaged over.
    """
    spec, runs = load_sweep(folder)
    others = [p for p in spec["parameters"] if p != x]
    by = others[0] if len(others) == 1 and runs[others[0]].nunique() <= LINE_LEVELS else None
    data = line_data(runs, metric, x, by)
    with rc():
        fig, ax = figure(2.8, width=4.6)
        groups = [(None, data)] if by is None else list(data.groupby(by))
        # Levels of a numeric parameter on a sequential scale (not the mechanisms' colours).
        shades = colormaps["viridis"](np.linspace(0.0, 0.85, max(len(groups), 1)))
        for level_and_rows, colour in zip(groups, shades, strict=True):
            level, rows = level_and_rows
            rows = rows.sort_values(x)
            sd = rows["sd"].fillna(0.0)
            label = "mean of replicates" if by is None else f"{by} = {level:g}"
            ax.plot(
                rows[x], rows["mean"], color=colour, marker="o", ms=3, lw=1.2, label=label, gid=f"line:{metric}:{level}"
            )
            ax.fill_between(rows[x], rows["mean"] - sd, rows["mean"] + sd, color=colour, alpha=0.2, lw=0)
        if runs[x].nunique() <= MAX_LEVELS:
            ax.scatter(runs[x], runs[metric], s=4, color="#555555", alpha=0.5, zorder=3, label="replicates")
        ax.set_xlabel(axis_label(x))
        ax.set_ylabel(axis_label(metric))
        ax.set_title(f"{spec.get('name', 'sweep')}: {metric}\n(line: replicate mean; band: ±1 SD)", loc="left")
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
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
