"""Schedules driven by what the clinic sees: progression on imaging, MET in a liquid biopsy."""

from __future__ import annotations

from abm.clinic.readouts import biopsy, liquid_biopsy
from abm.config.scenario import ScenarioConfig
from abm.models.clone import CloneTumour

ON_PROGRESSION = {"readout": "progressions", "above": 0.5}


def run(schedule: list[dict], clinical: dict | None = None, **parameters) -> CloneTumour:
    sc = ScenarioConfig.model_validate(
        {
            "name": "readout schedule",
            "model": {"kind": "clone", "initial_cells": 10**9, "days": 900},
            "parameters": {"met_amplified_initial_fraction": 1e-4, "t790m_initial_fraction": 1e-4, **parameters},
            "clinical": clinical or {},
            "schedule": schedule,
        }
    )
    model = CloneTumour(sc, rng=4)
    while model.running:
        model.step()
    return model


def test_switch_drug_at_progression() -> None:
    model = run(
        [{"drug": "gefitinib", "stop": ON_PROGRESSION}, {"drug": "osimertinib", "start": ON_PROGRESSION}],
        axl_induction_rate=0.0,
        axl_induction_rate_persister=0.0,
    )
    day = model.recist.progression_day
    assert day is not None and day % 56 == 0  # seen at an 8-weekly scan
    df = model.timeseries().set_index("day")
    assert (df.loc[: day - 1, "gefitinib"] == 1).all() and (df.loc[: day - 1, "osimertinib"] == 0).all()
    assert (df.loc[day:, "gefitinib"] == 0).all() and (df.loc[day:, "osimertinib"] == 1).all()
    # the first line failed by T790M and/or MET: what was there at progression
    found = model.at_progression[0]
    assert found["t790m"] + found["met_amplified"] > 0.5


def test_add_drug_when_liquid_biopsy_detects_met() -> None:
    limit = 0.01
    model = run(
        [{"drug": "osimertinib"}, {"drug": "savolitinib", "start": {"readout": "ctdna_met_amplified", "above": 0.0}}],
        clinical={"ctdna_interval_days": 14, "ctdna_detection_limit": limit},
        axl_induction_rate=0.0,
        axl_induction_rate_persister=0.0,
    )
    df = model.timeseries()
    started = df.loc[df["savolitinib"] > 0, "day"]
    assert len(started), "MET never detected"
    first = int(started.iloc[0])
    assert first % 14 == 0  # only a biopsy day can reveal it
    row = df.set_index("day").loc[first]
    assert row["met_amplified"] / row["total"] >= limit
    # two weeks earlier the biopsy did not see it
    earlier = df.set_index("day").loc[first - 14]
    assert earlier["met_amplified"] / earlier["total"] < limit


def test_liquid_biopsy_hides_what_is_below_the_limit() -> None:
    counts = {"total": 1000, "t790m": 5, "met_amplified": 20, "axl_high": 0, "persister": 0, "c797s": 0}
    counts |= {"her2_amplified": 0, "c797s_cis": 0, "igf1r_active": 0}
    counts |= dict.fromkeys(("egfr_amplified", "met_exon14", "kras_mutant", "braf_v600e", "pik3ca_mutant"), 0)
    seen = liquid_biopsy(counts, 0.01)
    assert seen["ctdna_t790m"] == 0.0 and seen["ctdna_met_amplified"] == 0.02


def test_second_line_chosen_by_the_rebiopsy_at_progression() -> None:
    """ORCHARD's design: at the progression scan the rebiopsy's findings (biopsy_<mechanism>)
    pick the second line: savolitinib when it found MET, else 4 cycles (84 days) of carboplatin."""
    met_found = {"all": [ON_PROGRESSION, {"readout": "biopsy_met_amplified", "above": 0.5}]}
    met_not_found = {"all": [ON_PROGRESSION, {"readout": "biopsy_met_amplified", "below": 0.5}]}
    schedule = [
        {"drug": "gefitinib"},
        {"drug": "savolitinib", "start": met_found},
        {"drug": "carboplatin", "start": met_not_found, "for_days": 84},
    ]
    found = []
    for met in (1e-2, 0.0):  # a MET subclone that the rebiopsy finds; none
        model = run(schedule, met_amplified_initial_fraction=met)
        day = model.recist.progression_day
        assert day is not None
        with_met = "met_amplified" in biopsy(model.at_progression[0], 0.01, 0.1)  # the default limits
        df = model.timeseries().set_index("day")
        given = "savolitinib" if with_met else "carboplatin"
        assert (df.loc[: day - 1, ["savolitinib", "carboplatin"]] == 0).all().all()
        on = df.index[df[given] > 0]
        assert on[0] == day
        if given == "carboplatin":
            assert list(on) == list(range(day, day + 84))
        assert (df[{"savolitinib": "carboplatin", "carboplatin": "savolitinib"}[given]] == 0).all()
        found.append(with_met)
    assert found == [True, False]  # both routes taken
