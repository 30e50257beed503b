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

    EGFR_SENSITIVE = "egfr_sensitive"  # exon 19 del / L858R driver (003 §1)
    EGFR_T790M = "egfr_t790m"  # gatekeeper mutation: 1st/2nd-gen TKIs lose it (003 §1)
    EGFR_C797S = "egfr_c797s"  # tertiary mutation: osimertinib loses it (003 §3.1.2)
    AXL = "axl"  # non-genetic AXL upregulation (003 §3.3.1-3.3.2)
    MET = "met"  # MET amplification (003 §3.1.2)
    HER2 = "her2"  # HER2 amplification (003 §3.5)


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

# Bit i of a state is MECHANISMS[i]. Order is part of the file format of saved lattices.
MECHANISMS: tuple[Mechanism, ...] = (
    PERSISTER,
    AXL_HIGH,
    MET_AMPLIFIED,
    T790M,
    C797S,
    HER2_AMPLIFIED,
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


@cache
def routes(state: int) -> frozenset[Route]:
    """The signalling routes a cell in this state can survive and divide through.

    The EGFR driver route is one allele: C797S (assumed on the T790M allele, in cis,
    the configuration no listed TKI blocks: biology.md 'Cell states') wins over T790M,
    which wins over the sensitive driver. Bypass mechanisms add their route.
    """
    if has(state, C797S):
        egfr = Route.EGFR_C797S
    elif has(state, T790M):
        egfr = Route.EGFR_T790M
    else:
        egfr = Route.EGFR_SENSITIVE
    bypass = {m.route for m in mechanisms_of(state) if m.route is not None and m not in (T790M, C797S)}
    return frozenset({egfr, *bypass})


def count_matrix() -> list[list[int]]:
    """For each output column, 0/1 per state: does a cell in that state count there?"""
    rows = [[1 if s == SENSITIVE_STATE else 0 for s in range(N_STATES)]]
    rows += [[1 if has(s, m) else 0 for s in range(N_STATES)] for m in MECHANISMS]
    return rows
