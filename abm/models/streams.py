"""One random stream per virtual patient, drawn from inside compiled code.

A cohort's tumours are stepped together by compiled loops (``abm.models.cohort_kernel``), yet each
patient must draw from its own stream, so that its course depends on its seed and its doses
only (common random numbers across arms). Each stream is numpy's ``SFC64`` generator (Chris
Doty-Humphrey's Small Fast Chaotic PRNG, 256 bits of state, a counter guaranteeing a period of
at least 2^64; cheap enough that drawing, not generating, dominates), its state held as one
row of a uint64 array; the compiled ``next_double`` reproduces ``numpy.random.SFC64`` bit for
bit, and ``binomial`` and
``multinomial`` reproduce ``numpy.random.Generator``'s (inversion for n*p <= 30, else BTPE,
Kachitvichyanukul & Schmeiser 1988; a multinomial as a chain of binomials). ``tests/test_streams.py``
checks both against numpy itself, so the draws are numpy's draws.

This module is the one adapter onto numba internals: the BTPE sampler is numba's own port of
numpy's (``numba.cpython._binomial``), closed over this module's ``next_double``. A numba
upgrade that moves it fails the import and the tests loudly.
"""

from __future__ import annotations

import math

import numba
import numpy as np
from numba.cpython._binomial import make_binomial_btpe  # numba's port of numpy's BTPE
from numba.np.random.distributions import _binomial_btpe_squeeze  # follows the installed numpy

# A stream's state, one uint64 row: SFC64's a, b, c and counter.
STATE_WORDS = 4
_S11, _S3, _ROT, _ONE = np.uint64(11), np.uint64(3), np.uint64(24), np.uint64(1)
_ROT_BACK = np.uint64(64 - 24)


def stream_state(bit_generator: np.random.SFC64) -> np.ndarray:
    """A numpy SFC64 bit generator's current state as a stream row (it continues where it stands)."""
    return np.array(bit_generator.state["state"]["state"], dtype=np.uint64)


def as_bit_generator(row: np.ndarray) -> np.random.SFC64:
    """The numpy SFC64 bit generator in the state of a stream row (for checks and hand-offs)."""
    bit_generator = np.random.SFC64()
    bit_generator.state = {
        "bit_generator": "SFC64",
        "state": {"state": row.astype(np.uint64).copy()},
        "has_uint32": 0,
        "uinteger": 0,
    }
    return bit_generator


@numba.njit(inline="always", cache=True, error_model="numpy")
def next_uint64(state: np.ndarray) -> np.uint64:
    """The stream's next 64 random bits (``state``: one stream row, advanced in place): numpy's sfc64_next."""
    a, b, c, counter = state[0], state[1], state[2], state[3]
    out = a + b + counter
    state[3] = counter + _ONE
    state[0] = b ^ (b >> _S11)
    state[1] = c + (c << _S3)
    state[2] = ((c << _ROT) | (c >> _ROT_BACK)) + out
    return out


@numba.njit(inline="always", cache=True, error_model="numpy")
def next_double(state: np.ndarray) -> float:
    """A uniform double in [0, 1), as numpy gives it from 64 bits."""
    return np.float64(next_uint64(state) >> _S11) * (1.0 / 9007199254740992.0)


_btpe = make_binomial_btpe(next_double, _binomial_btpe_squeeze)

# Compiling a loop without numba's reference counting of arrays (``_nrt``, a private option
# of numba.njit): the cohort kernel's day loop, where counted references cost ~40% of its time.
# Such a function may not allocate arrays. A numba that drops the option fails here, loudly.
njit_without_refcounts = numba.njit(cache=True, error_model="numpy", _nrt=False)

# ``binomial`` and ``_inversion`` are inlined where they are called (``inline="always"``), so
# that the cohort kernel, compiled without reference counting, passes its stream to them
# without any (see ``abm.models.cohort_kernel.advance``).


@numba.njit(inline="always", cache=True, error_model="numpy")
def _inversion(state: np.ndarray, n: np.int64, p: float) -> np.int64:
    q = 1.0 - p
    qn = math.exp(n * math.log(q))
    np_ = n * p
    bound = min(n, np_ + 10.0 * math.sqrt(np_ * q + 1))
    x = 0
    px = qn
    u = next_double(state)
    while u > px:
        x += 1
        if x > bound:
            x = 0
            px = qn
            u = next_double(state)
        else:
            u -= px
            px = ((n - x + 1) * p * px) / (x * q)
    return x


@numba.njit(inline="always", cache=True, error_model="numpy")
def binomial(state: np.ndarray, n: np.int64, p: float) -> np.int64:
    """Binomial(n, p) from one stream, as ``numpy.random.Generator.binomial`` draws it."""
    if n == 0 or p == 0.0:
        return 0
    if p <= 0.5:
        if p * n <= 30.0:
            return _inversion(state, n, p)
        return _btpe(state, n, p)
    q = 1.0 - p
    if q * n <= 30.0:
        return n - _inversion(state, n, q)
    return n - _btpe(state, n, q)


@numba.njit(cache=True, error_model="numpy")
def multinomial(state: np.ndarray, n: np.int64, pvals: np.ndarray, out: np.ndarray) -> None:
    """``n`` split over ``len(pvals)`` outcomes into ``out``, as ``Generator.multinomial`` does it:
    a binomial per outcome on what is left (the last outcome takes the rest)."""
    d = pvals.size
    out[:d] = 0
    remaining_p = 1.0
    left = n
    for j in range(d - 1):
        share = pvals[j] / remaining_p if remaining_p > 0.0 else 1.0
        out[j] = binomial(state, left, min(max(share, 0.0), 1.0))
        left -= out[j]
        if left <= 0:
            break
        remaining_p -= pvals[j]
    if left > 0:
        out[d - 1] = left
