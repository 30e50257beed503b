"""One colour per mechanism (and per drug), for every view of the model: the viz, the figures.

Colours are the Okabe-Ito palette (readable with the common colour-vision deficiencies), with
grey for persisters, which are a reversible drug-tolerant state rather than a resistance gain.
"""

from __future__ import annotations

import numpy as np

from abm.biology.drugs import DRUG_NAMES
from abm.biology.mechanisms import COUNT_COLUMNS, N_STATES, SENSITIVE_STATE, mechanisms_of

MECHANISM_COLOURS: dict[str, str] = {
    "sensitive": "#56B4E9",  # sky blue
    "persister": "#7F7F7F",  # grey
    "axl_high": "#E69F00",  # orange
    "met_amplified": "#D55E00",  # vermillion
    "t790m": "#0072B2",  # blue
    "c797s": "#CC79A7",  # reddish purple
    "her2_amplified": "#009E73",  # bluish green
    "c797s_cis": "#000000",  # black: the allele no listed TKI blocks
    "igf1r_active": "#F0E442",  # yellow
    # the driver switches: darker or muted tones, apart from the eight above
    "egfr_amplified": "#56237A",  # deep purple: the driver allele, amplified
    "met_exon14": "#8B2E00",  # dark rust: the MET route, as MET amplification's vermillion
    "kras_mutant": "#6B8E23",  # olive
    "braf_v600e": "#A0522D",  # sienna
    "pik3ca_mutant": "#2F4F4F",  # dark slate: the route no listed drug blocks
}
assert tuple(MECHANISM_COLOURS) == COUNT_COLUMNS, "one colour per count column, in column order"

# By the drug's place in the table (a new drug takes the next colour): tab10 without its grey and
# green, then tab20's light tones, tab10's green and tab20b's dark tones; none is a mechanism's colour.
DRUG_PALETTE = (
    "#8C564B", "#BCBD22", "#17BECF", "#1F77B4", "#FF7F0E", "#D62728", "#9467BD", "#E377C2",
    "#AEC7E8", "#FFBB78", "#98DF8A", "#FF9896", "#C5B0D5", "#C49C94", "#F7B6D2", "#DBDB8D",
    "#9EDAE5", "#2CA02C", "#393B79", "#843C39", "#637939", "#7B4173",
)  # fmt: skip
assert len(DRUG_PALETTE) >= len(DRUG_NAMES), "one colour per drug: add colours to DRUG_PALETTE"
DRUG_COLOURS: dict[str, str] = dict(zip(DRUG_NAMES, DRUG_PALETTE, strict=False))

EMPTY_COLOUR = "#FFFFFF"

# A cell carrying several mechanisms is drawn in the colour of the first of these it carries:
# the driver switches (a cell's last and rarest gain), the EGFR alleles and amplifications
# (permanent), then the reversible states.
DRAW_PRIORITY: tuple[str, ...] = (
    "pik3ca_mutant",
    "braf_v600e",
    "kras_mutant",
    "met_exon14",
    "egfr_amplified",
    "c797s_cis",
    "c797s",
    "t790m",
    "met_amplified",
    "her2_amplified",
    "axl_high",
    "igf1r_active",
    "persister",
)


def drawn_as(state: int) -> str:
    """The count column whose colour a cell in ``state`` is drawn in."""
    if state == SENSITIVE_STATE:
        return "sensitive"
    carried = {m.name for m in mechanisms_of(state)}
    return next(name for name in DRAW_PRIORITY if name in carried)


def rgb(colour: str) -> tuple[int, int, int]:
    """'#RRGGBB' as three 0-255 integers."""
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def state_rgb() -> np.ndarray:
    """RGB of each state as a (N_STATES + 1, 3) uint8 array; the last row is an empty site."""
    rows = [rgb(MECHANISM_COLOURS[drawn_as(s)]) for s in range(N_STATES)]
    return np.array([*rows, rgb(EMPTY_COLOUR)], dtype=np.uint8)
