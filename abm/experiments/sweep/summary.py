"""What a finished sweep found, in a few lines for the terminal.

Per metric: the design points with the highest and the lowest replicate mean, each with its
settings, and whether the difference between them stands out from the replicate noise (the
spread of the means against twice the standard error of a difference of two means, from the
median replicate SD: a rough screen, not a test). A day metric that is capped at the run's
length when nothing happened (``regrowth_day``, ``progression_day``) says how many runs were
capped, since their mean is not a mean of observed days.
"""

from __future__ import annotations

import math

import pandas as pd

from abm.io.schema import POINT, PROGRESSED, STATUS

# A day metric capped at model.days when its event did not happen -> the metric saying whether it did.
CAPPED_BY = {"regrowth_day": "regrew", "progression_day": PROGRESSED}
SENSITIVITY_DESIGNS = ("morris", "sobol")


def _number(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.3g}"


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
        if metric in CAPPED_BY and CAPPED_BY[metric] in done:
            capped = int((done[CAPPED_BY[metric]] == 0).sum())
            if capped:
                line += f"; {capped} of {len(done)} runs never reached it and count as the last day (censored)"
        lines.append(line)
    if design in SENSITIVITY_DESIGNS:
        lines.append("  which settings matter most: abm sensitivity on this folder")
    return lines
