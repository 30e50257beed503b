"""Figures of a schedule optimisation (``abm optimise``): the optimisation history, the Pareto
front of two objectives, each free setting against the first objective, the settings'
importance, and the best schedules' Kaplan-Meier curves against the reference on the fresh
cohort.

Inputs are the files ``abm optimise`` writes: ``optimise.json``, ``trials.csv`` (one row per
trial: its settings, ``objective.<name>``, ``feasible``, statistics), ``importance.csv`` and
``reevaluation.csv`` / ``reevaluated_patients.csv``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from abm.report.figures.style import OTHER, figure, rc

FEASIBLE = "#0072B2"
BEST = "#D55E00"


def _read(folder: Path) -> tuple[dict, pd.DataFrame]:
    spec = json.loads((Path(folder) / "optimise.json").read_text())
    return spec, pd.read_csv(Path(folder) / "trials.csv")


def _label(objective: str) -> str:
    return objective.replace("_days", " (days)").replace("_", " ").replace("exposure ", "planned dose-days of ")


def history_figure(folder: Path) -> Figure:
    """The first objective of each trial in order, the best so far, the reference on the search cohort."""
    spec, trials = _read(folder)
    objective, way = spec["objectives"][0], spec["directions"][0]
    column = f"objective.{objective}"
    ok = trials[trials["feasible"]]
    with rc():
        fig, ax = figure(2.8, 5.5)
        ax.scatter(ok["trial"], ok[column], s=10, color=FEASIBLE, label="feasible trial", zorder=3)
        bad = trials[~trials["feasible"]]
        if len(bad):
            low = ok[column].min() if len(ok) else 0.0
            ax.scatter(
                bad["trial"], np.full(len(bad), low), marker="x", s=10, color=OTHER, label="infeasible or failed"
            )
        if len(ok):
            best = ok[column].cummax() if way == "maximize" else ok[column].cummin()
            ax.step(ok["trial"], best, where="post", color=BEST, lw=1.2, label="best so far")
        reference = spec.get("reference_search", {}).get(objective)
        if reference is not None:
            ax.axhline(reference, color="black", lw=0.8, ls="--", label=f"reference: {spec['reference']}")
        ax.set_xlabel("trial")
        ax.set_ylabel(_label(objective))
        ax.set_title(f"Optimisation history ({'higher' if way == 'maximize' else 'lower'} is better)", loc="left")
        ax.legend(loc="best")
    return fig


def pareto_figure(folder: Path) -> Figure:
    """Two objectives of every feasible trial, the Pareto front joined, the re-evaluated ones named."""
    spec, trials = _read(folder)
    first, second = spec["objectives"]
    x, y = f"objective.{second}", f"objective.{first}"
    ok = trials[trials["feasible"]]
    signs = [1.0 if d == "maximize" else -1.0 for d in spec["directions"]]
    scores = np.column_stack([ok[y] * signs[0], ok[x] * signs[1]])
    front = np.array([not np.any(np.all(scores >= s, axis=1) & np.any(scores > s, axis=1)) for s in scores])
    with rc():
        fig, ax = figure(3.2, 4.8)
        ax.scatter(ok[x], ok[y], s=10, color=FEASIBLE, alpha=0.6, label="feasible trial")
        on = ok[front].sort_values(x)
        ax.step(on[x], on[y], where="post", color=BEST, lw=1.2)
        ax.scatter(on[x], on[y], s=22, color=BEST, label="Pareto front", zorder=3)
        path = Path(folder) / "reevaluation.csv"
        if path.is_file():
            picked = pd.read_csv(path)["trial"].dropna().astype(int)
            for _, row in ok[ok["trial"].isin(picked)].iterrows():
                ax.annotate(
                    f"{int(row['trial'])}", (row[x], row[y]), xytext=(3, 3), textcoords="offset points", fontsize=6
                )
        reference = spec.get("reference_search", {}).get(first)
        if reference is not None:
            ax.axhline(reference, color="black", lw=0.8, ls="--", label=f"reference: {spec['reference']}")
        ax.set_xlabel(_label(second))
        ax.set_ylabel(_label(first))
        ax.set_title("Pareto front (numbers: re-evaluated trials)", loc="left")
        ax.legend(loc="best")
    return fig


def slice_figure(folder: Path) -> Figure:
    """The first objective against each free setting (feasible trials; colour: trial order)."""
    spec, trials = _read(folder)
    objective = spec["objectives"][0]
    ok = trials[trials["feasible"]]
    names = spec["parameters"]
    with rc():
        fig, axes = figure(2.4, 2.3 * len(names), ncols=len(names), squeeze=False)
        for ax, name in zip(axes[0], names, strict=True):
            values = ok[name]
            if not pd.api.types.is_numeric_dtype(values):
                codes = {v: k for k, v in enumerate(dict.fromkeys(values))}
                ax.set_xticks(list(codes.values()), list(codes), rotation=30, ha="right")
                values = values.map(codes)
            points = ax.scatter(values, ok[f"objective.{objective}"], s=10, c=ok["trial"], cmap="viridis")
            ax.set_xlabel(name)
        axes[0][0].set_ylabel(_label(objective))
        fig.colorbar(points, ax=axes[0][-1], label="trial")
        fig.suptitle(f"{_label(objective)} against each free setting (feasible trials)", x=0.02, ha="left", fontsize=9)
    return fig


def importance_figure(folder: Path) -> Figure:
    """fANOVA importance of each free setting, per objective."""
    spec, _ = _read(folder)
    table = pd.read_csv(Path(folder) / "importance.csv")
    objectives = list(dict.fromkeys(table["objective"]))
    with rc():
        fig, axes = figure(
            0.5 + 0.35 * len(spec["parameters"]), 3.0 * len(objectives), ncols=len(objectives), squeeze=False
        )
        for ax, objective in zip(axes[0], objectives, strict=True):
            rows = table[table["objective"] == objective].sort_values("importance")
            ax.barh(rows["parameter"], rows["importance"], color=FEASIBLE)
            ax.set_xlim(0, 1)
            ax.set_xlabel("importance (fANOVA share of variance)")
            ax.set_title(_label(objective), loc="left")
    return fig
