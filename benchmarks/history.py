"""Time per patient of abm.biology.history.pre_existing_counts at N = 1e10 and 1e11 (b = 0.04, d = 0.0363).

Three mutants (T790M-like neutral, MET-like costly, a subcritical one) at mu up to 1e-6. Times
one patient per call (the way a cohort builder calls it, after the first call has built the
cached grid) and the vectorised ``size=1000`` call, per patient. Prints one JSON line per N.

    python benchmarks/history.py [--calls 200]
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from abm.biology.history import Mutant, pre_existing_counts

B, D = 0.04, 0.0363


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200)
    args = parser.parse_args()
    mutants = [
        Mutant("T790M", 1e-6, B),
        Mutant.with_cost("MET", 2e-7, B, 0.05),
        Mutant.with_cost("subcritical", 1e-7, B, 0.2),
    ]
    rng = np.random.default_rng(0)
    for n_cells in (1e10, 1e11):
        start = time.perf_counter()
        pre_existing_counts(n_cells, B, D, mutants, rng)
        first = time.perf_counter() - start
        start = time.perf_counter()
        for _ in range(args.calls):
            pre_existing_counts(n_cells, B, D, mutants, rng)
        single = (time.perf_counter() - start) / args.calls
        start = time.perf_counter()
        pre_existing_counts(n_cells, B, D, mutants, rng, size=1000)
        batch = (time.perf_counter() - start) / 1000
        record = {"n_cells": n_cells, "first_call_ms": first * 1e3, "per_patient_ms": single * 1e3}
        record["per_patient_ms_size_1000"] = batch * 1e3
        print(json.dumps({k: round(v, 4) if isinstance(v, float) and k != "n_cells" else v for k, v in record.items()}))


if __name__ == "__main__":
    main()
