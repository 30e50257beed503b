"""What a patient takes, and what reaches the tumour: administrations, missed doses, exposure.

A schedule gives each day's relative dose of every drug (``ScheduleRun.doses``). ``Dosing``
turns them into the doses the rule tables are looked up by (``abm.biology.rules.doses_key``):

- ``pk = false`` (``[clinical]``, the default): a relative dose acts the day it is given and is
  gone the next, as the model was calibrated. With ``adherence`` < 1, a missed dose is a day (or
  for a twice-daily drug, half a day) at dose 0.
- ``pk = true``: each day's administrations (the drug's standard interval: once or twice a day,
  or every 3 weeks for trastuzumab; mg = relative dose x standard mg) go through the drug's
  one-compartment model (``abm.biology.pharmacokinetics``), and the day's quantised relative
  exposure stands in for the relative dose: concentrations build up over the first days, a
  short holiday keeps most of the block, and a stop washes out over a few half-lives.

A drug with a route of its own potency (``abm.biology.drugs.RoutePotency``: erlotinib on T790M)
adds that route's exposure to the key, from the day's concentration (pk on) or from the effective
dose read as a relative concentration (pk off); the key is the drugs' entries, then those.

Missed doses: each administration is taken with probability ``adherence``, drawn from the
patient's own dosing stream, one uniform per (drug, day, administration of the day) whether or
not a dose is due, so a patient misses the same doses on every arm that gives that drug on
those days (common random numbers), whatever else the arms differ in.

A model may skip days between looks (``abm.models.cohort``): the amounts in each drug's
compartments are a closed form of the day an administration pattern began and the days since
(``DayModel.after``), so skipping days gives bit for bit what stepping them gives, and
``next_change`` says on which later day the tables would change if the doses stand.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from abm.biology.drugs import DRUG_NAMES, DRUGS, Drug
from abm.biology.pharmacokinetics import (
    Compartments,
    DayModel,
    Pattern,
    Pharmacokinetics,
    day_administrations,
    quantised,
    settled,
)

EMPTY = Compartments()


@dataclass(frozen=True)
class _Track:
    """One drug's state: the pattern of administrations in force since ``since`` (a day) and the
    compartments' amounts at that day's start; the day its last administration was due (drugs
    given every few days)."""

    since: int = 0
    start: Compartments = EMPTY
    pattern: Pattern = ()
    last_due: int | None = None


IDLE = _Track()  # a drug never given: the very object, so it is recognised at no cost


class Dosing:
    """One course's administrations, missed doses and (with ``pk``) concentrations; see the module."""

    def __init__(self, pk: bool, adherence: float, seed: np.random.SeedSequence, days: int) -> None:
        self.pk = pk
        self.adherence = adherence
        self._seed = seed
        self._days = days
        self._kinetics: list[Pharmacokinetics] = [DRUGS[name].pk for name in DRUG_NAMES]
        self._models = [DayModel(pk) for pk in self._kinetics]
        self._tracks = [IDLE] * len(DRUG_NAMES)
        self._draws: dict[int, np.ndarray] = {}
        self._day = -1  # the last day processed
        self._standing: tuple[float, ...] = (0.0,) * len(DRUG_NAMES)  # its relative doses
        self._drugs: list[Drug] = [DRUGS[name] for name in DRUG_NAMES]
        self._idle = [self._exposures(drug, 0.0, False) for drug in range(len(DRUG_NAMES))]
        self._today: list[tuple[float, ...]] = list(self._idle)  # each drug's exposures on the last day
        self.key: tuple[float, ...] = self._flat(self._today)

    # --- administrations ---------------------------------------------------------------------
    def taken(self, drug: int, day: int, dose: int) -> bool:
        """Whether administration ``dose`` of ``day`` is taken: one uniform per (drug, day, dose)."""
        if self.adherence >= 1.0:
            return True
        if drug not in self._draws:
            # the drug's own child of the patient's dosing seed: the same draws on every arm
            seed = np.random.SeedSequence(self._seed.entropy, spawn_key=(*self._seed.spawn_key, drug))
            rng = np.random.Generator(np.random.SFC64(seed))
            self._draws[drug] = rng.random((self._days + 2, self._kinetics[drug].doses_per_day))
        draws = self._draws[drug]
        return day >= len(draws) or bool(draws[day, dose] < self.adherence)

    def _pattern(self, drug: int, track: _Track, day: int, relative: float) -> tuple[_Track, Pattern]:
        """The day's administrations taken as (hour, mg), and the drug's track with its due day."""
        taken = (lambda d, k: self.taken(drug, d, k)) if self.adherence < 1.0 else None
        last_due, pattern = day_administrations(self._kinetics[drug], day, relative, track.last_due, taken)
        return (track if last_due == track.last_due else replace(track, last_due=last_due)), pattern

    def _exposures(self, drug: int, value: float, concentration: bool) -> tuple[float, ...]:
        """A drug's entries of the key: its effective dose (pk off) or the quantised relative exposure
        of the day's average concentration ``value`` in mg/L (pk on), then the exposure of each route
        of its own potency at the relative concentration (pk off: the dose)."""
        pk, potency = self._kinetics[drug], self._drugs[drug].potency
        if not concentration:
            relative = first = value
        else:
            relative, first = value / pk.standard_average_mg_l, quantised(pk.relative_exposure(value))
        if not potency:
            return (first,)
        return (first, *(self._drugs[drug].route_exposure(route, relative) for route in potency))

    @staticmethod
    def _flat(exposures: list[tuple[float, ...]]) -> tuple[float, ...]:
        """The key: each drug's first entry in table order, then the potency routes' (``POTENCY_SLOTS``)."""
        return tuple(e[0] for e in exposures) + tuple(x for e in exposures for x in e[1:])

    def _effective(self, drug: int, track: _Track, day: int, relative: float) -> tuple[_Track, tuple[float, ...]]:
        """The drug's track after ``day`` and the day's entries of the key (``_exposures``): the
        effective relative dose (pk off) or the quantised relative exposure (pk on), and its routes of
        their own potency."""
        pk = self._kinetics[drug]
        if not self.pk:  # the share of the day's administrations taken (every day on is one for q3w)
            if relative <= 0.0:
                return track, self._idle[drug]
            taken = sum(self.taken(drug, day, k) for k in range(pk.doses_per_day))
            return track, self._exposures(drug, relative * taken / pk.doses_per_day, False)
        track, pattern = self._pattern(drug, track, day, relative)
        model = self._models[drug]
        if pattern != track.pattern:  # a new pattern starts today, from today's amounts
            start = model.after(track.start, track.pattern, day - track.since)
            track = replace(track, since=day, start=start, pattern=pattern)
        start = model.after(track.start, pattern, day - track.since)
        if not pattern and start == EMPTY:
            return track, self._idle[drug]  # never given
        _, average = model.day(start, pattern)
        return track, self._exposures(drug, average, True)

    # --- days --------------------------------------------------------------------------------
    def _advance(
        self, tracks: list[_Track], first: int, last: int, doses: tuple[float, ...]
    ) -> tuple[list[_Track], list[tuple[float, ...]]]:
        """Days ``first`` to ``last`` (inclusive) at relative ``doses``: the tracks after, and each
        drug's entries of the key on ``last``. Only days that can change something are visited: with
        every dose taken, a daily drug's pattern is the same each day."""
        key: list[tuple[float, ...]] = []
        for drug, (track, relative) in enumerate(zip(tracks, doses, strict=True)):
            if relative <= 0.0 and track is IDLE:  # never given (most drugs of most courses)
                key.append(self._idle[drug])
                continue
            pk = self._kinetics[drug]
            steady = self.adherence >= 1.0 and (pk.interval_days == 1 or relative <= 0.0)
            for day in range(last if steady else first, last + 1):
                track, effective = self._effective(drug, track, day, relative)
            tracks[drug] = track
            key.append(effective)
        return tracks, tuple(key)

    def today(self, day: int, doses: dict[str, float]) -> tuple[float, ...]:
        """The effective doses of ``day`` (in ``DRUG_NAMES`` order), given its relative ``doses``;
        the days since the last call are taken to have had the doses of that call (a model skips
        only days on which the doses stand: ``next_change``)."""
        relative = tuple(float(doses.get(name, 0.0)) for name in DRUG_NAMES)
        if day > self._day + 1:  # skipped days, at the doses that stood
            self._tracks, _ = self._advance(self._tracks, self._day + 1, day - 1, self._standing)
        self._tracks, self._today = self._advance(self._tracks, day, day, relative)
        self.key = self._flat(self._today)
        self._day, self._standing = day, relative
        return self.key

    def next_change(self, until: int) -> int | None:
        """The first day after the last ``today`` and before ``until`` whose effective doses differ,
        if the doses stand; None when none does (so a model may skip to ``until``)."""
        tracks = list(self._tracks)
        for day in range(self._day + 1, until):
            if self._settled(tracks, day):
                return None
            tracks, key = self._advance(tracks, day, day, self._standing)
            if key != self._today:
                return day
        return None

    def _settled(self, tracks: list[_Track], day: int) -> bool:
        """Whether no day from ``day`` on can change the effective doses while the doses stand."""
        if self.adherence < 1.0:
            return False  # a missed dose may come any day
        if not self.pk:
            return True  # every dose taken: the dose of the day, which stands
        for drug, (track, exposure) in enumerate(zip(tracks, self._today, strict=True)):
            if track is IDLE or (not track.pattern and track.start == EMPTY):
                continue  # never given
            pk, model = self._kinetics[drug], self._models[drug]
            if pk.interval_days > 1 and self._standing[drug] > 0.0:
                return False
            start = model.after(track.start, track.pattern, day - track.since)
            if not settled(pk, model, start, track.pattern, exposure, lambda c, d=drug: self._exposures(d, c, True)):
                return False
        return True
