#!/usr/bin/env bash
# Write the outputs a refactoring must leave byte-identical (same seeds) from a checkout.
# usage: benchmarks/same_output/produce.sh CHECKOUT OUTDIR   (CHECKOUT has .venv, or a link to one)
set -euo pipefail
out=$(realpath -m "$2")
mkdir -p "$out"
cd "$1"
export PYTHONPATH=$PWD
py=.venv/bin/python
$py -m abm run scenarios/osimertinib-continuous.toml --seed 7 --quiet --out "$out/run-spatial"
$py -m abm run scenarios/clone-osimertinib.toml --seed 7 --quiet --out "$out/run-clone"
$py -m abm trial scenarios/trial-first-line.toml --patients 200 --seed 7 --out "$out/trial"
$py -m abm sweep scenarios/sweep-axl-timing.toml --workers 1 --quiet --out "$out/sweep"
