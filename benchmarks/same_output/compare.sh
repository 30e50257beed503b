#!/usr/bin/env bash
# Byte comparison of the before/after outputs (same seeds). summary.json and manifest.json carry
# wall-clock timings (and so the manifest's sha256 of summary.json): compared without those fields.
# usage: benchmarks/same_output/compare.sh BEFORE AFTER   (two OUTDIRs of produce.sh)
set -uo pipefail
python=$(dirname "$(realpath "$0")")/../../.venv/bin/python
work=$(mktemp -d)
ln -s "$(realpath "$1")" "$work/before" && ln -s "$(realpath "$2")" "$work/after"
cd "$work"
for f in run-spatial/timeseries.csv run-spatial/states.csv run-spatial/snapshots.npz \
         run-clone/timeseries.csv run-clone/states.csv run-clone/lineage.csv run-clone/clones.csv \
         trial/patients.csv trial/summary.json trial/manifest.json sweep/design.parquet sweep/sweep.json; do
  echo "cmp before/$f after/$f"; cmp before/$f after/$f && echo "  identical"
done
"$python" - <<'PY'
import json
import pandas as pd
a = pd.read_parquet("before/sweep/runs.parquet").drop(columns="seconds")
b = pd.read_parquet("after/sweep/runs.parquet").drop(columns="seconds")
print("sweep/runs.parquet minus seconds: equals", a.equals(b), a.shape)
import pathlib
names = sorted(p.name for p in pathlib.Path("before/sweep/runs").glob("*.json"))
assert names == sorted(p.name for p in pathlib.Path("after/sweep/runs").glob("*.json"))
same = sum(
    {k: v for k, v in json.load(open(f"before/sweep/runs/{n}")).items() if k != "seconds"}
    == {k: v for k, v in json.load(open(f"after/sweep/runs/{n}")).items() if k != "seconds"}
    for n in names
)
print(f"sweep/runs/*.json: {len(names)} files, {same} equal without 'seconds'")
TIMING = {"timing"}  # wall-clock seconds and rates of the run
def strip(d):
    if isinstance(d, dict):
        return {k: strip(v) for k, v in d.items() if k not in TIMING}
    return d
for r in ("run-spatial", "run-clone"):
    x, y = (json.load(open(f"{s}/{r}/summary.json")) for s in ("before", "after"))
    diff = sorted(k for k in set(x) | set(y) if x.get(k) != y.get(k))
    print(f"{r}/summary.json: keys that differ: {diff}; equal without timings: {strip(x) == strip(y)}")
for r in ("run-spatial", "run-clone", "trial", "sweep"):
    if r == "sweep":
        continue  # a sweep folder is resumable in place: no manifest
    x, y = (json.load(open(f"{s}/{r}/manifest.json")) for s in ("before", "after"))
    same = [k for k in x["files"] if x["files"][k] == y["files"].get(k)]
    other = [k for k in x["files"] if k not in same]
    print(f"{r}/manifest.json: kind {x['kind']}=={y['kind']}, same size+sha256: {same}, differ: {other}")
PY
