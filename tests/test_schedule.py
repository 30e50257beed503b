"""Schedule semantics: continuous, windows, intermittent, switches, triggers, adaptive, all-of
triggers, a block's length from its start."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from abm.clinic.schedule import DosingBlock, ScheduleRun


def follow(blocks: list[dict], days: int, readouts: list[dict] | None = None) -> list[dict[str, float]]:
    run = ScheduleRun(tuple(DosingBlock.model_validate(b) for b in blocks))
    out = []
    for day in range(days):
        values = {"day": float(day), "burden_fraction": 1.0, **((readouts or [{}] * days)[day])}
        out.append(run.doses(day, values))
    return out


def on_days(doses: list[dict[str, float]], drug: str) -> list[int]:
    return [day for day, d in enumerate(doses) if d[drug] > 0]


def test_continuous_from_day_0_every_drug_reported() -> None:
    doses = follow([{"drug": "osimertinib"}], 5)
    assert on_days(doses, "osimertinib") == [0, 1, 2, 3, 4]
    assert set(doses[0]) >= {"gefitinib", "osimertinib", "bemcentinib", "savolitinib"}
    assert doses[0]["gefitinib"] == 0.0


def test_window_stop_is_the_first_day_off() -> None:
    doses = follow([{"drug": "osimertinib"}, {"drug": "bemcentinib", "start": 0, "stop": 10}], 15)
    assert on_days(doses, "bemcentinib") == list(range(10))
    assert on_days(doses, "osimertinib") == list(range(15))


def test_switch_drug_at_a_day() -> None:
    doses = follow([{"drug": "gefitinib", "stop": 3}, {"drug": "osimertinib", "start": 3}], 6)
    assert on_days(doses, "gefitinib") == [0, 1, 2]
    assert on_days(doses, "osimertinib") == [3, 4, 5]


def test_intermittent_cycles_from_start() -> None:
    doses = follow([{"drug": "osimertinib", "start": 2, "on_days": 3, "off_days": 2}], 14)
    assert on_days(doses, "osimertinib") == [2, 3, 4, 7, 8, 9, 12, 13]


def test_dose_and_summed_blocks() -> None:
    doses = follow([{"drug": "osimertinib", "dose": 0.5}, {"drug": "osimertinib", "dose": 0.25, "start": 1}], 2)
    assert doses[0]["osimertinib"] == 0.5
    assert doses[1]["osimertinib"] == 0.75


def test_trigger_fires_on_first_day_and_latches() -> None:
    met = [0.0, 0.005, 0.02, 0.001, 0.0]
    doses = follow(
        [{"drug": "savolitinib", "start": {"readout": "fraction_met_amplified", "above": 0.01}}],
        5,
        [{"fraction_met_amplified": f} for f in met],
    )
    assert on_days(doses, "savolitinib") == [2, 3, 4]


def test_trigger_can_stop_a_drug() -> None:
    burden = [1.0, 0.8, 0.6, 0.9, 1.3, 1.1]
    doses = follow(
        [{"drug": "gefitinib", "stop": {"readout": "burden_fraction", "above": 1.2}}],
        6,
        [{"burden_fraction": b} for b in burden],
    )
    assert on_days(doses, "gefitinib") == [0, 1, 2, 3]


def test_adaptive_pauses_below_and_resumes_at_baseline() -> None:
    burden = [1.0, 0.7, 0.49, 0.6, 0.9, 1.0, 0.8, 0.4]
    doses = follow(
        [{"drug": "osimertinib", "adaptive": {"pause_below": 0.5, "resume_at": 1.0}}],
        len(burden),
        [{"burden_fraction": b} for b in burden],
    )
    # on while >= 0.5; paused from day 2 until burden is back at 1.0 on day 5; paused again on day 7
    assert on_days(doses, "osimertinib") == [0, 1, 5, 6]


ON_PROGRESSION = {"readout": "progressions", "above": 0.5}


def test_for_days_counts_from_a_triggered_start() -> None:
    """Four cycles from progression: the block runs for_days days from the day its trigger fired."""
    progressions = [0, 0, 0, 1, 1, 1, 1, 1, 1, 2]
    doses = follow(
        [
            {"drug": "carboplatin", "start": ON_PROGRESSION, "for_days": 4},
            {"drug": "pemetrexed", "start": ON_PROGRESSION},
        ],
        10,
        [{"progressions": p} for p in progressions],
    )
    assert on_days(doses, "carboplatin") == [3, 4, 5, 6]
    assert on_days(doses, "pemetrexed") == [3, 4, 5, 6, 7, 8, 9]


def test_for_days_and_stop_whichever_comes_first() -> None:
    assert on_days(follow([{"drug": "osimertinib", "start": 2, "stop": 5, "for_days": 10}], 12), "osimertinib") == [
        2,
        3,
        4,
    ]
    assert on_days(follow([{"drug": "osimertinib", "start": 2, "stop": 9, "for_days": 3}], 12), "osimertinib") == [
        2,
        3,
        4,
    ]


def test_for_days_keeps_the_cycle_of_an_intermittent_block() -> None:
    doses = follow([{"drug": "osimertinib", "start": 1, "on_days": 2, "off_days": 1, "for_days": 7}], 12)
    assert on_days(doses, "osimertinib") == [1, 2, 4, 5, 7]


def test_all_of_fires_the_first_day_every_condition_holds_and_latches() -> None:
    """At progression, if the rebiopsy found MET: neither alone starts it; once started it stays."""
    readouts = [
        {"progressions": 0, "biopsy_met_amplified": 0},
        {"progressions": 1, "biopsy_met_amplified": 0},  # progression, MET not found: no
        {"progressions": 1, "biopsy_met_amplified": 1},
        {"progressions": 1, "biopsy_met_amplified": 0},  # latched
    ]
    met = {"all": [ON_PROGRESSION, {"readout": "biopsy_met_amplified", "above": 0.5}]}
    none_found = {"all": [ON_PROGRESSION, {"readout": "biopsy_met_amplified", "below": 0.5}]}
    doses = follow([{"drug": "savolitinib", "start": met}, {"drug": "carboplatin", "start": none_found}], 4, readouts)
    assert on_days(doses, "savolitinib") == [2, 3]
    assert on_days(doses, "carboplatin") == [1, 2, 3]


def test_all_of_watches_each_daily_condition_and_reads_every_readout() -> None:
    """A model that skips days looks when any daily condition of an all-of could come to hold."""
    block = {
        "drug": "savolitinib",
        "start": {"all": [ON_PROGRESSION, {"readout": "fraction_met_amplified", "above": 0.1}]},
        "for_days": 28,
    }
    run = ScheduleRun((DosingBlock.model_validate(block),))
    assert run.readouts_read == {"progressions", "fraction_met_amplified"}
    run.doses(0, {"progressions": 0.0, "fraction_met_amplified": 0.0})
    assert run.next_change(0) == (None, [("fraction_met_amplified", ">", 0.1)])
    run.doses(56, {"progressions": 1.0, "fraction_met_amplified": 0.2})
    assert run.next_change(56) == (56 + 28, [])  # started: the calendar stops it


@pytest.mark.parametrize(
    ("block", "fragment"),
    [
        ({"drug": "aspirin"}, "unknown drug 'aspirin'"),
        ({"drug": "osimertinib", "dose": -1}, "greater than or equal to 0"),
        ({"drug": "osimertinib", "start": 5, "stop": 5}, "stop must be after start"),
        ({"drug": "osimertinib", "start": {"readout": "mood", "above": 1}}, "unknown readout 'mood'"),
        ({"drug": "osimertinib", "start": {"readout": "burden", "above": 1, "below": 2}}, "exactly one"),
        ({"drug": "osimertinib", "off_days": 3}, "off_days needs on_days"),
        ({"drug": "osimertinib", "adaptive": {"pause_below": 1.0, "resume_at": 0.5}}, "resume_at"),
        ({"drug": "osimertinib", "for_days": 0}, "greater than or equal to 1"),
        ({"drug": "osimertinib", "start": {"all": []}}, "at least 1 item"),
        ({"drug": "osimertinib", "start": {"all": [{"readout": "mood", "above": 1}]}}, "unknown readout 'mood'"),
        ({"drug": "osimertinib", "stop": {"all": [ON_PROGRESSION], "readout": "day"}}, "Extra inputs"),
    ],
)
def test_bad_blocks_are_refused(block: dict, fragment: str) -> None:
    with pytest.raises(ValidationError, match=fragment):
        DosingBlock.model_validate(block)
