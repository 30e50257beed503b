"""One self-contained HTML report of a result folder: ``build_report(folder)``.

It finds what the folder holds (a run, a trial, a validation, a sweep; see
``abm.report.results.detect``), draws that kind's figures into ``folder/figures/*.png`` and
writes ``folder/report.html`` with every figure embedded (base64) and its summary table
beside it. Only the result files are read, so it works on old runs and copied results.
"""

from __future__ import annotations

import base64
import html
import io
import math
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from abm.clinic.readouts import BIOPSY_COLUMNS
from abm.experiments.sweep.summary import censored_medians
from abm.experiments.sweep.summary import is_censored_metric as censored_metric
from abm.experiments.trial_stats import wilson_ci
from abm.experiments.validation import DAYS_PER_MONTH
from abm.io.errors import InputError
from abm.io.output import atomic_write, atomic_write_bytes
from abm.io.schema import (
    CI,
    DAYS_SIMULATED,
    HAZARD_RATIOS,
    HAZARD_RATIOS_PFS2,
    HIGH,
    LOW,
    MECHANISM,
    MECHANISMS_AT_PROGRESSION,
    MEDIAN_PFS2_CI,
    MEDIAN_PFS2_DAYS,
    MEDIAN_PFS_CI,
    MEDIAN_PFS_DAYS,
    ORR,
    PASSED,
    PATIENTS,
    PRIMARY_RESISTANCE,
    PROGRESSED,
    SETTING,
    SIMULATED,
    SOURCE,
    STATUS,
    TARGETS,
    UNIT,
)
from abm.report.citations import readable_source
from abm.report.figures import optimise as optimise_figures
from abm.report.figures import run as run_figures
from abm.report.figures import sweep as sweep_figures
from abm.report.figures import trial as trial_figures
from abm.report.figures import validation as validation_figures
from abm.report.figures.style import LABELS
from abm.report.results import MARKERS, detect, has, read_csv, read_json, read_parquet

FIGURES = "figures"
MAX_SWEEP_METRICS = 4  # figures per metric beyond these would bury the report


@dataclass
class Item:
    """One figure with its caption, or a table, in a section of the report."""

    title: str
    caption: str = ""
    png: str | None = None  # file name under figures/
    error: str | None = None  # the figure could not be drawn
    tables: list[tuple[str, pd.DataFrame]] = field(default_factory=list)


@dataclass
class Section:
    kind: str
    title: str
    items: list[Item] = field(default_factory=list)


def build_report(folder: Path | str) -> Path:
    """Draw every figure the folder's results allow and write ``folder/report.html``; returns its path."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(str(folder), "", "no such folder")
    kinds = detect(folder)
    if not kinds:
        wanted = ", ".join(f"{m} ({k})" for k, m in MARKERS.items())
        raise InputError(str(folder), "", f"holds no result to report on; expected one of {wanted}")
    builders = {
        "run": _run_section,
        "trial": _trial_section,
        "validation": _validation_section,
        "sweep": _sweep_section,
        "optimise": _optimise_section,
    }
    sections = [_section(builders[kind], folder, kind) for kind in kinds]
    path = folder / "report.html"
    atomic_write(path, lambda f: f.write(_html(folder, sections)))
    return path


def _section(build: Callable[[Path], Section], folder: Path, kind: str) -> Section:
    """One kind's section; result files that are readable but not what abm writes are one InputError."""
    try:
        return build(folder)
    except (KeyError, TypeError, ValueError, IndexError, AttributeError) as error:
        problem = f"{type(error).__name__}: {error}".replace("\n", " ")[:200]
        raise InputError(str(folder / MARKERS[kind]), "", f"not the {kind} results abm writes ({problem})") from None


def _draw(folder: Path, name: str, title: str, caption: str, make: Callable[[], Figure]) -> Item:
    """Draw one figure to figures/NAME.png; a figure that fails is reported, not fatal."""
    item = Item(title, caption)
    try:
        fig = make()
    except Exception as error:  # one bad figure must not lose the others
        item.error = f"{type(error).__name__}: {error}"
        print(f"abm report: {name}: {item.error}", file=sys.stderr)
        return item
    out = folder / FIGURES / f"{name}.png"
    out.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight", pad_inches=0.05)
    atomic_write_bytes(out, buffer.getvalue())
    item.png = out.name
    return item


# --- runs ------------------------------------------------------------------------------------
def _run_section(folder: Path) -> Section:
    summary = read_json(folder / "summary.json") if (folder / "summary.json").is_file() else {}
    section = Section("run", f"Run: {summary.get('scenario', folder.name)}")
    facts = {
        "scenario": summary.get("scenario"),
        "model": summary.get("kind"),
        "seed": summary.get("seed"),
        "days simulated": summary.get(DAYS_SIMULATED),
        "cells on day 0": summary.get("initial", {}).get("total"),
        "nadir (cells, day)": f"{summary['nadir']['total']:,} on day {summary['nadir']['day']}"
        if "nadir" in summary
        else None,
        "cells at the end": summary.get("final", {}).get("total"),
        "fraction alive": summary.get("fraction_alive"),
        "schedule": "; ".join(", ".join(f"{k}={v}" for k, v in b.items()) for b in summary.get("schedule", [])),
    }
    key_table = pd.DataFrame({"": list(facts), "value": [_fmt(v) for v in facts.values()]})
    counts = pd.DataFrame(
        {
            "cells": [LABELS[c] for c in summary.get("initial", {}) if c != "total"],
            "day 0": [_fmt(v) for c, v in summary.get("initial", {}).items() if c != "total"],
            "end": [_fmt(v) for c, v in summary.get("final", {}).items() if c != "total"],
        }
    )
    section.items.append(
        _draw(
            folder,
            "run-muller",
            "Mechanisms over time (Muller plot)",
            "Share of tumour cells in each clone or state over time, nested by ancestry where the clone model "
            "recorded it (lineage.csv), else by mechanism sets (states.csv).",
            lambda: run_figures.muller_figure(folder),
        )
    )
    section.items[-1].tables.append(("Run", key_table))
    section.items.append(
        _draw(
            folder,
            "run-burden",
            "Tumour burden and drug doses",
            "Tumour cells and cells carrying each mechanism (log scale); each drug's plasma concentration (the "
            "day's average of the one-compartment model, over the standard regimen's steady-state average: 1 is "
            "the calibrated exposure; with [clinical] pk = false a readout the model does not act on); below, each "
            "drug's relative dose by day (its dose days).",
            lambda: run_figures.burden_figure(folder),
        )
    )
    section.items[-1].tables.append(("Cells by mechanism (a cell with two mechanisms counts in both)", counts))
    if has(folder, "snapshots.npz"):
        section.items.append(
            _draw(
                folder,
                "run-snapshots",
                "Lattice snapshots",
                "The lattice on the snapshot days; each cell in the colour of its lead mechanism "
                "(genetic before expression states).",
                lambda: run_figures.snapshots_figure(folder),
            )
        )
    return section


# --- trials ----------------------------------------------------------------------------------
def _trial_summary(folder: Path, patients: pd.DataFrame) -> dict:
    path = folder / "summary.json"
    if path.is_file():
        summary = read_json(path)
        if "arms" in summary:
            return summary
    from abm.experiments.trial_stats import summarise_trial

    return summarise_trial(patients, trial_figures.arms_of(patients))


def _trial_section(folder: Path) -> Section:
    patients = read_csv(folder / "patients.csv")
    summary = _trial_summary(folder, patients)
    section = Section("trial", f"Trial: {summary.get('trial', folder.name)}")
    second = set(trial_figures.second_line_arms(patients))
    arms = pd.DataFrame(
        [
            {
                "arm": f"{k + 1} {arm}",
                "patients": s["patients"],
                "progressed": s[PROGRESSED],
                "median PFS, months (95% CI)": _months(s[MEDIAN_PFS_DAYS], s[MEDIAN_PFS_CI]),
                # PFS2 only where the arm follows patients past a first progression
                "median PFS2, months (95% CI)": _months(s.get(MEDIAN_PFS2_DAYS), s.get(MEDIAN_PFS2_CI, [None, None]))
                if arm in second
                else "no next line",
                "ORR (95% CI)": _share(s[ORR], s[PATIENTS]),
                "primary resistance (95% CI)": _share(s[PRIMARY_RESISTANCE], s[PATIENTS]),
            }
            for k, (arm, s) in enumerate(summary["arms"].items())
        ]
    )
    hrs = pd.DataFrame(
        [
            {
                "endpoint": endpoint,
                "arm": h["arm"],
                "vs": h["reference"],
                "HR (95% CI)": "not estimable"
                if h["hr"] is None or None in h["ci"]
                else f"{h['hr']:.2f} ({h['ci'][0]:.2f}-{h['ci'][1]:.2f})",
            }
            for endpoint, key in (("PFS", HAZARD_RATIOS), ("PFS2", HAZARD_RATIOS_PFS2))
            for h in summary.get(key, [])
        ]
    )
    mechanisms = pd.DataFrame(
        {"mechanism": [LABELS[m] for m in BIOPSY_COLUMNS]}
        | {
            arm: [_pct(s[MECHANISMS_AT_PROGRESSION].get(m, 0.0)) for m in BIOPSY_COLUMNS]
            for arm, s in summary["arms"].items()
        }
    )
    km = _draw(
        folder,
        "trial-km",
        "Progression-free survival",
        "Kaplan-Meier PFS per arm (lifelines); the first (reference) arm with its 95% confidence band; each "
        "median (95% CI) and hazard ratio against the first arm (Cox, 95% CI) in the legend; thin lines drop "
        "each median from the 50% line; numbers at risk below, rows keyed by the arm's number.",
        lambda: trial_figures.km_figure(folder),
    )
    km.tables += [("Arms", arms)] + ([("Hazard ratios (Cox)", hrs)] if len(hrs) else [])
    section.items.append(km)
    if second:
        section.items.append(
            _draw(
                folder,
                "trial-pfs2",
                "PFS2: progression on the next line",
                "Kaplan-Meier PFS2 (time from the start of treatment to progression on the line given after the "
                "first progression) on each arm that has such a line, the first with its 95% CI band; dotted: "
                "the same arm's PFS. Medians (95% CI) in the legend and the Arms table.",
                lambda: trial_figures.km_figure(folder, endpoint="PFS2"),
            )
        )
    bars = _draw(
        folder,
        "trial-mechanisms",
        "Mechanisms at progression",
        "Share of progressed patients whose rebiopsy found each mechanism (95% Wilson CI), with the "
        "reviewed ranges of biology.md (abm.experiments.validation.TARGETS) drawn over the arms they apply to.",
        lambda: trial_figures.mechanisms_figure(folder),
    )
    bars.tables.append(("Mechanisms at progression (share of progressed patients)", mechanisms))
    section.items.append(bars)
    section.items.append(
        _draw(
            folder,
            "trial-swimmer",
            "Swimmer plot",
            f"The first {trial_figures.SWIMMERS} patients, one row each on every arm (sorted by PFS on the first "
            "arm): time on the first line (arm colour) and on the next line after a first progression (grey), "
            "best response, first progression (tick), progression on the next line (cross), censoring (arrow) "
            "and eradication (open circle: no tumour cell left, follow-up stops there).",
            lambda: trial_figures.swimmer_figure(folder),
        )
    )
    return section


# --- validation ------------------------------------------------------------------------------
def _validation_section(folder: Path) -> Section:
    data = read_json(folder / "validation.json")
    section = Section("validation", "Validation against the reviewed frequencies")
    rows = pd.DataFrame(
        [
            {
                "setting": r[SETTING],
                "mechanism": LABELS.get(r[MECHANISM], r[MECHANISM]),
                "reviewed": _range(r[LOW], r[HIGH], r[UNIT]),
                "simulated (95% CI)": f"{_value(r[SIMULATED], r[UNIT])} "
                f"({_value(r[CI][0], r[UNIT])}-{_value(r[CI][1], r[UNIT])})",
                "n": r[PATIENTS],
                "result": "pass" if r[PASSED] else "FAIL",
                "with the 95% CI": validation_figures.VERDICTS[validation_figures.verdict(r)][3].split(": ")[0],
                "source": readable_source(r[SOURCE]),
                "biology.md label": r[SOURCE],
            }
            for r in data[TARGETS]
        ]
    )
    item = _draw(
        folder,
        "validation-forest",
        "Simulated values against the reviewed ranges",
        "One row per target: the reviewed range (grey) and the simulated value with its 95% CI. A target "
        "passes (as abm validate counts it) when the simulated value lies in the range; the marker also says "
        "where the CI lies: filled, the whole CI in the range; half-filled, the point in it but the CI "
        "crossing an end; open circle, the point outside but the CI overlapping the range; open diamond, the "
        "whole CI outside. Sources beside each row.",
        lambda: validation_figures.validation_figure(folder),
    )
    item.tables.append(("Targets", rows))
    section.items.append(item)
    return section


# --- sweeps ----------------------------------------------------------------------------------
def _sweep_section(folder: Path) -> Section:
    spec = read_json(folder / "sweep.json")
    runs = read_parquet(folder / "runs.parquet")
    section = Section("sweep", f"Sweep: {spec.get('name', folder.name)}")
    params, metrics = list(spec.get("parameters", [])), list(spec.get("metrics", []))[:MAX_SWEEP_METRICS]
    done = runs[runs[STATUS] == "done"]
    status = pd.DataFrame(
        {
            "": ["design", "kind", "base", "parameters", "metrics", "replicates", "seed", "runs", "done", "failed"],
            "value": [
                spec.get("design"),
                spec.get("kind"),
                spec.get("base"),
                ", ".join(params),
                ", ".join(spec.get("metrics", [])),
                spec.get("replicates"),
                spec.get("seed"),
                len(runs),
                len(done),
                int((runs[STATUS] == "failed").sum()),
            ],
        }
    )
    first = True
    for metric in metrics:
        if len(params) >= 2 and all(runs[p].nunique() <= 30 for p in params[:2]):
            x, y = params[0], params[1]
            item = _draw(
                folder,
                f"sweep-heatmap-{_slug(metric)}",
                f"{sweep_figures.label(spec, metric)} over {sweep_figures.label(spec, x)} and "
                f"{sweep_figures.label(spec, y)}",
                "Kaplan-Meier median over the finished replicates of each grid point, with the number of runs "
                "censored at the run's end (the day is set to the run's length when the event did not happen: "
                "censored, not observed); hatched: median not reached."
                if censored_metric(metric, done)
                else "Mean ± SD over the finished replicates of each grid point (n shown where replicates failed).",
                lambda m=metric, x=x, y=y: sweep_figures.heatmap_figure(folder, m, x, y),
            )
            if censored_metric(metric, done):
                medians = censored_medians(done, [x, y], metric)
                item.tables.append((f"Kaplan-Meier medians of {metric} (95% CI)", medians.round(1)))
            else:
                means = sweep_figures.replicate_means(done, [x, y], metric)
                item.tables.append((f"Replicate means of {metric}", means.round(4)))
            if first:
                item.tables.insert(0, ("Sweep", status))
                first = False
            section.items.append(item)
        for x in params[:4]:
            item = _draw(
                folder,
                f"sweep-line-{_slug(metric)}-{_slug(x)}",
                f"{sweep_figures.label(spec, metric)} against {sweep_figures.label(spec, x)}",
                "Kaplan-Meier median over replicates with its 95% CI (censored runs counted as censored); "
                "triangles: median not reached."
                if censored_metric(metric, done)
                else "Replicate mean ± 1 SD; dots: single replicates. Lines of a second setting are set "
                "slightly apart so their bars do not overlap.",
                lambda m=metric, x=x: sweep_figures.line_figure(folder, m, x),
            )
            if first:
                item.tables.insert(0, ("Sweep", status))
                first = False
            section.items.append(item)
    path = folder / "sensitivity.csv"
    if path.is_file():
        table = read_csv(path)
        for (method, metric), rows in table.groupby(["method", "metric"], sort=False):
            item = _draw(
                folder,
                f"sweep-sensitivity-{_slug(method)}-{_slug(metric)}",
                f"Sensitivity of {metric} ({method})",
                "Parameters ranked by their index, with 95% CIs.",
                lambda me=method, mt=metric: sweep_figures.sensitivity_figure(folder, me, mt),
            )
            columns = (
                ["parameter", "mu_star", "mu_star_conf", "sigma"]
                if method == "morris"
                else ["parameter", "S1", "S1_conf", "ST", "ST_conf"]
            )
            item.tables.append((f"{method} indices", rows[[c for c in columns if c in rows]].round(4)))
            section.items.append(item)
    failed = runs[runs[STATUS] == "failed"]
    if len(failed):
        section.items.append(
            Item(
                "Failed runs", tables=[("Failed runs", failed[["run", "point", "replicate", "seed", "error"]].head(50))]
            )
        )
    if first and section.items:
        section.items[0].tables.insert(0, ("Sweep", status))
    elif first:
        section.items.append(Item("Sweep", tables=[("Sweep", status)]))
    return section


# --- schedule optimisation ---------------------------------------------------------------------
def _optimise_section(folder: Path) -> Section:
    spec = read_json(folder / "optimise.json")
    trials = read_csv(folder / "trials.csv")
    section = Section("optimise", f"Schedule optimisation: {spec.get('name', folder.name)}")
    objectives = list(spec["objectives"])
    status = pd.DataFrame(
        {
            "": ["arm searched", "reference", "objectives", "free settings", "trials", "feasible"],
            "value": [
                spec["arm"],
                spec["reference"],
                ", ".join(f"{o} ({d})" for o, d in zip(objectives, spec["directions"], strict=True)),
                ", ".join(spec["parameters"]),
                len(trials),
                int(trials["feasible"].sum()),
            ],
        }
    )
    item = _draw(
        folder,
        "optimise-history",
        "Optimisation history",
        f"{objectives[0]} of each trial on the search cohort; line: best so far; dashed: the reference arm; "
        "crosses: infeasible (not simulated) or failed.",
        lambda: optimise_figures.history_figure(folder),
    )
    item.tables.append(("Study", status))
    section.items.append(item)
    if len(objectives) == 2:
        section.items.append(
            _draw(
                folder,
                "optimise-pareto",
                "Pareto front",
                f"{objectives[0]} against {objectives[1]} of the feasible trials; "
                "the front: the trials no other trial beats on both.",
                lambda: optimise_figures.pareto_figure(folder),
            )
        )
    section.items.append(
        _draw(
            folder,
            "optimise-slices",
            "Objective against each setting",
            "Each feasible trial; colour: trial number (later trials cluster where the sampler expects the best).",
            lambda: optimise_figures.slice_figure(folder),
        )
    )
    if (folder / "importance.csv").is_file():
        item = _draw(
            folder,
            "optimise-importance",
            "Parameter importance",
            "fANOVA (Optuna): the share of the objective's variance over the feasible trials each setting explains.",
            lambda: optimise_figures.importance_figure(folder),
        )
        item.tables.append(("Importance", read_csv(folder / "importance.csv").round(3)))
        section.items.append(item)
    if (folder / "reevaluated_patients.csv").is_file():
        item = _draw(
            folder,
            "optimise-km",
            "Best schedules against the reference, on a fresh cohort",
            "Kaplan-Meier PFS on the re-evaluation cohort (another seed, more patients), 95% CI bands.",
            lambda: trial_figures.km_figure(folder, "reevaluated_patients.csv"),
        )
        if (folder / "reevaluation.csv").is_file():
            item.tables.append(("Re-evaluated", read_csv(folder / "reevaluation.csv").round(3)))
        section.items.append(item)
    return section


# --- formatting ------------------------------------------------------------------------------
def _slug(text: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in text).strip("-").lower()


def _fmt(value: object) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return "n/a" if math.isnan(value) else f"{value:.4g}"
    return str(value)


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.0%}"


def _share(x: float | None, n: int) -> str:
    """'84% (78-88%)': a share of n patients with its Wilson 95% CI."""
    if x is None or not n:
        return "n/a"
    low, high = wilson_ci(round(x * n), n)
    return f"{x:.0%} ({low:.0%}-{high:.0%})"


def _months(days: float | None, ci: list) -> str:
    def m(x: float | None) -> str:
        return "NR" if x is None else f"{x / DAYS_PER_MONTH:.1f}"

    return f"{m(days)} ({m(ci[0])}-{m(ci[1])})"


def _value(x: float | None, unit: str) -> str:
    if x is None:
        return "n/a"
    return f"{x:.1f}" if unit == "months" else f"{x:.1%}"


def _range(low: float, high: float, unit: str) -> str:
    return f"{_value(low, unit)}-{_value(high, unit)}" + (" months" if unit == "months" else "")


STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1400px; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.25em; border-bottom: 1px solid #ccc; padding-bottom: .2em; margin-top: 2em; }
h3 { font-size: 1.05em; margin-bottom: .3em; }
.item { display: flex; flex-wrap: wrap; gap: 1.5em; align-items: flex-start; margin-bottom: 2em; }
.figure { flex: 1 1 640px; max-width: 860px; } .figure img { width: 100%; height: auto; border: 1px solid #eee; }
.caption { font-size: .85em; color: #555; } .tables { flex: 1 1 360px; font-size: .85em; }
table { border-collapse: collapse; margin-bottom: 1em; } th, td { padding: 2px 8px; border-bottom: 1px solid #e5e5e5;
text-align: left; } th { background: #f5f5f5; } .error { color: #b00; }
"""


def _html(folder: Path, sections: list[Section]) -> str:
    from abm.version import __version__

    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>abm report: {html.escape(folder.name)}</title><style>{STYLE}</style></head><body>",
        f"<h1>abm report: {html.escape(str(folder))}</h1>",
        f"<p class='caption'>Contents: {', '.join(html.escape(s.title) for s in sections)}. "
        f"Made by abm {__version__} (<code>abm report</code>) from the result files alone; "
        f"the figures are also in <code>{FIGURES}/</code>.</p>",
    ]
    for section in sections:
        parts.append(f"<h2>{html.escape(section.title)}</h2>")
        for item in section.items:
            parts.append("<div class='item'><div class='figure'>")
            parts.append(f"<h3>{html.escape(item.title)}</h3>")
            if item.png:
                data = base64.b64encode((folder / FIGURES / item.png).read_bytes()).decode("ascii")
                parts.append(f"<img alt='{html.escape(item.title)}' src='data:image/png;base64,{data}'>")
            if item.error:
                parts.append(f"<p class='error'>This figure could not be drawn: {html.escape(item.error)}</p>")
            if item.caption:
                parts.append(f"<p class='caption'>{html.escape(item.caption)}</p>")
            parts.append("</div><div class='tables'>")
            for title, table in item.tables:
                parts.append(f"<h3>{html.escape(title)}</h3>")
                parts.append(table.to_html(index=False, border=0, na_rep="n/a"))
            parts.append("</div></div>")
    parts.append("</body></html>\n")
    return "\n".join(parts)
