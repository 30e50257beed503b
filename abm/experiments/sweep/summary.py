"""What a finished sweep found, in a few lines for the terminal.

Per metric: the design points with the highest and the lowest replicate mean, each with its
settings, and whether the difference between them stands out from the replicate noise (the
spread of the means against twice the standard error of a difference of two means, from the
median replicate SD: a rough screen, not a test). A day metric that is set to the run's length
when its event did not happen (``regrowth_day``, ``progression_day``: ``CENSORED_BY``) is
censored there, not observed: it is summarised per point by its Kaplan-Meier median and 95% CI
over the replicates (lifelines), with the number of censored runs, never by a mean.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from abm.experiments.sweep.metrics import CENSORED_BY
from abm.experiments.trial_stats import median_pfs
from abm.io.schema import POINT, STATUS

SENSITIVITY_DESIGNS = ("morris", "sobol")


def _number(x: float) -> str:
    if not math.isfinite(x):
        return "not reached"
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.3g}"


def is_censored_metric(metric: str, runs: pd.DataFrame) -> bool:
    """Whether ``metric`` is a censored day whose event column the runs table holds."""
    return metric in CENSORED_BY and CENSORED_BY[metric] in runs


def censored_medians(runs: pd.DataFrame, by: list[str], metric: str) -> pd.DataFrame:
    """Per combination of ``by``: the Kaplan-Meier median of a censored day ``metric`` over its
    finished replicates (inf: not reached), its 95% CI (``trial_stats.median_pfs``; a low end of
    NaN: none, a high end of inf: no upper end), and the numbers of runs, events and censored runs."""
    event = CENSORED_BY[metric]
    rows = []
    for key, group in runs.dropna(subset=[metric, event]).groupby(by):
        observed = group[event].astype(bool)
        median, (lo, hi) = median_pfs(group[metric], observed)
        events = int(observed.sum())
        keys = key if isinstance(key, tuple) else (key,)
        rows.append(
            {
                **dict(zip(by, keys, strict=True)),
                "median": math.inf if median is None else median,
                "low": math.nan if lo is None else lo,
                "high": math.inf if hi is None else hi,
                "n": len(group),
                "events": events,
                "censored": len(group) - events,
            }
        )
    return pd.DataFrame(rows, columns=[*by, "median", "low", "high", "n", "events", "censored"])


def _interval(low: float, high: float) -> str:
    if not np.isfinite(low):
        return "95% CI not estimable"
    return f"95% CI {_number(low)}-{_number(high)}"


def summarise_sweep(table: pd.DataFrame, parameters: list[str], metrics: list[str], design: str = "") -> list[str]:
    """The summary's lines: one per metric (and a pointer to ``abm sensitivity`` for its designs)."""
    done = table[table[STATUS] == "done"]
    if done.empty:
        return ["no run finished: nothing to summarise"]
    points = done.groupby(POINT)
    settings = points[parameters].first()

    def where(point: int) -> str:
        return ", ".join(f"{name} = {settings.loc[point, name]:g}" for name in parameters)

    lines = [f"found (over {points.ngroups} points; each point's mean over its replicates, lowest to highest):"]
    for metric in metrics:
        if is_censored_metric(metric, done):
            lines.append(_censored_line(done, metric, where))
            continue
        stats = points[metric].agg(["mean", "std", "count"]).dropna(subset=["mean"])
        if stats.empty:
            lines.append(f"  {metric}: undefined in every run")
            continue
        high, low = stats["mean"].idxmax(), stats["mean"].idxmin()
        spread = stats.loc[high, "mean"] - stats.loc[low, "mean"]
        if spread == 0:
            line = f"  {metric}: {_number(stats.loc[high, 'mean'])} at every point"
        else:
            line = (
                f"  {metric}: {_number(stats.loc[low, 'mean'])} ({where(low)}) to "
                f"{_number(stats.loc[high, 'mean'])} ({where(high)})"
            )
            n = int(stats["count"].median())
            sd = float(stats["std"].median()) if n > 1 else math.nan  # pandas' median skips NaN
            if math.isfinite(sd):
                noise = 2 * sd * math.sqrt(2 / n)
                verdict = "beyond" if spread > noise else "within"
                line += f"; {verdict} replicate noise (SD {_number(sd)}, n = {n})"
        lines.append(line)
    if design in SENSITIVITY_DESIGNS:
        lines.append("  which settings matter most: abm sensitivity on this folder")
    return lines


def _censored_line(done: pd.DataFrame, metric: str, where) -> str:
    """A censored day metric: the points with the lowest and highest Kaplan-Meier median (95% CI)."""
    medians = censored_medians(done, [POINT], metric).set_index(POINT)
    censored, n = int(medians["censored"].sum()), int(medians["n"].sum())
    head = f"  {metric} (Kaplan-Meier median over the replicates; {censored} of {n} runs censored at the run's end)"
    if medians.empty:
        return f"  {metric}: undefined in every run"
    if not np.isfinite(medians["median"]).any():
        return f"{head}: not reached at any point"
    # not reached sorts last (inf); ties keep the first point
    low, high = medians["median"].idxmin(), medians["median"].idxmax()
    if medians.loc[low, "median"] == medians.loc[high, "median"]:
        return f"{head}: {_number(medians.loc[low, 'median'])} at every point"
    ends = []
    for p in (low, high):
        median, lo, hi = medians.loc[p, ["median", "low", "high"]]
        interval = "" if not np.isfinite(lo) and not np.isfinite(median) else _interval(lo, hi) + "; "
        ends.append(f"{_number(median)} ({interval}{where(p)})")
    return f"{head}: {ends[0]} to {ends[1]}"
