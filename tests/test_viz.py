"""The viz's parts without a browser: colours, the lattice image, the asset list, the controls'
scenario handling, Mesa's Reset path through the viz models, and `abm viz` input errors."""

from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np
import pytest
import solara
from PIL import Image

from abm.biology.drugs import DRUG_NAMES
from abm.biology.mechanisms import AXL_HIGH, C797S, COUNT_COLUMNS, MET_AMPLIFIED, N_STATES, PERSISTER, T790M, state_of
from abm.config.scenario import load
from abm.report.colours import DRAW_PRIORITY, EMPTY_COLOUR, MECHANISM_COLOURS, drawn_as, rgb, state_rgb
from abm.viz import assets
from abm.viz.app import PatientArms, TumourArms, days_so_far
from abm.viz.controls import as_kind, shipped_scenarios
from abm.viz.lattice import lattice_png
from tests.conftest import SCENARIOS
from tests.test_cli import abm, assert_one_line_error


def test_one_distinct_colour_per_count_column() -> None:
    assert tuple(MECHANISM_COLOURS) == COUNT_COLUMNS
    assert all(re.fullmatch(r"#[0-9A-F]{6}", c) for c in MECHANISM_COLOURS.values())
    assert len(set(MECHANISM_COLOURS.values()) | {EMPTY_COLOUR}) == len(COUNT_COLUMNS) + 1


def test_a_cell_is_drawn_in_the_colour_of_its_first_mechanism_in_draw_order() -> None:
    assert set(DRAW_PRIORITY) == set(COUNT_COLUMNS) - {"sensitive"}
    assert drawn_as(0) == "sensitive"
    assert drawn_as(state_of(PERSISTER)) == "persister"
    assert drawn_as(state_of(PERSISTER, AXL_HIGH)) == "axl_high"
    assert drawn_as(state_of(AXL_HIGH, MET_AMPLIFIED)) == "met_amplified"
    assert drawn_as(state_of(T790M, C797S, MET_AMPLIFIED)) == "c797s"
    table = state_rgb()
    assert table.shape == (N_STATES + 1, 3)
    assert tuple(table[-1]) == rgb(EMPTY_COLOUR)


def test_lattice_image_has_x_across_y_up_and_mechanism_colours() -> None:
    lattice = np.full((4, 3), -1, dtype=np.int16)
    lattice[0, 0] = 0  # x=0, y=0: bottom left
    lattice[3, 2] = state_of(MET_AMPLIFIED)  # x=3, y=2: top right
    image = Image.open(io.BytesIO(lattice_png(lattice, size=40)))
    assert image.size == (40, 30)  # 10 px per site; width along x
    pixels = np.asarray(image.convert("RGB"))
    assert tuple(pixels[-1, 0]) == rgb(MECHANISM_COLOURS["sensitive"])
    assert tuple(pixels[0, -1]) == rgb(MECHANISM_COLOURS["met_amplified"])
    assert tuple(pixels[0, 0]) == rgb(EMPTY_COLOUR)


def _solara_file(*parts: str) -> str:
    return Path(solara.__file__).parent.joinpath(*parts).read_text()


def test_asset_list_has_every_package_solara_asks_for() -> None:
    """Solara's page template and widgets name the CDN packages; a solara upgrade that changes
    one must change ``assets.PACKAGES`` (the browser test would fail on the missing file)."""
    template = _solara_file("server", "templates", "solara.html.j2")
    app = re.search(r"@widgetti/solara-vuetify-app@[\w.\-]+", template).group(0)
    requirejs = re.search(r"requirejs@[\w.\-]+", template).group(0)
    grid = re.search(r"@widgetti/vue-grid-layout@[\w.\-]+", _solara_file("widgets", "vue", "gridlayout.vue")).group(0)
    vega = re.findall(r"(vega(?:-lite|-embed)?@\d+)/build", _solara_file("widgets", "vue", "vegalite.vue"))
    from solara.server.settings import assets as solara_assets

    fontawesome = solara_assets.fontawesome_path.strip("/").split("/")[0]
    for spec in (app, requirejs, grid, fontawesome, *vega):
        assert spec in assets.PACKAGES, spec


def test_assets_are_installed_by_make_install() -> None:
    folder = assets.cache_dir()
    assert assets.installed(folder), f"run `make install` ({folder})"
    for path in (
        "@widgetti/solara-vuetify-app@10.1.1/dist/solara-vuetify-app8.min.js",
        "requirejs@2.3.6/require.js",
        "font-awesome@4.5.0/css/font-awesome.min.css",
        "vega-lite@5/build/vega-lite.min.js",
    ):
        assert (folder / path).is_file(), path


def test_picker_lists_single_tumour_scenarios_of_the_right_kind() -> None:
    spatial, clone = shipped_scenarios("spatial"), shipped_scenarios("clone")
    assert spatial and all(load(path).model.kind == "spatial" for path in spatial.values())
    assert not any("trial" in path.stem or path.stem == "validation" for path in clone.values())
    assert set(spatial.values()) < set(clone.values())
    assert any(load(path).model.kind == "clone" for path in clone.values())


def test_a_scenario_moves_between_models_keeping_schedule_rates_days_and_seed() -> None:
    spatial = load(SCENARIOS / "osimertinib-savolitinib-on-regrowth.toml", {"model.seed": 7})
    patient = as_kind(spatial, "clone")
    assert patient.model.kind == "clone"
    assert patient.schedule == spatial.schedule and patient.parameters == spatial.parameters
    assert (patient.model.days, patient.model.seed) == (spatial.model.days, 7)
    back = as_kind(patient, "spatial")
    assert back.model.kind == "spatial" and back.schedule == spatial.schedule
    assert as_kind(spatial, "spatial") is spatial


@pytest.mark.parametrize("model_class", [TumourArms, PatientArms])
def test_solaraviz_reset_builds_the_edited_scenario_with_the_chosen_seed(model_class) -> None:
    """Mesa's own Reset code path: ``type(model)(**kwargs)`` from SolaraViz's model parameters,
    with a second schedule compared: both arms built, on the chosen seed, stepped together."""
    from mesa.visualization.solara_viz import _build_model_init_kwargs

    from abm.clinic.schedule import DosingBlock

    kind = "spatial" if model_class is TumourArms else "clone"
    edited = as_kind(load(None, {"model.days": 40, "model.initial_cells": 300}), kind)
    edited = edited.model_copy(update={"schedule": ()})
    draft, compared = solara.reactive(edited), solara.reactive([])
    model = model_class(draft=draft, compared=compared)
    assert len(model.arms) == 1
    compared.set([(DosingBlock(drug="osimertinib"),)])
    params = {"draft": draft, "compared": compared, "seed": 3}
    kwargs = _build_model_init_kwargs(model, params, add_scenario_when_empty=True, require_model_accepts_scenario=True)
    assert "scenario" not in kwargs  # Mesa's Scenario is for models that name it; these build their own
    rebuilt = type(model)(**kwargs)
    untreated, treated = (arm.model for arm in rebuilt.arms)
    assert untreated.config.model.seed == treated.config.model.seed == 3 and rebuilt.days == 40
    assert untreated.config.schedule == () and not any(untreated.doses.values())
    assert treated.doses["osimertinib"] == 1.0
    rebuilt.step()
    assert rebuilt.day == untreated.day == treated.day == 1 and len(days_so_far(untreated)) == 2


def test_days_so_far_takes_only_fully_collected_days() -> None:
    arms = TumourArms(
        draft=solara.reactive(load(None, {"model.width": 20, "model.height": 20, "model.initial_cells": 100}))
    )
    arms.step()
    model = arms.arms[0].model
    model.datacollector.model_vars["total"].append(123)  # a day half collected by a stepping thread
    table = days_so_far(model)
    assert len(table) == 2 and list(table["day"]) == [0, 1]


@pytest.mark.slow
def test_viz_bad_scenario_is_one_line_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[model]\nwidth = 1\n")
    assert_one_line_error(abm("viz", bad), "model.width")
    assert_one_line_error(abm("viz", tmp_path / "missing.toml"), "no such scenario file")
    assert_one_line_error(abm("viz", "--port", "70000"), "--port")


def test_charts_of_long_runs_draw_a_bounded_number_of_days_including_the_last() -> None:
    import pandas as pd

    from abm.viz.charts import MAX_ROWS, run_chart, thin

    table = pd.DataFrame({"day": range(20_001), "total": 1, **{c: 1 for c in COUNT_COLUMNS}})
    for drug in DRUG_NAMES:
        table[drug] = 0.0
    thinned = thin(table)
    assert len(thinned) <= MAX_ROWS and thinned["day"].iloc[-1] == 20_000 and thinned["day"].iloc[0] == 0
    assert len(thin(table.head(100))) == 100
    spec = run_chart(table, 20_000, ("osimertinib",))
    (rows,) = spec["datasets"].values()
    assert len(rows) == len(thinned) and rows[-1]["day"] == 20_000


def test_run_chart_spec_is_altairs_spec_of_the_same_rows() -> None:
    """The per-layout template with today's rows put in equals the chart Altair builds from scratch."""
    import json

    import altair as alt

    from abm.viz.charts import counts_chart, doses_chart, run_chart, with_spans

    model = TumourArms(draft=solara.reactive(load(None, {"model.days": 60}))).arms[0].model
    for _ in range(2):  # the second call reuses the template built by the first
        for _ in range(20):
            model.step()
        table = days_so_far(model)
        spec = run_chart(table, 60, ("osimertinib",), [(5, "an event")])
        shown = [c for c in COUNT_COLUMNS if (table[c] > 0).any()]
        data = table[["day", *shown, "osimertinib"]]
        data = with_spans(data.assign(event=[("an event" if d == 5 else None) for d in data["day"]]))
        direct = (
            alt.vconcat(counts_chart(data, shown, 60), doses_chart(data, ["osimertinib"], 1.0, 60))
            .resolve_scale(color="independent")
            .to_dict()
        )
        (name,), (direct_name,) = spec["datasets"], direct["datasets"]
        assert json.dumps(spec).replace(name, "DATA") == json.dumps(direct).replace(direct_name, "DATA")
        assert len(spec["datasets"][name]) == model.day + 1


def _type(rc, label: str, text: str) -> None:
    """Type into a solara input and leave it, as a user does (inputs commit on focus-out)."""
    import ipyvuetify as v

    field = rc.find(v.TextField, label=label).widget
    field.v_model = text
    field.fire_event("focusout", None)


def test_controls_pick_a_scenario_edit_its_schedule_and_reject_bad_values_with_the_file_message() -> None:
    import ipyvuetify as v

    from abm.viz.controls import ScenarioControls

    initial = load(None)
    draft = solara.reactive(initial)
    _, rc = solara.render(ScenarioControls(draft, "spatial", initial), handle_error=False)

    picker = rc.find(v.Select, label="scenario").widget
    assert picker.items[0] == "(start) osimertinib continuous"
    picker.v_model = next(item for item in picker.items if item.startswith("osimertinib-adaptive:"))
    assert draft.value == load(SCENARIOS / "osimertinib-adaptive.toml")

    _type(rc, "pause below", "0.3")
    assert draft.value.schedule[0].adaptive.pause_below == 0.3
    _type(rc, "start day", "14")
    assert draft.value.schedule[0].start == 14

    rc.find(v.Btn, class_="abm-add-block").widget.click()
    # a bypass the schedule leaves open: an AXL inhibitor next to osimertinib
    assert len(draft.value.schedule) == 2 and draft.value.schedule[1].drug == "bemcentinib"

    # An invalid dose in the second block is refused, and each block shows its own dose (the
    # message once shifted the blocks: block 1's field showed block 2's -1).
    doses = rc.find(v.TextField, label="dose")
    doses.widgets[1].v_model = "-1"
    doses.widgets[1].fire_event("focusout", None)
    assert "dose" in str(rc.find(v.Alert).widgets[0].children)
    doses = rc.find(v.TextField, label="dose").widgets
    assert [float(field.v_model) for field in doses] == [1.0, -1.0]
    doses[1].v_model = "1"
    doses[1].fire_event("focusout", None)
    assert not rc.find(v.Alert).widgets

    rc.find(v.Select, label="drug").widgets[1].v_model = "bemcentinib"
    assert draft.value.schedule[1].drug == "bemcentinib"

    rc.find(v.Select, label="stop").widgets[1].v_model = "readout"  # stop on a readout trigger
    stop = draft.value.schedule[1].stop
    assert (stop.readout, stop.above) == ("burden_fraction", 1.2)

    _type(rc, "width", "10")  # 3000 cells do not fit on 10 x 150 sites: refused, last valid kept
    (alert,) = rc.find(v.Alert).widgets
    assert "the controls: model: initial_cells 3000 exceeds the 1500 lattice sites" in str(alert.children)
    assert draft.value.model.width == 150 and draft.value.schedule[1].drug == "bemcentinib"
    _type(rc, "width", "120")
    assert draft.value.model.width == 120 and not rc.find(v.Alert).widgets


def test_the_play_thread_waits_for_a_render_in_progress_elsewhere() -> None:
    import threading
    import time
    from types import SimpleNamespace

    from abm.viz.app import RenderPacer

    pacer = RenderPacer()
    pacer.render_context = SimpleNamespace(thread_lock=threading.Lock())
    scenario = load(None, {"model.width": 20, "model.height": 20, "model.initial_cells": 100})
    model = TumourArms(draft=solara.reactive(scenario), pacer=pacer)
    pacer.render_context.thread_lock.acquire()  # a render in progress in this thread
    player = threading.Thread(target=model.step)
    player.start()
    time.sleep(0.3)
    assert model.day == 0  # held back while the page renders
    pacer.render_context.thread_lock.release()
    player.join(timeout=10)
    assert model.day == 1


@pytest.mark.parametrize("model_class", [TumourArms, PatientArms])
def test_the_viz_seed_is_validated(model_class) -> None:
    from abm.io.errors import InputError

    kind = "spatial" if model_class is TumourArms else "clone"
    draft = solara.reactive(as_kind(load(None, {"model.days": 5, "model.initial_cells": 300}), kind))
    with pytest.raises(InputError, match=r"^the seed: model\.seed: -1 is not allowed"):
        model_class(draft=draft, seed=-1)


def test_add_drug_offers_a_drug_for_a_route_the_schedule_leaves_open() -> None:
    from abm.viz.controls import next_drug

    assert next_drug([]) == "osimertinib"
    assert next_drug(["osimertinib"]) == "bemcentinib"  # AXL, first bypass in the drug table
    assert next_drug(["osimertinib", "bemcentinib"]) == "savolitinib"  # then MET
    assert next_drug(["gefitinib"]) not in ("gefitinib", "erlotinib")  # never a drug blocking nothing new


def test_the_default_run_tells_response_then_regrowth_by_met_and_its_events() -> None:
    """The built-in default (a lattice sampling a 10^10-cell tumour): the story line names the
    response and then MET-amplified regrowth; the events include the MET majority and RECIST
    progression of the sampled tumour (seed 0)."""
    from abm.viz.story import events, status

    model = TumourArms(draft=solara.reactive(load(None, {"model.days": 400}))).arms[0].model
    lines = []
    while model.day < 400:
        model.step()
        if model.day in (20, 300):
            lines.append(status(days_so_far(model), True))
    assert lines[0].startswith("Responding"), lines
    assert lines[1].startswith("Regrowing by MET-amplified"), lines
    found = dict((label, day) for day, label in events(days_so_far(model), model.config))
    assert 0 < found["MET-amplified majority"] < found["RECIST progression"] <= 400, found
    assert "eradicated" not in found


def test_the_story_says_when_the_tumour_is_gone() -> None:
    import pandas as pd

    from abm.viz.story import events, status

    table = pd.DataFrame({"day": [0, 1, 2], "total": [10, 3, 0], **{c: [0, 0, 0] for c in COUNT_COLUMNS}})
    table["sensitive"] = table["total"]
    assert status(table, True).startswith("Eradicated on day 2")
    assert events(table, load(None)) == [(2, "eradicated")]


def test_a_hovered_site_says_what_it_holds() -> None:
    from abm.viz.lattice import site_text

    lattice = np.full((4, 3), -1, dtype=np.int16)
    lattice[1, 2] = 0
    lattice[3, 0] = state_of(MET_AMPLIFIED, PERSISTER)
    assert site_text(lattice, 0, 0) == "site (0, 0) · empty"
    assert site_text(lattice, 1, 2) == "site (1, 2) · cell: sensitive (no resistance mechanism)"
    assert site_text(lattice, 3, 0) == "site (3, 0) · cell: drug-tolerant persister, MET-amplified"
    assert site_text(lattice, 4, 0) == ""  # off the lattice (a pointer on the border)


def test_the_exported_run_is_abm_runs_timeseries_of_the_days_played() -> None:
    """The page's download (``run_csv``) after 30 days is the first 31 rows of the timeseries.csv
    ``abm run`` writes for the same scenario and seed, byte for byte."""
    import io

    import pandas as pd

    from abm.experiments.run import run_scenario
    from abm.viz.app import run_csv

    scenario = load(None, {"model.days": 60})
    model = TumourArms(draft=solara.reactive(scenario)).arms[0].model
    for _ in range(30):
        model.step()
    exported = run_csv(model)
    full = run_scenario(scenario, progress=False).timeseries
    expected = io.StringIO()
    full.iloc[:31].to_csv(expected, index=False, lineterminator="\n")
    assert exported == expected.getvalue()
    assert len(pd.read_csv(io.StringIO(exported))) == 31


def _compared(kind: str = "spatial", **overrides):
    """The default scenario (on ``kind``) on osimertinib, compared with osimertinib + the AXL
    inhibitor from day 30, as the page builds them."""
    from abm.clinic.schedule import DosingBlock

    scenario = as_kind(load(None, {"model.days": 90, **overrides}), kind)
    later = (DosingBlock(drug="osimertinib"), DosingBlock(drug="bemcentinib", start=30))
    model_class = TumourArms if kind == "spatial" else PatientArms
    return model_class(draft=solara.reactive(scenario), compared=solara.reactive([later]))


@pytest.mark.parametrize("kind", ["spatial", "clone"])
def test_compared_schedules_share_the_tumour_and_stream_until_their_doses_differ(kind: str) -> None:
    """Common random numbers: osimertinib alone and with bemcentinib from day 30 are the same
    tumour, cell for cell, until day 30 (the lattice too), and part after; each arm is what
    ``abm run`` gives for its scenario and seed."""
    from abm.experiments.run import run_scenario

    arms = _compared(kind)
    for _ in range(60):
        arms.step()
    alone, combined = (arm.table() for arm in arms.arms)
    counts = ["total", *COUNT_COLUMNS]
    assert alone[counts].iloc[:31].equals(combined[counts].iloc[:31])  # the day-30 row: before day 30's doses
    assert not alone[counts].iloc[31:].equals(combined[counts].iloc[31:])
    assert (combined["bemcentinib"].iloc[:30] == 0).all() and (combined["bemcentinib"].iloc[30:] == 1).all()
    if kind == "spatial":
        assert np.array_equal(arms.arms[0].lattice(30), arms.arms[1].lattice(30))
        assert not np.array_equal(arms.arms[0].lattice(60), arms.arms[1].lattice(60))
    alone_run = run_scenario(arms.arms[0].scenario, progress=False).timeseries
    assert alone_run[counts].iloc[:61].equals(alone[counts].astype("int64"))
    combined_run = run_scenario(arms.arms[1].scenario, progress=False).timeseries
    assert combined_run[counts].iloc[:61].equals(combined[counts].astype("int64"))


def test_compare_offers_osimertinib_with_the_axl_inhibitor_from_the_shipped_scenario() -> None:
    from abm.viz.arms import schedule_label, shipped_schedule
    from abm.viz.controls import schedule_to_compare

    default = load(None)
    first = schedule_to_compare(default, [])
    assert (
        first
        == load(SCENARIOS / "osimertinib-axl-upfront.toml").schedule
        == shipped_schedule("osimertinib-axl-upfront")
    )
    assert schedule_label(first) == "osimertinib + bemcentinib (AXL inhibitor)"
    second = schedule_to_compare(default, [first])  # then one more drug on the last one shown
    assert [b.drug for b in second] == ["osimertinib", "bemcentinib", "savolitinib"]


def test_the_scrubber_shows_a_kept_day_and_play_replays_to_the_live_day_then_runs_on() -> None:
    """Looking back at day 5 shows day 5's table and lattice (those of a run stopped there); a
    step replays day 6 without running the models; back at the live day, steps run them again."""
    from abm.experiments.run import run_scenario

    arms = _compared()
    for _ in range(10):
        arms.step()
    arms.view(5)
    assert (arms.day, arms.shown) == (10, 5)
    arm = arms.arms[0]
    assert list(arm.table(arms.shown)["day"]) == list(range(6))
    run = run_scenario(arm.scenario, snapshots=(5,), progress=False)
    assert np.array_equal(arm.lattice(5), run.snapshots[5])
    arms.step()  # replayed, not run
    assert (arms.day, arms.shown, arm.model.day) == (10, 6, 10)
    arms.view(9)
    arms.step()  # day 10: the live day again
    assert arms.viewing is None and arms.shown == 10
    arms.step()
    assert (arms.day, arms.shown, arm.model.day) == (11, 11, 11)
    arms.view(40)  # past the live day: the live day
    assert arms.viewing is None


@pytest.mark.parametrize("kind", ["spatial", "clone"])
def test_the_exported_report_is_abm_runs_report_of_the_days_played(tmp_path: Path, kind: str) -> None:
    """The page's report download after 40 days is the report.html ``abm run --days 40 --report``
    writes for the same scenario and seed (the same figures and tables)."""
    from abm.experiments.run import run_scenario, write_run
    from abm.report.build import build_report

    arms = _compared(kind)
    for _ in range(40):
        arms.step()
    arm = arms.arms[1]
    exported = arm.report_html().decode()
    scenario = arm.scenario.model_copy(update={"model": arm.scenario.model.model_copy(update={"days": 40})})
    write_run(run_scenario(scenario, progress=False), tmp_path)
    expected = build_report(tmp_path).read_text()
    assert "Tumour burden and drug doses" in exported and ("Lattice snapshots" in exported) == (kind == "spatial")
    # the heading names the run (the command's report names its folder)
    heading = (
        "<h1>abm report: abm viz, osimertinib continuous (osimertinib + bemcentinib (AXL inhibitor) from day 30), "
    )
    assert heading + "seed 0, days 0-40</h1>" in exported
    assert "<title>abm report: osimertinib-continuous-day40</title>" in exported
    named = "<title>.*</title>|<h1>.*</h1>"
    assert re.sub(named, "", exported) == re.sub(named, "", expected)


def test_a_small_share_of_the_tumour_is_not_written_as_zero() -> None:
    from abm.viz.story import percent

    assert [percent(x) for x in (0.35, 0.01, 0.0029, 0.000012, 0.0)] == ["35%", "1%", "0.29%", "0.0012%", "0%"]
