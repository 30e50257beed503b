"""Pharmacokinetics and exposure-response: from doses in mg to the day's relative exposure.

A drug's plasma concentration follows a one-compartment model with first-order absorption
(an oral drug: gut -> plasma at rate ``ka``, eliminated at rate ``ke = ln 2 / t1/2``) or, for an
intravenous drug, a bolus into plasma. Doses add up (superposition): a dose of D mg at time 0
gives, ``t`` hours later,

    C(t) = D / V * ka / (ka - ke) * (exp(-ke t) - exp(-ka t))        (oral; V is V/F)
    C(t) = D / V * exp(-ke t)                                        (intravenous)

``concentration`` is that sum, a pure function of dose times and amounts. Models step a day at a
time, so the same model is also written as a linear map of the amounts in gut and plasma from
one day's start to the next (``Compartments``); ``tests/test_pharmacokinetics.py`` checks the two
against each other.

**The day's effect** is the day's *average* concentration (the area under the curve over the
day, divided by 24 h). The model's rules are probabilities per day, so a day sees the drug's
exposure over the whole day; at steady state of a daily regimen the day's average is exactly
the steady-state average concentration Css,avg = dose / (CL/F x interval), the exposure metric
the drugs' exposure-response analyses use (AUCss), and it does not depend on the hour a dose
is taken. Within-day peaks and troughs (a peak-to-trough ratio of 1.2-1.6 for the EGFR TKIs)
are averaged out.

**Exposure-response** (Emax / Hill): a concentration C gives the effect E(C) = C^h / (EC50^h +
C^h); the *relative exposure* is x(C) = E(C) / E(Css,avg of the standard regimen), and the block
of a route is ``Drug.block(route, x)`` (Bliss: 1 - (1 - b)^x). **Anchoring**: at the standard
regimen's steady-state average concentration x = 1, so the block is exactly today's block at
relative dose 1.0 and the calibrated model is unchanged at steady state. Above it the block
saturates (x tends to 1 + (EC50 / Css,avg)^h); below it, it falls off as the concentration
does. EC50 is given as a share of the standard regimen's Css,avg, so x depends only on the
concentration relative to the standard regimen's: a drug's V/F sets the concentrations reported
and tested against the literature, never its effect.

**Linear exposure** (``ec50_fraction = None``, the cytotoxic drugs): x(C) = C / Css,avg, without
saturation, so a day's effect is proportional to the day's share of the regimen's AUC and a whole
cycle's effect is the same however its AUC is spread over the days (a short-lived drug given every
3 weeks puts nearly all of it on the day of the dose).

**Quantised**: x is rounded to 0.01 of the standard exposure (``EXPOSURE_DIGITS``), so that rule
tables, cached by doses (``abm.biology.rules.rule_tables``), are reused across days and
patients, and a concentration near steady state stops changing the tables (``settled``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # numpy is imported where concentrations are summed: not for `abm drugs`
    import numpy as np

HOURS_PER_DAY = 24.0
EXPOSURE_DIGITS = 2  # relative exposure is rounded to 0.01 (1% of the standard exposure)
NG_PER_ML_PER_MG_PER_L = 1000.0


# Exposure-response. EC50 is a share of the standard regimen's Css,avg (Hill 1). For the EGFR TKIs
# it lies well below the standard exposure: osimertinib showed no exposure-efficacy relationship
# over 20-240 mg, 0.25-3x the standard exposure (TAGRISSO SmPC 5.1; Brown 2017 Br J Clin Pharmacol
# 83:1216), so the block is near its top at a quarter of the exposure; erlotinib at 25 mg/day
# (1/6 of the dose) kept responses in EGFR-mutant NSCLC (Yeo 2010 J Thorac Oncol 5:1048) and the
# trough linked to PFS was >= 0.17-0.30 ug/mL against 1.28 at 150 mg (Takeda 2020 Clin Transl Sci
# 13:1015). EC50 = 0.1 Css,avg meets both (x = 0.79 at a quarter of the exposure). The other drugs
# take the same value: an assumption, no exposure-response of theirs is published.
EC50_SOURCE = (  # the exposure-response of every targeted drug in the table
    "assumption: EC50 = 0.1 x the standard Css,avg, Hill 1; constrained by osimertinib's flat "
    "exposure-efficacy over 0.25-3x the standard exposure (TAGRISSO SmPC 5.1; Brown 2017) and erlotinib's "
    "activity at 1/6 of its dose (Yeo 2010; Takeda 2020)"
)
# The cytotoxic drugs: a cycle's kill follows its AUC, the premise of dosing carboplatin to a
# target AUC (Calvert 1989 J Clin Oncol 7:1748); no saturation within the range a schedule gives.
LINEAR_SOURCE = (
    "assumption: linear in the day's AUC (x = C / Css,avg, no saturation): a cycle kills by its AUC however "
    "the AUC is spread over the days (AUC-based carboplatin dosing, Calvert 1989 J Clin Oncol 7:1748)"
)


@dataclass(frozen=True)
class Reference:
    """Published steady-state values of a drug's standard regimen, to check the model against.

    Concentrations in ng/mL, AUC over one dosing interval in ng*h/mL, half-life in hours; None
    where the sources found give none. ``misfit``: the values a one-compartment model cannot
    reproduce, each with why (tests mark them as expected failures, so a fix shows).
    """

    source: str
    half_life_h: float
    cmax: float | None = None
    cmin: float | None = None
    auc_tau: float | None = None
    peak_to_trough: float | None = None
    accumulation: float | None = None  # AUC at steady state over AUC after the first dose
    misfit: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Pharmacokinetics:
    """One drug's standard regimen, one-compartment model and exposure-response.

    ``volume_l`` is V/F for an oral drug (V for an intravenous one); ``absorption_per_h`` is ka,
    or None for an intravenous bolus. ``ec50_fraction``: EC50 as a share of the standard
    regimen's steady-state average concentration, or None for a linear exposure (x = C / Css,avg);
    ``hill``: the Hill coefficient.
    """

    regimen: str  # in words, e.g. "80 mg once daily"
    standard_dose_mg: float  # per administration
    interval_h: float  # between administrations: 24 once daily, 12 twice daily, 504 every 3 weeks
    half_life_h: float
    volume_l: float
    absorption_per_h: float | None
    source: str
    reference: Reference
    ec50_fraction: float | None = 0.1
    hill: float = 1.0
    exposure_source: str = EC50_SOURCE

    def __post_init__(self) -> None:
        checks = {
            "standard_dose_mg": self.standard_dose_mg > 0,
            "half_life_h": self.half_life_h > 0,
            "volume_l": self.volume_l > 0,
            "ec50_fraction": self.ec50_fraction is None or self.ec50_fraction > 0,
            "hill": self.hill > 0,
            # a day holds a whole number of administrations, or an administration spans whole days
            "interval_h": self.interval_h > 0
            and ((HOURS_PER_DAY / self.interval_h).is_integer() or (self.interval_h / HOURS_PER_DAY).is_integer()),
        }
        if self.absorption_per_h is not None:
            # ka = ke would need the limit form of the curve: no drug here is near it
            checks["absorption_per_h"] = self.absorption_per_h > 0 and not math.isclose(
                self.absorption_per_h, self.elimination_per_h, rel_tol=1e-3
            )
        bad = [name for name, ok in checks.items() if not ok]
        if bad:
            raise ValueError(f"pharmacokinetics out of range: {', '.join(bad)}")

    @property
    def elimination_per_h(self) -> float:
        """ke = ln 2 / t1/2."""
        return math.log(2.0) / self.half_life_h

    @property
    def clearance_l_per_h(self) -> float:
        """CL/F = ke x V/F."""
        return self.elimination_per_h * self.volume_l

    @property
    def doses_per_day(self) -> int:
        """Administrations in a day of the regimen (1 for an interval of a day or more)."""
        return max(1, round(HOURS_PER_DAY / self.interval_h))

    @property
    def interval_days(self) -> int:
        """Days from one administration to the next for an interval of a day or more (else 1)."""
        return max(1, round(self.interval_h / HOURS_PER_DAY))

    @property
    def standard_average_mg_l(self) -> float:
        """Css,avg of the standard regimen: dose / (CL/F x interval), in mg/L."""
        return self.standard_dose_mg / (self.clearance_l_per_h * self.interval_h)

    def relative_exposure(self, concentration_mg_l: float) -> float:
        """x(C) = E(C) / E(Css,avg of the standard regimen), E the Emax/Hill curve (1 at the standard)."""
        if concentration_mg_l <= 0.0:
            return 0.0
        if self.ec50_fraction is None:
            return concentration_mg_l / self.standard_average_mg_l
        ratio = (concentration_mg_l / self.standard_average_mg_l) ** self.hill
        ec50 = self.ec50_fraction**self.hill
        return ratio / (ec50 + ratio) * (ec50 + 1.0)

    def route_exposure(self, relative_concentration: float, ec50: float, hill: float) -> float:
        """x_r(c) of a route the drug reaches with its own exposure-response (``drugs.RoutePotency``):
        the occupancy c^h / (EC50^h + c^h) at relative concentration c (C / Css,avg of the standard
        regimen; with ``pk = false`` the relative dose), over the occupancy of the drug's own curve at
        the standard exposure, so that it saturates at the same top as the drug's other routes."""
        if relative_concentration <= 0.0:
            return 0.0
        anchor = 1.0 if self.ec50_fraction is None else 1.0 / (self.ec50_fraction**self.hill + 1.0)
        return occupancy(relative_concentration, ec50, hill) / anchor

    def concentration_for(self, exposure: float) -> float:
        """The concentration (mg/L) at which ``relative_exposure`` is ``exposure`` (inf at or
        above the saturation 1 + (EC50/Css,avg)^h)."""
        if exposure <= 0.0:
            return 0.0
        if self.ec50_fraction is None:
            return exposure * self.standard_average_mg_l
        ec50 = self.ec50_fraction**self.hill
        top = ec50 + 1.0
        if exposure >= top:
            return math.inf
        ratio = ec50 * exposure / (top - exposure)
        return self.standard_average_mg_l * ratio ** (1.0 / self.hill)


def occupancy(relative_concentration: float, ec50: float, hill: float) -> float:
    """The Emax/Hill curve c^h / (EC50^h + c^h), concentrations relative to the standard Css,avg."""
    if relative_concentration <= 0.0:
        return 0.0
    ratio = relative_concentration**hill
    return ratio / (ec50**hill + ratio)


def quantised(exposure: float, digits: int = EXPOSURE_DIGITS) -> float:
    """A relative exposure rounded to 0.01 (a value rule tables are cached by; 1.0 stays exactly 1.0,
    so the standard regimen at steady state looks up the very tables of relative dose 1.0)."""
    return round(exposure, digits) + 0.0  # + 0.0: no -0.0


def concentration(pk: Pharmacokinetics, dose_times_h: np.ndarray, doses_mg: np.ndarray, t_h: np.ndarray) -> np.ndarray:
    """Plasma concentration (mg/L) at times ``t_h`` after doses of ``doses_mg`` at ``dose_times_h``:
    the closed form per dose, summed (a dose counts from its time on)."""
    import numpy as np

    t = np.asarray(t_h, dtype=float)[:, None]
    since = t - np.asarray(dose_times_h, dtype=float)[None, :]
    given = since >= 0.0
    since = np.where(given, since, 0.0)
    ke = pk.elimination_per_h
    if pk.absorption_per_h is None:
        shape = np.exp(-ke * since)
    else:
        ka = pk.absorption_per_h
        shape = ka / (ka - ke) * (np.exp(-ke * since) - np.exp(-ka * since))
    return (np.where(given, shape, 0.0) * np.asarray(doses_mg, dtype=float)[None, :]).sum(axis=1) / pk.volume_l


# A day's administrations: (hour of the day, mg) pairs, in hour order.
Pattern = tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class Compartments:
    """Amounts (mg) in the gut and in plasma at the start of a day."""

    gut: float = 0.0
    plasma: float = 0.0


class DayModel:
    """The one-compartment model as a map from one day's start to the next, under a day's doses.

    Without doses the amounts evolve by the matrix M = [[a, 0], [c, e]] over a day (a =
    exp(-ka 24 h), e = exp(-ke 24 h), c the share of the gut's amount that reaches plasma and is
    still there); a day of doses adds b. So after n days of the same doses, x_n = x_ss + M^n (x_0 -
    x_ss) with x_ss the steady state: the closed form that lets a model skip days.
    """

    def __init__(self, pk: Pharmacokinetics) -> None:
        self.pk = pk
        self.ke = pk.elimination_per_h
        self.ka = pk.absorption_per_h
        self.a, self.c, self.e = self._free(HOURS_PER_DAY)
        self._steady: dict[Pattern, Compartments] = {}  # a course meets a few patterns, again and again

    def _free(self, hours: float) -> tuple[float, float, float]:
        """Free evolution over ``hours``: gut keeps a, plasma keeps e, and c of the gut's amount
        is in plasma at the end."""
        e = math.exp(-self.ke * hours)
        if self.ka is None:
            return 0.0, 0.0, e
        a = math.exp(-self.ka * hours)
        return a, self.ka / (self.ka - self.ke) * (e - a), e

    def _area(self, gut: float, plasma: float, hours: float) -> float:
        """Integral over ``hours`` of the plasma amount (mg h), starting from gut and plasma, no dose."""
        ke = self.ke
        plasma_part = plasma * (1.0 - math.exp(-ke * hours)) / ke
        if self.ka is None or gut == 0.0:
            return plasma_part
        ka = self.ka
        return plasma_part + gut * ka / (ka - ke) * (
            (1.0 - math.exp(-ke * hours)) / ke - (1.0 - math.exp(-ka * hours)) / ka
        )

    def _entry(self, mg: float) -> tuple[float, float]:
        """Where a dose goes: the gut (oral) or plasma (intravenous)."""
        return (mg, 0.0) if self.ka is not None else (0.0, mg)

    def day(self, start: Compartments, pattern: Pattern) -> tuple[Compartments, float]:
        """The amounts at the next day's start and the day's average concentration (mg/L)."""
        gut, plasma = start.gut, start.plasma
        area = self._area(gut, plasma, HOURS_PER_DAY)
        gut, plasma = self.a * gut, self.c * gut + self.e * plasma
        for hour, mg in pattern:
            left = HOURS_PER_DAY - hour
            dose_gut, dose_plasma = self._entry(mg)
            area += self._area(dose_gut, dose_plasma, left)
            a, c, e = self._free(left)
            gut, plasma = gut + a * dose_gut, plasma + c * dose_gut + e * dose_plasma
        return Compartments(gut, plasma), area / HOURS_PER_DAY / self.pk.volume_l

    def steady(self, pattern: Pattern) -> Compartments:
        """The amounts at the start of every day once the same doses have been taken daily forever:
        x_ss = (I - M)^-1 b, b the amounts one day of doses leaves from empty compartments."""
        if pattern not in self._steady:
            b, _ = self.day(Compartments(), pattern)
            gut = b.gut / (1.0 - self.a)
            self._steady[pattern] = Compartments(gut, (b.plasma + self.c * gut) / (1.0 - self.e))
        return self._steady[pattern]

    def after(self, start: Compartments, pattern: Pattern, days: int) -> Compartments:
        """The amounts after ``days`` days of ``pattern`` from ``start``: x_ss + M^n (x_0 - x_ss)."""
        if days == 0:
            return start
        ss = self.steady(pattern)
        gut0, plasma0 = start.gut - ss.gut, start.plasma - ss.plasma
        an, en = self.a**days, self.e**days
        cn = self.c * (en - an) / (self.e - self.a) if self.c else 0.0
        return Compartments(ss.gut + an * gut0, ss.plasma + cn * gut0 + en * plasma0)

    def bound(self, start: Compartments, pattern: Pattern) -> tuple[float, float]:
        """The day's average concentration under ``pattern`` forever (mg/L), and a bound on how far
        any later day's average can lie from it: (|gut - gut_ss| + |plasma - plasma_ss|) / V (the
        plasma amount a deviation leads to never exceeds the deviation itself)."""
        ss = self.steady(pattern)
        _, average = self.day(ss, pattern)
        gap = abs(start.gut - ss.gut) + abs(start.plasma - ss.plasma)
        return average, gap / self.pk.volume_l


def settled(
    pk: Pharmacokinetics,
    model: DayModel,
    start: Compartments,
    pattern: Pattern,
    exposure: object,
    exposures: Callable[[float], object] | None = None,
) -> bool:
    """True when every later day under ``pattern`` (from amounts ``start``) has the quantised
    relative exposure ``exposure``: a model may then stop looking at the concentration.
    ``exposures``: the day's exposures from its average concentration (mg/L), each increasing with it
    (default: the quantised ``relative_exposure``)."""
    if len(pattern) and pk.interval_h > HOURS_PER_DAY:
        return False  # a dose every few days: the daily average never stands still
    if exposures is None:
        exposures = lambda c: quantised(pk.relative_exposure(c))  # noqa: E731
    average, gap = model.bound(start, pattern)
    return exposures(max(average - gap, 0.0)) == exposure == exposures(average + gap)


def steady_exposures(pk: Pharmacokinetics) -> list[float]:
    """The day's relative exposure on each day of one dosing interval, the standard regimen at
    steady state (``pk = true``): one value, 1.0, for a drug taken every day; one per day of the
    cycle for a drug given every few days (its exposure swings within the cycle around a mean of 1).
    """
    model = DayModel(pk)
    if pk.interval_days == 1:
        pattern = tuple((k * pk.interval_h, pk.standard_dose_mg) for k in range(pk.doses_per_day))
        _, average = model.day(model.steady(pattern), pattern)
        return [pk.relative_exposure(average)]
    dose: Pattern = ((0.0, pk.standard_dose_mg),)
    state, averages = Compartments(), []
    for _ in range(math.ceil(40.0 * pk.half_life_h / pk.interval_h) + 1):  # cycles to steady state
        averages = []
        for day in range(pk.interval_days):
            state, average = model.day(state, dose if day == 0 else ())
            averages.append(average)
    return [pk.relative_exposure(a) for a in averages]


def day_administrations(
    pk: Pharmacokinetics, day: int, relative: float, last_due: int | None, taken: Callable[[int, int], bool] | None
) -> tuple[int | None, Pattern]:
    """One day of the dosing rule: the day's administrations taken, as (hour, mg), and the day the
    drug was last due. ``doses_per_day`` a day, or, for a drug given every few days, one on the
    first day on and then one each interval while it stays on (a stop, ``relative`` 0, resets the
    interval). ``taken(day, k)``: whether administration ``k`` of ``day`` was taken (None: all)."""
    if relative <= 0.0:
        return None, ()
    mg = relative * pk.standard_dose_mg
    if pk.interval_days > 1:
        if last_due is not None and day - last_due < pk.interval_days:
            return last_due, ()
        return day, (((0.0, mg),) if taken is None or taken(day, 0) else ())
    return last_due, tuple((k * pk.interval_h, mg) for k in range(pk.doses_per_day) if taken is None or taken(day, k))


def administrations(
    pk: Pharmacokinetics, relative_doses: Sequence[float], taken: Callable[[int, int], bool] | None = None
) -> list[Pattern]:
    """Each day's administrations taken, as (hour, mg), for a course of daily relative doses (0:
    not given): ``day_administrations`` day after day, the rule ``abm.clinic.dosing`` applies."""
    days: list[Pattern] = []
    last_due = None
    for day, relative in enumerate(relative_doses):
        last_due, pattern = day_administrations(pk, day, relative, last_due, taken)
        days.append(pattern)
    return days


def daily_concentrations(
    pk: Pharmacokinetics, relative_doses: Sequence[float], taken: Callable[[int, int], bool] | None = None
) -> list[float]:
    """The day's average plasma concentration (ng/mL) on each day of a course under the
    ``administrations`` of its daily relative doses. With ``[clinical] pk = true`` the day's
    relative exposure is this average through ``relative_exposure``, quantised."""
    model, state = DayModel(pk), Compartments()
    averages: list[float] = []
    for pattern in administrations(pk, relative_doses, taken):
        state, average = model.day(state, pattern)
        averages.append(average * NG_PER_ML_PER_MG_PER_L)
    return averages
