#!/usr/bin/env bash
# The shipped 200-run spatial sweep three ways, compared: uninterrupted on 2 workers; killed
# with SIGKILL (the sweep and its workers) once half the runs are written, then resumed; and
# on a Dask cluster (a scheduler and two single-threaded workers on 127.0.0.1).
#
#     benchmarks/sweep_kill_resume.sh [OUT]      # OUT: a new folder (default: a temporary one)
set -euo pipefail
cd "$(dirname "$0")/.."
ABM=.venv/bin/abm
SWEEP=scenarios/sweep-axl-timing.toml
OUT=${1:-$(mktemp -d)}
mkdir -p "$OUT"
PORT=${PORT:-8786}

echo "== $(date -u +%T) uninterrupted, 2 workers (load: $(cut -d' ' -f1-3 /proc/loadavg))"
/usr/bin/time -f "wall %e s" $ABM sweep $SWEEP --workers 2 --out "$OUT/straight" --quiet

echo "== $(date -u +%T) the same, killed halfway"
setsid $ABM sweep $SWEEP --workers 2 --out "$OUT/killed" --quiet >"$OUT/killed.log" 2>&1 &
GROUP=$!
until [ "$(find "$OUT/killed/runs" -name '*.json' 2>/dev/null | wc -l)" -ge 100 ]; do sleep 0.2; done
kill -KILL -- "-$GROUP"
wait "$GROUP" || true
sleep 2
echo "runs kept after SIGKILL: $(find "$OUT/killed/runs" -name '*.json' | wc -l) of 200;" \
  "runs.parquet written: $(test -e "$OUT/killed/runs.parquet" && echo yes || echo no);" \
  "processes left in the group: $(pgrep -g "$GROUP" | wc -l)"
echo "== $(date -u +%T) resumed"
/usr/bin/time -f "wall %e s" $ABM sweep $SWEEP --workers 2 --out "$OUT/killed" --quiet

echo "== $(date -u +%T) Dask: scheduler and 2 worker processes on 127.0.0.1:$PORT"
.venv/bin/dask scheduler --host 127.0.0.1 --port "$PORT" --no-dashboard >"$OUT/scheduler.log" 2>&1 &
SCHEDULER=$!
sleep 5
.venv/bin/dask worker "tcp://127.0.0.1:$PORT" --host 127.0.0.1 --nworkers 2 --nthreads 1 --no-dashboard \
  >"$OUT/worker.log" 2>&1 &
WORKER=$!
sleep 10
/usr/bin/time -f "wall %e s" $ABM sweep $SWEEP --scheduler "tcp://127.0.0.1:$PORT" --out "$OUT/dask" --quiet
kill "$WORKER"
sleep 3
kill "$SCHEDULER"
wait "$WORKER" "$SCHEDULER" 2>/dev/null || true

echo "== $(date -u +%T) compared (every column but seconds)"
.venv/bin/python - "$OUT" <<'EOF'
import sys

import pandas as pd

out = sys.argv[1]
tables = {name: pd.read_parquet(f"{out}/{name}/runs.parquet").drop(columns="seconds") for name in ("straight", "killed", "dask")}
for name, table in tables.items():
    print(f"{name}: {len(table)} rows, {table['status'].value_counts().to_dict()}")
for name in ("killed", "dask"):
    pd.testing.assert_frame_equal(tables["straight"], tables[name])
    print(f"{name} == straight: identical")
EOF
