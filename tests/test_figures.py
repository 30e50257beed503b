"""Figures check their data: Muller layers partition the tumour, KM medians and reviewed
ranges drawn equal the tables', heatmap cells are replicate means, run outputs add up."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.image import AxesImage

from abm.biology.drugs import DRUG_NAMES, DRUGS
from abm.biology.mechanisms import COUNT_COLUMNS, N_STATES, describe
from abm.biology.pharmacokinetics import daily_concentrations
from abm.config.scenario import ScenarioConfig
from abm.experiments.run import run_scenario, write_run
from abm.experiments.trial_stats import summarise_trial
from abm.experiments.validation import DAYS_PER_MONTH, TARGETS
from abm.report.citations import readable_source
from abm.report.colours import DRUG_COLOURS, MECHANISM_COLOURS
from abm.report.figures import run as run_figures
from abm.report.figures import sweep as sweep_figures
from abm.report.figures import trial as trial_figures
from abm.report.figures import validation as validation_figures
from tests.conftest import documented_targets
from tests.synthetic import SWEEP_METRIC, SWEEP_X, SWEEP_Y, write_grid_sweep, write_sensitivity

CLONE = {
    "name": "clone figure test",
    "model": {"kind": "clone", "initial_cells": 10**6, "days": 150, "seed": 3},
    "parameters": {"met_amplified_initial_fraction": 0.01, "t790m_initial_fraction": 0.001},
    "schedule": [{"drug": "gefitinib"}],
}
SPATIAL = {
    "name": "spatial figure test",
    "model": {"width": 30, "height": 30, "initial_cells": 200, "days": 40, "seed": 1},
    "parameters": {"axl_induction_rate": 0.01},
    "schedule": [{"drug": "osimertinib"}, {"drug": "bemcentinib", "stop": 10}],
}


@pytest.fixture(scope="module")
def clone_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("clone")
    write_run(run_scenario(ScenarioConfig.model_validate(CLONE), progress=False), out)
    return out


@pytest.fixture(scope="module")
def spatial_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("spatial")
    write_run(run_scenario(ScenarioConfig.model_validate(SPATIAL), progress=False, snapshots=(0, 7, 40, 999)), out)
    return out


def test_one_colour_per_mechanism_and_drug() -> None:
    assert set(MECHANISM_COLOURS) == set(COUNT_COLUMNS)
    assert len(set(MECHANISM_COLOURS.values())) == len(COUNT_COLUMNS)
    assert set(DRUG_COLOURS) == set(DRUG_NAMES)
    assert len(set(DRUG_COLOURS.values())) == len(DRUG_NAMES)
    assert not set(DRUG_COLOURS.values()) & set(MECHANISM_COLOURS.values())


# --- run outputs ---------------------------------------------------------------------------
def test_clone_run_records_lineage_and_clone_counts_that_add_up(clone_run: Path) -> None:
    ts = pd.read_csv(clone_run / "timeseries.csv")
    clones = pd.read_csv(clone_run / "clones.csv")
    lineage = pd.read_csv(clone_run / "lineage.csv")
    per_day = clones.groupby("day")["cells"].sum().reindex(ts["day"], fill_value=0)
    assert (per_day.to_numpy() == ts["total"].to_numpy()).all()
    assert set(clones["clone"]) <= set(lineage["clone"])
    assert set(lineage["parent"].dropna().astype(int)) <= set(lineage["clone"])
    # the last day's clone counts are the ancestry's final counts
    last = clones[clones["day"] == ts["day"].iloc[-1]].set_index("clone")["cells"]
    assert (lineage.set_index("clone")["count"].reindex(last.index) == last).all()
    states = pd.read_csv(clone_run / "states.csv")
    assert (states.drop(columns="day").sum(axis=1) == ts["total"]).all()


def test_spatial_run_keeps_snapshots_on_asked_days(spatial_run: Path) -> None:
    ts = pd.read_csv(spatial_run / "timeseries.csv").set_index("day")
    snaps = run_figures.load_snapshots(spatial_run)
    assert sorted(snaps) == [0, 7, 40]  # day 999 is past the end
    for day, lattice in snaps.items():
        assert lattice.shape == (30, 30)
        assert int((lattice >= 0).sum()) == ts.loc[day, "total"]
        counts = np.bincount(lattice[lattice >= 0], minlength=N_STATES)
        assert counts[0] == ts.loc[day, "sensitive"]
    states = pd.read_csv(spatial_run / "states.csv")
    assert set(states.columns[1:]) <= {describe(s) for s in range(N_STATES)}
    assert (states.drop(columns="day").sum(axis=1) == ts["total"].to_numpy()).all()


# --- Muller ------------------------------------------------------------------------------------
def _assert_nested(stack: pd.DataFrame, tree: pd.DataFrame) -> None:
    """Each clone's band lies between two bands of its parent (pyfish's centred nesting)."""
    order = list(stack.index)
    parent = dict(zip(tree["Id"], tree["ParentId"], strict=True))
    for child, up in parent.items():
        if pd.isna(up):
            continue
        where = [k for k, i in enumerate(order) if i == child]
        around = [k for k, i in enumerate(order) if i == int(up)]
        assert where and around, (child, up)
        assert min(around) < min(where) and max(where) < max(around), (child, up)


@pytest.mark.parametrize("which", ["clone_run", "spatial_run"])
def test_muller_layers_sum_to_one_each_day_and_nest(which: str, request: pytest.FixtureRequest) -> None:
    folder = request.getfixturevalue(which)
    pops, tree, nesting = run_figures.muller_layers(folder)
    assert nesting == ("ancestry" if which == "clone_run" else "mechanism sets")
    ts = pd.read_csv(folder / "timeseries.csv")
    # folding small clones into their parents keeps every cell
    per_day = pops.groupby("Step")["Pop"].sum().reindex(ts["day"], fill_value=0).to_numpy()
    assert (per_day == ts["total"].to_numpy()).all()
    stack, mechanisms = run_figures.muller_stack(pops, tree)
    alive = ts.set_index("day")["total"] > 0
    sums = stack.sum(axis=0)
    np.testing.assert_allclose(sums[alive[alive].index], 1.0, atol=1e-9)
    assert len(mechanisms) == len(stack) and set(mechanisms) <= set(COUNT_COLUMNS)
    _assert_nested(stack, tree)
    # each layer's share equals its cells / total cells (layers of one clone split its share evenly)
    table = pops.pivot(index="Id", columns="Step", values="Pop").fillna(0)
    day = int(ts["day"].iloc[-1])
    for clone in set(stack.index):
        drawn = stack.loc[[clone], day].sum()
        assert drawn == pytest.approx(table.loc[clone, day] / ts["total"].iloc[-1], abs=1e-12)
    fig = run_figures.muller_figure(folder)
    layers = [c for c in fig.axes[0].collections if str(c.get_gid()).startswith("layer:")]
    assert [c.get_gid() for c in layers] == [f"layer:{m}" for m in mechanisms]


def test_muller_shows_the_tumour_size_under_the_shares_and_no_seam(clone_run: Path) -> None:
    """Shares alone make a shrunken tumour look taken over: the panel below draws the absolute
    size (log axis) with its nadir; each layer is edged in its own colour (no pale seam)."""
    ts = pd.read_csv(clone_run / "timeseries.csv")
    fig = run_figures.muller_figure(clone_run)
    shares, size = fig.axes
    assert size.get_shared_x_axes().joined(shares, size) and size.get_yscale() == "log"
    total = next(line for line in size.lines if line.get_gid() == "muller:total")
    assert list(total.get_ydata()) == pytest.approx(ts["total"].where(ts["total"] > 0).tolist(), nan_ok=True)
    nadir = next(line for line in size.lines if line.get_gid() == "muller:nadir")
    assert nadir.get_xdata()[0] == ts["day"][ts["total"].idxmin()]
    assert f"nadir {ts['total'].min():,.0f} cells" in " ".join(t.get_text() for t in size.texts)
    for layer in shares.collections:
        np.testing.assert_allclose(layer.get_edgecolor(), layer.get_facecolor())
        assert layer.get_linewidth()[0] > 0


def test_muller_of_an_old_run_uses_the_mechanism_columns(spatial_run: Path, tmp_path: Path) -> None:
    (tmp_path / "timeseries.csv").write_bytes((spatial_run / "timeseries.csv").read_bytes())
    pops, tree, nesting = run_figures.muller_layers(tmp_path)
    assert nesting == "none"
    stack, mechanisms = run_figures.muller_stack(pops, tree)
    assert set(mechanisms) <= set(COUNT_COLUMNS)
    np.testing.assert_allclose(stack.sum(axis=0), 1.0, atol=1e-9)


def test_burden_figure_draws_totals_concentrations_and_dose_bands(spatial_run: Path) -> None:
    fig = run_figures.burden_figure(spatial_run)
    ts = pd.read_csv(spatial_run / "timeseries.csv")
    top, levels, bands = fig.axes
    total = next(line for line in top.lines if line.get_gid() == "total")
    np.testing.assert_array_equal(np.ma.filled(total.get_ydata(), np.nan)[:5], ts["total"].to_numpy()[:5])
    assert top.get_yscale() == "log"
    assert {c.get_gid() for c in bands.collections} == {"dose:osimertinib", "dose:bemcentinib"}
    # each drug given: its concentration over its standard steady-state average (1 = calibrated)
    lines = {line.get_gid(): line for line in levels.lines}
    assert {"concentration:osimertinib", "concentration:bemcentinib"} <= set(lines)
    steady = DRUGS["bemcentinib"].pk.standard_average_mg_l * 1000.0
    drawn = np.ma.filled(lines["concentration:bemcentinib"].get_ydata(), np.nan)
    np.testing.assert_allclose(drawn[:10], ts["concentration_bemcentinib"].to_numpy()[:10] / steady)
    assert np.nanargmax(drawn) == 9  # the last day given (stop = 10), then it washes out
    assert levels.get_yscale() == "log"


def test_burden_figure_of_a_run_without_concentrations_keeps_two_panels(spatial_run: Path, tmp_path: Path) -> None:
    ts = pd.read_csv(spatial_run / "timeseries.csv")
    ts[[c for c in ts if not c.startswith("concentration_")]].to_csv(tmp_path / "timeseries.csv", index=False)
    assert len(run_figures.burden_figure(tmp_path).axes) == 2


def test_snapshot_cells_take_their_lead_mechanism() -> None:
    # sensitive, persister+AXL-high (AXL-high leads), T790M+persister (T790M leads), empty
    lattice = np.array([[0, 0b11, 0b1001, -1]])
    cats = run_figures.lattice_categories(lattice)
    assert [COUNT_COLUMNS[c] if c >= 0 else None for c in cats[0]] == ["sensitive", "axl_high", "t790m", None]


# --- trials ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def trial_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A patients.csv with known outcomes (as abm trial writes it) and its summary.json."""
    out = tmp_path_factory.mktemp("trial")
    rng = np.random.default_rng(5)
    rows = []
    mechanisms = ["t790m", "met_amplified", "axl_high", "t790m;met_amplified", "", "her2_amplified"]
    for arm, scale in (("gefitinib", 300), ("osimertinib", 550)):
        for p in range(80):
            pfs = int(rng.exponential(scale)) + 1
            progressed = pfs < 1500
            # osimertinib follows patients onto a next line after progression: a PFS2
            pfs2 = min(pfs + int(rng.exponential(200)) + 1, 1500) if arm == "osimertinib" and progressed else 1500
            second = arm == "osimertinib" and progressed
            rows.append(
                {
                    "arm": arm,
                    "patient": p,
                    "pfs_days": min(pfs, 1500),
                    "progressed": progressed,
                    "best_response": rng.choice(["PR", "SD", "PD", "CR"], p=[0.6, 0.3, 0.05, 0.05]),
                    "responded": True,
                    "mechanisms_at_progression": rng.choice(mechanisms) if progressed else "",
                    "mechanisms_at_baseline": "",
                    "pfs2_days": pfs2,
                    "progressed2": second and pfs2 < 1500,
                    "mechanisms_at_progression2": "",
                    "best_response2": "SD" if second else "NE",
                    "responded2": False,
                    "days_simulated": pfs2 if second else min(pfs, 1500),
                    "final_cells": 10**10,
                }
            )
    table = pd.DataFrame(rows)
    table["responded"] = table["best_response"].isin(["CR", "PR"])
    table.to_csv(out / "patients.csv", index=False)
    summary = {"trial": "synthetic", "seed": 0, **summarise_trial(table, ["gefitinib", "osimertinib"])}
    (out / "summary.json").write_text(json.dumps(summary))
    return out


def test_km_medians_drawn_equal_the_summary_table(trial_folder: Path) -> None:
    summary = json.loads((trial_folder / "summary.json").read_text())
    fig = trial_figures.km_figure(trial_folder)
    medians = {
        line.get_gid().split(":", 1)[1]: line for line in fig.axes[0].lines if str(line.get_gid()).startswith("median:")
    }
    assert set(medians) == {"gefitinib", "osimertinib"}
    for arm, line in medians.items():
        drawn_days = line.get_xdata()[1] * DAYS_PER_MONTH
        assert drawn_days == pytest.approx(summary["arms"][arm]["median_pfs_days"], rel=1e-12)
        assert line.get_ydata()[1] == 0.5
    # the curves are lifelines' estimates on each arm's patients, in months
    patients = pd.read_csv(trial_folder / "patients.csv")
    fitters = trial_figures.km_fitters(patients)
    assert fitters["gefitinib"].event_observed.sum() == summary["arms"]["gefitinib"]["progressed"]


def test_km_legend_sits_off_the_curves_and_carries_the_medians_and_hazard_ratio(trial_folder: Path) -> None:
    summary = json.loads((trial_folder / "summary.json").read_text())
    fig = trial_figures.km_figure(trial_folder)
    fig.canvas.draw()
    ax = fig.axes[0]
    legend = ax.get_legend()
    assert legend.get_gid() == "km-legend"
    box, plot = legend.get_window_extent(), ax.get_window_extent()
    assert box.x0 >= plot.x1 or box.y1 <= plot.y0  # outside the data region, not on a curve or band
    texts = [t.get_text() for t in legend.get_texts()]
    for arm, s in summary["arms"].items():
        median = s["median_pfs_days"] / DAYS_PER_MONTH
        lo, hi = (x / DAYS_PER_MONTH for x in s["median_pfs_ci"])
        assert any(arm in t and f"median {median:.1f} (95% CI {lo:.1f}-{hi:.1f})" in t for t in texts), arm
    hr = summary["hazard_ratios"][0]
    assert f"HR vs 1: {hr['hr']:.2f} (95% CI {hr['ci'][0]:.2f}-{hr['ci'][1]:.2f})" in texts[1]
    # no median is written on the plot (labels there collided); one confidence band, the reference arm's
    assert not ax.texts
    assert len([c for c in ax.collections if c.get_label() and "CI" in str(c.get_label())]) <= 1
    bands = [c for c in ax.collections if type(c).__name__ in ("PolyCollection", "FillBetweenPolyCollection")]
    assert len(bands) == 1
    # numbers at risk: at each tick, the patients whose PFS lasts at least that long
    patients = pd.read_csv(trial_folder / "patients.csv")
    at_risk = {t.get_gid(): t.get_text() for t in fig.axes[1].texts if str(t.get_gid()).startswith("at-risk:")}
    months = patients[patients["arm"] == "gefitinib"]["pfs_days"] / DAYS_PER_MONTH
    assert at_risk["at-risk:gefitinib:12"] == str(int((months >= 12).sum()))
    assert at_risk["at-risk:gefitinib:0"] == "80"
    # the at-risk rows are keyed by the arm's number, not its name (which took a third of the width)
    assert {t.get_text() for t in fig.axes[1].texts if not t.get_gid()} == {"1", "2", "number at risk"}


def test_pfs2_is_drawn_for_the_arms_with_a_next_line(trial_folder: Path) -> None:
    summary = json.loads((trial_folder / "summary.json").read_text())
    patients = pd.read_csv(trial_folder / "patients.csv")
    assert trial_figures.second_line_arms(patients) == ["osimertinib"]
    fig = trial_figures.km_figure(trial_folder, endpoint="PFS2")
    medians = {line.get_gid(): line for line in fig.axes[0].lines if str(line.get_gid()).startswith("median:")}
    assert set(medians) == {"median:osimertinib"}
    drawn = medians["median:osimertinib"].get_xdata()[1] * DAYS_PER_MONTH
    assert drawn == pytest.approx(summary["arms"]["osimertinib"]["median_pfs2_days"], rel=1e-12)
    texts = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert texts[0].startswith("2  osimertinib")  # the arm keeps its number from the PFS figure


def test_pfs2_figure_of_a_trial_without_a_next_line_says_so(tmp_path: Path, trial_folder: Path) -> None:
    patients = pd.read_csv(trial_folder / "patients.csv")
    patients[patients["arm"] == "gefitinib"].to_csv(tmp_path / "patients.csv", index=False)
    with pytest.raises(ValueError, match="no arm has a PFS2"):
        trial_figures.km_figure(tmp_path, endpoint="PFS2")


def test_mechanism_bars_equal_the_table_and_ranges_equal_the_reviewed_targets(trial_folder: Path) -> None:
    summary = json.loads((trial_folder / "summary.json").read_text())
    fig = trial_figures.mechanisms_figure(trial_folder)
    for ax, arm in zip(fig.axes, ["gefitinib", "osimertinib"], strict=True):
        bars = [p for p in ax.patches if p.get_gid() == f"bars:{arm}"] or list(ax.containers[0])
        shares = summary["arms"][arm]["mechanisms_at_progression"]
        heights = [b.get_height() for b in bars]
        assert heights == pytest.approx([shares[m] for m in trial_figures.BIOPSY_COLUMNS], abs=1e-12)
        drawn = {
            p.get_gid().split(":")[2]: (p.get_y(), p.get_y() + p.get_height())
            for p in ax.patches
            if str(p.get_gid()).startswith(f"range:{arm}:")
        }
        expected = {t.mechanism: (t.low, t.high) for t in TARGETS if t.measure == "at_progression" and arm in t.arms}
        assert drawn.keys() == expected.keys() and expected  # every applicable target, nothing else
        for mechanism, (low, high) in expected.items():
            assert drawn[mechanism] == pytest.approx((low, high), abs=1e-12)
    # the ranges drawn are docs/biology.md's (tests/test_validation.py checks TARGETS against it)
    t790m = next(t for t in TARGETS if t.mechanism == "t790m" and t.arms == ("gefitinib",))
    assert (t790m.low, t790m.high) == documented_targets()[t790m.key][1:]


def test_swimmer_lanes_are_each_patients_pfs_in_one_order_on_every_arm(trial_folder: Path) -> None:
    """A patient is one row across the panels: lanes in the reference arm's PFS order on every arm."""
    fig = trial_figures.swimmer_figure(trial_folder, n=12)
    patients = pd.read_csv(trial_folder / "patients.csv")
    reference = patients[(patients["arm"] == "gefitinib") & (patients["patient"] < 12)]
    order = list(reference.sort_values(["pfs_days", "patient"])["patient"])
    assert order != sorted(order)  # the order is the reference arm's, not the patient numbers'
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels == [str(p) for p in order]
    for ax, arm in zip(fig.axes, ["gefitinib", "osimertinib"], strict=True):
        assert ax.get_shared_y_axes().joined(ax, fig.axes[0])  # one row per patient across the panels
        bars = [p for p in ax.patches if p.get_gid() == f"line1:{arm}"]
        rows = patients[patients["arm"] == arm].set_index("patient").loc[order]
        assert [b.get_y() + b.get_height() / 2 for b in bars] == pytest.approx(range(len(order)))
        assert [b.get_width() for b in bars] == pytest.approx(list(rows["pfs_days"] / DAYS_PER_MONTH))
    # the next line is drawn over the first progression's marker, so a short one stays visible
    ax = fig.axes[1]
    second = [p for p in ax.patches if p.get_gid() == "line2:osimertinib"]
    ticks = next(c for c in ax.collections if c.get_gid() == "pd:osimertinib")
    assert second and min(p.get_zorder() for p in second) > ticks.get_zorder()
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "next line after the first progression" in legend


# --- validation ---------------------------------------------------------------------------------
def _validation_json(folder: Path) -> dict:
    rows = [
        {
            "setting": t.setting,
            "mechanism": t.mechanism,
            "low": t.low,
            "high": t.high,
            "unit": t.unit,
            "source": t.source,
            "simulated": None if k == 9 else (t.low + t.high) / 2 + (0.5 if k == 0 else 0.0),
            "ci": [None, None] if k == 9 else [t.low, t.high],
            "patients": 100,
            "pass": k not in (0, 9),
        }
        for k, t in enumerate(TARGETS)
    ]
    data = {"trial": "validation cohort", "patients": 100, "seed": 0, "targets": rows}
    (folder / "validation.json").write_text(json.dumps(data))
    return data


def test_validation_forest_draws_every_reviewed_range(tmp_path: Path) -> None:
    data = _validation_json(tmp_path)
    fig = validation_figures.validation_figure(tmp_path)
    drawn = {
        p.get_gid(): (p.get_x(), p.get_x() + p.get_width())
        for ax in fig.axes
        for p in ax.patches
        if str(p.get_gid()).startswith("range:")
    }
    assert len(drawn) == len(TARGETS)
    for t in TARGETS:
        assert drawn[f"range:{t.setting}:{t.mechanism}"] == pytest.approx((t.low, t.high), abs=1e-12)
    points = {line.get_gid(): line for ax in fig.axes for line in ax.lines if str(line.get_gid()).startswith("sim")}
    assert len(points) == len(TARGETS)  # one simulated value per target, a median not reached included
    for row in data["targets"]:
        point = points[f"simulated:{row['setting']}:{row['mechanism']}"]
        if row["simulated"] is not None:
            assert list(point.get_xdata()) == [row["simulated"]]
        else:  # not reached: drawn as an arrow at the reviewed range's top
            assert point.get_marker() == ">"
        assert point.get_markerfacecolor() == ("black" if row["pass"] else "white")


def test_validation_forest_judges_each_target_with_its_ci() -> None:
    """Pass is the point in the range (abm validate's count); the marker says where the CI lies."""
    row = {"low": 0.1, "high": 0.2, "simulated": 0.15, "ci": [0.12, 0.18], "pass": True}
    assert validation_figures.verdict(row) == "inside"
    assert validation_figures.verdict(row | {"ci": [0.08, 0.18]}) == "crosses"
    assert validation_figures.verdict(row | {"simulated": 0.25, "ci": [0.19, 0.3], "pass": False}) == "overlaps"
    assert validation_figures.verdict(row | {"simulated": 0.3, "ci": [0.25, 0.35], "pass": False}) == "outside"
    assert validation_figures.verdict(row | {"ci": [None, None]}) == "point"
    assert validation_figures.verdict(row | {"high": None, "ci": [0.12, None]}) == "inside"  # open-ended range


def test_validation_sources_are_readable_citations(tmp_path: Path) -> None:
    assert readable_source("003 §3.1.2 (Bean 2/62 = 3%)") == (
        "review of bypass-activation resistance to TKIs in NSCLC (seed 003), section 3.1.2 "
        "(MET gene amplification and NSCLC TKI resistance): Bean 2/62 = 3%"
    )
    assert (
        readable_source("003 §3.6.2, §4.4: reported", short=True)
        == "bypass-resistance review (seed 003), sec. 3.6.2, 4.4: reported"
    )
    assert readable_source("plausibility (issue 14)") == "plausibility bound, no published frequency (project issue 14)"
    _validation_json(tmp_path)
    fig = validation_figures.validation_figure(tmp_path)
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert any("bypass-resistance review (seed 003), sec. 3.1.2" in t for t in texts)
    assert not any("§" in t for t in texts)


# --- sweeps ---------------------------------------------------------------------------------------
def test_heatmap_cells_are_replicate_means_of_finished_runs(tmp_path: Path) -> None:
    write_grid_sweep(tmp_path, replicates=3, failed=(4,))
    fig = sweep_figures.heatmap_figure(tmp_path, SWEEP_METRIC, SWEEP_X, SWEEP_Y)
    image = next(a for a in fig.axes[0].get_children() if isinstance(a, AxesImage))
    cells = np.asarray(image.get_array())
    starts, durations = [0, 30, 90], [14, 28, 56, 112]
    expected = np.array([[310.0 + d - s for s in starts] for d in durations])  # mean of +0, +10, +20
    expected[1, 0] = 300.0 + 28 + (0 + 20) / 2  # run 4 (start 0, duration 28, replicate 1) failed
    np.testing.assert_allclose(cells, expected)
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert "338\n±14.1\n(n=2)" in texts  # mean ± SD of 328 and 348: the replicates' spread beside each mean
    assert "324\n±10\n(n=3)" in texts  # start 0, duration 14: 314, 324, 334 (a "grid" design: n on every cell)


def test_line_plot_means_and_bands(tmp_path: Path) -> None:
    runs = write_grid_sweep(tmp_path, replicates=3, failed=())
    fig = sweep_figures.line_figure(tmp_path, SWEEP_METRIC, SWEEP_X)
    lines = {line.get_gid(): line for line in fig.axes[0].lines}
    line = lines[f"line:{SWEEP_METRIC}:56.0"]
    assert list(line.get_xdata()) == [0, 30, 90]
    assert list(line.get_ydata()) == pytest.approx([366.0, 336.0, 276.0])
    sd = runs[(runs[SWEEP_Y] == 56) & (runs[SWEEP_X] == 0)][SWEEP_METRIC].std()
    bars = next(c for c in fig.axes[0].collections if c.get_gid() == f"bars:{SWEEP_METRIC}:56.0")
    ends = [sorted(seg[:, 1]) for seg in bars.get_segments()]
    assert np.ravel(ends) == pytest.approx(np.ravel([[m - sd, m + sd] for m in (366.0, 336.0, 276.0)]))
    # lines of the other setting's levels are set apart: no two bars at one x overlap on the page
    fig.canvas.draw()
    at_zero = sorted(
        c.get_transform().transform(c.get_segments()[0])[0, 0]
        for c in fig.axes[0].collections
        if str(c.get_gid()).startswith("bars:")
    )
    assert len(at_zero) == 4 and min(np.diff(at_zero)) > 2.0  # pixels apart


def test_heatmap_of_a_censored_day_gives_kaplan_meier_medians_and_censored_counts(tmp_path: Path) -> None:
    """regrowth_day is the run's length (400) when the tumour never regrew: censored, not observed.
    A point's cell is its Kaplan-Meier median over the replicates, never the mean of capped days."""
    rows = []
    # point 0: regrew on days 100, 200, 300 and one censored: KM median 200 (mean of the days: 250)
    # point 1: three of four censored at 400: median not reached
    for point, (start, days, regrew) in enumerate(
        [(0, [100, 200, 300, 400], [1, 1, 1, 0]), (7, [150, 400, 400, 400], [1, 0, 0, 0])]
    ):
        for rep, (day, event) in enumerate(zip(days, regrew, strict=True)):
            rows.append(
                {
                    "run": len(rows), "point": point, "replicate": rep, "seed": len(rows), "start": float(start),
                    "duration": 14.0, "regrowth_day": float(day), "regrew": float(event), "status": "done",
                    "error": "", "seconds": 0.1,
                }
            )  # fmt: skip
    pd.DataFrame(rows).to_parquet(tmp_path / "runs.parquet", index=False)
    spec = {
        "name": "censored", "design": "factorial", "parameters": ["start", "duration"],
        "metrics": ["regrowth_day", "regrew"], "replicates": 4, "seed": 0, "kind": "spatial",
        "vary": {"start": {"values": [0, 7], "label": "AXL inhibitor (bemcentinib) start (day)"}},
    }  # fmt: skip
    (tmp_path / "sweep.json").write_text(json.dumps(spec))
    fig = sweep_figures.heatmap_figure(tmp_path, "regrowth_day", "start", "duration")
    ax = fig.axes[0]
    cells = np.asarray(next(a for a in ax.get_children() if isinstance(a, AxesImage)).get_array(), dtype=float)
    assert cells[0, 0] == 200.0 and np.isnan(cells[0, 1])  # not reached: no colour, hatched
    texts = [t.get_text() for t in ax.texts]
    assert texts == ["200\n1/4 cens.", "not\nreached\n3/4 cens."]
    assert ax.get_xlabel() == "AXL inhibitor (bemcentinib) start (day)"  # the sweep's label, not the path
    line = sweep_figures.line_figure(tmp_path, "regrowth_day", "start")
    medians = next(x for x in line.axes[0].lines if x.get_gid() == "line:regrowth_day:14.0")
    first, second = medians.get_ydata()
    assert first == 200.0 and np.isnan(second)
    assert any(c.get_gid() == "not-reached:regrowth_day:14.0" for c in line.axes[0].collections)


@pytest.mark.parametrize(("method", "order"), [("morris", [5.0, 20.0, 50.0]), ("sobol", [0.05, 0.3, 0.6])])
def test_sensitivity_bars_are_ranked(method: str, order: list[float], tmp_path: Path) -> None:
    write_grid_sweep(tmp_path)
    write_sensitivity(tmp_path)
    fig = sweep_figures.sensitivity_figure(tmp_path, method, SWEEP_METRIC)
    ax = fig.axes[0]
    bars = [p for p in ax.patches if p.get_gid() == f"ranked:{method}:{SWEEP_METRIC}"]
    assert [b.get_width() for b in bars] == pytest.approx(order)  # bottom to top: least to most
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[-1] == "division_rate"


def test_burden_figure_marks_the_doses_of_a_drug_given_every_three_weeks(tmp_path: Path) -> None:
    """Carboplatin on for 50 days: doses on days 0, 21 and 42, marked on the concentration panel."""
    days = np.arange(61)
    ts = pd.DataFrame({"day": days, "total": 100, **dict.fromkeys(COUNT_COLUMNS, 0)})
    for drug in DRUG_NAMES:
        ts[drug] = (days < 50).astype(float) if drug == "carboplatin" else 0.0
    for drug in DRUG_NAMES:
        ts[f"concentration_{drug}"] = daily_concentrations(DRUGS[drug].pk, ts[drug].tolist())
    ts.to_csv(tmp_path / "timeseries.csv", index=False)
    _, levels, _ = run_figures.burden_figure(tmp_path).axes
    marks = next(line for line in levels.lines if line.get_gid() == "administration:carboplatin")
    assert list(marks.get_xdata()) == [0, 21, 42]


def test_the_trial_report_draws_pfs2_and_tabulates_it(trial_folder: Path, tmp_path: Path) -> None:
    from abm.report.build import build_report

    for name in ("patients.csv", "summary.json"):
        (tmp_path / name).write_bytes((trial_folder / name).read_bytes())
    text = build_report(tmp_path).read_text()
    assert {p.name for p in (tmp_path / "figures").glob("*.png")} >= {"trial-km.png", "trial-pfs2.png"}
    summary = json.loads((trial_folder / "summary.json").read_text())["arms"]["osimertinib"]
    assert f"<td>{summary['median_pfs2_days'] / DAYS_PER_MONTH:.1f} (" in text
    assert "<td>no next line</td>" in text  # gefitinib stops at progression
