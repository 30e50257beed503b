"""Altair charts of a run: cells per mechanism (log axis) over each drug's dose, and a patient's course.

Tables come from the models' DataCollector (``TumourModel.timeseries``): one row per day with
a column per count and per drug. Charts fold those columns in the browser (``transform_fold``)
so the data sent each day stays one row per day.

The page redraws its charts every day while playing, so the run and share charts are built
as Vega-Lite specs once per layout (which mechanisms and drugs are shown, the axis ranges)
and only their rows are put in each day (``_spec``): Altair takes ~50 ms to build and
validate a chart, putting rows in ~2 ms.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Hashable
from typing import Any

import altair as alt
import numpy as np
import pandas as pd

from abm.biology.drugs import DRUG_NAMES
from abm.biology.mechanisms import COUNT_COLUMNS
from abm.report.colours import DRUG_COLOURS, MECHANISM_COLOURS

WIDTH = 340  # two charts (and vega-embed's menu) side by side in a 1400 px window beside the sidebar
MAX_ROWS = 1500  # days drawn per chart: a chart is ~400 px wide, and the page redraws every day
_TEMPLATES: dict[Hashable, tuple[dict[str, Any], list[str]]] = {}


def thin(table: pd.DataFrame, keep: np.ndarray | None = None) -> pd.DataFrame:
    """About ``MAX_ROWS`` evenly spaced days of ``table``, always with the last day and the rows
    marked in ``keep``."""
    if len(table) <= MAX_ROWS:
        return table
    every = -(-len(table) // MAX_ROWS)
    chosen = np.zeros(len(table), dtype=bool) if keep is None else keep.copy()
    chosen[::every] = True
    chosen[-1] = True
    return table[chosen]


def figure(chart: alt.TopLevelMixin | dict[str, Any]):
    """A solara element drawing a chart (or a Vega-Lite spec) with vega-embed in the browser.

    Like ``solara.FigureAltair``, but without switching Altair's global renderer for each
    drawing, which races when SolaraViz steps the model in one thread while the page renders
    in another (a chart then comes out as HTML instead of a spec).
    """
    import solara

    spec = chart if isinstance(chart, dict) else chart.to_dict()
    return solara.widgets.VegaLite.element(spec=spec, listen_to_click=False, listen_to_hover=False)


def _spec(layout: Hashable, data: pd.DataFrame, build: Callable[[pd.DataFrame], alt.TopLevelMixin]) -> dict[str, Any]:
    """``build(data).to_dict()``, built once per ``layout`` on no rows, with ``data``'s rows put in.

    ``build`` must draw every layer from ``data`` itself and take everything else from ``layout``.
    """
    key = (layout, tuple(data.columns))
    if key not in _TEMPLATES:
        if len(_TEMPLATES) > 64:
            _TEMPLATES.clear()
        template = build(data.iloc[:0]).to_dict()
        _TEMPLATES[key] = (template, list(template.get("datasets", {})))
    template, names = _TEMPLATES[key]
    # As Altair puts rows in a spec (NaN as null), through pandas' C writer: several times faster.
    rows = json.loads(data.to_json(orient="records", double_precision=15))
    return {**template, "datasets": dict.fromkeys(names, rows)}


def _scale(colours: dict[str, str], shown: list[str]) -> alt.Scale:
    return alt.Scale(domain=shown, range=[colours[name] for name in shown])


def _day_axis(days: int) -> alt.X:
    return alt.X("day:Q", title="day", scale=alt.Scale(domain=[0, max(days, 1)]))


def _legend() -> alt.Legend:
    return alt.Legend(title=None, orient="bottom", columns=4)


def present(table: pd.DataFrame) -> list[str]:
    """The count columns with a cell on some day (at least ``sensitive``)."""
    seen = (table[list(COUNT_COLUMNS)].to_numpy() > 0).any(axis=0)  # numpy: ~20x pandas column by column
    return [c for c, any_cell in zip(COUNT_COLUMNS, seen, strict=True) if any_cell] or ["sensitive"]


def drugs_shown(table: pd.DataFrame, scheduled: tuple[str, ...]) -> list[str]:
    """The drugs of the schedule and any other given (at least one, for an empty chart)."""
    given = (table[list(DRUG_NAMES)].to_numpy() > 0).any(axis=0)
    return [d for d, g in zip(DRUG_NAMES, given, strict=True) if g or d in scheduled] or list(DRUG_NAMES[:1])


EVENT_COLOUR = "#333333"


def counts_chart(data: pd.DataFrame, shown: list[str], days: int) -> alt.LayerChart:
    """Cells carrying each mechanism per day on a log axis (zero counts left out: no log of 0),
    with the run's events (an ``event`` column, null on other days) as labelled rules."""
    base = alt.Chart(data)
    lines = (
        base.transform_fold(shown, as_=["mechanism", "cells"])
        .transform_filter("datum.cells > 0")
        .mark_line(interpolate="step-after")
        .encode(
            x=_day_axis(days),
            y=alt.Y("cells:Q", title="cells", scale=alt.Scale(type="log")),
            color=alt.Color("mechanism:N", scale=_scale(MECHANISM_COLOURS, shown), legend=_legend()),
        )
    )
    marked = base.transform_filter("isValid(datum.event)")
    rules = marked.mark_rule(color=EVENT_COLOUR, strokeDash=[4, 3]).encode(
        x=_day_axis(days), tooltip=["day:Q", "event:N"]
    )
    # Read upwards, hanging from the top of the plot just right of its rule (offsets are before the
    # rotation: dx moves down, dy right), so a day-0 label stays off the y axis.
    labels = marked.mark_text(
        align="right", baseline="top", angle=270, dx=-4, dy=3, fontSize=10, color=EVENT_COLOUR
    ).encode(x=_day_axis(days), y=alt.value(0), text="event:N")
    return alt.layer(lines, rules, labels).properties(width=WIDTH, height=190, title="Cells per mechanism")


def doses_chart(data: pd.DataFrame, drugs: list[str], top: float, days: int) -> alt.Chart:
    """Each drug's doses as a bar along the day axis (a Gantt strip): one row per drug, darker
    for a higher dose, so two drugs at the same dose never hide each other. Each row of ``data``
    lasts from ``day`` to ``day_end``."""
    return (
        alt.Chart(data)
        .transform_fold(drugs, as_=["drug", "dose"])
        .transform_filter("datum.dose > 0")
        .mark_rect()
        .encode(
            x=_day_axis(days),
            x2="day_end:Q",
            y=alt.Y("drug:N", title=None, sort=drugs, scale=alt.Scale(domain=drugs)),
            color=alt.Color("drug:N", scale=_scale(DRUG_COLOURS, drugs), legend=None),
            opacity=alt.Opacity("dose:Q", scale=alt.Scale(domain=[0, top], range=[0.15, 1]), legend=None),
            tooltip=["drug:N", alt.Tooltip("dose:Q", title="relative dose"), "day:Q"],
        )
        .properties(width=WIDTH, height=18 * len(drugs), title="Doses (darker: higher; 1 = standard)")
    )


def _top_dose(table: pd.DataFrame, drugs: list[str]) -> float:
    return max(1.0, float(table[drugs].to_numpy().max())) if len(table) else 1.0


def with_spans(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` with ``day_end``: the day the next row starts (the last row lasts one day),
    so thinned rows still tile the day axis."""
    days = table["day"].to_numpy()
    return table.assign(day_end=np.append(days[1:], days[-1:] + 1) if len(days) else days)


def run_chart(
    table: pd.DataFrame, days: int, scheduled: tuple[str, ...] = (), events: list[tuple[int, str]] = ()
) -> dict[str, Any]:
    """Spec of the counts per mechanism, with the run's ``events`` (day, label) marked, over the
    dose strip, sharing the day axis."""
    shown, drugs = present(table), drugs_shown(table, scheduled)
    top = _top_dose(table, drugs)
    data = table[["day", *shown, *drugs]]
    by_day: dict[int, str] = {}
    for day, label in events:  # two events on one day share the row
        by_day[day] = f"{by_day[day]}; {label}" if day in by_day else label
    labels = data["day"].map(by_day).astype(object)
    labels = labels.where(labels.notna(), None)
    data = with_spans(thin(data.assign(event=labels), keep=labels.notna().to_numpy()))
    return _spec(
        ("run", tuple(shown), tuple(drugs), top, days),
        data,
        lambda d: alt.vconcat(counts_chart(d, shown, days), doses_chart(d, drugs, top, days)).resolve_scale(
            color="independent"
        ),
    )


def burden_chart(table: pd.DataFrame, visits: pd.DataFrame, days: int) -> dict[str, Any]:
    """Spec of one patient's burden (log axis) with its imaging visits, nadir and progressions marked.

    ``visits``: one row per scan with ``day``, ``mm`` (sum of diameters) and ``finding``
    (baseline, scan, nadir or progression). Both go into one table, one row per day (a scan's
    day carries its finding), so the chart is one dataset like the others.
    """
    data = table[["day", "total"]].merge(visits[["day", "mm", "finding"]], on="day", how="left")
    data = thin(data, keep=data["finding"].notna().to_numpy())
    x = alt.X("day:Q", title="day", scale=alt.Scale(domain=[0, max(days, 1)]))
    findings = {"baseline": "#000000", "scan": "#7F7F7F", "nadir": "#0072B2", "progression": "#D55E00"}

    def build(d: pd.DataFrame) -> alt.LayerChart:
        base = alt.Chart(d).encode(x=x)
        burden = (
            base.transform_filter("datum.total > 0")
            .mark_line(color="#333333")
            .encode(y=alt.Y("total:Q", title="tumour cells", scale=alt.Scale(type="log"), axis=alt.Axis(format=".0e")))
        )
        scans = (
            base.transform_filter("isValid(datum.finding) && datum.total > 0")
            .mark_point(filled=True, size=70)
            .encode(
                y=alt.Y("total:Q"),
                color=alt.Color(
                    "finding:N",
                    scale=alt.Scale(domain=list(findings), range=list(findings.values())),
                    legend=alt.Legend(title="imaging (RECIST)", orient="bottom"),
                ),
                tooltip=["day:Q", alt.Tooltip("mm:Q", title="sum of diameters (mm)", format=".1f"), "finding:N"],
            )
        )
        rules = base.transform_filter("datum.finding == 'progression'").mark_rule(color="#D55E00", strokeDash=[4, 3])
        return alt.layer(burden, scans, rules).properties(
            width=WIDTH, height=220, title="Burden, imaging visits, nadir, progression"
        )

    return _spec(("burden", days), data, build)


def shares_chart(table: pd.DataFrame, days: int, scheduled: tuple[str, ...] = ()) -> dict[str, Any]:
    """Spec of each mechanism's share of the tumour's cells, with the doses under it."""
    shown, drugs = present(table), drugs_shown(table, scheduled)
    top = _top_dose(table, drugs)
    total = table["total"].where(table["total"] > 0)
    data = with_spans(
        thin(
            pd.DataFrame({"day": table["day"], **{c: table[c] / total for c in shown}, **{d: table[d] for d in drugs}})
        )
    )

    def build(d: pd.DataFrame) -> alt.VConcatChart:
        chart = (
            alt.Chart(d)
            .transform_fold(shown, as_=["mechanism", "share"])
            .mark_line(interpolate="step-after")
            .encode(
                x=_day_axis(days),
                y=alt.Y("share:Q", title="share of cells", scale=alt.Scale(domain=[0, 1])),
                color=alt.Color("mechanism:N", scale=_scale(MECHANISM_COLOURS, shown), legend=_legend()),
            )
            .properties(width=WIDTH, height=150, title="Mechanism shares")
        )
        return alt.vconcat(chart, doses_chart(d, drugs, top, days)).resolve_scale(color="independent")

    return _spec(("shares", tuple(shown), tuple(drugs), top, days), data, build)


ARM_COLOURS = ("#000000", "#E69F00", "#56B4E9", "#CC79A7")  # schedules A-D (Okabe-Ito)


def arms_chart(
    tables: dict[str, pd.DataFrame], days: int, title: str, labels: dict[str, str] | None = None
) -> dict[str, Any]:
    """Spec of each schedule's total cells (log axis), one line per schedule (``tables``: letter ->
    its daily table), on one day axis; the legend names each letter's schedule (``labels``)."""
    letters = list(tables)
    names = {letter: f"{letter} · {(labels or {}).get(letter, letter)}" for letter in letters}
    length = max(len(t) for t in tables.values())
    data = pd.DataFrame({"day": range(length)})
    for letter, table in tables.items():  # a schedule that ended early (eradicated) stops its line
        data[letter] = table["total"].reindex(range(length)).to_numpy(dtype=float)
    data = thin(data)

    def build(d: pd.DataFrame) -> alt.Chart:
        return (
            alt.Chart(d)
            .transform_fold(letters, as_=["schedule", "cells"])
            .transform_filter("isValid(datum.cells) && datum.cells > 0")
            .mark_line(interpolate="step-after")
            .encode(
                x=_day_axis(days),
                y=alt.Y("cells:Q", title="cells", scale=alt.Scale(type="log"), axis=alt.Axis(format=".0e")),
                color=alt.Color(
                    "schedule:N",
                    scale=alt.Scale(domain=letters, range=list(ARM_COLOURS[: len(letters)])),
                    legend=alt.Legend(
                        title=None,
                        orient="bottom",
                        direction="vertical",
                        labelLimit=0,
                        labelExpr=f"{json.dumps(names)}[datum.label]",
                    ),
                ),
                tooltip=["schedule:N", "day:Q", alt.Tooltip("cells:Q", format=",.0f")],
            )
            .properties(width=600, height=130, title=title)
        )

    return _spec(("arms", tuple(names.items()), days, title), data, build)
