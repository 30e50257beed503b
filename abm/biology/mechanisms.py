"""Cell states: the resistance mechanisms a tumour cell carries, and the signalling routes they give it.

A cell's state is a small integer bit mask, one bit per mechanism, and above those bits one
field holding which, if any, of the alterations that take over from the EGFR driver
(``DRIVER_SWITCHES``: EGFR amplification, MET exon 14 skipping, KRAS, BRAF V600E, PIK3CA) the
cell carries. Every model (the spatial lattice, the clone model) and every output uses this one
encoding, so a new mechanism is one new ``Mechanism`` row here plus its rates in ``parameters.py``.

Why a field and not five more bits: these alterations are each a rare, late event (a few percent of
resistant tumours each, 003 §3.6) and are found one per resistant lesion; at rates of ~10^-8 per
division a cell gaining two of them is a ~10^-16 event, never met in a 10^11-cell tumour. Holding
at most one per cell keeps the state space at 6 x 256 = 1536 states instead of 8192, and so the
per-state rule tables and the per-patient arrays of the cohort engine small.

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
    # Cascade mutations downstream of every receptor (003 §3.6): no receptor blockade reaches them.
    KRAS = "kras"  # mutant KRAS keeps RAS/RAF/MEK/ERK on: a MEK inhibitor partly blocks it (003 §3.6.1, §4.4)
    BRAF = "braf"  # BRAF V600E: a BRAF inhibitor with a MEK inhibitor blocks it (003 §3.6.1, §4.4)
    PIK3CA = "pik3ca"  # mutant PIK3CA keeps PI3K/AKT on: no drug of the table blocks it (003 §3.6.2, §4.4)


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
    code: int = 0  # for a driver switch: its value in the driver-switch field (0: a plain bit)


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

# The driver switches (issue 17): genetic alterations that keep the cell's growth signalling on
# without the EGFR driver's kinase, at most one per cell (the module's docstring). Each is a value
# of the field above the plain bits.
# EGFR amplification (003 §3.2; found with T790M after 1st-gen TKIs): more copies of the cell's own
# EGFR allele, so a TKI at a given dose blocks less of it (rules.egfr_block_escape); no new route.
EGFR_AMPLIFIED = Mechanism("egfr_amplified", "EGFR-amplified", True, None, code=1)
# MET exon 14 skipping (003 §3.1.3): the MET receptor escapes degradation and signals on, through
# the MET route MET amplification uses: blocked by the MET inhibitors and amivantamab.
MET_EXON14 = Mechanism("met_exon14", "MET exon 14 skipping", True, Route.MET, code=2)
KRAS_MUTANT = Mechanism("kras_mutant", "KRAS-mutant", True, Route.KRAS, code=3)
BRAF_V600E = Mechanism("braf_v600e", "BRAF V600E", True, Route.BRAF, code=4)
PIK3CA_MUTANT = Mechanism("pik3ca_mutant", "PIK3CA-mutant", True, Route.PIK3CA, code=5)
DRIVER_SWITCHES: tuple[Mechanism, ...] = (EGFR_AMPLIFIED, MET_EXON14, KRAS_MUTANT, BRAF_V600E, PIK3CA_MUTANT)

# Bit i of a state is MECHANISMS[i] for the plain bits; the driver switches follow, as values of
# the field at bit FIELD_SHIFT. Order is part of the file format of saved lattices (states of the
# first eight bits keep their numbers).
PLAIN_BITS: tuple[Mechanism, ...] = (
    PERSISTER,
    AXL_HIGH,
    MET_AMPLIFIED,
    T790M,
    C797S,
    HER2_AMPLIFIED,
    C797S_CIS,
    IGF1R_ACTIVE,
)
MECHANISMS: tuple[Mechanism, ...] = (*PLAIN_BITS, *DRIVER_SWITCHES)
FIELD_SHIFT = len(PLAIN_BITS)
FIELD_MASK = 0b111 << FIELD_SHIFT  # room for 7 switches; 5 used
assert len(DRIVER_SWITCHES) < 8 and all(m.code == i + 1 for i, m in enumerate(DRIVER_SWITCHES))
N_STATES = (len(DRIVER_SWITCHES) + 1) << FIELD_SHIFT
GENETIC_MASK = sum(1 << i for i, m in enumerate(PLAIN_BITS) if m.genetic) | FIELD_MASK  # never lost
SENSITIVE_STATE = 0  # drug-naive, EGFR-driven, no resistance mechanism

# Output columns: `sensitive` is a cell with no mechanism at all; a cell carrying two
# mechanisms counts in both columns.
COUNT_COLUMNS: tuple[str, ...] = ("sensitive", *(m.name for m in MECHANISMS))


def bit(mechanism: Mechanism) -> int:
    """The bits one mechanism sets: its bit, or for a driver switch its value in the field."""
    if mechanism.code:
        return mechanism.code << FIELD_SHIFT
    return 1 << PLAIN_BITS.index(mechanism)


def mask(mechanism: Mechanism) -> int:
    """The bits that say whether a state carries the mechanism (``state & mask == bit``)."""
    return FIELD_MASK if mechanism.code else bit(mechanism)


def has(state: int, mechanism: Mechanism) -> bool:
    """True when the state carries the mechanism."""
    return (state & mask(mechanism)) == bit(mechanism)


def state_of(*mechanisms: Mechanism) -> int:
    """The state carrying exactly these mechanisms (at most one driver switch)."""
    if sum(1 for m in mechanisms if m.code) > 1:
        raise ValueError("a cell carries at most one driver switch: " + ", ".join(m.name for m in mechanisms))
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
    """False for bit patterns no cell can have: 'in cis' without both T790M and C797S, or a
    driver-switch field value no switch has."""
    in_range = 0 <= state < N_STATES
    return in_range and (not has(state, C797S_CIS) or (has(state, T790M) and has(state, C797S)))


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
