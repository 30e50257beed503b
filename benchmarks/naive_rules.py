"""The rules of the idiomatic-Mesa reference (benchmarks/naive_mesa.py).

Kept deliberately tiny (three phenotypes, not this project's rules). Rates are per day;
one step = one day.
"""

import math

SENSITIVE, DTP, RESISTANT = 0, 1, 2
NAMES = ("SENSITIVE", "DTP", "RESISTANT")

# BIRTH[drug_on][phenotype], DEATH[drug_on][phenotype]
#                S      DTP    R
BIRTH = {False: (0.05, 0.05, 0.05), True: (0.0, 0.005, 0.05)}
DEATH = {False: (0.01, 0.01, 0.01), True: (0.08, 0.005, 0.01)}

P_MUT_S_TO_R = 1e-4  # per division, daughter of a SENSITIVE parent becomes RESISTANT
P_S_TO_DTP = 0.02  # per day, only under drug
P_DTP_TO_S = 0.01  # per day, only off drug

INIT_FILL = 0.05  # initial disc covers this fraction of the W*W lattice
INIT_RESISTANT = 1e-3  # each initial cell is RESISTANT independently with this prob.


def in_initial_disc(i, j, width):
    """True if lattice site (i, j) belongs to the initial tumour disc.

    Disc centred at ((W-1)/2, (W-1)/2) with area INIT_FILL * W * W; works on
    python ints and on numpy index arrays alike.
    """
    c = (width - 1) / 2.0
    r2 = INIT_FILL * width * width / math.pi
    return (i - c) ** 2 + (j - c) ** 2 <= r2
