"""The compiled per-patient streams draw exactly what numpy draws (abm.models.streams)."""

from __future__ import annotations

import numba
import numpy as np
import pytest

from abm.models.streams import as_bit_generator, binomial, multinomial, next_uint64, stream_state


@numba.njit
def _raw(state: np.ndarray, k: int) -> np.ndarray:
    out = np.empty(k, dtype=np.uint64)
    for i in range(k):
        out[i] = next_uint64(state)
    return out


@numba.njit
def _binomials(state: np.ndarray, n: np.ndarray, p: np.ndarray) -> np.ndarray:
    out = np.empty(n.size, dtype=np.int64)
    for i in range(n.size):
        out[i] = binomial(state, n[i], p[i])
    return out


@numba.njit
def _multinomials(state: np.ndarray, n: np.ndarray, pvals: np.ndarray) -> np.ndarray:
    out = np.zeros((n.size, pvals.shape[1]), dtype=np.int64)
    for i in range(n.size):
        multinomial(state, n[i], pvals[i], out[i])
    return out


def test_the_stream_is_numpys_sfc64_bit_for_bit() -> None:
    seed = np.random.SeedSequence(11, spawn_key=(0, 5, 1))
    state = stream_state(np.random.SFC64(seed))
    assert np.array_equal(_raw(state, 1000), np.random.SFC64(seed).random_raw(1000))
    # and the state carries on where it stands: back into numpy, the same next numbers
    reference = np.random.SFC64(seed)
    reference.random_raw(1000)
    assert np.array_equal(as_bit_generator(state).random_raw(10), reference.random_raw(10))


@pytest.mark.slow
def test_binomial_draws_are_numpys() -> None:
    rng = np.random.default_rng(3)
    n = rng.integers(0, 10**11, 4000)
    n[::3] = rng.integers(0, 60, n[::3].size)  # the inversion branch
    n[::7] = 0
    p = rng.random(4000) ** 4
    p[::5] = 1.0 - p[::5]  # p above 1/2: drawn as n - Binomial(n, 1 - p)
    p[::11] = 0.0
    seed = np.random.SeedSequence(8)
    expected = np.random.Generator(np.random.SFC64(seed)).binomial(n, p)
    drawn = _binomials(stream_state(np.random.SFC64(seed)), n, p)
    assert np.array_equal(drawn, expected)
    assert (drawn > 0).sum() > 2000  # not a trivial agreement (n or p is 0 in a quarter)


@pytest.mark.slow
def test_multinomial_draws_are_numpys() -> None:
    rng = np.random.default_rng(4)
    n = rng.integers(0, 10**10, 300)
    pvals = rng.dirichlet(np.full(6, 0.5), 300)
    seed = np.random.SeedSequence(9)
    generator = np.random.Generator(np.random.SFC64(seed))
    expected = np.array([generator.multinomial(k, q) for k, q in zip(n, pvals, strict=True)])
    assert np.array_equal(_multinomials(stream_state(np.random.SFC64(seed)), n, pvals), expected)


@pytest.mark.parametrize(("n", "p"), [(10**10, 0.03), (40, 0.3), (10**6, 2e-6)])
def test_binomial_moments(n: int, p: float) -> None:
    draws = _binomials(stream_state(np.random.SFC64(1)), np.full(20000, n), np.full(20000, p))
    mean, var = n * p, n * p * (1 - p)
    assert abs(draws.mean() - mean) < 4 * np.sqrt(var / draws.size)
    assert draws.var() == pytest.approx(var, rel=0.05)


def test_kernels_compile_without_reference_counting() -> None:
    """The kernel's loop relies on numba's private ``_nrt=False``: a numba that ignores it would
    compile an allocating function; one that drops it fails at import. Either way, loudly."""
    from abm.models.streams import njit_without_refcounts

    def allocates(n: int) -> float:
        return float(np.zeros(n).sum())

    # numba without reference counting refuses to create arrays (its message as of numba 0.6x)
    with pytest.raises(numba.core.errors.TypingError, match="Only accept returning of array passed into the function"):
        njit_without_refcounts(allocates)(3)
