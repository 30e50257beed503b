"""Altair charts of a run: cells per mechanism (log axis) over each drug's dose, and a patient's course.

Tables come from the models' DataCollector (``TumourModel.timeseries``): one row per day with
a column per count and per drug. Charts fold those columns in the browser (``transform_fold``)
so the data sent each day stays one row per day.
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from abm.colours import DRUG_COLOURS, MECHANISM_COLOURS
from abm.drugs import DRUG_NAMES
from abm.mechanisms import COUNT_COLUMNS

WIDTH = 380
MAX_ROWS = 1500  # days drawn per chart: a chart is ~400 px wide, and the page redraws every day


def thin(table: pd.DataFrame) -> pd.DataFrame:
    """At most about ``MAX_ROWS`` evenly spaced days of ``table``, always with the last day."""
    if len(table) <= MAX_ROWS:
        return table
    every = -(-len(table) // MAX_ROWS)
    keep = np.zeros(len(table), dtype=bool)
    keep[::every] = True
    keep[-1] = True
    return table[keep]


def figure(chart: alt.TopLevelMixin):
    """A solara element drawing ``chart`` with vega-embed in the browser.

    Like ``solara.FigureAltair``, but without switching Altair's global renderer for each
    drawing, which races when SolaraViz steps the model in one thread while the page renders
    in another (a chart then comes out as HTML instead of a spec).
    """
    import solara

    return solara.widgets.VegaLite.element(spec=chart.to_dict(), listen_to_click=False, listen_to_hover=False)


def _scale(colours: dict[str, str], shown: list[str]) -> alt.Scale:
    return alt.Scale(domain=shown, range=[colours[name] for name in shown])


def counts_chart(table: pd.DataFrame, days: int) -> alt.Chart:
    """Cells carrying each mechanism per day on a log axis; zero counts are left out (no log of 0)."""
    shown = [c for c in COUNT_COLUMNS if (table[c] > 0).any()] or ["sensitive"]
    x = alt.X("day:Q", title="day", scale=alt.Scale(domain=[0, max(days, 1)]))
    return (
        alt.Chart(thin(table[["day", *shown]]))
        .transform_fold(shown, as_=["mechanism", "cells"])
        .transform_filter("datum.cells > 0")
        .mark_line(interpolate="step-after")
        .encode(
            x=x,
            y=alt.Y("cells:Q", title="cells", scale=alt.Scale(type="log")),
            color=alt.Color(
                "mechanism:N",
                scale=_scale(MECHANISM_COLOURS, shown),
                legend=alt.Legend(title=None, orient="bottom", columns=4),
            ),
        )
        .properties(width=WIDTH, height=170, title="Cells per mechanism")
    )


def doses_chart(table: pd.DataFrame, days: int, scheduled: tuple[str, ...] = (), height: int = 60) -> alt.Chart:
    """Each drug's relative dose per day: the drugs of the schedule and any other given."""
    shown = [d for d in DRUG_NAMES if d in scheduled or (table[d] > 0).any()] or list(DRUG_NAMES[:1])
    top = max(1.0, float(table[shown].to_numpy().max()))
    return (
        alt.Chart(thin(table[["day", *shown]]))
        .transform_fold(shown, as_=["drug", "dose"])
        .mark_line(interpolate="step-after")
        .encode(
            x=alt.X("day:Q", title="day", scale=alt.Scale(domain=[0, max(days, 1)])),
            y=alt.Y("dose:Q", title="dose", scale=alt.Scale(domain=[0, top])),
            color=alt.Color(
                "drug:N", scale=_scale(DRUG_COLOURS, shown), legend=alt.Legend(title=None, orient="bottom", columns=4)
            ),
        )
        .properties(width=WIDTH, height=height, title="Relative dose (1 = standard)")
    )


def run_chart(table: pd.DataFrame, days: int, scheduled: tuple[str, ...] = ()) -> alt.VConcatChart:
    """Counts per mechanism with the doses of the ``scheduled`` drugs under them, sharing the day axis."""
    return alt.vconcat(counts_chart(table, days), doses_chart(table, days, scheduled)).resolve_scale(
        color="independent"
    )


def burden_chart(table: pd.DataFrame, visits: pd.DataFrame, days: int, progression_days: list[int]) -> alt.LayerChart:
    """One patient's burden (log axis) with its imaging visits, nadir and progressions marked.

    ``visits``: one row per scan with ``day``, ``cells``, ``mm`` (sum of diameters) and
    ``finding`` (baseline, scan, nadir or progression).
    """
    x = alt.X("day:Q", title="day", scale=alt.Scale(domain=[0, max(days, 1)]))
    burden = (
        alt.Chart(thin(table[["day", "total"]]))
        .transform_filter("datum.total > 0")
        .mark_line(color="#333333")
        .encode(x=x, y=alt.Y("total:Q", title="tumour cells", scale=alt.Scale(type="log"), axis=alt.Axis(format=".0e")))
    )
    findings = {"baseline": "#000000", "scan": "#7F7F7F", "nadir": "#0072B2", "progression": "#D55E00"}
    scans = (
        alt.Chart(visits)
        .transform_filter("datum.cells > 0")
        .mark_point(filled=True, size=70)
        .encode(
            x=x,
            y=alt.Y("cells:Q", scale=alt.Scale(type="log")),
            color=alt.Color(
                "finding:N",
                scale=alt.Scale(domain=list(findings), range=list(findings.values())),
                legend=alt.Legend(title="imaging (RECIST)", orient="bottom"),
            ),
            tooltip=["day:Q", alt.Tooltip("mm:Q", title="sum of diameters (mm)", format=".1f"), "finding:N"],
        )
    )
    layers = [burden, scans]
    if progression_days:
        rules = pd.DataFrame({"day": progression_days})
        layers.append(alt.Chart(rules).mark_rule(color="#D55E00", strokeDash=[4, 3]).encode(x=x))
    return alt.layer(*layers).properties(width=WIDTH, height=220, title="Burden, imaging visits, nadir, progression")


def shares_chart(table: pd.DataFrame, days: int, scheduled: tuple[str, ...] = ()) -> alt.VConcatChart:
    """Each mechanism's share of the tumour's cells, with the doses under it."""
    columns = [c for c in COUNT_COLUMNS if (table[c] > 0).any()] or ["sensitive"]
    shares = table[["day", *columns]].copy()
    total = table["total"].where(table["total"] > 0)
    for c in columns:
        shares[c] = table[c] / total
    chart = (
        alt.Chart(thin(shares))
        .transform_fold(columns, as_=["mechanism", "share"])
        .mark_line(interpolate="step-after")
        .encode(
            x=alt.X("day:Q", title="day", scale=alt.Scale(domain=[0, max(days, 1)])),
            y=alt.Y("share:Q", title="share of cells", scale=alt.Scale(domain=[0, 1])),
            color=alt.Color(
                "mechanism:N",
                scale=_scale(MECHANISM_COLOURS, columns),
                legend=alt.Legend(title=None, orient="bottom", columns=4),
            ),
        )
        .properties(width=WIDTH, height=150, title="Mechanism shares")
    )
    return alt.vconcat(chart, doses_chart(table, days, scheduled)).resolve_scale(color="independent")
