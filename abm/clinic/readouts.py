"""What a model reports about the tumour each day, for schedules to react to.

Schedule triggers and adaptive rules name these readouts; models compute them with
``readouts()`` from the per-mechanism counts, so every model offers the same names.
"""

from __future__ import annotations

from collections.abc import Mapping

from abm.biology.mechanisms import COUNT_COLUMNS, MECHANISMS

MECHANISM_COLUMNS = tuple(m.name for m in MECHANISMS)
# ctDNA carries mutations and amplifications, not expression states (AXL-high, persisters).
GENETIC_COLUMNS = tuple(m.name for m in MECHANISMS if m.genetic)
# What a rebiopsy at progression reports: genetic findings and AXL upregulation (IHC);
# persistence is a state, not a finding.
BIOPSY_COLUMNS = tuple(m.name for m in MECHANISMS if m.name != "persister")

READOUT_NAMES: dict[str, str] = {
    "day": "days since the start of the run",
    "burden": "number of tumour cells",
    "burden_fraction": "number of tumour cells relative to day 0",
    **{f"fraction_{c}": f"share of tumour cells counted as {c}" for c in COUNT_COLUMNS},
    "progressions": "RECIST progressions seen at imaging so far (0, 1, 2, ...)",
    "progressed": "1 once a RECIST progression has been seen at imaging, else 0",
    **{
        f"ctdna_{m}": f"share of tumour cells carrying {m} in the last liquid biopsy; 0 below the detection limit"
        for m in GENETIC_COLUMNS
    },
    **{
        f"biopsy_{m}": f"1 if the rebiopsy at the last progression scan found {m} (see biopsy()), else 0"
        for m in BIOPSY_COLUMNS
    },
}


# Readouts that change every day with the counts; the others change only at a visit (a scan, a
# liquid biopsy), so a clinic that skips the days between visits misses none of their changes.
DAILY_READOUTS = ("day", "burden", "burden_fraction", *(f"fraction_{c}" for c in COUNT_COLUMNS))


def shares(counts: dict[str, int]) -> dict[str, float]:
    """Each mechanism's share of the tumour's cells."""
    total = counts["total"]
    return {m: counts[m] / total if total else 0.0 for m in MECHANISM_COLUMNS}


def biopsy(found: dict[str, float], ctdna_limit: float, tissue_limit: float) -> tuple[str, ...]:
    """Mechanisms a rebiopsy reports from their shares: genetic ones at or above the ctDNA
    limit, expression states (AXL-high) at or above the tissue (IHC) limit."""
    limits = {m: ctdna_limit if m in GENETIC_COLUMNS else tissue_limit for m in BIOPSY_COLUMNS}
    return tuple(m for m in BIOPSY_COLUMNS if found[m] > 0 and found[m] >= limits[m])


def rebiopsy(counts: dict[str, int], ctdna_limit: float, tissue_limit: float) -> dict[str, float]:
    """The ``biopsy_`` readouts of a rebiopsy at progression: 1.0 for each mechanism it finds."""
    found = biopsy(shares(counts), ctdna_limit, tissue_limit)
    return {f"biopsy_{m}": float(m in found) for m in BIOPSY_COLUMNS}


def liquid_biopsy(counts: dict[str, int], detection_limit: float) -> dict[str, float]:
    """Each genetic mechanism's share of the tumour as a ctDNA assay reports it: 0 below the limit.

    Assumes every cell sheds DNA alike, so a mechanism's share of tumour DNA is its share of
    tumour cells (assumption; 003 §5.2 on ctDNA monitoring gives no shedding rates).
    """
    found = shares(counts)
    return {f"ctdna_{m}": (found[m] if found[m] >= detection_limit else 0.0) for m in GENETIC_COLUMNS}


def readout(name: str, day: int, counts: Mapping[str, int], baseline: int) -> float:
    """One readout computed from today's counts (``counts['total']`` and one entry per column)."""
    total = counts["total"]
    if name == "day":
        return float(day)
    if name == "burden":
        return float(total)
    if name == "burden_fraction":
        return total / baseline if baseline else 0.0
    if name.startswith("fraction_"):
        return counts[name.removeprefix("fraction_")] / total if total else 0.0
    raise KeyError(name)


def readouts(day: int, counts: Mapping[str, int], baseline: int) -> dict[str, float]:
    """All count-based readouts of today."""
    return {name: readout(name, day, counts, baseline) for name in DAILY_READOUTS}
