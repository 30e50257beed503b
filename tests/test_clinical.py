"""RECIST-style readouts from cell counts."""

from __future__ import annotations

import pytest

from abm.clinic.recist import Recist, sum_of_diameters


def test_diameter_scales_as_cube_root() -> None:
    assert sum_of_diameters(1e9) == pytest.approx(12.407, rel=1e-3)
    assert sum_of_diameters(8e9) == pytest.approx(2 * sum_of_diameters(1e9))
    assert sum_of_diameters(0) == 0.0


def scans(counts: list[float], every: int = 56) -> Recist:
    r = Recist()
    for k, n in enumerate(counts):
        r.scan(k * every, n)
    return r


def test_partial_response_then_progression_over_nadir() -> None:
    # 1e10 cells -> 1e9 (diameter halves-ish: -54%) -> regrowth
    r = scans([1e10, 1e9, 1.2e9, 2e9, 3e9])
    assert r.best_response == "PR" and r.responded
    # nadir 12.4 mm; 2e9 -> 15.6 mm (+26%, +3.2 mm: under 5 mm, not PD); 3e9 -> 17.9 mm (+44%, +5.5 mm)
    assert r.progression_day == 4 * 56
    assert r.best_change == pytest.approx(12.407 / 26.73 - 1, rel=1e-3)


def test_stable_disease_is_neither_response_nor_progression() -> None:
    r = scans([1e10, 0.6e10, 0.5e10, 0.55e10])  # -21% at best
    assert r.best_response == "SD"
    assert not r.progressed


def test_progression_at_the_first_scan_is_best_response_pd() -> None:
    r = scans([1e10, 3e10])
    assert r.progression_day == 56
    assert r.best_response == "PD"
    assert not r.responded


def test_complete_response() -> None:
    assert scans([1e10, 0.0]).best_response == "CR"


def test_shrinkage_after_progression_does_not_count_as_response() -> None:
    r = scans([1e10, 4e10, 1e9])
    assert r.progression_day == 56
    assert r.best_response == "PD"


def test_second_progression_is_judged_from_the_first_progression_scan() -> None:
    # PD at 3e9 (from nadir 1e9); then the new line shrinks it and it regrows past +20% / +5 mm
    r = scans([1e10, 1e9, 3e9, 2e9, 2.5e9, 6e9])
    assert r.progression_days == [2 * 56, 5 * 56]
    assert r.best_response == "PR"


def test_a_later_line_is_judged_from_its_own_baseline_the_progression_scan() -> None:
    """Line 2 starts at the first progression scan (3e9 cells, 17.9 mm): shrinking to 0.5e9
    (9.8 mm, -45% of that scan) is its PR, though the first line's baseline (26.7 mm) would
    call it less than a PR of the first line's nadir; the first line's response is unchanged."""
    r = scans([1e10, 1e9, 3e9, 1e9, 0.5e9, 2e9])
    assert r.progression_days == [2 * 56, 5 * 56]
    assert r.line_response(0) == r.best_response == "PR"
    assert r.line_response(1) == "PR"
    assert r.line_best_changes[1] == pytest.approx(sum_of_diameters(0.5e9) / sum_of_diameters(3e9) - 1, rel=1e-9)
    assert r.line_response(2) == "NE"  # a third line's baseline with no scan after it
    assert r.line_response(3) == "NE"  # never started


def test_a_later_line_stable_or_progressing_at_its_first_scan() -> None:
    stable = scans([1e10, 1e9, 3e9, 2.5e9, 2.4e9])  # -6% at best: SD
    assert stable.line_response(1) == "SD"
    early = scans([1e10, 1e9, 3e9, 9e9])  # progresses again at line 2's first scan
    assert early.line_response(1) == "PD"
    assert scans([1e10, 1e9, 3e9]).line_response(1) == "NE"  # no scan after the progression


def test_a_scan_still_measures_the_residual_lesion_when_the_cells_are_gone() -> None:
    """Best response is capped by what remains of the lesion (stroma, fibrosis): ~-49% at 15%."""
    from abm.config.scenario import validate
    from abm.models.clone import CloneTumour

    scenario = validate(
        {
            "name": "wipe-out",
            "model": {"kind": "clone", "initial_cells": 10**9, "days": 200, "seed": 1, "stop_when_extinct": False},
            "parameters": {"drug_kill_rate": 1.0, "persister_entry_fraction": 0.0},
            "schedule": [{"drug": "osimertinib"}],
        },
        "test",
    )
    model = CloneTumour(scenario, record=False)
    model.run_for(200)
    residual = scenario.clinical.residual_lesion_fraction
    assert model.course.recist.best_change == pytest.approx(
        residual ** (1 / 3) * (1 + residual) ** (-1 / 3) - 1, abs=0.01
    )
    assert model.course.recist.best_response == "PR"


def test_the_residual_lesion_is_a_share_of_the_current_lines_baseline() -> None:
    """Residual fraction f: line 1 measures cells + f x (cells at diagnosis); from a progression on,
    the next line measures cells + f x (cells at that progression scan), its baseline and nadir
    included. So a second line that kills every cell reaches -(1 - (f/(1+f))^(1/3)) of its own
    baseline, as the first line does, and not less because the first line's scar is still counted;
    the progression itself is judged with the first line's residue."""
    f = 0.15
    r = Recist(residual_fraction=f)
    cells = [1e10, 1e8, 3e9, 1e6, 0.0, 0.0]
    for k, n in enumerate(cells):
        r.scan(k * 56, n)
    assert r.visits[0][1] == pytest.approx(sum_of_diameters(1e10 * (1 + f)))
    assert r.visits[1][1] == pytest.approx(sum_of_diameters(1e8 + f * 1e10))
    assert r.progression_days == [2 * 56]  # 3e9 + 1.5e9 against the nadir 1e8 + 1.5e9: judged with line 1's residue
    assert r.visits[2][1] == pytest.approx(sum_of_diameters(3e9 + f * 1e10))
    assert r.line_baseline_mm[1] == pytest.approx(sum_of_diameters(3e9 * (1 + f)))
    assert r.visits[4][1] == pytest.approx(sum_of_diameters(f * 3e9))  # line 2's residue, not line 1's
    cap = (f / (1 + f)) ** (1 / 3) - 1
    assert r.line_best_changes[1] == pytest.approx(cap, rel=1e-9)
    assert r.line_best_changes[0] == pytest.approx(cap, abs=0.02)  # the first line: the same cap
    assert r.line_response(1) == "PR"
    # without a residue the rule is the plain one of before (the default)
    plain = Recist()
    for k, n in enumerate(cells):
        plain.scan(k * 56, n)
    assert plain.visits[1][1] == pytest.approx(sum_of_diameters(1e8))
    assert plain.line_baseline_mm == [plain.visits[0][1], plain.visits[2][1]]
