"""What the targets identify: ``abm report DIR`` on a calibration folder.

For each fitted quantity it compares the posterior's weighted 95% interval with the prior's,
both on the prior's own scale (log10 for a log-uniform prior, so a rate that narrows from
1e-7..1e-5 to 1e-6..3e-6 counts in decades, as it was drawn): the ratio of the widths is 1
when the targets taught nothing about it (the posterior is the prior) and small when they pin
it down. Verdict: ``identified`` below 0.5, ``weakly`` below 0.8, else ``prior``.

Writes into ``DIR/report/``: ``identifiability.csv`` (one row per key), ``figures/pairs.png``
(weighted 2-D histograms of every pair, axes at the prior bounds), ``figures/marginals.png``
(each key's prior and posterior densities) and ``report.html`` (self-contained: the figures
are embedded). Only the calibration folder's files are read.
"""

from __future__ import annotations

import math
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd

from abm.experiments.particles import weighted_quantiles
from abm.experiments.posterior import Calibration, load_calibration
from abm.experiments.priors import Prior
from abm.io.output import atomic_write, write_csv
from abm.io.schema import (
    DISTRIBUTION,
    KEY,
    POSTERIOR_2_5,
    POSTERIOR_50,
    POSTERIOR_97_5,
    POSTERIOR_WIDTH_95,
    PRIOR_HIGH,
    PRIOR_LOW,
    PRIOR_WIDTH_95,
    SCALE,
    VERDICT,
    WIDTH_RATIO,
)
from abm.report.build import Section, _draw, _html

IDENTIFIED = 0.5  # posterior 95% width / prior 95% width below this: the targets pin the key down
WEAKLY = 0.8  # below this: they narrow it somewhat; above: the posterior is about the prior
QUANTILES = (0.025, 0.5, 0.975)
REPORT = "report"
BINS = 24


def verdict(ratio: float) -> str:
    if ratio < IDENTIFIED:
        return "identified"
    return "weakly" if ratio < WEAKLY else "prior"


def prior_width(prior: Prior) -> float:
    """The prior's central 95% width on its own scale."""
    low, high = prior.scale(prior.low), prior.scale(prior.high)
    return float(0.95 * (high - low))


def identifiability_table(calibration: Calibration) -> pd.DataFrame:
    """One row per fitted key: prior, weighted posterior quantiles, 95% widths (prior's scale), ratio, verdict."""
    rows = []
    weights = calibration.weights
    for key, prior in calibration.priors.items():
        scaled = prior.scale(calibration.particles[key].to_numpy(dtype=float))
        lo, mid, hi = weighted_quantiles(scaled, weights, QUANTILES)
        width = float(hi - lo)
        ratio = width / prior_width(prior)
        rows.append(
            {
                KEY: key,
                DISTRIBUTION: prior.distribution,
                PRIOR_LOW: prior.low,
                PRIOR_HIGH: prior.high,
                PRIOR_WIDTH_95: prior_width(prior),
                POSTERIOR_2_5: float(prior.unscale(lo)),
                POSTERIOR_50: float(prior.unscale(mid)),
                POSTERIOR_97_5: float(prior.unscale(hi)),
                POSTERIOR_WIDTH_95: width,
                WIDTH_RATIO: ratio,
                VERDICT: verdict(ratio),
                SCALE: "log10" if prior.log else "linear",
            }
        )
    return pd.DataFrame(rows)


def format_identifiability(table: pd.DataFrame) -> str:
    """The printed table: what each key's posterior looks like beside its prior."""
    width = max(12, *(len(k) for k in table[KEY]))
    lines = [
        f"{'key':{width}s} {'prior':>22s} {'posterior median [2.5%, 97.5%]':>34s} "
        f"{'95% width prior':>15s} {'posterior':>10s} {'ratio':>6s}  verdict"
    ]
    for r in table.to_dict("records"):
        log = r[DISTRIBUTION] == "loguniform"
        prior = f"{'log' if log else ''}U({r[PRIOR_LOW]:.3g}, {r[PRIOR_HIGH]:.3g})"
        post = f"{r[POSTERIOR_50]:.3g} [{r[POSTERIOR_2_5]:.3g}, {r[POSTERIOR_97_5]:.3g}]"
        unit = " dec" if log else ""  # decades: widths of a loguniform key are in log10
        lines.append(
            f"{r[KEY]:{width}s} {prior:>22s} {post:>34s} {f'{r[PRIOR_WIDTH_95]:.3g}{unit}':>15s} "
            f"{f'{r[POSTERIOR_WIDTH_95]:.3g}{unit}':>10s} {r[WIDTH_RATIO]:6.2f}  {r[VERDICT]}"
        )
    counts = table[VERDICT].value_counts()
    lines.append(
        f"{counts.get('identified', 0)} identified, {counts.get('weakly', 0)} weakly, "
        f"{counts.get('prior', 0)} left at the prior (ratio of 95% widths on the prior's scale, "
        f"log10 for loguniform; identified < {IDENTIFIED}, weakly < {WEAKLY})"
    )
    return "\n".join(lines)


# --- figures ---------------------------------------------------------------------------------
def _label(key: str, width: int = 16) -> str:
    """A key wrapped at its dots and underscores, so ~15 of them fit along a figure's edge."""
    parts, word = [], ""
    for c in key:
        word += c
        if c in "._":
            parts.append(word)
            word = ""
    parts.append(word)
    lines, line = [], ""
    for part in parts:
        if line and len(line) + len(part) > width:
            lines.append(line)
            line = ""
        line += part
    lines.append(line)
    return "\n".join(textwrap.shorten(x, 2 * width, placeholder="...") for x in lines if x)


def _edges(prior: Prior, bins: int = BINS) -> np.ndarray:
    """Histogram bin edges over the prior's range, evenly spaced on its scale (in natural units)."""
    return prior.unscale(np.linspace(prior.scale(prior.low), prior.scale(prior.high), bins + 1))


def _axis(ax, prior: Prior, which: str, ticks: bool) -> None:
    """An axis spanning the prior's bounds (log for loguniform), ticked at the bounds only."""
    set_scale, set_lim, set_ticks = (
        (ax.set_xscale, ax.set_xlim, ax.set_xticks) if which == "x" else (ax.set_yscale, ax.set_ylim, ax.set_yticks)
    )
    set_scale("log" if prior.log else "linear")
    set_lim(prior.low, prior.high)
    set_ticks([prior.low, prior.high], [f"{prior.low:.3g}", f"{prior.high:.3g}"] if ticks else ["", ""])
    set_ticks([], minor=True)
    # the bound labels lean inwards, so neighbouring panels' labels do not run into each other
    low, high = (ax.get_xticklabels() if which == "x" else ax.get_yticklabels())[:2]
    if which == "x":
        low.set_horizontalalignment("left")
        high.set_horizontalalignment("right")
    else:
        low.set_verticalalignment("bottom")
        high.set_verticalalignment("top")


def pairs_figure(calibration: Calibration):
    """Weighted posterior of every pair of keys (lower triangle) and of each key (diagonal)."""
    from matplotlib.figure import Figure

    keys, w = calibration.keys, calibration.weights
    k = len(keys)
    panel = 1.6 if k <= 6 else 1.05
    fig = Figure(figsize=(max(4.0, panel * k + 1.2), max(4.0, panel * k + 1.2)), dpi=150)
    axes = fig.subplots(k, k, squeeze=False)
    size = panel * k + 1.2
    margin = 0.9 / size  # inches for the wrapped names and the bound labels, as a share of the figure
    fig.subplots_adjust(left=margin, bottom=margin, right=0.98, top=1 - 0.35 / size, wspace=0.1, hspace=0.1)
    point = calibration.point
    for i, yk in enumerate(keys):
        for j, xk in enumerate(keys):
            ax = axes[i, j]
            if j > i:
                ax.set_axis_off()
                continue
            px, py = calibration.priors[xk], calibration.priors[yk]
            x = calibration.particles[xk].to_numpy(dtype=float)
            if i == j:
                density, edges = np.histogram(px.scale(x), bins=px.scale(_edges(px)), weights=w, density=True)
                ax.stairs(density, px.unscale(edges), fill=True, color="#4c72b0", alpha=0.8)
                ax.axhline(1.0 / (px.scale(px.high) - px.scale(px.low)), color="#888888", lw=0.8, ls="--")
                ax.set_yticks([])
                ax.set_ylim(0, max(density.max(), 1e-12) * 1.1)
            else:
                y = calibration.particles[yk].to_numpy(dtype=float)
                counts, ex, ey = np.histogram2d(x, y, bins=[_edges(px), _edges(py)], weights=w)
                ax.pcolormesh(ex, ey, np.ma.masked_equal(counts.T, 0), cmap="Blues", shading="flat")
                ax.plot([point[xk]], [point[yk]], marker="+", color="#c44e52", ms=5, mew=1)
                _axis(ax, py, "y", ticks=j == 0)
            _axis(ax, px, "x", ticks=i == k - 1)
            ax.tick_params(labelsize=6, length=2, pad=1)
            if i == k - 1:
                ax.set_xlabel(_label(xk), fontsize=7)
            if j == 0 and i > 0:
                ax.set_ylabel(_label(yk), fontsize=7)
    fig.suptitle(
        "Weighted posterior: pairs (2-D histograms) and each key (diagonal; dashed: the prior); + the posterior point",
        fontsize=8,
        y=1 - 0.1 / size,
    )
    return fig


def marginals_figure(calibration: Calibration, table: pd.DataFrame):
    """Each key's prior (dashed) and weighted posterior density, with its 2.5/50/97.5% quantiles."""
    from matplotlib.figure import Figure

    keys, w = calibration.keys, calibration.weights
    cols = min(4, len(keys))
    rows = math.ceil(len(keys) / cols)
    fig = Figure(figsize=(1.9 * cols + 0.4, 1.75 * rows + 0.4), dpi=150, layout="constrained")
    axes = np.atleast_1d(fig.subplots(rows, cols, squeeze=False).ravel())
    facts = table.set_index(KEY)
    for ax, key in zip(axes, keys, strict=False):
        prior = calibration.priors[key]
        x = prior.scale(calibration.particles[key].to_numpy(dtype=float))
        density, edges = np.histogram(x, bins=prior.scale(_edges(prior)), weights=w, density=True)
        ax.stairs(density, prior.unscale(edges), fill=True, color="#4c72b0", alpha=0.8, label="posterior")
        ax.axhline(
            1.0 / (prior.scale(prior.high) - prior.scale(prior.low)), color="#888888", lw=1, ls="--", label="prior"
        )
        row = facts.loc[key]
        for q, style in ((POSTERIOR_2_5, ":"), (POSTERIOR_50, "-"), (POSTERIOR_97_5, ":")):
            ax.axvline(row[q], color="#c44e52", lw=0.8, ls=style)
        _axis(ax, prior, "x", ticks=True)
        ax.set_yticks([])
        ax.tick_params(labelsize=6, length=2, pad=1)
        ax.set_title(f"{_label(key, 26)}\nratio {row['width_ratio']:.2f}: {row['verdict']}", fontsize=7)
    for ax in axes[len(keys) :]:
        ax.set_axis_off()
    axes[0].legend(fontsize=6, frameon=False, loc="upper right")
    return fig


# --- the report ------------------------------------------------------------------------------
def build_calibration_report(directory: Path | str) -> tuple[Path, str]:
    """Write DIR/report/ (identifiability.csv, figures, report.html); returns report.html and the text table."""

    calibration = load_calibration(directory)
    out = Path(directory) / REPORT
    table = identifiability_table(calibration)
    write_csv(table, out / "identifiability.csv")
    shown = table.assign(
        prior=[
            f"{'log' if d == 'loguniform' else ''}U({lo:.3g}, {hi:.3g})"
            for d, lo, hi in zip(table[DISTRIBUTION], table[PRIOR_LOW], table[PRIOR_HIGH], strict=True)
        ],
        posterior=[
            f"{m:.3g} [{lo:.3g}, {hi:.3g}]"
            for m, lo, hi in zip(table[POSTERIOR_50], table[POSTERIOR_2_5], table[POSTERIOR_97_5], strict=True)
        ],
    )[[KEY, "prior", "posterior", SCALE, PRIOR_WIDTH_95, POSTERIOR_WIDTH_95, WIDTH_RATIO, VERDICT]].round(3)
    meta = calibration.meta
    facts = pd.DataFrame(
        {
            "": ["method", "preset", "seed", "particles", "patients per arm", "targets", "wall time (s)"],
            "value": [
                str(meta.get("method", "")),
                str(meta.get("preset", "")),
                str(meta.get("seed", "")),
                str(len(calibration.particles)),
                str(meta.get("patients_per_arm", "")),
                ", ".join(map(str, meta.get("targets", []))),
                str(meta.get("wall_seconds", "")),
            ],
        }
    )
    generations = pd.DataFrame(meta.get("generations") or [])
    section = Section("calibration", f"Calibration: what the targets identify ({Path(directory)})")
    pairs = _draw(
        out,
        "pairs",
        "Posterior of every pair of fitted quantities",
        "Weighted 2-D histograms of the last generation's particles (darker: more posterior weight); axes span the "
        "prior bounds, log axes for log-uniform priors; diagonal: each key's weighted posterior density with its "
        "prior (dashed). A cloud filling its panel is a pair the targets leave free; a ridge is a trade-off "
        "between two keys that only their combination is identified.",
        lambda: pairs_figure(calibration),
    )
    pairs.tables += [("Identifiability", shown), ("Calibration", facts)]
    section.items.append(pairs)
    marginals = _draw(
        out,
        "marginals",
        "Prior and posterior of each fitted quantity",
        "Posterior density (blue; weighted particles) against the prior (dashed), on the prior's scale; red lines: "
        f"the posterior 2.5, 50 and 97.5% quantiles. Ratio: posterior 95% width / prior 95% width; identified below "
        f"{IDENTIFIED}, weakly below {WEAKLY}, else the posterior is about the prior.",
        lambda: marginals_figure(calibration, table),
    )
    if len(generations):
        marginals.tables.append(("ABC-SMC generations", generations))
    section.items.append(marginals)
    path = out / "report.html"
    atomic_write(path, lambda f: f.write(_html(out, [section])))
    return path, format_identifiability(table)
