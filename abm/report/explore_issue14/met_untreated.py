"""Untreated MET: how high must the amplification rate be for a tumour to carry MET-amplified cells
at >= 1% of its cells at diagnosis (what the validation counts as 'untreated MET', at the 1%
ctDNA limit)? Sampled with the model's own growth history (``abm.biology.history``, as ``abm.biology.founding``
calls it) for a 10^10-cell tumour, neutral and costly MET.

    python -m abm.report.explore_issue14.met_untreated
"""

from __future__ import annotations

import numpy as np

from abm.biology.founding import history_death_rate
from abm.biology.history import Mutant, pre_existing_counts, probability_resistant
from abm.biology.parameters import Parameters


def main() -> None:
    cells, capacity = 1e10, 1e11
    print("MET-amplified fraction of a 1e10-cell tumour at diagnosis, 2000 tumours per row (abm.biology.history)")
    print(
        f"{'division':>8s} {'rate':>8s} {'cost':>5s} {'P(f>=1%)':>9s} {'median f':>9s} {'q90 f':>9s}"
        f" {'P(surviving lineage)':>21s}"
    )
    for b in (0.04, 0.075):
        p = Parameters(division_rate=b)
        d = history_death_rate(p, int(cells), capacity)
        for mu in (1e-8, 1e-6, 1e-5, 3e-5, 1e-4, 3e-4):
            for cost in (0.0, 0.01):
                m = Mutant("met", mu, b * (1 - cost))
                f = pre_existing_counts(cells, b, d, [m], np.random.default_rng(0), size=2000)[:, 0] / cells
                surv = probability_resistant(cells, b, d, m)
                print(
                    f"{b:8.3f} {mu:8.0e} {cost:5.2f} {np.mean(f >= 0.01):9.3f} {np.median(f):9.1e} "
                    f"{np.quantile(f, 0.9):9.1e} {surv:21.3f}"
                )


if __name__ == "__main__":
    main()
