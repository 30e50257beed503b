"""Virtual trials: reproducibility across workers, cohorts, endpoints and the printed summary."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from abm.experiments.trial import Distribution, Trial, load_trial, patient_characteristics, patient_seeds, run_trial
from abm.experiments.trial_stats import format_summary, median_pfs, summarise_trial
from tests.conftest import ROOT, SCENARIOS

FIRST_LINE = SCENARIOS / "trial-first-line.toml"


def small(path: Path = FIRST_LINE, patients: int = 12, **trial) -> Trial:
    return load_trial(path, {"patients": patients, "follow_up_days": 400, **trial})


def test_same_table_with_one_and_two_workers() -> None:
    trial = small(patients=10)
    one, two = run_trial(trial, workers=1, progress=False), run_trial(trial, workers=2, progress=False)
    pd.testing.assert_frame_equal(one, two)
    assert list(one["arm"].unique()) == ["gefitinib", "osimertinib"]
    assert one.groupby("arm", sort=False)["patient"].apply(list).tolist() == [list(range(10))] * 2


@pytest.mark.slow
def test_same_table_on_four_workers_and_on_dask() -> None:
    """More chunks than one worker holds (patients from several chunks), on 1 and 4 local
    workers and on a Dask cluster of two worker processes: the same table."""
    from distributed import LocalCluster

    trial = small(patients=120, follow_up_days=300)
    one = run_trial(trial, workers=1, progress=False)
    pd.testing.assert_frame_equal(one, run_trial(trial, workers=4, progress=False))
    with LocalCluster(
        host="127.0.0.1", n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        pd.testing.assert_frame_equal(one, run_trial(trial, progress=False, scheduler=cluster.scheduler_address))


@pytest.mark.slow
def test_trial_refuses_workers_with_a_scheduler(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "abm", "trial", str(FIRST_LINE), "--workers", "2", "--scheduler", "tcp://127.0.0.1:9",
         "--out", str(tmp_path / "out")],
        capture_output=True, text=True, cwd=ROOT,
    )  # fmt: skip
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "--workers" in done.stderr and "a Dask cluster has its own workers" in done.stderr
    assert not (tmp_path / "out").exists()


def test_arms_see_the_same_patients() -> None:
    table = run_trial(small(patients=6), progress=False)
    cols = [c for c in table.columns if c.startswith("patient_")]
    by_arm = [g[cols].reset_index(drop=True) for _, g in table.groupby("arm")]
    pd.testing.assert_frame_equal(*by_arm)


def test_different_seed_different_patients() -> None:
    a = patient_characteristics(small(), patient_seeds(small())[0])
    b = patient_characteristics(small(seed=1), patient_seeds(small(seed=1))[0])
    assert a != b


@pytest.mark.parametrize(
    ("spec", "check"),
    [
        (
            {"distribution": "uniform", "low": 2, "high": 4},
            lambda x: (x.min() >= 2) & (x.max() <= 4) & (abs(x.mean() - 3) < 0.05),
        ),
        ({"distribution": "loguniform", "low": 1e-6, "high": 1e-2}, lambda x: abs(np.log10(x).mean() + 4) < 0.05),
        ({"distribution": "normal", "mean": 1, "sd": 0.1, "low": 0.9}, lambda x: x.min() >= 0.9),
        ({"distribution": "lognormal", "median": 1e10, "sigma": 0.5}, lambda x: abs(np.median(x) / 1e10 - 1) < 0.05),
    ],
)
def test_distributions(spec: dict, check) -> None:
    d = Distribution.model_validate(spec)
    rng = np.random.default_rng(0)
    assert check(np.array([d.draw(rng) for _ in range(20_000)]))


def test_kaplan_meier_median_with_censoring() -> None:
    durations = pd.Series([10, 20, 30, 40, 50, 60])
    events = pd.Series([1, 1, 0, 1, 1, 0])
    median, ci = median_pfs(durations, events)
    # KM: S drops to 5/6, 4/6, (censor), 4/6*2/3=0.444 at 40 -> median 40
    assert median == 40
    assert ci[0] is None or ci[0] <= 40


def test_summary_shares_and_rates_are_fractions() -> None:
    trial = small(patients=15)
    table = run_trial(trial, progress=False)
    summary = summarise_trial(table, [a.name for a in trial.arms])
    for arm, s in summary["arms"].items():
        rows = table[table["arm"] == arm]
        assert s["patients"] == len(rows)
        assert s["orr"] == pytest.approx(rows["responded"].mean())
        assert all(0 <= v <= 1 for v in s["mechanisms_at_progression"].values())
        if s["median_pfs_days"] is not None:
            assert rows["pfs_days"].min() <= s["median_pfs_days"] <= rows["pfs_days"].max()
    (hr,) = summary["hazard_ratios"]
    assert hr["arm"] == "osimertinib" and hr["reference"] == "gefitinib"


def _second_line_table() -> pd.DataFrame:
    """Two arms with a second line (A, B) and one without (C): 4 patients each."""
    rows = []
    for arm, responses, pfs2 in (
        ("A", ["PR", "SD", "PD", "NE"], [300, 200, 150, 900]),
        ("B", ["PR", "PR", "SD", "NE"], [600, 500, 400, 900]),
        ("C", ["NE"] * 4, [900] * 4),
    ):
        for patient, (response, days) in enumerate(zip(responses, pfs2, strict=True)):
            rows.append(
                {
                    "arm": arm,
                    "patient": patient,
                    "pfs_days": 100,
                    "progressed": True,
                    "responded": True,
                    "mechanisms_at_progression": "met_amplified" if patient < 2 else "t790m",
                    "pfs2_days": days,
                    "progressed2": days < 900,
                    "best_response2": response,
                    "responded2": response in ("CR", "PR"),
                }
            )
    return pd.DataFrame(rows)


def test_second_line_response_counts_only_patients_with_a_second_line_scan() -> None:
    summary = summarise_trial(_second_line_table(), ["A", "B", "C"])
    a, b, c = (summary["arms"][arm] for arm in "ABC")
    assert a["orr2"] == pytest.approx(1 / 3)  # PR of PR, SD, PD; the NE patient is not evaluable
    assert a["orr2_by_finding"] == {
        "met_amplified": {"patients": 2, "orr": 0.5},
        "t790m": {"patients": 1, "orr": 0.0},
    }
    assert b["orr2"] == pytest.approx(2 / 3)
    assert c["orr2"] is None and c["orr2_by_finding"] == {}
    # PFS2 hazard ratios only between arms that both have a second line: B vs A, not C vs A
    assert [hr["arm"] for hr in summary["hazard_ratios_pfs2"]] == ["B"]
    assert summary["hazard_ratios_pfs2"][0]["hr"] < 1  # B's second progressions come later
    assert [hr["arm"] for hr in summary["hazard_ratios"]] == ["B", "C"]


def test_an_arm_without_progressions_has_no_hazard_ratio_and_the_summary_says_so() -> None:
    """A Cox fit against an arm with no event has no maximum (the estimate runs off to 0 or
    infinity, its CI unbounded): not estimable, and the printed summary says so (it crashed)."""
    rows = [
        {"arm": arm, "patient": i, "pfs_days": days, "progressed": progressed, "responded": False}
        for arm, progressed in (("held", False), ("progressing", True))
        for i, days in enumerate([100, 200, 300, 1825] if progressed else [1825] * 4)
    ]
    table = pd.DataFrame(rows).assign(
        mechanisms_at_progression="", best_response="SD", pfs2_days=1825, progressed2=False
    )
    summary = summarise_trial(table, ["held", "progressing"])
    assert summary["hazard_ratios"] == [{"arm": "progressing", "reference": "held", "hr": None, "ci": [None, None]}]
    assert "HR progressing vs held: not estimable" in format_summary("t", summary)


@pytest.mark.slow
def test_cli_json_has_the_documented_shape(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "abm",
            "trial",
            FIRST_LINE,
            "--patients",
            "8",
            "--seed",
            "3",
            "--out",
            tmp_path,
            "--json",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    for arm in ("gefitinib", "osimertinib"):
        s = data["arms"][arm]
        assert s["patients"] == 8
        assert {"median_pfs_days", "median_pfs_ci", "orr", "mechanisms_at_progression"} <= set(s)
    assert data["hazard_ratios"][0]["reference"] == "gefitinib"
    table = pd.read_csv(tmp_path / "patients.csv")
    assert {"arm", "patient", "pfs_days", "progressed", "best_response", "mechanisms_at_progression"} <= set(
        table.columns
    )


@pytest.mark.slow
def test_bad_trial_file_is_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\n[cohort]\nmood = 1\n[[arms]]\nname = "a"\nschedule = [{ drug = "osimertinib" }]\n')
    done = subprocess.run([sys.executable, "-m", "abm", "trial", bad], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 2
    assert "cohort" in done.stderr and "unknown characteristic 'mood'" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "path", sorted(p for p in SCENARIOS.glob("*.toml") if "[[arms]]" in p.read_text()), ids=lambda p: p.stem
)
def test_every_shipped_trial_runs(path: Path) -> None:
    trial = load_trial(path, {"patients": 3, "follow_up_days": 200})
    table = run_trial(trial, progress=False)
    arms = [a.name for a in trial.arms]
    assert len(table) == 3 * len(arms)
    assert table.groupby("arm", sort=False)["patient"].apply(list).to_dict() == {arm: [0, 1, 2] for arm in arms}
    assert table["pfs_days"].between(0, 200).all()  # within the follow-up
    summary = summarise_trial(table, arms)
    assert list(summary["arms"]) == arms
    for arm, s in summary["arms"].items():
        rows = table[table["arm"] == arm]
        assert s["patients"] == 3 and s["orr"] == pytest.approx(rows["responded"].mean())


def test_progress_moves_every_few_patients_and_the_table_does_not_depend_on_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The bar moves per chunk of CHUNK (5) patients on every arm, not per 50; chunking and
    workers change nothing in the table (each patient draws from its own stream)."""
    import abm.experiments.trial as trial_module

    updates: list[int] = []

    class Recorder:
        def __init__(self, *args: object, total: int = 0, **kwargs: object) -> None:
            self.total = total

        def __enter__(self) -> Recorder:
            return self

        def __exit__(self, *exc: object) -> None:
            return None

        def update(self, n: int) -> None:
            updates.append(n)

    trial = small(patients=12)
    monkeypatch.setattr(trial_module, "tqdm", Recorder)
    small_chunks = run_trial(trial, workers=1, progress=True)
    assert trial_module.CHUNK == 5
    assert updates == [5 * 2, 5 * 2, 2 * 2]  # patient-arms after each chunk of 5, 5, 2 patients
    updates.clear()
    pd.testing.assert_frame_equal(small_chunks, run_trial(trial, workers=2, progress=True))
    assert sorted(updates) == [4, 10, 10]  # the same chunks, in the order workers finish them
    monkeypatch.setattr(trial_module, "CHUNK", 50)
    pd.testing.assert_frame_equal(small_chunks, run_trial(trial, workers=1, progress=False))
