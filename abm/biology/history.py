"""Resistant subclones present at diagnosis, from growing the tumour out of one cell.

The initial fractions of the resistant subclones (T790M, MET-amplified, ...) are not free
parameters: they follow from the growth of the tumour from one sensitive cell to its diagnosis
size N at the model's own rates. This module samples them from that birth-death-mutation
process (the Luria-Delbrück problem with cell death) and gives the analytic expectations the
sampler is tested against.

The process (continuous time, one unit = one day)
------------------------------------------------
* Sensitive (wild-type) cells divide at rate ``b`` and die at rate ``d`` (net ``r = b - d > 0``).
* At a division, the daughter carries mutation ``m`` with probability ``mu_m`` (the mutant's
  ``rate``). A mutant cell divides at rate ``b_m = b (1 - cost_m)`` and dies at the shared rate
  ``d``; its lineage is a linear birth-death process with net rate ``g_m = b_m - d``, which may be
  positive, zero (neutral with respect to death) or negative (subcritical: the lineage is
  transient, but cells of it can still be present at diagnosis).
* The mutations are independent and only single mutants are counted: a double mutant needs a
  second mutation inside a mutant lineage, about ``mu_1 mu_2 N ln N (b/r)^2`` events, < 1e-3 per
  tumour at mu <= 1e-6, N <= 1e11, so it is neglected. The loss of sensitive daughters to
  mutation (a factor ``1 - sum mu``) is neglected too.

The model steps in days with per-day probabilities (divide with probability b, die with
probability d). Here those probabilities are used as continuous rates. The extinction
probability of a lineage is then the same (d/b: ``b q^2 - (b + d) q + d = 0`` in both cases),
and so is the number of divisions per cell gained (b/r). Only the growth per day differs,
``1 + r`` against ``e^r``. The error is O(b^2) per day: about 1e-3 relative at b = 0.04.

Approximations (the standard ones, Durrett & Moseley 2010)
---------------------------------------------------------
1. Deterministic wild type, backwards from diagnosis. Given that the tumour reaches N (so its
   founding lineage survived), the sensitive population ``tau`` days before diagnosis is
   ``n(tau) = N exp(-r tau)`` for ``0 <= tau <= T = ln(N) / r``. This is the large-time limit
   ``W(t) ~ exp(r t) * Exp(mean b/r)`` of a supercritical birth-death process conditioned on
   survival. The random factor only moves the calendar date of diagnosis, not the trajectory
   seen backwards from size N, and so the counts do not depend on it. The approximation is
   poor only while n is small (tens of cells), where the real trajectory is random. Mutations
   arise there with probability about ``mu (b/r) n``, < 1e-4 at the model's rates. They are
   the rare jackpots (mutant fractions of order 1/n). The mean count, which is dominated by
   jackpots, is off by O(1/ln N) relative, but the zero share, median and tail probabilities
   at x << N are not affected.
2. Mutations then form a Poisson process in tau with intensity ``nu(tau) = mu b n(tau)``
   (Luria & Delbrück 1943; Iwasa, Nowak & Michor 2006, Genetics 172:2557). A lineage founded
   tau days before diagnosis has the exact size distribution of a linear birth-death process
   (Kendall 1948, Ann Math Stat 19:1): with ``x = (exp(g tau) - 1) / g`` (``= tau`` if g = 0),

       P(X = 0) = alpha = d x / (b_m x + 1),  P(X = k) = (1 - alpha) (1 - beta) beta^(k-1),
       beta = b_m x / (b_m x + 1),            k >= 1,

   so ``E[X] = exp(g tau)``, ``P(X > 0) = exp(g tau) / (b_m x + 1)`` and, given X > 0, X is
   geometric with mean ``b_m x + 1``. The same formula covers g > 0, g = 0 and g < 0.
3. The sampler bins tau on a grid fine in both ``ln tau`` and ``g tau`` (about 1,500 bins).
   In each bin the number of lineages alive at diagnosis is Poisson with the bin's exact
   integral of ``nu (1 - alpha)`` (by thinning). Their total size is a sum of geometrics,
   drawn at once as ``J + NegBinomial(J, p)``, with p chosen so that the bin's mean, the
   integral of ``nu exp(g tau)``, is exact. The only error is the spread of the geometric mean
   within a bin, a few per cent, which enters the distribution at second order. The cost is a
   few hundred microseconds per patient and mutant, whatever N and mu (no loop over
   mutations: at N = 1e11 and mu = 1e-6 there are ~1e6 of them).
4. The counts are those at the moment the *sensitive* population reaches N. The tumour then
   has ``N + sum M`` cells, and :func:`pre_existing_fractions` divides by that. At the model's
   rates ``sum M / N`` is below 1e-3, so N is the diagnosis size to that precision. (Stopping
   when the total reaches N instead would need the whole history, not just M at one size.)

Checked against an exact cell-by-cell simulation (Gillespie, N = 3000, b = 0.3, d = 0.2,
mu ~ 1e-3) in tests/test_history.py. The distributions agree within sampling error for
P(0), the median and P(M > x) for x up to ~N/300. Beyond that (jackpots from the first tens
of cells) the exact process has the heavier tail, as approximation 1 predicts. There is also
an O(N^-1/2) deficit of recent (transient) mutants, because the exact path first hits N from
below. Both vanish at N >= 1e8 and mu <= 1e-6.

Analytic expectations (under approximations 1 and 2, at sensitive size N)
------------------------------------------------------------------------
* Mean: ``E[M] = int_0^T nu(tau) exp(g tau) dtau = mu b N (N^((g - r)/r) - 1) / (g - r)``.
  For a neutral mutant (g = r) this is ``mu (b/r) N ln N``, the classic result. For a costly
  one (b_m = b (1 - c)) it tends to ``mu N / c``, mutation-selection balance.
* P(no mutant cell) ``= exp(-int nu(tau) (1 - alpha(tau)) dtau)`` (:func:`probability_any_mutant`).
* Pre-existing resistance in the sense of Iwasa, Nowak & Michor (2006): at least one mutant
  lineage that will never die out. This is ``1 - exp(-mu (b/r) (1 - d/b_m) (N - 1))``, which
  is ``1 - exp(-mu N)`` if neutral (:func:`probability_resistant`).
* The whole distribution: M is compound Poisson, so its pmf follows from the Panjer recursion
  (:func:`mutant_count_pmf`). Tail: ``P(M > x) ~ mu N (b/r) / x`` for 1 << x << N (neutral).
* Median, neutral, large ``m = mu N``: surviving lineages appear at rate mu per sensitive cell
  added and grow to ``(N/n) Exp(mean b/r)``. So M is roughly (b/r) times a Lea-Coulson
  Luria-Delbrück variable with m expected mutations, and its median is about
  ``(b/r) m (ln m + 1.24)`` (Lea & Coulson 1949). This holds up to O(1/ln m), which comes from
  the lineages that are still transient at diagnosis (:func:`lea_coulson_median`).

See also Komarova & Wodarz 2005 (PNAS 102:9714), Bozic et al. 2013 (eLife 2:e00747), Kessler &
Levine 2013 (PNAS 110:11682).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

__all__ = [
    "Mutant",
    "expected_mutant_count",
    "lea_coulson_median",
    "mutant_count_pmf",
    "mutant_count_variance",
    "pre_existing_counts",
    "pre_existing_fractions",
    "probability_any_mutant",
    "probability_resistant",
]

# Bin width of the sampler's tau grid, in the variable s = ln(1 + tau/tau0) + G tau (see _edges).
GRID_STEP = 0.025


@dataclass(frozen=True)
class Mutant:
    """One resistance mutation: its rate per division and its cells' division rate (per day).

    ``rate``: probability that a division's daughter carries it. ``birth``: division rate of
    mutant cells; their death rate is the sensitive cells' (shared).
    """

    name: str
    rate: float
    birth: float

    def __post_init__(self) -> None:
        if not 0.0 <= self.rate < 1.0:
            raise ValueError(f"mutant {self.name!r}: rate {self.rate} not in [0, 1)")
        if self.birth < 0.0:
            raise ValueError(f"mutant {self.name!r}: birth {self.birth} < 0")

    @classmethod
    def with_cost(cls, name: str, rate: float, birth: float, cost: float) -> Mutant:
        """A mutant whose cells divide at ``birth * (1 - cost)`` (``birth``: the sensitive cells')."""
        return cls(name, rate, birth * (1.0 - cost))


def _check(n_cells: float, birth: float, death: float) -> float:
    if not n_cells >= 1:
        raise ValueError(f"n_cells {n_cells} < 1")
    if not birth > death >= 0:
        raise ValueError(f"need birth > death >= 0 (a growing tumour), got {birth}, {death}")
    return math.log(n_cells) / (birth - death)


def _expm1_over(a: float | np.ndarray, t: np.ndarray) -> np.ndarray:
    """(exp(a t) - 1) / a, = t at a = 0, accurate for small a t."""
    a = np.asarray(a, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.expm1(a * t) / a
    return np.where(np.abs(a * t) < 1e-12, t, out)


def _kendall(tau: np.ndarray, birth_m: float, death: float) -> tuple[np.ndarray, np.ndarray]:
    """(P(X > 0), mean of X given X > 0) of a birth-death lineage of one cell after tau days."""
    x = _expm1_over(birth_m - death, tau)
    alive = np.exp((birth_m - death) * tau) / (birth_m * x + 1.0)
    return np.minimum(alive, 1.0), birth_m * x + 1.0


@lru_cache(maxsize=64)
def _edges(n_cells: float, birth: float, death: float, birth_m: float, step: float) -> np.ndarray:
    """Bin edges in tau on [0, T], uniform in s = ln(1 + tau/tau0) + G tau.

    The relative change of a lineage's mean size across a bin is then about ``step``, both at
    small tau (where it goes like tau) and at large tau (like exp(g tau)).
    """
    t_end = _check(n_cells, birth, death)
    tau0 = 0.01 / (birth_m + death + birth)
    big_g = max(birth - death, abs(birth_m - death))
    # (where the edges fall only sets how finely the bins cut [0, T]; 2000 points place them to
    # well under a bin's width)
    dense = np.sort(np.concatenate([np.geomspace(tau0 * 1e-3, t_end, 2000), np.linspace(0, t_end, 2000)]))
    s = np.log1p(dense / tau0) + big_g * dense
    n_bins = max(math.ceil(float(s[-1]) / step), 1)
    edges = np.interp(np.linspace(0.0, s[-1], n_bins + 1), s, dense)
    edges[0], edges[-1] = 0.0, t_end
    return edges


def _bins(n_cells: float, birth: float, death: float, mutant: Mutant, step: float) -> tuple[np.ndarray, np.ndarray]:
    """Per bin: the expected number of lineages alive at diagnosis, and 1 / their mean size."""
    alive, p = _bins_per_rate(n_cells, birth, death, mutant.birth, step)
    return mutant.rate * alive, p


@lru_cache(maxsize=64)
def _bins_per_rate(
    n_cells: float, birth: float, death: float, birth_m: float, step: float
) -> tuple[np.ndarray, np.ndarray]:
    """``_bins`` at a mutation rate of 1: the rate only scales the lineages' number, so mutants with
    one birth rate (the driver switches, at no fitness cost) share the work."""
    r = birth - death
    g = birth_m - death
    edges = _edges(n_cells, birth, death, birth_m, step)
    lo, hi = edges[:-1], edges[1:]
    mid = 0.5 * (lo + hi)
    scale = birth * n_cells

    def alive_density(tau: np.ndarray) -> np.ndarray:
        return np.exp(-r * tau) * _kendall(tau, birth_m, death)[0]

    # Simpson's rule per bin for the alive count; the mean is integrated exactly.
    alive = scale * (hi - lo) / 6.0 * (alive_density(lo) + 4.0 * alive_density(mid) + alive_density(hi))
    mean = scale * np.exp((g - r) * lo) * _expm1_over(g - r, hi - lo)
    p = np.clip(alive / np.maximum(mean, 1e-300), 1e-300, 1.0)
    alive.setflags(write=False)
    p.setflags(write=False)
    return alive, p


def _sample_at_sensitive_size(
    n_cells: float, birth: float, death: float, mutant: Mutant, size: int, rng: np.random.Generator, step: float
) -> np.ndarray:
    if mutant.rate == 0.0:
        return np.zeros(size, dtype=np.int64)
    alive, p = _bins(float(n_cells), float(birth), float(death), mutant, step)
    j = rng.poisson(alive, size=(size, alive.size))
    rows, cols = np.nonzero(j)
    js = j[rows, cols]
    extra = rng.negative_binomial(js, p[cols])  # sum of js geometrics on {1, 2, ...} = js + extra
    total = np.bincount(rows, weights=(js + extra).astype(float), minlength=size)
    return np.rint(total).astype(np.int64)


def pre_existing_counts(
    n_cells: float,
    birth: float,
    death: float,
    mutants: Sequence[Mutant],
    rng: np.random.Generator,
    size: int | None = None,
    *,
    step: float = GRID_STEP,
) -> np.ndarray:
    """Cells of each mutant type when a tumour grown from one sensitive cell reaches ``n_cells``.

    Precisely: when its sensitive cells number ``n_cells`` (the tumour is ``n_cells + sum``, the
    same to < 1e-3 at the model's rates). ``birth``, ``death``: the sensitive cells' rates per
    day. The result has one entry per mutant (int64), or shape ``(size, len(mutants))`` for
    ``size`` independent patients. See the module docstring for the process and the approximations.
    """
    _check(n_cells, birth, death)
    n = 1 if size is None else int(size)
    counts = np.zeros((n, len(mutants)), dtype=np.int64)
    for k, mutant in enumerate(mutants):
        counts[:, k] = _sample_at_sensitive_size(n_cells, birth, death, mutant, n, rng, step)
    return counts[0] if size is None else counts


def pre_existing_fractions(
    n_cells: float,
    birth: float,
    death: float,
    mutants: Sequence[Mutant],
    rng: np.random.Generator,
    size: int | None = None,
) -> np.ndarray:
    """Each mutant's fraction of the tumour, ``M_k / (n_cells + sum M)``, at :func:`pre_existing_counts`' moment."""
    counts = pre_existing_counts(n_cells, birth, death, mutants, rng, size)
    return counts / (float(n_cells) + counts.sum(axis=-1, keepdims=True))


# ----------------------------------------------------------------------------------------------
# Analytic expectations (at the moment the sensitive population reaches n_cells)


def expected_mutant_count(n_cells: float, birth: float, death: float, mutant: Mutant) -> float:
    """E[M] = mu b N (N^((g - r)/r) - 1) / (g - r); mu (b/r) N ln N if neutral (g = r)."""
    t_end = _check(n_cells, birth, death)
    r, g = birth - death, mutant.birth - death
    return float(mutant.rate * birth * n_cells * _expm1_over(g - r, np.asarray(t_end)))


def _quadrature(
    n_cells: float, birth: float, death: float, mutant: Mutant, step: float = GRID_STEP / 4
) -> tuple[np.ndarray, np.ndarray]:
    """Nodes and weights (composite Simpson on the sampler's grid, refined) for int_0^T . dtau."""
    edges = _edges(float(n_cells), float(birth), float(death), float(mutant.birth), step)
    lo, hi = edges[:-1], edges[1:]
    nodes = np.concatenate([lo, 0.5 * (lo + hi), hi])
    weights = np.concatenate([(hi - lo) / 6.0, 4.0 * (hi - lo) / 6.0, (hi - lo) / 6.0])
    return nodes, weights


def probability_any_mutant(n_cells: float, birth: float, death: float, mutant: Mutant) -> float:
    """P(at least one cell of the mutant at diagnosis) = 1 - exp(-int nu (1 - alpha) dtau)."""
    _check(n_cells, birth, death)
    tau, w = _quadrature(n_cells, birth, death, mutant)
    nu = mutant.rate * birth * n_cells * np.exp(-(birth - death) * tau)
    return float(-np.expm1(-np.sum(w * nu * _kendall(tau, mutant.birth, death)[0])))


def probability_resistant(n_cells: float, birth: float, death: float, mutant: Mutant) -> float:
    """Iwasa, Nowak & Michor (2006): P(some mutant lineage present at diagnosis will never die out).

    ``1 - exp(-mu (b/r) (1 - d/b_m) (N - 1))``; ``1 - exp(-mu (N - 1))`` for a neutral mutant, 0
    for a subcritical one (b_m <= d), whose lineages are all transient.
    """
    _check(n_cells, birth, death)
    survival = max(0.0, 1.0 - death / mutant.birth) if mutant.birth > 0 else 0.0
    return float(-math.expm1(-mutant.rate * birth / (birth - death) * survival * (n_cells - 1.0)))


def mutant_count_variance(n_cells: float, birth: float, death: float, mutant: Mutant) -> float:
    """Var[M] = int nu E[X_tau^2] dtau (compound Poisson), E[X^2] = P(X>0) m (2m - 1), m = E[X | X>0].

    Finite for finite N, but for a neutral or advantageous mutant it grows like N^2 (heavy tail):
    the sample mean then converges slowly. For a costly mutant with 2 g < r it is O(N).
    """
    _check(n_cells, birth, death)
    tau, w = _quadrature(n_cells, birth, death, mutant)
    nu = mutant.rate * birth * n_cells * np.exp(-(birth - death) * tau)
    alive, m = _kendall(tau, mutant.birth, death)
    return float(np.sum(w * nu * alive * m * (2.0 * m - 1.0)))


def mutant_count_pmf(n_cells: float, birth: float, death: float, mutant: Mutant, kmax: int) -> np.ndarray:
    """P(M = k) for k = 0..kmax, by the Panjer recursion for a compound Poisson count.

    M is the sum over a Poisson(Lambda) number of lineages alive at diagnosis of iid sizes with
    P(size = k) = f_k / Lambda, f_k = int nu (1 - alpha) (1 - beta) beta^(k-1) dtau (quadrature):
    p_0 = exp(-Lambda), p_n = (1/n) sum_k k f_k p_(n-k). Exact for k <= kmax (no truncation
    error; the mass above kmax is just not returned). O(kmax^2): meant for kmax up to ~2e4.
    """
    _check(n_cells, birth, death)
    tau, w = _quadrature(n_cells, birth, death, mutant)
    nu = mutant.rate * birth * n_cells * np.exp(-(birth - death) * tau)
    alive, m = _kendall(tau, mutant.birth, death)
    beta = 1.0 - 1.0 / m
    v = w * nu * alive / m  # weight of each node times P(size = 1 | node)
    f = np.empty(kmax + 1)
    f[0] = 0.0
    keep = v > 0
    v, beta = v[keep], beta[keep]
    for k in range(1, kmax + 1):
        f[k] = v.sum()
        v = v * beta
        if k % 64 == 0:
            live = v > 1e-300
            v, beta = v[live], beta[live]
    lam = float(np.sum(w * nu * alive))
    kf = np.arange(kmax + 1) * f
    # Panjer's recursion is linear in p, so run it from p_0 = 1 and rescale at the end (in logs).
    p = np.zeros(kmax + 1)
    p[0] = 1.0
    log_scale = 0.0  # p_true = p * exp(log_scale - lam)
    for n in range(1, kmax + 1):
        p[n] = np.dot(kf[1 : n + 1], p[n - 1 :: -1]) / n
        if p[n] > 1e250:
            p[: n + 1] *= 1e-250
            log_scale += 250.0 * math.log(10.0)
    with np.errstate(divide="ignore"):
        return np.exp(np.log(p) + log_scale - lam)


def lea_coulson_median(n_cells: float, birth: float, death: float, mutation_rate: float) -> float:
    """Median count of a neutral mutant, large mu N: (b/r) m (ln m + 1.24), m = mu N (Lea & Coulson 1949).

    The Lea-Coulson median formula for the Luria-Delbrück distribution (pure birth, m expected
    mutations) is accurate for m >~ 4. Cell death multiplies the surviving lineages' sizes by b/r.
    The transient lineages, ignored here, add O(1/ln m) relative.
    """
    _check(n_cells, birth, death)
    m = mutation_rate * n_cells
    return birth / (birth - death) * m * (math.log(m) + 1.24)
