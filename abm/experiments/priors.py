"""The priors of ``abm calibrate``: one row per fitted quantity, with where its range comes from.

Keys are those of ``abm.experiments.calibration.with_values``: a parameter of ``abm/biology/parameters.py``
(``division_rate``) or ``cohort.NAME.FIELD``, field FIELD of the validation cohort's
distribution NAME (``scenarios/validation.toml`` [cohort]). The ranges and sources are
section (c) of ``docs/notes/issue14-exploration.md``; quantities that moved no target there
are not fitted (the posterior would return the prior), nor are those redundant with a kept key
on the same target (the AXL fitness cost and the persister reversion rate act on the AXL share
through the same race as the AXL capacity, and so do its spread across patients and the IGF-1R
capacity; the T790M and MET costs moved their shares by less than the prone shares do; the upper
end of the MET-prone rates moves only untreated MET, which the MET-prone share moves too): with
40-100 particles, importance weights degenerate fast as dimensions are added (a 16-key run kept
an effective sample of 1 of 40 after three generations). Edit the table to fit more or fewer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np

from abm.io.schema import DISTRIBUTION, HIGH, LOW, SOURCE


@dataclass(frozen=True)
class Prior:
    """A flat prior on [low, high], on the linear or the log scale, and its justification."""

    distribution: Literal["uniform", "loguniform"]
    low: float
    high: float
    source: str = ""  # where the range comes from; the shipped PRIORS all name one (tested)

    def __post_init__(self) -> None:
        if not self.low < self.high or (self.distribution == "loguniform" and self.low <= 0):
            raise ValueError(f"bad prior range {self.low}..{self.high} ({self.distribution})")

    @property
    def log(self) -> bool:
        return self.distribution == "loguniform"

    def scale(self, values: np.ndarray | float) -> np.ndarray:
        """Values on the prior's own scale (log10 for a log-uniform prior): widths compare there."""
        values = np.asarray(values, dtype=float)
        return np.log10(values) if self.log else values

    def unscale(self, values: np.ndarray | float) -> np.ndarray:
        values = np.asarray(values, dtype=float)
        return 10.0**values if self.log else values

    def to_unit(self, value: float) -> float:
        """Where ``value`` lies in the range, 0 at low and 1 at high (on the prior's scale)."""
        if self.distribution == "loguniform":
            return (math.log(value) - math.log(self.low)) / (math.log(self.high) - math.log(self.low))
        return (value - self.low) / (self.high - self.low)

    def as_json(self) -> dict[str, float | str]:
        return {DISTRIBUTION: self.distribution, LOW: self.low, HIGH: self.high, SOURCE: self.source}


PRIORS: dict[str, Prior] = {
    "division_rate": Prior(
        "uniform",
        0.04,
        0.16,
        "with carrying_capacity_factor: the untreated doubling time (Mackintosh 2014, ~190 d, band 100-400) "
        "and the cell-loss factor (Br J Cancer 1984;50:343); PFS 1-2 years (003 §1)",
    ),
    "carrying_capacity_factor": Prior(
        "uniform",
        1.5,
        10.0,
        "assumption: tumours are found late in Gompertzian growth (Norton 1988); 10 is the fixed 1e11 plateau "
        "of biology v2 at the median 1e10 cells; sets how much faster regrowth after a response is than growth "
        "at diagnosis (exploration d.5)",
    ),
    "cohort.division_rate.sigma": Prior(
        "uniform",
        0.1,
        0.6,
        "assumption: patients' untreated growth rates differ (doubling times of resected NSCLC span more than a "
        "decade; exploration d.1); lognormal spread around division_rate",
    ),
    "axl_bypass_capacity": Prior(
        "uniform",
        0.80,
        0.97,
        "003 §3.3.2 (AXL in ~20% of 1st-gen resistance: AXL-high cells must grow on a TKI in some tumours)",
    ),
    "cohort.t790m_mutation_rate.present": Prior(
        "uniform",
        0.4,
        0.9,
        "pre-treatment T790M by sensitive assays in a fraction of tumours (biology.md 'Cell states'); "
        "003 §1 (~60% at progression)",
    ),
    "cohort.met_amplification_rate.present": Prior(
        "uniform",
        0.05,
        0.35,
        "003 §3.1.2 (5-22%, 15%, 19%); 003 §5.2 (Turke: pre-existing MET cells in tumours that fail by MET)",
    ),
    "cohort.c797s_mutation_rate.present": Prior("uniform", 0.03, 0.3, "Ramalingam ESMO 2018 (7-15%)"),
    "cohort.her2_amplification_rate.present": Prior(
        "uniform", 0.05, 0.3, "003 §3.5 (12-13% after 1st-gen TKI, 1% untreated)"
    ),
    "cohort.egfr_tki_insensitivity.present": Prior(
        "uniform",
        0.0,
        0.3,
        "003 §1 (4-10% primary resistance, 'other non-sensitive mutations in the target gene'); "
        "upper end an assumption: at the cohort's growth rates ~43% of the insensitive tumours "
        "progress inside the 6-month window (issue 14 notes, session 8), so 10% needs ~0.23",
    ),
}
