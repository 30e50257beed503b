"""What a model reports about the tumour each day, for schedules to react to.

Schedule triggers and adaptive rules name these readouts; models compute them with
``readouts()`` from the per-mechanism counts, so every model offers the same names.
"""

from __future__ import annotations

from abm.mechanisms import COUNT_COLUMNS

READOUT_NAMES: dict[str, str] = {
    "day": "days since the start of the run",
    "burden": "number of tumour cells",
    "burden_fraction": "number of tumour cells relative to day 0",
    **{f"fraction_{c}": f"share of tumour cells counted as {c}" for c in COUNT_COLUMNS},
}


def readouts(day: int, counts: dict[str, int], baseline: int) -> dict[str, float]:
    """Today's readouts from today's counts (``counts['total']`` and one entry per column)."""
    total = counts["total"]
    values: dict[str, float] = {
        "day": float(day),
        "burden": float(total),
        "burden_fraction": total / baseline if baseline else 0.0,
    }
    for column in COUNT_COLUMNS:
        values[f"fraction_{column}"] = counts[column] / total if total else 0.0
    return values
