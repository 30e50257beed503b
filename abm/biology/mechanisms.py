"""Cell states: the resistance mechanisms a tumour cell carries, and the signalling routes they give it.

A cell's state is a small integer bit mask, one bit per mechanism. Every model (the
spatial lattice, the clone model) and every output uses this one encoding, so a new
mechanism is one new ``Mechanism`` row here plus its rates in ``parameters.py``.

The bypass logic (003 §2, §4, §5.1): a cell survives and divides through every
signalling route it has; it is controlled by a drug combination only when *all* its
routes are blocked. ``routes(state)`` gives those routes; ``rules.py`` turns drug blocks
of routes into control of cells, so combinations fall out of the data.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import cache


class Route(StrEnum):
    """A signalling route that keeps PI3K/AKT and MAPK/ERK on (003 §2)."""

    # EGFR alleles (each an exon 19 del / L858R driver allele; Niederst 2015 Clin Cancer Res 21:3924):
    EGFR_SENSITIVE = "egfr_sensitive"  # the driver alone: every EGFR TKI (003 §1)
    EGFR_T790M = "egfr_t790m"  # gatekeeper: 1st/2nd-gen TKIs lose it, osimertinib hits it (003 §1)
    EGFR_C797S = "egfr_c797s"  # C797S without T790M: osimertinib loses it, 1st/2nd-gen TKIs keep it
    EGFR_T790M_C797S = "egfr_t790m_c797s"  # both on one allele (cis): no listed TKI blocks it
    AXL = "axl"  # non-genetic AXL upregulation (003 §3.3.1-3.3.2)
    MET = "met"  # MET amplification (003 §3.1.2)
    HER2 = "her2"  # HER2 amplification (003 §3.5)
    IGF1R = "igf1r"  # IGF-1R activation, e.g. by loss of IGFBP3/4 (003 §3.4)


@dataclass(frozen=True)
class Mechanism:
    """One bit of a cell's state.

    ``name`` is the column name used in every output table. ``genetic`` mechanisms are
    acquired at division and never lost; the others (persister, AXL-high) are
    reversible switches a living cell makes (003 §3.3.1: AXL is upregulated by
    transcription factors and miRNA, not mutation; §5.2: DTPs are reversible).
    """

    name: str
    label: str
    genetic: bool
    route: Route | None  # route the mechanism adds (EGFR alleles replace the driver route)


PERSISTER = Mechanism("persister", "drug-tolerant persister", False, None)
AXL_HIGH = Mechanism("axl_high", "AXL-high", False, Route.AXL)
MET_AMPLIFIED = Mechanism("met_amplified", "MET-amplified", True, Route.MET)
T790M = Mechanism("t790m", "EGFR T790M", True, Route.EGFR_T790M)
C797S = Mechanism("c797s", "EGFR C797S", True, Route.EGFR_C797S)
HER2_AMPLIFIED = Mechanism("her2_amplified", "HER2-amplified", True, Route.HER2)
# Set only together with T790M and C797S: the two are on one allele. Without it a cell with
# both carries them on two alleles (in trans).
C797S_CIS = Mechanism("c797s_cis", "EGFR C797S in cis with T790M", True, Route.EGFR_T790M_C797S)
# Non-genetic IGF-1R activation (003 §3.4): a bypass route, and the survival route of AXL-low
# persisters (003 §5.2, Wang et al.).
IGF1R_ACTIVE = Mechanism("igf1r_active", "IGF-1R-active", False, Route.IGF1R)

# Bit i of a state is MECHANISMS[i]. Order is part of the file format of saved lattices.
MECHANISMS: tuple[Mechanism, ...] = (
    PERSISTER,
    AXL_HIGH,
    MET_AMPLIFIED,
    T790M,
    C797S,
    HER2_AMPLIFIED,
    C797S_CIS,
    IGF1R_ACTIVE,
)
N_STATES = 1 << len(MECHANISMS)
GENETIC_MASK = sum(1 << i for i, m in enumerate(MECHANISMS) if m.genetic)  # bits never lost
SENSITIVE_STATE = 0  # drug-naive, EGFR-driven, no resistance mechanism

# Output columns: `sensitive` is a cell with no mechanism at all; a cell carrying two
# mechanisms counts in both columns.
COUNT_COLUMNS: tuple[str, ...] = ("sensitive", *(m.name for m in MECHANISMS))


def bit(mechanism: Mechanism) -> int:
    """The bit mask of one mechanism."""
    return 1 << MECHANISMS.index(mechanism)


def has(state: int, mechanism: Mechanism) -> bool:
    """True when the state carries the mechanism."""
    return bool(state & bit(mechanism))


def state_of(*mechanisms: Mechanism) -> int:
    """The state carrying exactly these mechanisms."""
    state = 0
    for m in mechanisms:
        state |= bit(m)
    return state


def mechanisms_of(state: int) -> tuple[Mechanism, ...]:
    """The mechanisms a state carries, in bit order."""
    return tuple(m for m in MECHANISMS if has(state, m))


def describe(state: int) -> str:
    """A readable name such as 'persister+t790m' or 'sensitive'."""
    names = [m.name for m in mechanisms_of(state)]
    return "+".join(names) if names else "sensitive"


EGFR_ALLELE_MECHANISMS = (T790M, C797S, C797S_CIS)


def egfr_routes(state: int) -> frozenset[Route]:
    """The EGFR alleles a cell signals through (Niederst 2015): each mutant allele is a route.

    T790M alone or C797S alone replace the driver allele; T790M and C797S on two alleles
    (trans) give two routes, both of which must be blocked (a 1st- plus a 3rd-generation
    TKI); on one allele (cis) they give the route no listed TKI blocks.
    """
    t790m, c797s = has(state, T790M), has(state, C797S)
    if t790m and c797s:
        if has(state, C797S_CIS):
            return frozenset({Route.EGFR_T790M_C797S})
        return frozenset({Route.EGFR_T790M, Route.EGFR_C797S})
    if t790m:
        return frozenset({Route.EGFR_T790M})
    if c797s:
        return frozenset({Route.EGFR_C797S})
    return frozenset({Route.EGFR_SENSITIVE})


def valid(state: int) -> bool:
    """False for bit patterns no cell can have: 'in cis' without both T790M and C797S."""
    return not has(state, C797S_CIS) or (has(state, T790M) and has(state, C797S))


@cache
def routes(state: int) -> frozenset[Route]:
    """The signalling routes a cell in this state can survive and divide through.

    Its EGFR alleles (``egfr_routes``) plus the route of each bypass mechanism it carries.
    """
    bypass = {m.route for m in mechanisms_of(state) if m.route is not None and m not in EGFR_ALLELE_MECHANISMS}
    return frozenset(egfr_routes(state) | bypass)


def count_matrix() -> list[list[int]]:
    """For each output column, 0/1 per state: does a cell in that state count there?"""
    rows = [[1 if s == SENSITIVE_STATE else 0 for s in range(N_STATES)]]
    rows += [[1 if has(s, m) else 0 for s in range(N_STATES)] for m in MECHANISMS]
    return rows
