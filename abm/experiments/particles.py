"""Weighted particles (a calibration's posterior): their quantiles.

Below both ``calibration`` (whose posterior point is the weighted median) and ``posterior``
(which reads a calibration's particles), so neither imports the other for it.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def weighted_quantiles(values: Any, weights: Any, qs: tuple[float, ...]) -> np.ndarray:
    """Quantiles of weighted particles: for each q, the smallest value at which the cumulative
    weight reaches q (so the 0.5 quantile is the weighted median the calibration's point uses)."""
    values, weights = np.asarray(values, dtype=float), np.asarray(weights, dtype=float)
    order = np.argsort(values, kind="stable")
    cumulative = np.cumsum(weights[order])
    at = np.searchsorted(cumulative, np.asarray(qs, dtype=float) * cumulative[-1])
    return values[order][np.minimum(at, len(values) - 1)]
