"""abm.biology.history: resistant subclones at diagnosis from the birth-death-mutation history.

Statistical tests with fixed seeds. Each compares a sampled proportion with its expectation
within 4 binomial standard errors (a false alarm about once in 16,000 comparisons per seed),
unless stated otherwise. A wrong formula (transient lineages forgotten, survival probability
used for presence, a b/r factor lost) moves these statistics by many standard errors.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from abm.biology.history import (
    Mutant,
    expected_mutant_count,
    lea_coulson_median,
    mutant_count_pmf,
    mutant_count_variance,
    pre_existing_counts,
    pre_existing_fractions,
    probability_any_mutant,
    probability_resistant,
)

B, D = 0.04, 0.0363  # the model's untreated sensitive cells, per day
R = B - D


def within(sampled: float, expected: float, n: int, n_other: int | None = None, z: float = 4.0) -> bool:
    """|sampled - expected| within z binomial standard errors (of both samples if n_other)."""
    var = expected * (1 - expected) * (1 / n + (1 / n_other if n_other else 0.0))
    return abs(sampled - expected) <= z * math.sqrt(var) + 1e-12


# --- the realistic-rate neutral case, shared: N = 1e8, m = mu N = 5 expected mutations


NEUTRAL = Mutant("T790M", 5e-8, B)
N_NEUTRAL = 1e8


@pytest.fixture(scope="module")
def neutral_draws() -> np.ndarray:
    return pre_existing_counts(N_NEUTRAL, B, D, [NEUTRAL], np.random.default_rng(2024), size=20000)[:, 0]


@pytest.fixture(scope="module")
def neutral_pmf() -> np.ndarray:
    return mutant_count_pmf(N_NEUTRAL, B, D, NEUTRAL, 3000)


def test_shapes_and_zero_rate() -> None:
    rng = np.random.default_rng(0)
    mutants = [NEUTRAL, Mutant("none", 0.0, B)]
    one = pre_existing_counts(1e9, B, D, mutants, rng)
    many = pre_existing_counts(1e9, B, D, mutants, rng, size=7)
    assert one.shape == (2,) and many.shape == (7, 2) and one.dtype == np.int64
    assert (many[:, 1] == 0).all() and one[1] == 0
    frac = pre_existing_fractions(1e9, B, D, mutants, rng, size=7)
    assert frac.shape == (7, 2) and (frac >= 0).all() and (frac.sum(axis=1) < 1).all()
    with pytest.raises(ValueError):
        pre_existing_counts(1e9, 0.03, 0.04, mutants, rng)  # a shrinking tumour never reaches N
    with pytest.raises(ValueError):
        Mutant("bad", 1.5, B)


def test_expected_count_closed_form() -> None:
    """Neutral: mu (b/r) N ln N; costly: tends to mu N / cost (mutation-selection balance)."""
    n = 1e10
    assert expected_mutant_count(n, B, D, Mutant("n", 1e-8, B)) == pytest.approx(1e-8 * B / R * n * math.log(n))
    costly = Mutant.with_cost("c", 1e-8, B, 0.2)
    assert expected_mutant_count(1e30, B, D, costly) == pytest.approx(1e-8 * 1e30 / 0.2, rel=1e-6)
    # the mean of the pmf (where it has converged: a costly mutant's tail is thin) agrees
    small = Mutant.with_cost("c", 2e-8, B, 0.05)
    pmf = mutant_count_pmf(1e8, B, D, small, 5000)
    assert pmf.sum() == pytest.approx(1.0, abs=1e-4)
    # cut at 5000: the mass above (2e-5) still carries 0.4 % of the mean (a power tail, x^(-r/g))
    assert pmf @ np.arange(pmf.size) == pytest.approx(expected_mutant_count(1e8, B, D, small), rel=1e-2)


def test_probability_resistant_iwasa_michor_nowak() -> None:
    n = 1e9
    assert probability_resistant(n, B, D, Mutant("n", 1e-9, B)) == pytest.approx(-math.expm1(-1e-9 * (n - 1)))
    costly = Mutant.with_cost("c", 1e-9, B, 0.05)
    survival = 1 - D / costly.birth
    assert probability_resistant(n, B, D, costly) == pytest.approx(-math.expm1(-1e-9 * n * B / R * survival))
    assert probability_resistant(n, B, D, Mutant.with_cost("s", 1e-9, B, 0.2)) == 0.0  # subcritical
    # lineages present but doomed count for presence, not for resistance
    assert probability_resistant(n, B, D, costly) < probability_any_mutant(n, B, D, costly)


@pytest.mark.parametrize(
    ("mutant", "n_cells"),
    [(Mutant("neutral", 3e-9, B), 1e8), (Mutant.with_cost("costly", 5e-9, B, 0.05), 1e8)],
)
def test_share_without_mutant_cells(mutant: Mutant, n_cells: float) -> None:
    counts = pre_existing_counts(n_cells, B, D, [mutant], np.random.default_rng(17), size=5000)[:, 0]
    p_zero = 1 - probability_any_mutant(n_cells, B, D, mutant)
    assert 0.1 < p_zero < 0.9  # an informative regime
    assert within((counts == 0).mean(), p_zero, counts.size)


def test_distribution_against_panjer(neutral_draws: np.ndarray, neutral_pmf: np.ndarray) -> None:
    """The sampled cdf at several points, and the sampled median, against the exact compound-Poisson pmf."""
    cdf = np.cumsum(neutral_pmf)
    for x in (10, 30, 100, 300, 1000, 3000):
        assert within((neutral_draws <= x).mean(), cdf[x], neutral_draws.size), x
    median = int(np.median(neutral_draws))
    assert within(cdf[median], 0.5, neutral_draws.size)


def test_luria_delbruck_tail(neutral_draws: np.ndarray) -> None:
    """P(M > x) ~ mu N (b/r) / x for m (b/r) ln m << x << N; 4 standard errors plus 5 % for the asymptotics."""
    for x in (1e4, 1e5):
        tail = NEUTRAL.rate * N_NEUTRAL * B / R / x
        se = math.sqrt(tail * (1 - tail) / neutral_draws.size)
        assert abs((neutral_draws > x).mean() - tail) <= 4 * se + 0.05 * tail, x


def test_lea_coulson_median(neutral_pmf: np.ndarray) -> None:
    """(b/r) m (ln m + 1.24) against the exact median; agreement to O(1/ln m) (here within 5 %)."""
    for rate in (5e-8, 2e-7):
        pmf = neutral_pmf if rate == NEUTRAL.rate else mutant_count_pmf(N_NEUTRAL, B, D, Mutant("n", rate, B), 3000)
        exact = np.searchsorted(np.cumsum(pmf), 0.5)
        assert lea_coulson_median(N_NEUTRAL, B, D, rate) == pytest.approx(exact, rel=0.05)


def test_costly_mean() -> None:
    """A costly mutant (2 g < r) has an O(N) variance, so its sample mean obeys the CLT: 4 standard errors."""
    mutant = Mutant.with_cost("MET", 5e-8, B, 0.05)
    counts = pre_existing_counts(1e9, B, D, [mutant], np.random.default_rng(5), size=5000)[:, 0]
    se = math.sqrt(mutant_count_variance(1e9, B, D, mutant) / counts.size)
    assert abs(counts.mean() - expected_mutant_count(1e9, B, D, mutant)) <= 4 * se


# --- brute force: the exact continuous-time process, cell by cell


def brute_force(n_cells: int, birth: float, death: float, mutants: list[Mutant], reps: int, rng) -> np.ndarray:
    """Gillespie's jump chain (one event per step, vectorised over tumours) until the sensitive cells number n_cells.

    Every cell divides or dies at its rate; a sensitive division's daughter is mutant j with
    probability mu_j. A tumour whose sensitive lineage dies out starts again from one cell (the
    sampler conditions on it surviving). Time is not needed: the stop is at a size.
    """
    k = len(mutants)
    mu_cum = np.cumsum([m.rate for m in mutants])
    rates = np.array([birth, death] + [m.birth for m in mutants] + [death] * k)
    owner = np.array([0, 0, *range(1, k + 1), *range(1, k + 1)])  # whose cells each event acts on
    delta = np.zeros((2 + 2 * k, 1 + k), dtype=np.int64)
    delta[0, 0], delta[1, 0] = 1, -1
    for j in range(k):
        delta[2 + j, 1 + j], delta[2 + k + j, 1 + j] = 1, -1
    state = np.zeros((reps, 1 + k), dtype=np.int64)
    state[:, 0] = 1
    active = np.arange(reps)
    while active.size:
        s = state[active]
        cum = np.cumsum(s[:, owner] * rates, axis=1)
        event = (cum < (rng.random(active.size) * cum[:, -1])[:, None]).sum(axis=1)
        step = delta[event]
        v = rng.random(active.size)
        mutated = np.flatnonzero((event == 0) & (v < mu_cum[-1]))
        step[mutated, 0] = 0
        step[mutated, 1 + np.searchsorted(mu_cum, v[mutated], side="right")] = 1
        s += step
        dead = s[:, 0] == 0
        s[dead] = 0
        s[dead, 0] = 1
        state[active] = s
        active = active[s[:, 0] < n_cells]
    return state[:, 1:]


@pytest.mark.slow
def test_against_brute_force() -> None:
    """N = 3000, b = 0.3, d = 0.2: neutral, costly (still growing) and subcritical (transient) mutants.

    P(0) and P(M > x) for x = 1, 3, 10 (up to ~N/300: the larger counts come from mutations in
    the first tens of cells, where approximation 1 of abm.biology.history is rough), within 4 standard
    errors of both samples. Measured |z| <= 2.3 at this seed.
    """
    b, d, n = 0.3, 0.2, 3000
    mutants = [Mutant("neutral", 5e-4, b), Mutant.with_cost("costly", 5e-4, b, 0.2), Mutant("transient", 1.5e-3, 0.15)]
    rng = np.random.default_rng(7)
    exact = brute_force(n, b, d, mutants, 2000, rng)
    sampled = pre_existing_counts(n, b, d, mutants, rng, size=20000)
    for j, mutant in enumerate(mutants):
        assert within((exact[:, j] == 0).mean(), 1 - probability_any_mutant(n, b, d, mutant), 2000), mutant.name
        for x in (0, 1, 3, 10):
            p = (sampled[:, j] > x).mean()
            assert within((exact[:, j] > x).mean(), p, 2000, sampled.shape[0]), (mutant.name, x)
        assert abs(np.median(exact[:, j]) - np.median(sampled[:, j])) <= 1, mutant.name
