"""The SolaraViz app behind ``abm viz``: the spatial model, and one virtual patient of the clone model,
each on one schedule or on several side by side.

Run by ``abm viz`` (``solara run abm.viz.app``). The scenario given on the command line arrives
in ``ABM_VIZ_SCENARIO`` (a path; unset: the built-in default).

Each page is Mesa's ``SolaraViz`` (Reset / Play / Step, the play and render intervals, a
seed) with the scenario controls added to its sidebar. SolaraViz's Reset rebuilds the model
as ``type(model)(**model_params)``; the page's model is an ``arms.Arms`` (one tumour per
schedule, stepped together) that takes the scenario being edited and the schedules compared
with it (solara reactives) and the seed, and builds the tumours from them.
"""

from __future__ import annotations

import base64
import html
import os
from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd
import reacton.core
import solara
from mesa.visualization import SolaraViz
from mesa.visualization.utils import force_update, update_counter

from abm.biology.drugs import DRUG_NAMES
from abm.clinic.schedule import DosingBlock
from abm.config.scenario import ScenarioConfig, load, with_seed
from abm.models.clone import CloneTumour
from abm.models.spatial import SpatialTumour
from abm.report.colours import DRAW_PRIORITY, EMPTY_COLOUR, MECHANISM_COLOURS
from abm.viz.arms import Arm, Arms, days_so_far, run_csv, with_schedule
from abm.viz.charts import arms_chart, burden_chart, figure, run_chart, shares_chart
from abm.viz.controls import ScenarioControls, as_kind
from abm.viz.lattice import lattice_png, site_text
from abm.viz.story import events, status

__all__ = ["PatientArms", "TumourArms", "days_so_far", "run_csv"]

PLAY_INTERVAL_MS = 5  # SolaraViz's pause between days while playing
DRUG_COLUMNS = tuple(DRUG_NAMES)

# The page's own layout over SolaraViz's: the sidebar keeps its width whatever the scenario's name
# (solara sizes it to its content, 400-600 px: a long name, or a scrollbar appearing, widened it),
# SolaraViz's controls the page does not use are hidden (its "Use Threads" box, its
# "Information" card repeating the day: the third card of its sidebar column), and the empty
# places SolaraViz leaves in the main area (its app bar's and sidebar's) take no gaps above the page.
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
.solara-autorouter-content > .d-flex { row-gap: 0 !important; }
.solara-autorouter-content > .d-flex > .d-flex:not(:has(.abm-scrubber)) { row-gap: 0 !important; }
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


class _ViewedArms(Arms):
    """The page's model: the scenario the controls are editing on its schedule and on each schedule
    compared with it, with the chosen seed; it waits before each day until the page has drawn
    the last one.

    SolaraViz's Reset passes Mesa's own Scenario (``scenario=``) only to a model whose ``__init__``
    names it or takes ``**kwargs``; this takes neither, so Mesa makes the model's Scenario itself.
    """

    kind: str  # the model kind its scenario is turned into
    tumour: type[SpatialTumour] | type[CloneTumour]

    def __init__(
        self,
        draft: solara.Reactive[ScenarioConfig] | None = None,
        seed: int | None = None,
        pacer: RenderPacer | None = None,
        compared: solara.Reactive[list[tuple[DosingBlock, ...]]] | None = None,
    ) -> None:
        self.pacer = pacer
        scenario = draft.value if draft is not None else initial_scenario(self.kind)
        if seed is not None and seed != scenario.model.seed:
            scenario = with_seed(scenario, int(seed), "the seed")  # validated: a negative seed is a clear InputError
        others = compared.value if compared is not None else []
        scenarios = [scenario] + [with_schedule(scenario, schedule, "the compared schedule") for schedule in others]
        super().__init__(scenarios, self.tumour)

    def step(self) -> None:
        """Advance one day (or replay one), once the page is not rendering."""
        if self.pacer is not None:
            self.pacer.wait()
        super().step()


class TumourArms(_ViewedArms):
    """The spatial model as the viz builds it, on each schedule."""

    kind = "spatial"
    tumour = SpatialTumour


class PatientArms(_ViewedArms):
    """One virtual patient of the clone model, on each schedule."""

    kind = "clone"
    tumour = CloneTumour


def _seed_input(scenario: ScenarioConfig) -> dict[str, Any]:
    return {"type": "SliderInt", "value": scenario.model.seed, "min": 0, "max": 99, "step": 1, "label": "seed"}


def _file_name(arm: Arm, what: str) -> str:
    return f"{arm.slug}-day{arm.day}-{what}"


@solara.component
def ExportButtons(arm: Arm, letter: str = "") -> None:
    """Downloads of the run so far, built when clicked: its ``timeseries.csv`` (``run_csv``) and the
    report ``abm run --report`` writes (``Arm.report_html``)."""
    update_counter.get()  # the file names say the day
    tag = f"{letter}: " if letter else ""
    with solara.Column(gap="0px", style={"align-items": "flex-start"}):  # one under the other: no wider than a chart
        solara.FileDownload(
            lambda: run_csv(arm.model),
            filename=_file_name(arm, "timeseries.csv"),
            mime_type="text/csv",
            children=[
                solara.Button(
                    f"{tag}days 0-{arm.day} (timeseries.csv)",
                    icon_name="mdi-download",
                    text=True,
                    classes=["abm-export"],
                )
            ],
        )
        solara.FileDownload(
            arm.report_html,
            filename=_file_name(arm, "report.html"),
            mime_type="text/html",
            children=[
                solara.Button(
                    f"{tag}report (report.html)", icon_name="mdi-file-chart", text=True, classes=["abm-export-report"]
                )
            ],
        )


def _scheduled(model: SpatialTumour | CloneTumour) -> tuple[str, ...]:
    return tuple(block.drug for block in model.config.schedule)


def day_line(table: pd.DataFrame, days: int) -> str:
    """'Day 12 of 730 · 1,234 cells (0.41 of day 0) · today: osimertinib 1' for the table's last day."""
    today, baseline = table.iloc[-1], table["total"].iloc[0]
    share = today["total"] / baseline if baseline else None
    share = (
        ""
        if share is None
        else f" ({share:.2f} of day 0)"
        if share >= 0.01 or not share
        else f" ({share:.2g} of day 0)"
    )
    given = ", ".join(f"{drug} {today[drug]:g}" for drug in DRUG_COLUMNS if today[drug])
    return f"Day {int(today['day'])} of {days} · {int(today['total']):,} cells{share} · today: {given or 'no drug'}"


def StatusLines(arm: Arm, table: pd.DataFrame, findings: str = "", live: bool = True, lines: int = 0) -> None:
    """The day line, the clinic's ``findings`` and what is happening (``story.status``) on the
    table's last day; at least ``lines`` lines high (side by side, so the lattices below line up)."""
    style = {"min-height": f"{1.5 * lines}em"} if lines else {}
    model = arm.model
    with solara.Column(gap="0px", classes=["abm-status"], style=style):
        solara.Text(day_line(table, model.days))
        if findings:
            solara.Text(findings)
        treated = bool(table.iloc[-1][list(DRUG_COLUMNS)].to_numpy().any())
        solara.Text(status(table, treated), classes=["abm-story"], style={"font-weight": "bold"})
        if live and model.day >= model.days and model.counts["total"]:
            solara.Text(f"The run is over: its {model.days} days are done (Reset to start again).")


@solara.component
def Scrubber(arms: Arms) -> None:
    """A slider over the days run so far: the page shows the day picked; Play and Step replay from
    there up to the live day, then run on."""
    update_counter.get()
    live, shown = arms.day, arms.shown

    def seek(day: int) -> None:
        arms.view(day)
        force_update()

    # room above for the slider's day label (shown while dragging)
    row = {"align-items": "center", "flex-wrap": "wrap", "padding-top": "30px"}  # ma-0: margins are overridden
    with solara.Row(gap="12px", style=row, classes=["abm-scrubber"]):
        with solara.Column(style={"flex": "1 1 320px", "max-width": "640px"}):
            solara.SliderInt(
                "day shown", value=shown, min=0, max=max(live, 1), on_value=seek, disabled=live == 0, thumb_label=True
            )
        if shown < live:
            solara.Text(
                f"Looking back at day {shown}; the run is on day {live}. ▶ and Step replay from here.",
                classes=["abm-looking-back"],
                style={"color": "#8a4b00"},
            )
            solara.Button(
                f"back to day {live}",
                icon_name="mdi-skip-forward",
                text=True,
                on_click=lambda: seek(live),
                classes=["abm-live"],
            )


@solara.component
def SidebarCard(title: str, controls: Callable[[], None]) -> None:
    """The scenario controls as a card under SolaraViz's own cards (a sidebar orders its
    contributions by depth in the page, so this one is nested below SolaraViz's)."""
    _Deeper(lambda: _card(title, controls))


@solara.component
def _Deeper(render) -> None:
    _Deepest(render)


@solara.component
def _Deepest(render) -> None:
    with solara.Sidebar():
        render()


def _card(title: str, controls: Callable[[], None]) -> None:
    with solara.Card(title, classes=["abm-controls"]):
        controls()


# --- spatial page ---------------------------------------------------------------------------
@solara.component_vue("lattice.vue")
def _LatticeImage(src: str, columns: int, rows: int, info: str, event_hover: Callable[[dict], None]) -> None:
    pass


@solara.component
def LatticeImage(arm: Arm, day: int) -> None:
    """The lattice of ``day``, one pixel per site scaled up by the browser without blurring (cheaper
    than a big PNG); the site under the pointer shows its state, followed day by day while playing."""
    site, set_site = solara.use_state(None)
    lattice = arm.lattice(day)
    png = base64.b64encode(lattice_png(lattice, size=0)).decode()
    width, height = lattice.shape
    _LatticeImage(
        src=f"data:image/png;base64,{png}",
        columns=width,
        rows=height,
        info=site_text(lattice, *site) if site else "",
        event_hover=lambda at: set_site((int(at["x"]), int(at["y"])) if at else None),
    )


def LatticeView(arm: Arm, day: int, widest: str = "min(640px, 100%, 70vh)"):
    """The lattice of ``day``, one colour per mechanism, with the legend; it takes the column's width."""
    with solara.Column(gap="4px", classes=["abm-lattice"], style={"flex": "1 1 360px", "max-width": widest}) as view:
        LatticeImage(arm, day)
        solara.HTML(tag="div", unsafe_innerHTML=LEGEND_HTML, classes=["abm-legend"])
    return view


def _legend_html() -> str:
    """The lattice's legend as one piece of HTML: one widget, not three per entry, since the page
    sends every widget it redraws each day (the legend's ~55 were half a day's redraw)."""
    entry = (
        '<span style="display: inline-flex; align-items: center; gap: 3px; margin-right: 10px">'
        '<span style="width: 12px; height: 12px; background: {colour}; border: 1px solid #999"></span>{name}</span>'
    )
    entries = "".join(
        entry.format(colour=colour, name=html.escape(name))
        for name, colour in [*MECHANISM_COLOURS.items(), ("empty", EMPTY_COLOUR)]
    )
    rule = "A cell with several mechanisms is drawn in the first it carries of: " + ", ".join(DRAW_PRIORITY) + "."
    return (
        f'<div style="display: flex; flex-wrap: wrap; font-size: 0.85em; line-height: 1.6">{entries}</div>'
        f'<div style="font-size: 0.75em; color: #666">{html.escape(rule)}</div>'
    )


LEGEND_HTML = _legend_html()


def _arm_heading(arm: Arm, arms: Arms) -> None:
    if len(arms.arms) > 1:
        solara.Text(
            f"{arm.letter} · {arm.label}", classes=["abm-arm-name"], style={"font-weight": "bold", "font-size": "1.1em"}
        )


def TumourArm(arm: Arm, arms: Arms, day: int) -> None:
    """One schedule on the spatial page: its status, lattice and charts on ``day``."""
    model = arm.model
    table = arm.table(day)
    single = len(arms.arms) == 1
    with solara.Column(gap="6px", classes=["abm-arm"], style={"flex": "1 1 440px", "min-width": "0"}):
        _arm_heading(arm, arms)
        StatusLines(arm, table, live=day >= arms.day, lines=0 if single else 4)
        # one schedule: the lattice beside its charts; several: each schedule's in a column
        with solara.Row(gap="16px", style={"flex-wrap": "wrap", "align-items": "flex-start"}):
            LatticeView(arm, day, "min(640px, 100%, 70vh)" if single else "min(480px, 100%)")
            with solara.Column(gap="4px"):
                figure(run_chart(table, model.days, _scheduled(model), events(table, model.config)))
                ExportButtons(arm, "" if single else arm.letter)


@solara.component
def ArmsView(arms: Arms, arm_view: Callable[[Arm, Arms, int], None], title: str) -> None:
    """A page's main area: the day scrubber, every schedule's ``title`` on one chart (when
    there are several), then each schedule's own view, ``arm_view(arm, arms, day)`` (side by
    side; stacked when the window is narrow)."""
    update_counter.get()  # SolaraViz bumps it after each day: draw again
    day = arms.shown
    with solara.Column(gap="8px", style={"padding": "12px"}):
        Scrubber(arms)
        if len(arms.arms) > 1:
            tables = {a.letter: a.table(day) for a in arms.arms}
            figure(arms_chart(tables, arms.days, title, {a.letter: a.label for a in arms.arms}))
        with solara.Row(gap="24px", style={"flex-wrap": "wrap", "align-items": "flex-start"}):
            for arm in arms.arms:
                arm_view(arm, arms, day)


def TumourView(arms: Arms):
    """The spatial page's main area: each schedule's status, lattice and charts."""
    return ArmsView(arms, TumourArm, "Cells on the lattice, each schedule")


@solara.component
def Controls(kind: str, draft: solara.Reactive[ScenarioConfig], compared, initial: ScenarioConfig) -> None:
    """The scenario controls (schedule A and the schedules compared with it)."""
    ScenarioControls(draft, kind, initial, compared)


def _model_page(kind: str, viewed: type[_ViewedArms], card: str, view, name: str) -> None:
    """A SolaraViz page of one model on each schedule, built from the scenario its sidebar card
    edits, its main area drawn by ``view(arms)`` (not SolaraViz's grid of components: that clipped
    the charts of a narrow window and showed a "Page 0" tab)."""
    initial = solara.use_memo(lambda: initial_scenario(kind), [])
    draft = solara.use_reactive(initial)
    compared = solara.use_reactive([])
    pacer = use_pacer()
    first = solara.use_memo(lambda: viewed(draft=draft, pacer=pacer, compared=compared), [])
    model = solara.use_reactive(first)
    solara.Style(PAGE_CSS)
    SidebarCard(card, lambda: Controls(kind, draft, compared, initial))
    SolaraViz(
        model,
        components=[],
        model_params={"draft": draft, "pacer": pacer, "compared": compared, "seed": _seed_input(initial)},
        play_interval=PLAY_INTERVAL_MS,
        name=name,
    )
    view(model.value)


@solara.component
def TumourPage() -> None:
    """The spatial model under therapy."""
    _model_page(
        "spatial", TumourArms, "Scenario", TumourView, "EGFR-mutant tumour under therapy: response, then resistance"
    )


# --- patient page ---------------------------------------------------------------------------
def _visits(progression_days: Sequence[int], visits: Sequence[tuple[int, float]], table: pd.DataFrame) -> pd.DataFrame:
    """One row per imaging visit of the table's days: day, sum of diameters, and what it showed."""
    table = table.set_index("day")
    progressions = [day for day in progression_days if day in table.index]
    rows = []
    nadir_day, nadir_mm = None, None
    for day, mm in list(visits):
        if day not in table.index:  # scanned today, row not collected yet (or a later day than shown)
            continue
        finding = "baseline" if not rows else "progression" if day in progressions else "scan"
        if (
            finding != "progression"
            and (nadir_mm is None or mm < nadir_mm)
            and (not progressions or day < progressions[0])
        ):
            nadir_day, nadir_mm = day, mm
        rows.append({"day": day, "mm": mm, "finding": finding})
    found = pd.DataFrame(rows, columns=["day", "mm", "finding"])
    if nadir_day is not None and nadir_day != 0:
        found.loc[found["day"] == nadir_day, "finding"] = "nadir"
    return found


def verdict_line(arm: Arm, day: int) -> str:
    """What imaging has shown by ``day``: best response and first progression (RECIST)."""
    scans, best, progression = arm.verdict(day)
    if scans < 2:
        return f"No scan since baseline yet (every {arm.model.config.clinical.imaging_interval_days} days)"
    return f"Best response {best} · " + (
        f"first progression on day {progression}" if progression is not None else "no progression yet"
    )


def PatientArm(arm: Arm, arms: Arms, day: int) -> None:
    """One schedule on the patient page: its status and RECIST course, burden, shares and doses."""
    model = arm.model
    table = arm.table(day)
    recist = model.recist
    with solara.Column(gap="6px", classes=["abm-arm"], style={"flex": "1 1 440px", "min-width": "0"}):
        _arm_heading(arm, arms)
        StatusLines(arm, table, verdict_line(arm, day), live=day >= arms.day, lines=0 if len(arms.arms) == 1 else 5)
        with solara.Row(gap="16px", style={"flex-wrap": "wrap", "align-items": "flex-start"}):
            with solara.Column(gap="0px", style={"flex": "0 0 auto"}):  # not a full row of its own
                figure(burden_chart(table, _visits(recist.progression_days, recist.visits, table), model.days))
            with solara.Column(gap="4px"):
                figure(shares_chart(table, model.days, _scheduled(model)))
                ExportButtons(arm, "" if len(arms.arms) == 1 else arm.letter)


def PatientView(arms: Arms):
    """The patient page's main area: each schedule's course."""
    return ArmsView(arms, PatientArm, "Tumour cells, each schedule")


@solara.component
def PatientPage() -> None:
    """One virtual patient of the clone model."""
    _model_page("clone", PatientArms, "Patient", PatientView, "One virtual patient (clone model)")


routes = [
    solara.Route(path="/", component=TumourPage, label="Tumour on the lattice"),
    solara.Route(path="patient", component=PatientPage, label="Virtual patient"),
]
