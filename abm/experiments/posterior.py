"""Carrying the calibrated posterior to predictions.

A calibration directory (``abm calibrate --out DIR``; the shipped one is ``calibration/posterior/``)
holds ``calibration.json`` (priors, the posterior point, the generations) and ``posterior.csv``
(the last generation's weighted particles: ``particle``, ``weight``, then one column per prior
key). ``load_calibration`` reads and checks it; ``draws`` picks parameter sets from it;
``posterior_trial`` runs a trial once per draw and ``posterior_validation`` the validation
cohort, always on the same virtual patients (the trial's seed), so the spread over draws is the
parameters' posterior uncertainty alone, with the patients held fixed (common random numbers),
not the sampling error of a finite cohort.

Draws are systematic resampling of the weights (Kitagawa 1996): one uniform offset u in
[0, 1/n) from ``seed``, then the particle whose cumulative weight first reaches u + k/n for
k = 0..n-1. Each particle is drawn floor(n w) or ceil(n w) times, so the draws follow the
weights with the least spread any resampling has, for any n (n above the number of particles
repeats particles: resampling with replacement). The same calibration, n and seed give the
same draws.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from abm.clinic.recist import DAYS_PER_MONTH
from abm.experiments.priors import Prior
from abm.io.errors import InputError
from abm.io.schema import (
    ARM,
    CI,
    DISTRIBUTION,
    DRAW,
    FORMAT_KEY,
    HIGH,
    KEY,
    KIND,
    LOW,
    MECHANISM,
    MECHANISMS_AT_PROGRESSION,
    MEDIAN_PFS_DAYS,
    METRIC,
    PARTICLE,
    PATIENTS,
    POINT,
    POSTERIOR,
    POSTERIOR_MEDIAN,
    POSTERIOR_PASS,
    PRIORS,
    PROGRESSED,
    SETTING,
    SIMULATED,
    SOURCE,
    TRIAL_POSTERIOR,
    UNIT,
    VALUE,
    WEIGHT,
)

DEFAULT_CALIBRATION = Path(__file__).resolve().parents[2] / "calibration" / "posterior"
CALIBRATION_FILE = "calibration.json"
POSTERIOR_FILE = "posterior.csv"
FORMAT = 1
DISTRIBUTIONS = ("uniform", "loguniform")
INTERVAL = (2.5, 50.0, 97.5)  # percentiles over draws: the interval's ends and the middle


@dataclass
class Calibration:
    """A loaded calibration directory."""

    directory: Path
    meta: dict[str, Any]
    priors: dict[str, Prior]
    point: dict[str, float]
    particles: pd.DataFrame  # particle, weight (summing to 1), one column per prior key
    keys: list[str] = field(default_factory=list)

    @property
    def weights(self) -> np.ndarray:
        return self.particles[WEIGHT].to_numpy(dtype=float)


def is_calibration_dir(folder: Path) -> bool:
    """Whether a folder looks like a calibration directory (what ``abm report`` checks)."""
    return (Path(folder) / CALIBRATION_FILE).is_file() and (Path(folder) / POSTERIOR_FILE).is_file()


# --- loading ---------------------------------------------------------------------------------
def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def check_key(key: str, source: str, where: str) -> None:
    """A fitted-quantity key: a parameter name, or cohort.NAME.FIELD of a cohort distribution."""
    from abm.biology.parameters import Parameters
    from abm.experiments.trial import Distribution

    if key.startswith("cohort."):
        parts = key.split(".")
        fields = [f for f in Distribution.model_fields if f != "distribution"]  # the numeric ones
        if len(parts) != 3 or parts[2] not in fields:
            allowed = ", ".join(fields)
            raise InputError(
                source, where, f"{key!r} is not allowed; allowed: cohort.NAME.FIELD, FIELD one of {allowed}"
            )
    elif key not in Parameters.model_fields:
        raise InputError(
            source, where, f"{key!r} is not allowed; allowed: a parameter name (abm parameters) or cohort.NAME.FIELD"
        )


def _prior(key: str, spec: Any, source: str) -> Prior:
    where = f"priors.{key}"
    if not isinstance(spec, dict):
        raise InputError(source, where, f"{spec!r} is not allowed; allowed: an object with distribution, low, high")
    if spec.get(DISTRIBUTION) not in DISTRIBUTIONS:
        raise InputError(
            source,
            f"{where}.{DISTRIBUTION}",
            f"{spec.get(DISTRIBUTION)!r} is not allowed; allowed: {', '.join(DISTRIBUTIONS)}",
        )
    for bound in (LOW, HIGH):
        if not _number(spec.get(bound)):
            raise InputError(
                source, f"{where}.{bound}", f"{spec.get(bound)!r} is not allowed; allowed: a finite number"
            )
    low, high = float(spec[LOW]), float(spec[HIGH])
    if not low < high:
        raise InputError(source, f"{where}.high", f"{high!r} is not allowed; allowed: a number above low ({low!r})")
    if spec[DISTRIBUTION] == "loguniform" and low <= 0:
        raise InputError(source, f"{where}.low", f"{low!r} is not allowed; allowed: above 0 for a loguniform prior")
    return Prior(spec[DISTRIBUTION], low, high, str(spec.get(SOURCE, "")))


def load_calibration(directory: str | Path | None = None) -> Calibration:
    """A calibration directory, checked: any bad or missing file, key or column is one InputError."""
    directory = Path(directory) if directory is not None else DEFAULT_CALIBRATION
    if not directory.is_dir():
        raise InputError(str(directory), "", "no such calibration folder; allowed: a folder written by abm calibrate")
    path = directory / CALIBRATION_FILE
    source = str(path)
    if not path.is_file():
        raise InputError(source, "", "missing; a calibration folder holds calibration.json and posterior.csv")
    try:
        meta = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise InputError(source, "", f"cannot read: {type(error).__name__}: {error}".replace("\n", " ")[:200]) from None
    if not isinstance(meta, dict):
        raise InputError(source, "", f"holds a {type(meta).__name__}; allowed: a JSON object")
    if meta.get(FORMAT_KEY) != FORMAT:
        raise InputError(source, FORMAT_KEY, f"{meta.get(FORMAT_KEY)!r} is not allowed; allowed: {FORMAT}")
    raw = meta.get(PRIORS)
    if not isinstance(raw, dict) or not raw:
        raise InputError(source, PRIORS, "missing or empty; allowed: an object of KEY: {distribution, low, high}")
    priors: dict[str, Prior] = {}
    for key, spec in raw.items():
        check_key(key, source, f"priors.{key}")
        priors[key] = _prior(key, spec, source)
    point = meta.get(POINT)
    if not isinstance(point, dict):
        raise InputError(source, POINT, f"{point!r} is not allowed; allowed: an object of KEY: number")
    for key in priors:
        if not _number(point.get(key)):
            raise InputError(source, f"point.{key}", f"{point.get(key)!r} is not allowed; allowed: a finite number")
    extra = [k for k in point if k not in priors]
    if extra:
        raise InputError(source, f"point.{extra[0]}", "not a key of priors; allowed: the keys of priors")
    particles = _read_particles(directory / POSTERIOR_FILE, list(priors))
    return Calibration(directory, meta, priors, {k: float(point[k]) for k in priors}, particles, list(priors))


def _read_particles(path: Path, keys: list[str]) -> pd.DataFrame:
    source = str(path)
    if not path.is_file():
        raise InputError(source, "", "missing; a calibration folder holds calibration.json and posterior.csv")
    try:
        table = pd.read_csv(path)
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise InputError(source, "", f"cannot read: {type(error).__name__}: {error}".replace("\n", " ")[:200]) from None
    wanted = [PARTICLE, WEIGHT, *keys]
    for column in wanted:
        if column not in table.columns:
            raise InputError(source, column, f"missing column; allowed columns: {', '.join(wanted)}")
    unknown = [c for c in table.columns if c not in wanted]
    if unknown:
        raise InputError(source, unknown[0], f"unknown column; allowed columns: {', '.join(wanted)}")
    if table.empty:
        raise InputError(source, "", "holds no particles; allowed: one row per particle")
    for column in wanted:
        values = pd.to_numeric(table[column], errors="coerce")
        bad = ~np.isfinite(values.to_numpy(dtype=float))
        if bad.any():
            row = int(np.argmax(bad))
            raise InputError(
                source,
                f"{column} (row {row + 1})",
                f"{table[column].iloc[row]!r} is not allowed; allowed: a finite number",
            )
        table[column] = values
    weights = table[WEIGHT].to_numpy(dtype=float)
    if (weights < 0).any() or not math.isclose(weights.sum(), 1.0, rel_tol=0, abs_tol=1e-6):
        raise InputError(source, "weight", f"sum {weights.sum():.6g}; allowed: weights of 0 or more summing to 1")
    table[WEIGHT] = weights / weights.sum()  # exactly 1, not 1 +- 1e-6
    return table[wanted].reset_index(drop=True)


# --- drawing ---------------------------------------------------------------------------------
def draw_indices(weights: np.ndarray, n: int, seed: int) -> np.ndarray:
    """Rows of ``n`` draws by systematic resampling of ``weights`` (module docstring), ascending."""
    if n < 1:
        raise ValueError("n must be at least 1")
    cumulative = np.cumsum(np.asarray(weights, dtype=float))
    cumulative[-1] = 1.0  # no draw past the end through rounding
    offset = np.random.default_rng(seed).uniform(0.0, 1.0 / n)
    return np.searchsorted(cumulative, offset + np.arange(n) / n, side="right").clip(0, len(cumulative) - 1)


def draws(calibration: Calibration, n: int, seed: int) -> list[dict[str, float]]:
    """``n`` parameter sets from the weighted posterior (systematic resampling), the same for a seed."""
    rows = calibration.particles.iloc[draw_indices(calibration.weights, n, seed)]
    return [{k: float(row[k]) for k in calibration.keys} for _, row in rows.iterrows()]


def apply(trial: Any, values: dict[str, float], source: str) -> Any:
    """The trial with these values (``calibration.with_values``), or an InputError naming a key it cannot take."""
    from abm.experiments.calibration import with_values
    from abm.experiments.trial import Distribution, characteristic_range, check_cohort

    for key, value in values.items():
        if key.startswith("cohort."):
            _, name, _field = key.split(".")
            if not isinstance(trial.cohort.get(name), Distribution):
                raise InputError(source, key, f"the trial {trial.name!r} has no [cohort] distribution {name}")
        else:
            words, low, high = characteristic_range(key)
            if not (low <= value and (high is None or value <= high)):
                raise InputError(source, key, f"{value!r} is not allowed; allowed: {words}")
    updated = with_values(trial, values)
    check_cohort(updated, source)
    return updated


# --- trials under the posterior --------------------------------------------------------------
def trial_metrics(table: pd.DataFrame, arms: list[str]) -> list[dict[str, Any]]:
    """The tidy metric rows (arm, metric, value) of one trial table; see ``posterior_trial``."""
    from abm.experiments.trial_stats import arm_summary, hazard_ratio

    rows: list[dict[str, Any]] = []
    for arm in arms:
        s = arm_summary(table[table[ARM] == arm])
        median = s[MEDIAN_PFS_DAYS]
        rows.append({ARM: arm, METRIC: MEDIAN_PFS_DAYS, VALUE: math.inf if median is None else median})
        if arm != arms[0]:
            hr = hazard_ratio(table, arm, arms[0])["hr"]
            rows.append({ARM: arm, METRIC: "hazard_ratio", VALUE: math.nan if hr is None else hr})
        rows.append({ARM: arm, METRIC: "progressed_share", VALUE: s[PROGRESSED] / max(s[PATIENTS], 1)})
        for mechanism, share in s[MECHANISMS_AT_PROGRESSION].items():
            rows.append({ARM: arm, METRIC: f"at_progression.{mechanism}", VALUE: share})
    return rows


def posterior_trial(
    trial: Any,
    parameter_sets: list[dict[str, float]],
    run: Callable[[Any], pd.DataFrame],
    source: str,
    log: Callable[[str], None] | None = None,
) -> pd.DataFrame:
    """The trial under each parameter set, on the same patients: a tidy table draw, arm, metric, value.

    Metrics: ``median_pfs_days`` (inf: not reached), ``hazard_ratio`` against the first arm (not
    for the first arm itself; NaN: not estimable), ``progressed_share`` and
    ``at_progression.MECHANISM`` (share of progressed patients whose rebiopsy found it).
    """
    arms = [a.name for a in trial.arms]
    rows = []
    for k, values in enumerate(parameter_sets):
        if log is not None:
            log(f"posterior draw {k + 1}/{len(parameter_sets)}")
        table = run(apply(trial, values, source))
        rows += [{DRAW: k, **row} for row in trial_metrics(table, arms)]
    return pd.DataFrame(rows, columns=TRIAL_POSTERIOR.names())


def interval(values: Any) -> tuple[float, float, float]:
    """Median and 2.5-97.5% interval of values over draws (inf kept: a median not reached sorts last)."""
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    if not len(x):
        return (math.nan, math.nan, math.nan)
    lo, mid, hi = np.percentile(x, INTERVAL, method="inverted_cdf" if np.isinf(x).any() else "linear")
    return float(mid), float(lo), float(hi)


def summarise_posterior(tidy: pd.DataFrame) -> dict[str, dict[str, list[float]]]:
    """{arm: {metric: [median, 2.5%, 97.5%]}} over draws, arms and metrics in the table's order."""
    out: dict[str, dict[str, list[float]]] = {}
    for arm in tidy[ARM].unique():
        rows = tidy[tidy[ARM] == arm]
        out[arm] = {m: list(interval(rows.loc[rows[METRIC] == m, VALUE])) for m in rows[METRIC].unique()}
    return out


def format_posterior(summary: dict[str, dict[str, list[float]]], draws_run: int, reference: str) -> str:
    """The printed posterior block: per arm, posterior median [2.5%, 97.5%] over draws."""

    def months(x: float) -> str:
        if math.isnan(x):
            return "n/a"
        return "NR" if math.isinf(x) else f"{x / DAYS_PER_MONTH:.1f}"

    def number(x: float) -> str:
        return "n/a" if math.isnan(x) else f"{x:.2f}"

    def share(x: float) -> str:
        return "n/a" if math.isnan(x) else f"{x:.0%}"

    lines = [
        f"posterior over {draws_run} draws (median [2.5%, 97.5%]; the parameters' posterior uncertainty "
        "with the patients held fixed, not the sampling CI):"
    ]
    for arm, metrics in summary.items():
        lines.append(f"  {arm}:")
        mid, lo, hi = metrics[MEDIAN_PFS_DAYS]
        text = f"    median PFS {months(mid)} [{months(lo)}, {months(hi)}] months"
        if "hazard_ratio" in metrics:
            mid, lo, hi = metrics["hazard_ratio"]
            text += f"; HR vs {reference} {number(mid)} [{number(lo)}, {number(hi)}]"
        mid, lo, hi = metrics["progressed_share"]
        text += f"; progressed {share(mid)} [{share(lo)}, {share(hi)}]"
        lines.append(text)
        shares = [
            f"{m.removeprefix('at_progression.')} {share(v[0])} [{share(v[1])}, {share(v[2])}]"
            for m, v in metrics.items()
            if m.startswith("at_progression.") and v[2] != 0  # never found in any draw: left out
        ]
        lines.append(f"    at progression: {', '.join(shares) or 'none detected in any draw'}")
    return "\n".join(lines)


# --- the validation cohort under the posterior -----------------------------------------------
def row_key(row: dict[str, Any], index: int) -> str:
    """A validation row's key (new rows carry one), else its setting and mechanism, else its place."""
    if row.get(KEY):
        return str(row[KEY])
    if SETTING in row or MECHANISM in row:
        return f"{row.get(SETTING, '')}: {row.get(MECHANISM, '')}"
    return str(index)


def posterior_validation(
    trial: Any,
    parameter_sets: list[dict[str, float]],
    rows_of: Callable[[Any], list[dict[str, Any]]],
    source: str,
    log: Callable[[str], None] | None = None,
) -> dict[str, list[float]]:
    """{row key: simulated value of each draw} over the draws, every draw on the same patients;
    ``rows_of(trial)`` runs a trial and gives its validation rows (the dish's too, if wanted)."""
    values: dict[str, list[float]] = {}
    for k, parameters in enumerate(parameter_sets):
        if log is not None:
            log(f"posterior draw {k + 1}/{len(parameter_sets)}")
        rows = rows_of(apply(trial, parameters, source))
        for i, row in enumerate(rows):
            value = row.get(SIMULATED)
            values.setdefault(row_key(row, i), []).append(math.nan if value is None else float(value))
    return values


def add_posterior(rows: list[dict[str, Any]], values: dict[str, list[float]]) -> list[dict[str, Any]]:
    """Each validation row with ``posterior`` [2.5%, 97.5%], ``posterior_median`` and ``posterior_pass``
    (the share of draws within the reviewed range)."""
    out = []
    for i, row in enumerate(rows):
        draws_of_row = values.get(row_key(row, i))
        if draws_of_row is None:  # a row the draws do not measure (a dish row, say)
            out.append({**row, POSTERIOR: [None, None], POSTERIOR_MEDIAN: None, POSTERIOR_PASS: None})
            continue
        mid, lo, hi = interval(draws_of_row)
        low, high = row.get(LOW, -math.inf), row.get(HIGH, math.inf)
        inside = [low <= v <= high for v in draws_of_row if not math.isnan(v)]
        out.append(
            {
                **row,
                POSTERIOR: [lo, hi],
                POSTERIOR_MEDIAN: mid,
                POSTERIOR_PASS: sum(inside) / len(inside) if inside else None,
            }
        )
    return out


def format_posterior_rows(rows: list[dict[str, Any]], draws_run: int) -> str:
    """The validation rows with the sampling 95% CI and the posterior-predictive 95% interval side by side."""

    from abm.experiments.validation import format_value as fmt

    names = [row_key(r, i) for i, r in enumerate(rows)]
    width = min(70, max(6, *map(len, names)))
    header = (
        f"{'target':{width}s} {'reviewed':>13s} {'simulated':>9s} {'sampling 95% CI':>16s} "
        f"{'posterior 95%':>16s} {'draws in range':>14s}"
    )
    lines = [
        f"posterior-predictive interval over {draws_run} draws (2.5-97.5%: the parameters' uncertainty, "
        "same patients; the CI is the sampling error of this cohort at the posterior point)",
        header,
    ]
    for i, r in enumerate(rows):
        unit = r.get(UNIT, "share")
        name = names[i]
        ci = r.get(CI) or [None, None]
        post = r.get(POSTERIOR) or [None, None]
        share = r.get(POSTERIOR_PASS)
        lines.append(
            f"{name[:width]:{width}s} {fmt(r.get(LOW), unit) + '-' + fmt(r.get(HIGH), unit):>13s} "
            f"{fmt(r.get(SIMULATED), unit):>9s} {fmt(ci[0], unit) + '-' + fmt(ci[1], unit):>16s} "
            f"{fmt(post[0], unit) + '-' + fmt(post[1], unit):>16s} "
            f"{'-' if share is None or r.get(KIND) == 'check' else f'{share:.0%}':>14s}"
        )
    return "\n".join(lines)
