"""Drug schedules: which drug, at what dose, on which day.

A schedule is a list of dosing blocks. Each block gives one drug at one dose from a start
to a stop, optionally intermittently (days on / days off) or adaptively (paused while the
tumour is small, resumed when it regrows). A start or stop is a day, or a *trigger*: a
condition on a readout the model reports each day (``burden_fraction``, a mechanism's
fraction, and in richer models progression, a ctDNA fraction or what the rebiopsy at
progression found). A trigger fires the first day its condition holds and stays fired, so
"add savolitinib when MET is detected" and "switch to osimertinib at progression" are data,
not code. ``{ all = [trigger, ...] }`` fires the first day every one of its conditions holds
("at progression, if the biopsy found MET amplification"), and ``for_days`` stops a block a
set number of days after its start, whatever started it ("four 3-week cycles of chemotherapy
from progression").

Every user-facing form (the 'Schedules users want to compare' of biology.md) is a few
blocks: continuous, intermittent, switch at a day, add a drug for a window, upfront
combination, adaptive.

A dose is a number, relative to the drug's standard dose (1.0), or a text in mg per
administration at the drug's standard interval (``dose = "80 mg"``; ``abm drugs`` lists the
regimens); either way the schedule hands models relative doses.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    Discriminator,
    Field,
    Tag,
    field_validator,
    model_validator,
)

from abm.biology.drugs import DRUG_NAMES, DRUGS
from abm.clinic.readouts import DAILY_READOUTS, READOUT_NAMES
from abm.io.inputs import USER_FILE


def _known_readout(name: str) -> str:
    if name not in READOUT_NAMES:
        raise ValueError(f"unknown readout {name!r}; allowed: {', '.join(READOUT_NAMES)}")
    return name


ReadoutName = Annotated[str, AfterValidator(_known_readout)]


class Trigger(BaseModel):
    """Fires the first day ``readout`` is above (or below) a threshold; stays fired after."""

    model_config = USER_FILE

    readout: ReadoutName
    above: float | None = None
    below: float | None = None

    @model_validator(mode="after")
    def _one_threshold(self) -> Trigger:
        if (self.above is None) == (self.below is None):
            raise ValueError("give exactly one of 'above' or 'below'")
        return self

    def holds(self, readouts: Mapping[str, float]) -> bool:
        """True when the condition holds for today's readouts."""
        value = readouts[self.readout]
        return value > self.above if self.above is not None else value < self.below  # type: ignore[operator]

    @property
    def conditions(self) -> tuple[Trigger, ...]:
        """The single conditions it is made of: itself."""
        return (self,)


class AllOf(BaseModel):
    """Fires the first day every one of its triggers holds on the same day; stays fired after."""

    model_config = USER_FILE

    all: tuple[Trigger, ...] = Field(min_length=1, strict=False)  # a TOML array is a list

    def holds(self, readouts: Mapping[str, float]) -> bool:
        """True when every condition holds for today's readouts."""
        return all(trigger.holds(readouts) for trigger in self.all)

    @property
    def conditions(self) -> tuple[Trigger, ...]:
        """The single conditions it is made of."""
        return self.all


def _when_branch(value: Any) -> str:
    """A table with ``all`` is all of several triggers, another table one trigger, else a day:
    errors then name the branch the file meant."""
    if isinstance(value, dict):
        return "AllOf" if "all" in value else "Trigger"
    if isinstance(value, Trigger | AllOf):
        return type(value).__name__
    return "int"


# A start or stop: a day, or a condition on the readouts (the tags are abm.io.errors.UNION_TAGS).
When = Annotated[
    Annotated[int, Tag("int")] | Annotated[Trigger, Tag("Trigger")] | Annotated[AllOf, Tag("AllOf")],
    Discriminator(_when_branch),
]


class Adaptive(BaseModel):
    """Adaptive dosing: pause when ``readout`` falls below ``pause_below``, resume at ``resume_at``.

    With the default readout (tumour burden relative to its value on day 0) this is the
    classic rule: stop below a set fraction of baseline, restart when back at baseline.
    """

    model_config = USER_FILE

    readout: ReadoutName = "burden_fraction"
    pause_below: float = Field(0.5, gt=0)
    resume_at: float = Field(1.0, gt=0)

    @model_validator(mode="after")
    def _ordered(self) -> Adaptive:
        if self.resume_at < self.pause_below:
            raise ValueError("resume_at must be at least pause_below")
        return self


# A dose in mg: a number (no sign: a negative amount is refused with the number's words below), "mg".
MG_DOSE = re.compile(r"\s*(-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*mg\s*")
DOSE_WORDS = 'a number greater than or equal to 0 (relative to the standard dose, 1.0), or a dose in mg such as "80 mg"'


def mg_of(text: str) -> float | None:
    """The mg of a dose text such as "80 mg" (None when it is not one)."""
    match = MG_DOSE.fullmatch(text)
    return float(match.group(1)) if match else None


def _dose(value: Any) -> Any:
    """A dose as a file gives it: a finite number >= 0, or "<number> mg" with a number >= 0."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"{value!r} is not allowed; allowed: {DOSE_WORDS}")
    amount = mg_of(value) if isinstance(value, str) else value
    if amount is None:
        raise ValueError(f"{value!r} is not allowed; allowed: {DOSE_WORDS}")
    if not math.isfinite(amount):
        raise ValueError(f"{value!r} is not allowed; allowed: a finite number")
    if amount < 0:
        raise ValueError(f"{value!r} is not allowed; allowed: {DOSE_WORDS}")
    return value


Dose = Annotated[float | str, BeforeValidator(_dose)]


class DosingBlock(BaseModel):
    """One drug at one dose over a window of days (``stop`` is exclusive)."""

    model_config = USER_FILE

    drug: str
    dose: Dose = Field(
        1.0, description='relative dose (1.0 is the standard dose) or mg per administration, e.g. "80 mg"'
    )
    start: When = Field(0, description="first day, or a trigger")
    stop: When | None = Field(None, description="first day off, or a trigger; none: never")
    for_days: int | None = Field(
        None, ge=1, description="days the block runs from its start, whatever started it (with stop: the earlier)"
    )
    on_days: int | None = Field(None, ge=1, description="intermittent: days on per cycle")
    off_days: int = Field(0, ge=0, description="intermittent: days off per cycle")
    adaptive: Adaptive | None = None

    @field_validator("drug")
    @classmethod
    def _known_drug(cls, name: str) -> str:
        if name not in DRUGS:
            raise ValueError(f"unknown drug {name!r}; allowed: {', '.join(DRUG_NAMES)}")
        return name

    @field_validator("start", "stop")
    @classmethod
    def _non_negative_day(cls, value: When | None) -> When | None:
        if isinstance(value, int) and value < 0:
            raise ValueError("a day must be 0 or more")
        return value

    @property
    def relative_dose(self) -> float:
        """The dose relative to the drug's standard dose (mg over the standard mg for a dose in mg).

        Not cached: a copy with another dose (``model_copy``) would carry a cached value along."""
        if isinstance(self.dose, str):
            return mg_of(self.dose) / DRUGS[self.drug].pk.standard_dose_mg  # type: ignore[operator]
        return self.dose

    @model_validator(mode="after")
    def _window(self) -> DosingBlock:
        if isinstance(self.start, int) and isinstance(self.stop, int) and self.stop <= self.start:
            raise ValueError("stop must be after start")
        if self.off_days and self.on_days is None:
            raise ValueError("off_days needs on_days")
        return self


@dataclass
class _BlockState:
    start_day: int | None = None
    stop_day: int | None = None
    paused: bool = False


@dataclass
class ScheduleRun:
    """A schedule being followed in one run: remembers fired triggers and adaptive pauses."""

    blocks: tuple[DosingBlock, ...]
    _state: list[_BlockState] = field(init=False)

    def __post_init__(self) -> None:
        self._state = [_BlockState() for _ in self.blocks]

    def doses(self, day: int, readouts: Mapping[str, float]) -> dict[str, float]:
        """Relative dose of every drug on ``day``, given the readouts at the start of that day.

        Call once per day in increasing day order: triggers and pauses are stateful.
        """
        doses = dict.fromkeys(DRUG_NAMES, 0.0)
        for block, state in zip(self.blocks, self._state, strict=True):
            if block_dose := _block_dose(block, state, day, readouts):
                doses[block.drug] += block_dose
        return doses

    @property
    def readouts_read(self) -> frozenset[str]:
        """The readouts the schedule's triggers and adaptive rules read."""
        names = {block.adaptive.readout for block in self.blocks if block.adaptive is not None}
        return frozenset(names).union(
            trigger.readout
            for block in self.blocks
            for when in (block.start, block.stop)
            if when is not None and not isinstance(when, int)
            for trigger in when.conditions
        )

    def next_change(self, day: int) -> tuple[int | None, list[Watch]]:
        """After ``doses(day, ...)``: the first later day the calendar changes a dose (None: never),
        and the conditions on daily readouts that would change one the day they hold. Doses stay
        as they are until then, so a model may skip asking for them on the days between."""
        days: list[int] = []
        watches: list[Watch] = []
        for block, state in zip(self.blocks, self._state, strict=True):
            next_day, block_watches = _next_change(block, state, day)
            if next_day is not None:
                days.append(next_day)
            watches += block_watches
        return (min(days) if days else None), watches


# A condition on a daily readout that would change the doses once it holds: (readout, test,
# threshold), test one of ">", "<", ">=".
Watch = tuple[str, str, float]


def _trigger_watch(when: When, day: int) -> tuple[int | None, list[Watch]]:
    """When a start or stop not yet fired could fire: a later day, or watched conditions. All of
    several conditions can first hold only on a day one of them comes to hold: each is watched
    (a visit readout can change only at a visit, and the clinic looks then)."""
    if isinstance(when, int):
        return (when if when > day else None), []
    watches: list[Watch] = []
    for trigger in when.conditions:
        if trigger.readout in DAILY_READOUTS:
            if trigger.above is not None:
                watches.append((trigger.readout, ">", trigger.above))
            else:
                watches.append((trigger.readout, "<", trigger.below))  # type: ignore[arg-type]
    return None, watches


def _next_change(block: DosingBlock, state: _BlockState, day: int) -> tuple[int | None, list[Watch]]:
    """After ``day``'s doses: the next day the block's dose changes by the calendar, and the
    conditions on daily readouts that would change it."""
    if state.start_day is None:
        return _trigger_watch(block.start, day)
    if state.stop_day is not None:
        return None, []
    days: list[int] = []
    next_stop, watches = (None, []) if block.stop is None else _trigger_watch(block.stop, day)
    if next_stop is not None:
        days.append(next_stop)
    if block.for_days is not None:
        days.append(state.start_day + block.for_days)
    if block.adaptive is not None:
        rule = block.adaptive
        readout = rule.readout
        if readout not in DAILY_READOUTS:
            pass
        elif state.paused:
            watches.append((readout, ">=", rule.resume_at))
        else:
            watches.append((readout, "<", rule.pause_below))
    if block.on_days is not None and block.off_days:
        cycle = block.on_days + block.off_days
        phase = (day - state.start_day) % cycle
        days.append(day + (block.on_days - phase if phase < block.on_days else cycle - phase))
    return (min(days) if days else None), watches


def _fired(when: When, day: int, readouts: Mapping[str, float]) -> bool:
    return day >= when if isinstance(when, int) else when.holds(readouts)


def _block_dose(block: DosingBlock, state: _BlockState, day: int, readouts: Mapping[str, float]) -> float:
    if state.start_day is None:
        if not _fired(block.start, day, readouts):
            return 0.0
        state.start_day = day
    if state.stop_day is None and block.stop is not None and _fired(block.stop, day, readouts):
        state.stop_day = day
    if state.stop_day is None and block.for_days is not None and day >= state.start_day + block.for_days:
        state.stop_day = day
    if state.stop_day is not None:
        return 0.0
    if block.adaptive is not None:
        value = readouts[block.adaptive.readout]
        if state.paused and value >= block.adaptive.resume_at:
            state.paused = False
        elif not state.paused and value < block.adaptive.pause_below:
            state.paused = True
        if state.paused:
            return 0.0
    if block.on_days is not None:
        cycle = block.on_days + block.off_days
        if (day - state.start_day) % cycle >= block.on_days:
            return 0.0
    return block.relative_dose
