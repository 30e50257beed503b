"""Rule tables: well-formed probabilities, the mutability rules, and the transition sampler."""

from __future__ import annotations

import numpy as np
import pytest

from abm.biology.founding import founding_states
from abm.biology.mechanisms import (
    AXL_HIGH,
    GENETIC_MASK,
    MET_AMPLIFIED,
    N_STATES,
    PERSISTER,
    SENSITIVE_STATE,
    T790M,
    Route,
    bit,
    state_of,
)
from abm.biology.parameters import Parameters
from abm.biology.rules import doses_key, draw_transitions, mutability, rule_tables

DOSES = [{}, {"gefitinib": 1.0}, {"osimertinib": 1.0, "bemcentinib": 1.0}, {"osimertinib": 0.5, "savolitinib": 2.0}]


@pytest.mark.parametrize("doses", DOSES)
def test_tables_are_probabilities(doses: dict[str, float]) -> None:
    t = rule_tables(Parameters(), doses_key(doses))
    for array in (t.division, t.death, t.motility, t.control):
        assert array.shape == (N_STATES,)
        assert ((array >= 0) & (array <= 1)).all()
    for matrix in (t.switch, t.daughter):
        assert matrix.shape == (N_STATES, N_STATES)
        assert (matrix >= 0).all()
        np.testing.assert_allclose(matrix.sum(axis=1), 1.0, atol=1e-12)


def test_genetic_mechanisms_are_never_lost() -> None:
    t = rule_tables(Parameters(), doses_key({"osimertinib": 1.0}))
    genetic = GENETIC_MASK
    for s in range(N_STATES):
        for target in np.flatnonzero(t.daughter[s] + t.switch[s]):
            assert (target & genetic) & (s & genetic) == (s & genetic)


def test_axl_raises_mutability_and_the_axl_inhibitor_undoes_it() -> None:
    p = Parameters(axl_mutability_factor=8.0, persister_mutability_factor=4.0)
    t_off = rule_tables(p, doses_key({"osimertinib": 1.0}))
    t_on = rule_tables(p, doses_key({"osimertinib": 1.0, "bemcentinib": 1.0}))
    t790m = bit(T790M)
    axl = state_of(AXL_HIGH)
    sens_rate = t_off.daughter[SENSITIVE_STATE, t790m]
    assert t_off.daughter[axl, axl | t790m] == pytest.approx(8.0 * sens_rate, rel=0.01)
    assert mutability(p, dict.fromkeys(Route, 0.0))[state_of(PERSISTER)] == pytest.approx(4.0)
    # 90% AXL block removes 90% of the excess
    assert t_on.daughter[axl, axl | t790m] == pytest.approx((1 + 7 * 0.1) * sens_rate, rel=0.01)


def test_draw_transitions_matches_the_matrix() -> None:
    rng = np.random.default_rng(7)
    matrix = np.zeros((N_STATES, N_STATES))
    matrix[:, 0] = 1.0
    matrix[3] = 0.0
    matrix[3, 3], matrix[3, 1], matrix[3, 7] = 0.5, 0.3, 0.2
    n = 200_000
    out = draw_transitions(np.full(n, 3, dtype=np.int8), matrix, rng)
    freq = np.bincount(out, minlength=N_STATES) / n
    for state, p in ((3, 0.5), (1, 0.3), (7, 0.2)):
        assert abs(freq[state] - p) < 4 * np.sqrt(p * (1 - p) / n)
    outside = np.delete(np.arange(N_STATES), [1, 3, 7])
    assert freq[outside].sum() == 0  # never a state the row does not give (column 0 of the other rows)


def test_initial_subclone_fractions() -> None:
    # Set fractions (no history for these two; C797S and HER2 none, so only these two are drawn).
    p = Parameters(
        t790m_initial_fraction=0.01,
        met_amplified_initial_fraction=0.002,
        c797s_initial_fraction=0.0,
        her2_amplified_initial_fraction=0.0,
    )
    states = founding_states(p, 500_000, np.random.default_rng(3), tumour_cells=10**10)
    for mechanism, f in ((T790M, 0.01), (MET_AMPLIFIED, 0.002)):
        observed = np.mean(states & bit(mechanism) > 0)
        assert abs(observed - f) < 4 * np.sqrt(f * (1 - f) / states.size)
