"""The fast spatial model draws the same distributions as the implementation it replaced.

``tests/spatial_reference.json`` was recorded before the speed-up (issue 7) on 60 seeds per
case; here the current model runs each case on 20 other seeds and every statistic's mean and
spread must agree (tolerances in ``tests/spatial_reference.py``). The controls show that the
comparison has the power to see a modest change of the rules.
"""

from __future__ import annotations

import json

import pytest

from tests.spatial_reference import CASES, FIXTURE, mismatches, run_case

REFERENCE = json.loads(FIXTURE.read_text())


@pytest.mark.slow
@pytest.mark.parametrize("case", list(CASES))
def test_statistics_match_the_reference(case: str) -> None:
    found = mismatches(run_case(case), REFERENCE["cases"][case], REFERENCE["runs"])
    assert not found, found


@pytest.mark.slow
@pytest.mark.parametrize(
    ("change", "detected_in"),
    [
        ({"division_rate": 0.22}, "total"),  # 10% faster division
        ({"axl_high_motility": 0.15}, "mean_r2"),  # AXL-high cells move half as often
    ],
)
def test_the_comparison_sees_a_modest_change_of_the_rules(change: dict[str, float], detected_in: str) -> None:
    found = mismatches(
        run_case("disc-drug-off", parameters=change), REFERENCE["cases"]["disc-drug-off"], REFERENCE["runs"]
    )
    assert any(f.startswith(f"{detected_in}:") for f in found), found
