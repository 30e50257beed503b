"""abm optimise: a toy family whose optimum is known is found; the study is the same after an
interruption (resumed) as uninterrupted, and extends; the calendar's constraints; one-line errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import optuna
import pandas as pd
import pytest

from abm.clinic.schedule import DosingBlock
from abm.experiments import optimise as opt
from abm.io.schema import PFS2_DAYS, PFS_DAYS, PROGRESSED, PROGRESSED2
from tests.conftest import SCENARIOS
from tests.test_cli import abm, assert_one_line_error
from tests.test_sweep import cli

BASE = """
name = "toy base"
[trial]
patients = 4
follow_up_days = 365
[[arms]]
name = "osimertinib"
schedule = [{ drug = "osimertinib" }]
[[arms]]
name = "window"
schedule = [{ drug = "osimertinib" }, { drug = "bemcentinib", start = 0, stop = 28 }]
"""

FAMILY = """
name = "toy window"
base = "base.toml"
arm = "window"
objective = "mean_pfs_days"
seed = 3
batch = 4
startup_trials = 8
[search]
patients = 4
[reevaluate]
patients = 4
best = 2
[vary]
"schedule[1].start" = { low = 0, high = 60, integer = true }
"schedule[1].duration" = { low = 7, high = 60, integer = true }
[constraints]
max_dose_days = { bemcentinib = 30 }
"""


def family_file(tmp_path: Path, text: str = FAMILY, base: str = BASE) -> Path:
    (tmp_path / "base.toml").write_text(base)
    path = tmp_path / "family.toml"
    path.write_text(text)
    return path


def toy_pfs(params: dict[str, Any]) -> float:
    """The toy's PFS: best with the window starting on day 20 and lasting 40 days (worked out by hand:
    under a budget of 30 dose-days at dose 1 the best feasible window starts on day 20 and lasts 30)."""
    return 300.0 - (params["schedule[1].start"] - 20) ** 2 / 4 - (params["schedule[1].duration"] - 40) ** 2 / 4


def toy(family: opt.Family, number: int, params: dict[str, Any], reference: pd.DataFrame | None) -> opt.Outcome:
    """Scores a candidate by ``toy_pfs`` instead of simulating it (constraints as for a real one)."""
    trial = family.candidate(params)
    pfs = toy_pfs(params)
    table = pd.DataFrame({PFS_DAYS: [pfs] * 4, PROGRESSED: [True] * 4, PFS2_DAYS: [pfs] * 4, PROGRESSED2: [True] * 4})
    return opt.score(family, number, params, trial, table if opt._feasible(family, trial) else None, None)


def study_content(study: optuna.Study) -> list[tuple]:
    return [(t.number, t.state, t.params, t.values, t.user_attrs, t.constraints) for t in study.trials]


@pytest.mark.parametrize("seed", [3, 4])
def test_toy_family_finds_the_optimum_worked_out_by_hand(seed: int, tmp_path: Path) -> None:
    family = opt.load_family(family_file(tmp_path, FAMILY.replace("seed = 3", f"seed = {seed}")))
    study = opt.optimise(family, tmp_path / "out", 80, evaluator=toy)
    assert len(study.trials) == 80
    best = opt.best_trials(family, study, 1)[0]
    # the optimum is on the budget's edge: start 20, duration 30 (not the unconstrained 40), value 275
    assert best.params == {"schedule[1].start": 20, "schedule[1].duration": 30}
    assert best.values == [275.0]
    table = opt.trials_table(family, study)
    # infeasible candidates (over 30 dose-days) were proposed, kept apart and never simulated
    infeasible = table[~table["feasible"]]
    assert len(infeasible) > 0
    assert (infeasible["schedule[1].duration"] > 30).all()
    assert (infeasible["status"] == opt.INFEASIBLE).all()


def test_interrupted_study_resumes_to_the_uninterrupted_one_and_extends(tmp_path: Path) -> None:
    family = opt.load_family(family_file(tmp_path))
    whole = study_content(opt.optimise(family, tmp_path / "whole", 20, evaluator=toy))
    # stopped after trial 13, mid-batch (the batch 12-15 half stored), then run again
    first = opt.optimise(family, tmp_path / "cut", 14, evaluator=toy)
    assert len(first.trials) == 14
    resumed = opt.optimise(family, tmp_path / "cut", 20, evaluator=toy)
    assert study_content(resumed) == whole
    # a finished study extends: the first 20 trials stay, 8 more are added
    extended = opt.optimise(family, tmp_path / "whole", 28, evaluator=toy)
    assert study_content(extended)[:20] == whole
    assert len(extended.trials) == 28
    # another seed is another study
    other = opt.load_family(family_file(tmp_path, FAMILY.replace("seed = 3", "seed = 4")))
    assert study_content(opt.optimise(other, tmp_path / "other", 20, evaluator=toy)) != whole


def test_candidate_depends_only_on_seed_number_and_earlier_batches(tmp_path: Path) -> None:
    family = opt.load_family(family_file(tmp_path))
    study = opt.optimise(family, tmp_path / "out", 12, evaluator=toy)
    history = study.get_trials(deepcopy=False)
    # trial 9 was proposed from trials 0-7 only: trials 8-11 in the history change nothing
    assert opt.propose(family, history, 9) == opt.propose(family, history[:8], 9) == history[9].params


def test_calendar_exposure_drugs_at_once_and_dose_range() -> None:
    schedule = (
        DosingBlock(drug="osimertinib"),
        DosingBlock(drug="bemcentinib", dose=0.5, start=10, stop=40, on_days=5, off_days=5),
        DosingBlock(drug="savolitinib", start=50, stop=60),
    )
    exposure = opt.planned_exposure(schedule, 100)
    assert exposure["osimertinib"] == 100.0  # every day of follow-up
    assert exposure["bemcentinib"] == 0.5 * 15  # 30 days, 5 on 5 off: 15 days on at half dose
    assert exposure["savolitinib"] == 10.0
    assert opt.most_drugs_at_once(schedule, 100) == 2
    limits = opt.Constraints(
        max_dose_days={"bemcentinib": 7}, max_drugs_at_once=1, dose_range={"bemcentinib": [0.6, 1]}
    )
    broken = opt.violations(limits, schedule, 100)
    assert broken == {
        "max_dose_days.bemcentinib": 0.5,
        "max_drugs_at_once": 1.0,
        "dose_range.bemcentinib.low": pytest.approx(0.1),
        "dose_range.bemcentinib.high": -0.5,
    }


BAD = {
    "unknown objective": ('objective = "mean_pfs_days"', 'objective = "pfs"', "objectives", "unknown objective"),
    "unknown arm": ('arm = "window"', 'arm = "nope"', "arm", "no arm 'nope'"),
    "not the arm's schedule": ('"schedule[1].start"', '"division_rate"', "vary.division_rate", "searched arm's"),
    "grid": ("integer = true }", "integer = true, num = 3 }", "vary", "num belongs to a sweep"),
    "drug": ("bemcentinib = 30", "aspirin = 30", "constraints.max_dose_days", "unknown drug 'aspirin'"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_family_gives_one_line_exit_2(case: str, tmp_path: Path) -> None:
    old, new, field, fragment = BAD[case]
    path = family_file(tmp_path, FAMILY.replace(old, new, 1))
    out = tmp_path / "out"
    done = (abm if case == "unknown arm" else cli)("optimise", path, "--out", out, "--trials", "2")
    assert_one_line_error(done, str(path), field, fragment)
    assert not out.exists()


def test_folder_of_another_family_is_refused(tmp_path: Path) -> None:
    family = opt.load_family(family_file(tmp_path))
    opt.optimise(family, tmp_path / "out", 2, evaluator=toy)
    other = family_file(tmp_path, FAMILY.replace("seed = 3", "seed = 5"))
    assert_one_line_error(cli("optimise", other, "--out", tmp_path / "out"), "--out", "different family")
    assert_one_line_error(cli("optimise", other, "--trials", "0"), "--trials", "allowed: 1 or more")


def test_report_of_a_study_draws_history_slices_importance(tmp_path: Path) -> None:
    from abm.report.build import build_report

    family = opt.load_family(family_file(tmp_path))
    out = tmp_path / "out"
    study = opt.optimise(family, out, 16, evaluator=toy)
    table = opt.write_results(family, study, out)
    assert list(table["trial"]) == list(range(16))
    importance = pd.read_csv(out / opt.IMPORTANCE_FILE)
    assert set(importance["parameter"]) == set(family.names)
    assert importance["importance"].sum() == pytest.approx(1.0)
    html = build_report(out).read_text()
    assert "Schedule optimisation: toy window" in html
    for name in ("optimise-history", "optimise-slices", "optimise-importance"):
        assert (out / "figures" / f"{name}.png").is_file()


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("optimise-*.toml")), ids=lambda p: p.stem)
def test_shipped_families_load(path: Path) -> None:
    family = opt.load_family(path)  # base, arms, names, constraints checked; a candidate validated
    assert family.names and family.arm_name != family.reference_name


def test_trials_and_reevaluation_have_the_declared_columns(tmp_path: Path) -> None:
    from abm.io import schema

    family = opt.load_family(family_file(tmp_path))
    study = opt.optimise(family, tmp_path / "out", 8, evaluator=toy)
    table = opt.write_results(family, study, tmp_path / "out")
    groups = {
        "<setting>": family.names,
        "<objective>": list(family.objectives),
        "<arm drug>": ["bemcentinib", "osimertinib"],
    }
    assert list(pd.read_csv(tmp_path / "out" / opt.TRIALS_FILE).columns) == schema.OPTIMISE_TRIALS.names(groups)
    assert set(table["status"]) == {"done", opt.INFEASIBLE}
    # the re-evaluation simulates: 4 patients, 1 year, the reference and the two best
    _, summary = opt.reevaluate(family, opt.best_trials(family, study, 2))
    assert list(summary.columns) == schema.OPTIMISE_REEVALUATION.names(groups)
    assert summary["arm"].iloc[0] == "reference: osimertinib" and len(summary) == 3


def test_two_objectives_give_a_pareto_front_of_feasible_trials(tmp_path: Path) -> None:
    text = FAMILY.replace('objective = "mean_pfs_days"', 'objectives = ["mean_pfs_days", "exposure_bemcentinib"]')
    family = opt.load_family(family_file(tmp_path, text))
    study = opt.optimise(family, tmp_path / "out", 24, evaluator=toy)
    feasible = [t for t in study.trials if opt.is_feasible(t)]
    front = opt.pareto_front(feasible, [1.0, -1.0])
    assert front and len(front) < len(feasible)
    for t in front:  # no feasible trial has more PFS and no more exposure, or less exposure and no less PFS
        assert not any(
            (o.values[0] >= t.values[0] and o.values[1] <= t.values[1]) and o.values != t.values for o in feasible
        )
        assert t.values[1] == t.params["schedule[1].duration"]  # planned dose-days at dose 1
    best = opt.best_trials(family, study, 3)
    assert {t.number for t in best} <= {t.number for t in front} and len(best) == min(3, len(front))


def test_a_drug_is_a_choice(tmp_path: Path) -> None:
    text = FAMILY.replace(
        '"schedule[1].duration"', '"schedule[1].drug" = ["bemcentinib", "savolitinib"]\n"schedule[1].duration"'
    )
    family = opt.load_family(family_file(tmp_path, text))
    study = opt.optimise(family, tmp_path / "out", 12, evaluator=toy)
    drugs = {t.params["schedule[1].drug"] for t in study.trials}
    assert drugs == {"bemcentinib", "savolitinib"}
    for t in study.trials:  # the budget is on bemcentinib only: a savolitinib window of any length is feasible
        chosen = family.candidate(t.params).arms[0].schedule[1].drug
        assert chosen == t.params["schedule[1].drug"]
        if chosen == "savolitinib":
            assert opt.is_feasible(t)


@pytest.mark.slow
def test_simulated_study_is_the_same_on_one_and_two_workers_and_dask(tmp_path: Path) -> None:
    from distributed import LocalCluster

    family = opt.load_family(family_file(tmp_path))
    one = opt.optimise(family, tmp_path / "one", 8, workers=1)
    two = opt.optimise(family, tmp_path / "two", 8, workers=2)
    assert study_content(one) == study_content(two)
    with LocalCluster(
        host="127.0.0.1", n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        dask = opt.optimise(family, tmp_path / "dask", 8, scheduler=cluster.scheduler_address)
    assert study_content(dask) == study_content(one)
    # the hazard ratio against the reference arm as the objective (minimised): the Cox HR of each
    # candidate against the reference simulated once on the same patients
    text = FAMILY.replace('objective = "mean_pfs_days"', 'objective = "hazard_ratio"\nreference = "osimertinib"')
    text = text.replace("patients = 4\n[reevaluate]", "patients = 12\n[reevaluate]")
    longer = BASE.replace("follow_up_days = 365", "follow_up_days = 1000")  # so that patients progress
    by_hr = opt.load_family(family_file(tmp_path, text, longer))
    assert by_hr.directions == ["minimize"]
    hr = opt.optimise(by_hr, tmp_path / "hr", 4, workers=1)
    done = [t for t in hr.trials if t.user_attrs["status"] == "done"]
    assert done and all(t.values[0] == t.user_attrs["hazard_ratio"] > 0 for t in done)
    assert {t.user_attrs["status"] for t in one.trials} == {"done", opt.INFEASIBLE}
    assert "reference" in one.user_attrs  # the reference arm, simulated once on the search cohort


def test_a_second_run_on_the_same_folder_is_refused_while_the_first_holds_it(tmp_path: Path) -> None:
    family = opt.load_family(family_file(tmp_path))
    out = tmp_path / "out"
    opt.optimise(family, out, 4, evaluator=toy)
    holder = opt._hold_lock(out)  # as a running process holds it
    try:
        with pytest.raises(opt.InputError, match="another abm optimise is running"):
            opt.optimise(family, out, 8, evaluator=toy)
    finally:
        holder.close()
    assert len(opt.optimise(family, out, 8, evaluator=toy).trials) == 8
