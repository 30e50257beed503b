"""Issue 17, item 1: pharmacokinetics and exposure-response as data.

Each drug's one-compartment model against the steady-state values its row cites (peak, trough,
AUC over an interval, peak-to-trough ratio, accumulation: within 20%) and its washout half-life
(within 10%); values a one-compartment model cannot reproduce are listed in the row's
``misfit`` and expected to fail here, so a better model shows. Then: the day map equals the sum
over doses, the anchoring (the standard regimen at steady state is relative dose 1.0), a short
holiday keeps most of the block, skipping days gives what stepping them gives, doses in mg, and
missed doses per patient, the same on every arm.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError

from abm.biology.drugs import DRUG_NAMES, DRUGS, POTENCY_SLOTS, potency_exposures, route_blocks
from abm.biology.mechanisms import N_STATES, Route
from abm.biology.pharmacokinetics import (
    Compartments,
    DayModel,
    concentration,
    daily_concentrations,
    quantised,
    steady_exposures,
)
from abm.biology.rules import doses_key, rule_tables
from abm.clinic.dosing import Dosing
from abm.clinic.schedule import DosingBlock, ScheduleRun
from abm.config.scenario import ScenarioConfig
from abm.experiments.run import run_scenario
from abm.experiments.trial import Distribution, load_trial, patient_characteristics, patient_seed, simulate_courses
from abm.models.cohort import run_cohort
from abm.models.course import Course
from tests.conftest import SCENARIOS

REFERENCE_TOLERANCE = 0.2  # the "within 20%" of the cited steady-state values
HALF_LIFE_TOLERANCE = 0.1
QUANTITIES = ("cmax", "cmin", "auc_tau", "peak_to_trough", "accumulation")


def steady_state(name: str) -> dict[str, float]:
    """The standard regimen after 60 half-lives: peak, trough (ng/mL), AUC over an interval
    (ng*h/mL), their ratio and the AUC accumulation, from the sum over doses (``concentration``)."""
    pk = DRUGS[name].pk
    n = math.ceil(60 * pk.half_life_h / pk.interval_h) + 1
    times = np.arange(n) * pk.interval_h
    doses = np.full(n, pk.standard_dose_mg)
    t = times[-1] + np.linspace(0.0, pk.interval_h, 4001)
    c = concentration(pk, times, doses, t) * 1000.0  # mg/L -> ng/mL
    first = concentration(pk, times[:1], doses[:1], t - times[-1]) * 1000.0
    auc, auc_first = np.trapezoid(c, t), np.trapezoid(first, t)
    return {
        "cmax": c.max(),
        "cmin": c[-1],
        "auc_tau": auc,
        "peak_to_trough": c.max() / c[-1],
        "accumulation": auc / auc_first,
    }


def cases(kind: str) -> list:
    """(drug, quantity) for every cited value, failures the row expects marked xfail(strict); a
    drug with no cited steady-state value is one case skipped with the row's reason."""
    out = []
    for name, drug in DRUGS.items():
        reference = drug.pk.reference
        misfit = dict(reference.misfit)
        names = [q for q in QUANTITIES if getattr(reference, q) is not None] if kind == "steady" else ["half_life"]
        if not names:
            skip = pytest.mark.skip(reason=f"no steady-state value cited: {reference.source}")
            out.append(pytest.param(name, "none", marks=[skip], id=f"{name}-steady-state"))
        for quantity in names:
            marks = [pytest.mark.xfail(strict=True, reason=misfit[quantity])] if quantity in misfit else []
            out.append(pytest.param(name, quantity, marks=marks, id=f"{name}-{quantity}"))
    return out


@pytest.mark.parametrize(("name", "quantity"), cases("steady"))
def test_steady_state_against_the_cited_values(name: str, quantity: str) -> None:
    cited = getattr(DRUGS[name].pk.reference, quantity)
    simulated = steady_state(name)[quantity]
    assert simulated == pytest.approx(cited, rel=REFERENCE_TOLERANCE), f"{name} {quantity}"


def test_every_drug_has_its_regimen_and_a_checked_value() -> None:
    for name, drug in DRUGS.items():
        pk = drug.pk
        assert pk.regimen and pk.source and pk.reference.source and pk.exposure_source, name
        assert pk.standard_dose_mg > 0 and pk.interval_h > 0, name
    # the approved drugs have a cited steady-state concentration or AUC to be checked against
    # (amivantamab: only its accumulation, below; no concentration was found in the sources reached)
    approved = ("gefitinib", "erlotinib", "afatinib", "osimertinib", "savolitinib", "trastuzumab", "dacomitinib")
    approved += ("lazertinib", "capmatinib", "tepotinib", "crizotinib", "carboplatin", "pemetrexed")
    for name in approved:
        assert any(getattr(DRUGS[name].pk.reference, q) is not None for q in ("cmax", "cmin", "auc_tau")), name
    assert DRUGS["amivantamab"].pk.reference.accumulation is not None


@pytest.mark.parametrize(("name", "quantity"), cases("half_life"))
def test_washout_half_life_after_the_last_dose(name: str, quantity: str) -> None:
    """After the last dose of the standard regimen at steady state, the concentration halves in
    the cited half-life (measured once absorption is over)."""
    pk = DRUGS[name].pk
    n = math.ceil(20 * pk.half_life_h / pk.interval_h) + 1
    times = np.arange(n) * pk.interval_h
    absorbed = 0.0 if pk.absorption_per_h is None else 12.0 / pk.absorption_per_h
    t = times[-1] + absorbed + np.array([0.0, 2.0 * pk.half_life_h])
    c = concentration(pk, times, np.full(n, pk.standard_dose_mg), t)
    measured = 2.0 * pk.half_life_h * math.log(2.0) / math.log(c[0] / c[1])
    assert measured == pytest.approx(pk.reference.half_life_h, rel=HALF_LIFE_TOLERANCE)


@pytest.mark.parametrize("name", DRUG_NAMES)
def test_the_day_map_is_the_sum_over_doses(name: str) -> None:
    """``DayModel`` (a day's start to the next, closed form over days) gives the day averages and
    amounts that summing each dose's curve gives, for an irregular course with missed doses."""
    pk = DRUGS[name].pk
    model = DayModel(pk)
    rng = np.random.default_rng(3)
    days = 40
    hours = [k * pk.interval_h for k in range(pk.doses_per_day)] if pk.interval_days == 1 else [0.0]
    plan = [tuple((h, pk.standard_dose_mg * float(rng.choice([0.5, 1.0]))) for h in hours if rng.random() < 0.8)]
    plan = (
        plan * 10 + [()] * 5 + [tuple((h, pk.standard_dose_mg) for h in hours if rng.random() < 0.7) for _ in range(25)]
    )
    times = [24.0 * d + h for d, pattern in enumerate(plan) for h, _ in pattern]
    amounts = [mg for pattern in plan for _, mg in pattern]
    state = Compartments()
    for day, pattern in enumerate(plan[:days]):
        grid = 24.0 * day + (np.arange(20000) + 0.5) * 24.0 / 20000  # midpoints: a bolus at 24 h is tomorrow's
        exact = concentration(pk, np.array(times), np.array(amounts), grid).mean()
        state, average = model.day(state, pattern)
        assert average == pytest.approx(exact, rel=1e-6, abs=1e-12), f"day {day}"
    # ten days of one pattern in one step = ten steps
    start, pattern = Compartments(1.5 * pk.standard_dose_mg, 0.7 * pk.standard_dose_mg), plan[0]
    stepped = start
    for _ in range(10):
        stepped, _ = model.day(stepped, pattern)
    jumped = model.after(start, pattern, 10)
    assert jumped.gut == pytest.approx(stepped.gut, rel=1e-9, abs=1e-12)
    assert jumped.plasma == pytest.approx(stepped.plasma, rel=1e-9)


@pytest.mark.parametrize("name", DRUG_NAMES)
def test_the_standard_regimen_at_steady_state_is_relative_dose_one(name: str) -> None:
    """The anchoring: at the standard regimen's steady-state average concentration the relative
    exposure is exactly 1.0, and with pk on the course reaches the very rule tables of dose 1.0."""
    pk = DRUGS[name].pk
    assert pk.relative_exposure(pk.standard_average_mg_l) == pytest.approx(1.0, rel=1e-12)
    assert quantised(pk.relative_exposure(pk.standard_average_mg_l)) == 1.0
    if pk.ec50_fraction is None:  # linear: twice the concentration, twice the exposure
        assert pk.concentration_for(0.5) == pytest.approx(0.5 * pk.standard_average_mg_l)
        assert pk.relative_exposure(20.0 * pk.standard_average_mg_l) == pytest.approx(20.0)
    else:
        assert pk.concentration_for(0.5) == pytest.approx(
            pk.standard_average_mg_l * pk.ec50_fraction * 0.5 / (1.0 + pk.ec50_fraction - 0.5)
        )
    if pk.interval_days > 1:
        return  # every 3 weeks: the daily exposure swings within the cycle (its mean is the anchor)
    dosing = Dosing(True, 1.0, np.random.SeedSequence(0), 2000)
    days = math.ceil(40 * pk.half_life_h / 24.0)
    for day in range(days):
        key = dosing.today(day, {name: 1.0})
    # the drugs' entries, then the exposures of the routes of their own potency (POTENCY_SLOTS)
    assert dict(zip(DRUG_NAMES, key[: len(DRUG_NAMES)], strict=True))[name] == 1.0
    assert len(key) == len(DRUG_NAMES) + len(POTENCY_SLOTS)
    assert key == doses_key({name: 1.0})
    p = ScenarioConfig().parameters
    short = tuple(1.0 if n == name else 0.0 for n in DRUG_NAMES)
    assert rule_tables(p, key) is rule_tables(p, short + potency_exposures(dict(zip(DRUG_NAMES, short, strict=True))))


@pytest.mark.parametrize("name", DRUG_NAMES)
def test_the_days_of_a_cycle_at_steady_state(name: str) -> None:
    """``steady_exposures`` (what ``abm drugs`` reports): 1.0 for a drug taken every day; for one
    given every few days a value per day of the cycle, whose mean is the anchor (exactly, for a
    linear exposure: the cycle's AUC; near it under the Emax curve)."""
    pk = DRUGS[name].pk
    days = steady_exposures(pk)
    if pk.interval_days == 1:
        assert days == [pytest.approx(1.0, rel=1e-9)]
        return
    assert len(days) == pk.interval_days
    if pk.ec50_fraction is None:
        assert sum(days) == pytest.approx(pk.interval_days, rel=1e-6)
    else:
        assert all(0.9 < x < 1.1 for x in days) and max(days) > min(days)


def exposures(name: str, on: list[bool], pk: bool = True, adherence: float = 1.0, seed: int = 0) -> list[float]:
    """The drug's effective dose each day of an on/off plan, every day looked at."""
    dosing = Dosing(pk, adherence, np.random.SeedSequence(seed), len(on))
    index = DRUG_NAMES.index(name)
    return [dosing.today(day, {name: 1.0 if given else 0.0})[index] for day, given in enumerate(on)]


def test_a_short_holiday_keeps_most_of_the_block() -> None:
    """Osimertinib (t1/2 48 h) at steady state, one day off (half a half-life): the day off keeps
    more than half the EGFR block (pk off: none); it wanes over days off, and two weeks off (7
    half-lives) lose most of it."""
    day_off = 30
    on = [day != day_off for day in range(40)]
    on_block = route_blocks({"osimertinib": 1.0})[Route.EGFR_SENSITIVE]
    x = exposures("osimertinib", on)
    holiday = route_blocks({"osimertinib": x[day_off]})[Route.EGFR_SENSITIVE]
    assert holiday > 0.5 * on_block
    assert holiday > 0.9 * on_block  # in fact nearly all of it: the concentration falls by a third
    assert exposures("osimertinib", on, pk=False)[day_off] == 0.0  # today's model: gone at midnight
    off = [day < 30 for day in range(45)]
    blocks = [route_blocks({"osimertinib": x})[Route.EGFR_SENSITIVE] for x in exposures("osimertinib", off)[30:]]
    assert blocks == sorted(blocks, reverse=True) and blocks[0] == holiday
    assert blocks[13] < 0.5 * on_block
    # the block comes back over days, not at once, after a stop
    assert exposures("osimertinib", [True] * 20)[:3] == sorted(exposures("osimertinib", [True] * 20)[:3])
    assert exposures("osimertinib", [True] * 20)[0] < 1.0


def test_concentrations_build_up_and_wash_out_with_the_half_life() -> None:
    """Gefitinib then osimertinib: the exposure of the first falls over days as the second's rises."""
    plan = range(130)
    dosing = Dosing(True, 1.0, np.random.SeedSequence(0), 130)
    keys = [dosing.today(d, {"gefitinib": float(d < 100), "osimertinib": float(d >= 100)}) for d in plan]
    gefitinib = [k[DRUG_NAMES.index("gefitinib")] for k in keys]
    osimertinib = [k[DRUG_NAMES.index("osimertinib")] for k in keys]
    assert gefitinib[99] == 1.0 and 0.0 < gefitinib[102] < gefitinib[101] < gefitinib[100] < 1.0
    assert gefitinib[129] == 0.0 and osimertinib[99] == 0.0 and osimertinib[129] == 1.0
    assert 0.0 < osimertinib[100] < osimertinib[101] < osimertinib[102] < 1.0


def test_the_dosing_says_when_its_exposure_changes() -> None:
    """During build-up the exposure changes daily (a change the cohort engine must stop for); at
    steady state it no longer changes, so days can be skipped to the next visit."""
    dosing = Dosing(True, 1.0, np.random.SeedSequence(0), 400)
    dosing.today(0, {"osimertinib": 1.0})
    assert dosing.next_change(56) == 1
    for day in range(1, 30):
        dosing.today(day, {"osimertinib": 1.0})
    assert dosing.next_change(400) is None
    dosing.today(30, {"osimertinib": 0.0})  # stopped: washing out for days
    assert dosing.next_change(400) == 31


def courses_of(config: ScenarioConfig, n: int) -> tuple[list[Course], list[np.random.SeedSequence]]:
    seeds = [np.random.SeedSequence(11, spawn_key=(i,)) for i in range(n)]
    courses = [Course(config, dosing_seed=np.random.SeedSequence(11, spawn_key=(i, 2))) for i in range(n)]
    return courses, seeds


PK_SCENARIO = {
    "model": {"kind": "clone", "initial_cells": 10**8, "days": 400},
    "clinical": {"pk": True, "imaging_interval_days": 56},
    "parameters": {"met_amplified_initial_fraction": 1e-3},
    "schedule": [
        {"drug": "gefitinib", "stop": 120},
        {"drug": "osimertinib", "dose": "80 mg", "start": 120, "on_days": 20, "off_days": 3},
    ],
}


@pytest.mark.parametrize("adherence", [1.0, 0.8])
def test_skipping_days_gives_what_stepping_them_gives(monkeypatch: pytest.MonkeyPatch, adherence: float) -> None:
    """With pk on (and missed doses), the cohort engine skipping to each course's next look gives
    bit for bit the tumours of looking every day: a changing concentration is a change."""
    config = ScenarioConfig.model_validate(
        {**PK_SCENARIO, "clinical": {**PK_SCENARIO["clinical"], "adherence": adherence}}
    )
    skipping, seeds = courses_of(config, 6)
    skipped = run_cohort(skipping, seeds)
    next_look = Course.next_look
    monkeypatch.setattr(Course, "next_look", lambda self: (self.day + 1, next_look(self)[1]))
    daily, seeds = courses_of(config, 6)
    stepped = run_cohort(daily, seeds)
    assert np.array_equal(skipped, stepped)
    assert [c.recist.progression_days for c in skipping] == [c.recist.progression_days for c in daily]
    assert [c.exposure for c in skipping] == [c.exposure for c in daily]


def test_pk_off_is_the_relative_dose_of_the_day() -> None:
    """The default: no dosing model at all, the tables of the schedule's relative doses."""
    config = ScenarioConfig.model_validate({**PK_SCENARIO, "clinical": {}})
    assert config.clinical.pk is False and config.clinical.adherence == 1.0
    course = Course(config)
    assert course.dosing is None
    course.observe(0, np.array([100] + [0] * (N_STATES - 1), dtype=np.int64))
    assert course.exposure["gefitinib"] == 1.0 and course.exposure["osimertinib"] == 0.0


# --- doses in mg -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("drug", "dose", "relative"),
    [
        ("osimertinib", "80 mg", 1.0),
        ("osimertinib", "40mg", 0.5),
        ("gefitinib", " 500 mg ", 2.0),
        ("linsitinib", "75 mg", 0.5),  # per administration, twice a day
        ("osimertinib", "1.6e2 mg", 2.0),
        ("osimertinib", "0 mg", 0.0),
        ("osimertinib", 1, 1.0),
        ("osimertinib", 0.25, 0.25),
    ],
)
def test_doses_in_mg(drug: str, dose: str | float, relative: float) -> None:
    block = DosingBlock.model_validate({"drug": drug, "dose": dose})
    assert block.relative_dose == pytest.approx(relative)
    assert block.dose == dose  # kept as given: summaries and --set show what the file said
    assert ScheduleRun((block,)).doses(0, {})[drug] == pytest.approx(relative)


@pytest.mark.parametrize("dose", ["80 kg", "80", "eighty mg", "-80 mg", "80 mg/day", "", "nan mg", True, -1.0])
def test_bad_doses_are_refused(dose: str | float) -> None:
    with pytest.raises(ValidationError, match="allowed: a number greater than or equal to 0"):
        DosingBlock.model_validate({"drug": "osimertinib", "dose": dose})


@pytest.mark.parametrize(
    ("dose", "shown"),
    [('"80 kg"', "'80 kg' is not allowed"), ('"-80 mg"', "'-80 mg' is not allowed"), ('"80 ml"', "'80 ml'")],
)
def test_bad_dose_in_a_file_is_one_line_and_exit_2(tmp_path: Path, dose: str, shown: str, capsys) -> None:
    from abm.cli import main

    scenario = tmp_path / "s.toml"
    scenario.write_text(f'[[schedule]]\ndrug = "osimertinib"\ndose = {dose}\n')
    status = main(["run", str(scenario), "--quiet", "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert status == 2
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith(f"abm: error: {scenario}: schedule[0].dose: {shown}")
    assert 'or a dose in mg such as "80 mg"' in err
    assert not (tmp_path / "out").exists()


def test_bad_pk_settings_are_one_line(tmp_path: Path, capsys) -> None:
    from abm.cli import main

    for text, fragment in (
        ("[clinical]\npk = 1\n", "clinical.pk: 1 is not allowed; allowed: true or false"),
        ("[clinical]\nadherence = 1.5\n", "clinical.adherence"),
    ):
        scenario = tmp_path / "s.toml"
        scenario.write_text(text)
        assert main(["run", str(scenario), "--quiet", "--out", str(tmp_path / "out")]) == 2
        err = capsys.readouterr().err
        assert fragment in err and err.count("\n") == 1


# --- adherence ---------------------------------------------------------------------------------
def test_missed_doses_are_the_patients_own_and_the_same_on_every_arm() -> None:
    """Adherence drawn per patient ([cohort]); each administration's draw belongs to (patient,
    drug, day), so two arms giving osimertinib on the same days miss the same doses, whatever else
    they give; different patients miss different doses."""
    trial = load_trial(SCENARIOS / "trial-axl-timing.toml", {"patients": 4, "follow_up_days": 60})
    adherence = Distribution(distribution="uniform", low=0.6, high=0.9)
    trial = trial.model_copy(update={"cohort": {**trial.cohort, "adherence": adherence}})
    values = [patient_characteristics(trial, patient_seed(trial, i))["adherence"] for i in range(4)]
    assert len(set(values)) == 4 and all(0.6 <= v <= 0.9 for v in values)
    arms = {arm.name: i for i, arm in enumerate(trial.arms)}
    alone, _ = simulate_courses(trial, arms["osimertinib"], range(4))
    upfront, characteristics = simulate_courses(trial, arms["osimertinib + AXL inhibitor upfront"], range(4))
    osimertinib = DRUG_NAMES.index("osimertinib")
    for a, b, c in zip(alone, upfront, characteristics, strict=True):
        assert a.config.clinical.adherence == b.config.clinical.adherence == c["adherence"] < 1.0
        assert a.dosing is not None and b.dosing is not None
        assert np.array_equal(a.dosing._draws[osimertinib], b.dosing._draws[osimertinib])
    assert not np.array_equal(alone[0].dosing._draws[osimertinib], alone[1].dosing._draws[osimertinib])
    # pk off: a missed day of osimertinib is a day at dose 0, on the days the draws say
    missed = exposures("osimertinib", [True] * 200, pk=False, adherence=0.7, seed=5)
    assert set(missed) == {0.0, 1.0} and 0.6 < float(np.mean(missed)) < 0.8
    assert missed == exposures("osimertinib", [True] * 200, pk=False, adherence=0.7, seed=5)


def test_full_adherence_changes_nothing() -> None:
    trial = load_trial(SCENARIOS / "trial-first-line.toml", {"patients": 2, "follow_up_days": 30})
    with_one = trial.model_copy(update={"cohort": {**trial.cohort, "adherence": 1.0}})
    plain, _ = simulate_courses(trial, 0, range(2))
    full, _ = simulate_courses(with_one, 0, range(2))
    assert all(c.dosing is None for c in (*plain, *full))
    assert [c.counts for c in plain] == [c.counts for c in full]


def test_adherence_is_refused_outside_0_to_1(tmp_path: Path) -> None:
    from abm.experiments.trial import validate_trial
    from abm.io.errors import InputError

    data = {
        "name": "t",
        "cohort": {"adherence": {"distribution": "uniform", "low": 0.5, "high": 1.2}},
        "arms": [{"name": "a", "schedule": [{"drug": "osimertinib"}]}],
    }
    with pytest.raises(InputError, match=r"cohort.adherence.high: 1.2 is not allowed; allowed: probability"):
        validate_trial(data, "t.toml")


# --- concentrations in a run's output (abm run: timeseries.csv, the report's dose panel) ---------
def test_daily_concentrations_rise_to_steady_state_and_fall_with_the_half_life() -> None:
    """Osimertinib 30 days on then off: the day's average rises every day to the standard Css,avg
    (dose / (CL/F x 24 h)); after the last dose it falls by 2^(-24 h / t1/2) a day, once absorbed."""
    pk = DRUGS["osimertinib"].pk
    levels = daily_concentrations(pk, [1.0] * 30 + [0.0] * 20)
    steady = pk.standard_average_mg_l * 1000.0
    change = np.diff(levels)
    assert (change[:29] > 0).all() and (change[29:] < 0).all()
    assert levels[0] < 0.3 * steady and levels[29] == pytest.approx(steady, rel=0.01)
    daily_fall = np.array(levels[36:]) / np.array(levels[35:-1])
    np.testing.assert_allclose(daily_fall, 2.0 ** (-24.0 / pk.half_life_h), rtol=1e-3)
    # the very day averages the pk model turns into the day's exposure
    dosing = Dosing(True, 1.0, np.random.SeedSequence(0), 50)
    column = DRUG_NAMES.index("osimertinib")
    keys = [dosing.today(d, {"osimertinib": float(d < 30)})[column] for d in range(50)]
    assert keys == [quantised(pk.relative_exposure(c / 1000.0)) for c in levels]
    assert daily_concentrations(pk, [0.0] * 10) == [0.0] * 10


def test_daily_concentrations_of_a_drug_given_every_three_weeks() -> None:
    """Carboplatin 'given' daily is dosed on day 0, 21, 42 (as abm.clinic.dosing gives it): each
    cycle's days add up to the dose's AUC (dose / CL), and a stop resets the cycle."""
    pk = DRUGS["carboplatin"].pk
    levels = daily_concentrations(pk, [1.0] * 63)
    peaks = [d for d in range(1, 63) if levels[d] > levels[d - 1]]
    assert peaks == [21, 42] and levels[0] > 0.0
    auc = sum(levels[:21]) * 24.0  # ng*h/mL
    assert auc == pytest.approx(pk.standard_dose_mg / pk.clearance_l_per_h * 1000.0, rel=1e-3)
    restarted = daily_concentrations(pk, [1.0] * 5 + [0.0] * 3 + [1.0] * 10)
    assert restarted[8] > restarted[7]  # a restart gives its first dose at once


def test_missed_doses_are_left_out_of_the_concentrations() -> None:
    pk = DRUGS["osimertinib"].pk
    taken = daily_concentrations(pk, [1.0] * 20, lambda day, k: day != 10)
    every = daily_concentrations(pk, [1.0] * 20)
    assert taken[:10] == every[:10] and taken[10] < every[10] and taken[19] < every[19]


HOLIDAY = {
    "name": "concentration columns",
    "model": {"kind": "clone", "initial_cells": 10**6, "days": 60, "seed": 2},
    "schedule": [{"drug": "osimertinib", "stop": 20}, {"drug": "osimertinib", "start": 30}],
}


@pytest.mark.parametrize("pk", [False, True])
def test_a_run_writes_each_drugs_concentration(pk: bool) -> None:
    """abm run's daily table: one concentration column per drug, the given drug's rising over its
    first doses, falling through the holiday (days 20-29) and rising again; every other drug 0."""
    config = ScenarioConfig.model_validate({**HOLIDAY, "clinical": {"pk": pk}})
    ts = run_scenario(config, progress=False).timeseries
    levels = ts["concentration_osimertinib"].to_numpy()
    assert levels[0] > 0.0 and all(np.diff(levels[:20]) > 0) and all(np.diff(levels[19:30]) < 0)
    assert levels[30] > levels[29] and levels[19] > 2.0 ** (10 * 24.0 / 48.1) * levels[29] * 0.9
    expected = daily_concentrations(DRUGS["osimertinib"].pk, ts["osimertinib"].tolist())
    np.testing.assert_allclose(levels, expected, rtol=1e-3)
    others = [f"concentration_{d}" for d in DRUG_NAMES if d != "osimertinib"]
    assert (ts[others] == 0.0).all().all()
