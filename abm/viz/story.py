"""What a run shows so far, in words: its events (for marks on the charts) and a one-line status.

Pure functions of the daily table (``TumourModel.timeseries``: ``day``, ``total`` and a count per
mechanism) and the scenario, so the page, its tests and any report read a run the same way.
"""

from __future__ import annotations

import pandas as pd

from abm.biology.mechanisms import MECHANISMS
from abm.clinic.recist import Recist
from abm.config.scenario import ScenarioConfig, SpatialSettings

GENETIC = tuple(m.name for m in MECHANISMS if m.genetic)
LABELS = {"sensitive": "sensitive", **{m.name: m.label for m in MECHANISMS}}
TREND_DAYS = 28  # the status compares today with this many days ago


def represented(scenario: ScenarioConfig) -> float:
    """Cells of the tumour one model cell stands for (a lattice sampling a larger tumour: > 1)."""
    model = scenario.model
    if isinstance(model, SpatialSettings) and model.represents_cells:
        return model.represents_cells / model.initial_cells
    return 1.0


def progression_days(table: pd.DataFrame, scenario: ScenarioConfig) -> list[int]:
    """RECIST progression days of the tumour the model is (or samples): the clinic's scans
    (``clinic.recist``) every imaging interval of the table's days, the lattice's cells scaled up
    to the tumour it samples (a lattice of 3,000 cells is a sub-millimetre lesion to RECIST)."""
    every, scale = scenario.clinical.imaging_interval_days, represented(scenario)
    recist = Recist(residual_fraction=scenario.clinical.residual_lesion_fraction)  # as the clinic's scans
    for day, total in zip(table["day"], table["total"], strict=True):
        if day % every == 0:
            recist.scan(int(day), float(total) * scale)
    return list(recist.progression_days)


def events(table: pd.DataFrame, scenario: ScenarioConfig) -> list[tuple[int, str]]:
    """(day, label) of each event so far: the first cell with a genetic resistance mechanism,
    the day one mechanism's cells become the majority, the first RECIST progression, eradication."""
    found: list[tuple[int, str]] = []
    if table.empty:
        return found
    days = table["day"].to_numpy()
    genetic = table[list(GENETIC)].to_numpy()
    first = (genetic > 0).any(axis=1).nonzero()[0]
    if first.size:
        day = int(days[first[0]])
        found.append((day, "resistant cells at diagnosis" if day == 0 else "first resistant cell"))
    total = table["total"].to_numpy()
    for name in GENETIC:
        major = ((2 * table[name].to_numpy() > total) & (total > 0)).nonzero()[0]
        if major.size:
            found.append((int(days[major[0]]), f"{LABELS[name]} majority"))
    progressed = progression_days(table, scenario)
    if progressed:
        found.append((progressed[0], "RECIST progression"))
    gone = (total == 0).nonzero()[0]
    if gone.size:
        found.append((int(days[gone[0]]), "eradicated"))
    return sorted(found)


def percent(share: float) -> str:
    """A share as a percentage a reader can tell from zero: '35%', '0.29%', '0.0012%'."""
    return f"{share:.0%}" if share >= 0.01 or share == 0 else f"{100 * share:.2g}%"


def leading(row: pd.Series) -> str | None:
    """The mechanism other than persistence carried by most cells in ``row`` (None: none)."""
    carried = {name: row[name] for name in LABELS if name not in ("sensitive", "persister") and row[name] > 0}
    return max(carried, key=carried.get) if carried else None


def status(table: pd.DataFrame, treated: bool) -> str:
    """One line on what is happening now: eradicated, responding, regrowing (by which
    mechanism), growing untreated, or holding."""
    if table.empty:
        return ""
    today, baseline = table.iloc[-1], table["total"].iloc[0]
    if len(table) == 1 and today["total"]:
        return "Day 0, the day treatment starts: press ▶ to watch the tumour respond (or not) day by day."
    if today["total"] == 0:
        return f"Eradicated on day {int(today['day'])}: no tumour cell is left; the run is over (Reset to start again)."
    before = table.iloc[max(0, len(table) - 1 - TREND_DAYS)]
    share = today["total"] / baseline if baseline else 1.0
    rising, falling = today["total"] > 1.03 * before["total"], today["total"] < 0.97 * before["total"]
    if not treated:
        return "No drug today: the tumour grows." if rising else "No drug today."
    if falling:
        return f"Responding: the drugs kill sensitive cells; {percent(share)} of the day-0 tumour is left."
    mechanism = leading(today)
    if rising and mechanism is not None and table["total"].min() < 0.8 * baseline:
        carried = today[mechanism] / today["total"]
        return (
            f"Regrowing by {LABELS[mechanism]}: {carried:.0%} of cells carry it and the drugs do not stop them "
            f"({percent(share)} of the day-0 tumour)."
        )
    if rising:
        return f"Growing under treatment ({percent(share)} of the day-0 tumour)."
    return f"Holding: cells die about as fast as they divide ({percent(share)} of the day-0 tumour)."
