"""Read a search log (``search.py``): global sensitivity and the best points.

Global sensitivity: Spearman rank correlation of each target's simulated value with each
coordinate of the box over all points (log10 of log-scale coordinates; a rank correlation is
the same either way). Printed as a table of the strongest (|rho| >= 0.2); ``--csv`` writes the
whole matrix. Also: how many points pass each target, the best points by distance, and checks of
structural claims (HER2 after osimertinib below HER2 after gefitinib; PD at the first scan).

    python -m abm.report.explore_issue14.analyse_search abm/report/explore_issue14/results/lhs-wide.jsonl
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

from abm.report.explore_issue14.batch import short_name


def load(path: Path) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, list[dict]]:
    entries = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    x = pd.DataFrame([e["values"] for e in entries])
    y = pd.DataFrame(
        [{short_name(r): np.nan if r["simulated"] is None else r["simulated"] for r in e["rows"]} for e in entries]
    )
    ok = pd.DataFrame([{short_name(r): r["pass"] for r in e["rows"]} for e in entries])
    return x, y, ok, entries


def _show(name: str, v: float) -> str:
    if v != v:
        return "nan"
    if name.startswith("PFS"):
        return f"{v:.1f}"
    return f"{v:.0f}" if name == "VDT" else f"{100 * v:.0f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("log", type=Path, nargs="+")
    ap.add_argument("--csv", type=Path, help="write the full Spearman matrix here")
    ap.add_argument("--best", type=int, default=10)
    args = ap.parse_args()
    parts = [load(p) for p in args.log]
    x = pd.concat([p[0] for p in parts], ignore_index=True)
    y = pd.concat([p[1] for p in parts], ignore_index=True)
    ok = pd.concat([p[2] for p in parts], ignore_index=True)
    entries = [e for p in parts for e in p[3]]
    print(f"{len(x)} points")
    targets = [c for c in y.columns if not c.startswith("erad")]
    ten = ["T790Mg", "METg", "AXLg", "METu", "METo", "T790Mo", "MET2", "prim", "PFSg", "PFSo"]
    rho = pd.DataFrame(index=x.columns, columns=targets, dtype=float)
    for t in targets:
        for c in x.columns:
            keep = y[t].notna() & np.isfinite(y[t])
            if keep.sum() > 10 and y.loc[keep, t].nunique() > 1:
                rho.loc[c, t] = spearmanr(x.loc[keep, c], y.loc[keep, t]).statistic
    if args.csv:
        rho.round(3).to_csv(args.csv)
    print("\nSpearman rho (|rho| >= 0.2 shown, + raises the target's value)")
    shown = rho.where(rho.abs() >= 0.2)
    with pd.option_context("display.width", 250, "display.max_columns", 40):
        print(shown.map(lambda v: "" if pd.isna(v) else f"{v:+.2f}").to_string())
    print("\npoints passing each target:")
    print((ok.sum()).to_string())
    ten = ok[ten].sum(axis=1)
    print("\npoints by number of the ten passing:", ten.value_counts().sort_index().to_dict())
    d = pd.Series([e["distance"] for e in entries])
    order = d.sort_values().index[: args.best]
    print(f"\nbest {args.best} by distance (ten validation rows):")
    for i in order:
        e = entries[i]
        vals = " ".join(f"{k}={v:.3g}" for k, v in e["values"].items())
        outs = " ".join(
            f"{n}={_show(n, v)}" + ("" if p else "*")
            for n, v, p in zip(y.columns, y.loc[i], ok.loc[i], strict=True)
            if not n.startswith(("erad", "dish"))
        )
        print(f"[{e['label']}] d={d[i]:.2f} pass={ten[i]}/10\n   {outs}\n   {vals}")
    # structural checks
    her2 = y[["HER2g", "HER2o"]].dropna()
    print(
        f"\nHER2 after osimertinib < HER2 after gefitinib / 3 in {(her2.HER2o < her2.HER2g / 3).sum()} of {len(her2)} "
        f"points (003 §3.5: ~12% vs 2-3%); HER2o <= HER2g in {(her2.HER2o <= her2.HER2g).sum()}"
    )
    print(f"primary resistance > 0 in {(y['prim'] > 0).sum()} of {len(y)} points; max {y['prim'].max():.3f}")
    print(f"untreated MET > 0 in {(y['METu'] > 0).sum()} of {len(y)} points; max {y['METu'].max():.3f}")


if __name__ == "__main__":
    main()
