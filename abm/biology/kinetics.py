"""Untreated growth of a tumour at the model's rates: volume doubling time and cell-loss factor.

Both come from the day's rule tables at no drug plus the Gompertzian crowding loss
(``rules.crowding_loss``) at the tumour's burden, so they are what the models do, not a
separate formula. The reported ranges they are checked against are in biology.md 'Dynamics'.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from abm.biology.mechanisms import SENSITIVE_STATE
from abm.biology.parameters import Parameters
from abm.biology.rules import crowding_loss, doses_key, rule_tables

# Reported: median volume doubling time ~190 days in resected NSCLC (Mackintosh 2014 Respirology
# 19:755), adenocarcinoma slower than squamous; cell-loss factor > 70%, >= 90% in two thirds of
# bronchogenic carcinomas (Br J Cancer 1984;50:343).
REPORTED_VDT_DAYS = (100.0, 400.0)  # around the ~190-day median: the band checked here
REPORTED_VDT_MEDIAN = 190.0
REPORTED_CELL_LOSS = (0.7, 1.0)


@dataclass(frozen=True)
class Growth:
    """Untreated growth of sensitive cells in a tumour of ``cells`` cells, per day."""

    cells: float
    division: float  # probability per day that a cell divides
    loss: float  # probability per day that a cell is lost
    net: float  # ln of the daily growth factor

    @property
    def doubling_days(self) -> float:
        """Volume doubling time (cells are proportional to volume); inf when not growing."""
        # at the plateau net growth is 0 up to rounding (~1e-16): that is no growth, not 10^15 days
        return math.log(2.0) / self.net if self.net > 1e-12 else math.inf

    @property
    def cell_loss_factor(self) -> float:
        """Cells lost per cell produced (Steel's cell-loss factor)."""
        produced = self.division * (1.0 - self.loss)  # divisions happen among the day's survivors
        return self.loss / produced if produced > 0 else math.inf


def untreated_growth(p: Parameters, cells: float, capacity: float) -> Growth:
    """Growth of the sensitive bulk of an untreated tumour of ``cells`` cells."""
    tables = rule_tables(p, doses_key({}))
    loss = float(tables.death[SENSITIVE_STATE] + crowding_loss(p.division_rate, p.death_rate, cells, capacity))
    division = float(tables.division[SENSITIVE_STATE])
    return Growth(cells, division, loss, math.log((1.0 - loss) * (1.0 + division)))


def format_growth(g: Growth) -> str:
    """Two lines: the doubling time and the cell-loss factor, each beside what is reported."""
    return (
        f"untreated volume doubling time  {g.doubling_days:7.0f} days   reported: median ~{REPORTED_VDT_MEDIAN:.0f} "
        f"days in resected NSCLC (Mackintosh 2014); band {REPORTED_VDT_DAYS[0]:.0f}-{REPORTED_VDT_DAYS[1]:.0f}\n"
        f"cell-loss factor                {g.cell_loss_factor:7.2f}        reported: > {REPORTED_CELL_LOSS[0]:.2f}, "
        f">= 0.90 in two thirds of bronchogenic carcinomas (Br J Cancer 1984;50:343)"
    )


def pre_existing_table(p: Parameters, cells: float, capacity: float, patients: int = 1000, seed: int = 0) -> str:
    """Quantiles across ``patients`` tumours of ``cells`` cells of each grown subclone's fraction at
    diagnosis (``abm.biology.founding``), beside the analytic mean and P(any) of ``abm.biology.history``."""
    from abm.biology.founding import history_death_rate, history_mutants
    from abm.biology.history import expected_mutant_count, pre_existing_counts, probability_any_mutant

    mutants = history_mutants(p)
    death = history_death_rate(p, int(cells), capacity)
    rng = np.random.default_rng(seed)
    counts = pre_existing_counts(cells, p.division_rate, death, list(mutants.values()), rng, size=patients)
    quantiles = (0.05, 0.25, 0.5, 0.75, 0.95)
    lines = [
        f"pre-existing subclones of {patients} tumours of {cells:.3g} cells (fraction of cells at diagnosis)",
        f"{'mechanism':16s}"
        + "".join(f"{f'q{round(q * 100)}':>10s}" for q in quantiles)
        + f"{'mean':>10s}{'analytic':>10s}{'P(any)':>8s}{'analytic':>10s}",
    ]
    for k, (mechanism, mutant) in enumerate(mutants.items()):
        fraction = counts[:, k] / cells
        q = np.quantile(fraction, quantiles)
        mean = expected_mutant_count(cells, p.division_rate, death, mutant) / cells
        any_ = probability_any_mutant(cells, p.division_rate, death, mutant)
        lines.append(
            f"{mechanism.name:16s}"
            + "".join(f"{v:10.2g}" for v in q)
            + f"{fraction.mean():10.2g}{mean:10.2g}{(counts[:, k] > 0).mean():8.3f}{any_:10.3f}"
        )
    return "\n".join(lines)
