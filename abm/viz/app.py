"""The SolaraViz app behind ``abm viz``: the spatial model, and one virtual patient of the clone model.

Run by ``abm viz`` (``solara run abm.viz.app``). The scenario given on the command line arrives
in ``ABM_VIZ_SCENARIO`` (a path; unset: the built-in default).

Each page is Mesa's ``SolaraViz`` (Reset / Play / Step, the play and render intervals, a
seed) with the scenario controls added to its sidebar. SolaraViz's Reset rebuilds the model
as ``type(model)(**model_params)``; the models here are thin subclasses that take the
scenario being edited (a solara reactive) and the seed, and build the model from them.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Callable
from typing import Any

import pandas as pd
import reacton.core
import solara
from mesa.visualization import SolaraViz
from mesa.visualization.utils import update_counter

from abm.biology.mechanisms import COUNT_COLUMNS
from abm.config.scenario import ScenarioConfig, load, with_seed
from abm.experiments.run import with_concentrations
from abm.models.clone import CloneTumour
from abm.models.spatial import SpatialTumour
from abm.report.colours import DRAW_PRIORITY, EMPTY_COLOUR, MECHANISM_COLOURS
from abm.viz.charts import burden_chart, figure, run_chart, shares_chart
from abm.viz.controls import ScenarioControls, as_kind
from abm.viz.lattice import lattice_png, site_text
from abm.viz.story import events, status

PLAY_INTERVAL_MS = 20  # SolaraViz's pause between days while playing

# The page's own layout over SolaraViz's: the sidebar keeps its width whatever the scenario's name
# (solara sizes it to its content, 400-600 px: a long name, or a scrollbar appearing, widened it),
# and SolaraViz's controls the page does not use are hidden (its "Use Threads" box, its
# "Information" card repeating the day: the third card of its sidebar column).
PAGE_CSS = """
.v-navigation-drawer .v-select__selection { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.v-navigation-drawer .v-select__selections { flex-wrap: nowrap; min-width: 0; }
.v-navigation-drawer .abm-scenario { max-width: 330px; }
.v-navigation-drawer .abm-controls { max-width: 376px; }
.v-navigation-drawer .abm-controls .v-input { min-width: 0; }
.v-navigation-drawer { width: 420px !important; min-width: 420px !important; max-width: 420px !important; }
.v-navigation-drawer__content { scrollbar-gutter: stable; }
.v-navigation-drawer .v-card:not(.abm-controls) .v-input--checkbox { display: none; }
.v-navigation-drawer .d-flex > .v-card:nth-child(3):not(.abm-controls) { display: none; }
"""


class RenderPacer:
    """Holds SolaraViz's play thread back while the page renders in another thread.

    While playing, the play thread steps the model and redraws the page itself, every
    ``PLAY_INTERVAL_MS``. A render started elsewhere (a click on Play, an edit, a browser
    event) leaves the play thread free to step on: when that render takes longer than the
    interval, every one of its passes sees a new day, and reacton gives up on the page
    ("Too many renders triggered", seen on a busy 2-core machine). The models here wait, before
    each day, for a render in progress to end (reacton renders one thread at a time, under
    its render context's ``thread_lock``).
    """

    def __init__(self) -> None:
        self.render_context: Any = None

    def wait(self, timeout: float = 5.0) -> None:
        """Return once no render is in progress (or after ``timeout`` seconds)."""
        lock = getattr(self.render_context, "thread_lock", None)
        if lock is not None and lock.acquire(timeout=timeout):
            lock.release()


def use_pacer() -> RenderPacer:
    """This page's pacer (a solara hook: call it in the page component)."""
    pacer = solara.use_memo(RenderPacer, [])
    pacer.render_context = reacton.core.get_render_context()
    return pacer


def initial_scenario(kind: str) -> ScenarioConfig:
    """The scenario named on the command line (or the built-in default), on a model of ``kind``."""
    path = os.environ.get("ABM_VIZ_SCENARIO") or None
    return as_kind(load(path), kind)


def _with_seed(draft: solara.Reactive[ScenarioConfig] | None, seed: int | None, kind: str) -> ScenarioConfig:
    scenario = draft.value if draft is not None else initial_scenario(kind)
    if seed is None or seed == scenario.model.seed:
        return scenario
    return with_seed(scenario, int(seed), "the seed")  # validated: a negative seed is a clear InputError


# SolaraViz's Reset passes Mesa's own Scenario (``scenario=``) only to a model whose ``__init__``
# names it or takes ``**kwargs``; these take neither, so Mesa makes the model's Scenario itself.
class _Viewed:
    """A model built from the scenario the controls are editing, that waits before each day
    until the page has drawn the last one."""

    kind: str  # the model kind its scenario is turned into

    def __init__(
        self,
        draft: solara.Reactive[ScenarioConfig] | None = None,
        seed: int | None = None,
        pacer: RenderPacer | None = None,
    ) -> None:
        self.pacer = pacer
        super().__init__(_with_seed(draft, seed, self.kind))  # type: ignore[call-arg]

    def step(self) -> None:
        """Advance one day, once the page is not rendering."""
        if self.pacer is not None:
            self.pacer.wait()
        super().step()  # type: ignore[misc]


class ViewedTumour(_Viewed, SpatialTumour):
    """The spatial model as the viz builds it."""

    kind = "spatial"


class ViewedPatient(_Viewed, CloneTumour):
    """One virtual patient of the clone model."""

    kind = "clone"


def _seed_input(scenario: ScenarioConfig) -> dict[str, Any]:
    return {"type": "SliderInt", "value": scenario.model.seed, "min": 0, "max": 99, "step": 1, "label": "seed"}


def days_so_far(model: SpatialTumour | CloneTumour) -> pd.DataFrame:
    """The model's daily table so far (as ``TumourModel.timeseries``), safe to call while it steps.

    While playing, SolaraViz steps the model in one thread as the page renders in another, so a
    day's row may be half collected: only days with every column are taken.
    """
    columns = dict(model.datacollector.model_vars)
    days = min(len(values) for values in columns.values())
    return pd.DataFrame({name: values[:days] for name, values in columns.items()})


def run_csv(model: SpatialTumour | CloneTumour) -> str:
    """The run so far as ``abm run`` writes its ``timeseries.csv`` (``abm.experiments.run``:
    the same columns, types and float form), its rows the days played."""
    table = days_so_far(model).astype({"day": "int64", "total": "int64", **dict.fromkeys(COUNT_COLUMNS, "int64")})
    return with_concentrations(table, model).to_csv(index=False, lineterminator="\n")


@solara.component
def ExportButton(model: SpatialTumour | CloneTumour) -> None:
    """A download of the run so far (``run_csv``), built when clicked."""
    update_counter.get()  # the file name says the day
    name = "".join(c if c.isalnum() else "-" for c in model.config.name.lower()).strip("-") or "run"
    solara.FileDownload(
        lambda: run_csv(model),
        filename=f"{name}-day{model.day}-timeseries.csv",
        mime_type="text/csv",
        children=[
            solara.Button(
                f"Download days 0-{model.day} (timeseries.csv)",
                icon_name="mdi-download",
                text=True,
                classes=["abm-export"],
            )
        ],
    )


def _scheduled(model: SpatialTumour | CloneTumour) -> tuple[str, ...]:
    return tuple(block.drug for block in model.config.schedule)


def _today(model: SpatialTumour | CloneTumour) -> str:
    counts, baseline = model.counts, model.course.baseline
    share = f" ({counts['total'] / baseline:.2f} of day 0)" if baseline else ""
    given = ", ".join(f"{drug} {dose:g}" for drug, dose in model.doses.items() if dose)
    return f"Day {model.day} of {model.days} · {counts['total']:,} cells{share} · today: {given or 'no drug'}"


def StatusLines(model: SpatialTumour | CloneTumour, table: pd.DataFrame, findings: str = "") -> None:
    """The day line, the clinic's ``findings`` and what is happening (``story.status``)."""
    with solara.Column(gap="0px", classes=["abm-status"]):
        solara.Text(_today(model))
        if findings:
            solara.Text(findings)
        solara.Text(status(table, any(model.doses.values())), classes=["abm-story"], style={"font-weight": "bold"})
        if model.day >= model.days and model.counts["total"]:
            solara.Text(f"The run is over: its {model.days} days are done (Reset to start again).")


@solara.component
def SidebarCard(title: str, draft: solara.Reactive[ScenarioConfig], kind: str, initial: ScenarioConfig) -> None:
    """The scenario controls as a card under SolaraViz's own cards (a sidebar orders its
    contributions by depth in the page, so this one is nested below SolaraViz's)."""
    _Deeper(lambda: _card(title, draft, kind, initial))


@solara.component
def _Deeper(render) -> None:
    _Deepest(render)


@solara.component
def _Deepest(render) -> None:
    with solara.Sidebar():
        render()


def _card(title: str, draft: solara.Reactive[ScenarioConfig], kind: str, initial: ScenarioConfig) -> None:
    with solara.Card(title, classes=["abm-controls"]):
        ScenarioControls(draft, kind, initial)


# --- spatial page ---------------------------------------------------------------------------
@solara.component_vue("lattice.vue")
def _LatticeImage(src: str, columns: int, rows: int, info: str, event_hover: Callable[[dict], None]) -> None:
    pass


@solara.component
def LatticeImage(model: SpatialTumour) -> None:
    """Today's lattice, one pixel per site scaled up by the browser without blurring (cheaper than
    a big PNG); the site under the pointer shows its state, followed day by day while playing."""
    update_counter.get()  # the model object stays the same from day to day: draw again after each
    site, set_site = solara.use_state(None)
    png = base64.b64encode(lattice_png(model.lattice, size=0)).decode()
    width, height = model.lattice.shape
    _LatticeImage(
        src=f"data:image/png;base64,{png}",
        columns=width,
        rows=height,
        info=site_text(model.lattice, *site) if site else "",
        event_hover=lambda at: set_site((int(at["x"]), int(at["y"])) if at else None),
    )


def LatticeView(model: SpatialTumour):
    """Today's lattice, one colour per mechanism, with the legend; it takes the column's width."""
    with solara.Column(
        gap="4px", classes=["abm-lattice"], style={"flex": "1 1 360px", "max-width": "min(640px, 100%, 70vh)"}
    ) as view:
        LatticeImage(model)
        with solara.Row(gap="10px", style={"flex-wrap": "wrap", "font-size": "0.85em"}):
            for name, colour in [*MECHANISM_COLOURS.items(), ("empty", EMPTY_COLOUR)]:
                with solara.Row(gap="3px", style={"align-items": "center"}):
                    swatch = f"width: 12px; height: 12px; background: {colour}; border: 1px solid #999"
                    solara.HTML(tag="span", unsafe_innerHTML="", style=swatch)
                    solara.Text(name)
        solara.Text(
            "A cell with several mechanisms is drawn in the first it carries of: " + ", ".join(DRAW_PRIORITY) + ".",
            style={"font-size": "0.75em", "color": "#666"},
        )
    return view


@solara.component
def TumourView(model: SpatialTumour) -> None:
    """The spatial page's main area: status, the lattice and the charts side by side (stacked
    when the window is narrow)."""
    update_counter.get()  # SolaraViz bumps it after each day: draw again
    table = days_so_far(model)
    with solara.Column(gap="6px", style={"padding": "12px"}):
        StatusLines(model, table)
        with solara.Row(gap="16px", style={"flex-wrap": "wrap", "align-items": "flex-start"}):
            LatticeView(model)
            with solara.Column(gap="4px"):
                figure(run_chart(table, model.days, _scheduled(model), events(table, model.config)))
                ExportButton(model)


def _model_page(kind: str, viewed: type, card: str, view, name: str) -> None:
    """A SolaraViz page of one model, built from the scenario its sidebar card edits, its main
    area drawn by ``view(model)`` (not SolaraViz's grid of components: that clipped the charts
    of a narrow window and showed a "Page 0" tab)."""
    initial = solara.use_memo(lambda: initial_scenario(kind), [])
    draft = solara.use_reactive(initial)
    pacer = use_pacer()
    first = solara.use_memo(lambda: viewed(draft=draft, pacer=pacer), [])
    model = solara.use_reactive(first)
    solara.Style(PAGE_CSS)
    SidebarCard(card, draft, kind, initial)
    SolaraViz(
        model,
        components=[],
        model_params={"draft": draft, "pacer": pacer, "seed": _seed_input(initial)},
        play_interval=PLAY_INTERVAL_MS,
        name=name,
    )
    view(model.value)


@solara.component
def TumourPage() -> None:
    """The spatial model under therapy."""
    _model_page(
        "spatial", ViewedTumour, "Scenario", TumourView, "EGFR-mutant tumour under therapy: response, then resistance"
    )


# --- patient page ---------------------------------------------------------------------------
def _visits(model: CloneTumour, table: pd.DataFrame) -> pd.DataFrame:
    """One row per imaging visit: day, sum of diameters, and what it showed."""
    recist, table = model.recist, table.set_index("day")
    progressions = list(recist.progression_days)
    rows = []
    nadir_day, nadir_mm = None, None
    for day, mm in list(recist.visits):
        if day not in table.index:  # scanned today, row not collected yet
            continue
        finding = "baseline" if not rows else "progression" if day in progressions else "scan"
        if (
            finding != "progression"
            and (nadir_mm is None or mm < nadir_mm)
            and (not progressions or day < progressions[0])
        ):
            nadir_day, nadir_mm = day, mm
        rows.append({"day": day, "mm": mm, "finding": finding})
    visits = pd.DataFrame(rows, columns=["day", "mm", "finding"])
    if nadir_day is not None and nadir_day != 0:
        visits.loc[visits["day"] == nadir_day, "finding"] = "nadir"
    return visits


@solara.component
def PatientView(model: CloneTumour) -> None:
    """The patient page's main area: status and RECIST findings, burden, shares and doses."""
    update_counter.get()  # SolaraViz bumps it after each day: draw again
    recist = model.recist
    progression = recist.progression_day
    if len(recist.visits) < 2:
        verdict = f"No scan since baseline yet (every {model.config.clinical.imaging_interval_days} days)"
    else:
        verdict = f"Best response {recist.best_response} · " + (
            f"first progression on day {progression}" if progression is not None else "no progression yet"
        )
    table = days_so_far(model)
    with solara.Column(gap="6px", style={"padding": "12px"}):
        StatusLines(model, table, verdict)
        with solara.Row(gap="16px", style={"flex-wrap": "wrap", "align-items": "flex-start"}):
            figure(burden_chart(table, _visits(model, table), model.days))
            with solara.Column(gap="4px"):
                figure(shares_chart(table, model.days, _scheduled(model)))
                ExportButton(model)


@solara.component
def PatientPage() -> None:
    """One virtual patient of the clone model."""
    _model_page("clone", ViewedPatient, "Patient", PatientView, "One virtual patient (clone model)")


routes = [
    solara.Route(path="/", component=TumourPage, label="Tumour on the lattice"),
    solara.Route(path="patient", component=PatientPage, label="Virtual patient"),
]
