"""The viz's scenario controls: pick a shipped scenario, edit its schedule, key rates and model size.

The controls edit a scenario as plain data (``ScenarioConfig.model_dump``); every edit is validated
the same way a scenario file is (``scenario.validate``), and the last valid scenario is what
the next Reset builds. An invalid edit shows the one-line message a file would give.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import solara

from abm.biology.drugs import DRUG_NAMES, DRUGS
from abm.biology.mechanisms import Route
from abm.clinic.readouts import READOUT_NAMES
from abm.clinic.schedule import DosingBlock
from abm.config.paths import set_in
from abm.config.scenario import CloneSettings, ScenarioConfig, SpatialSettings, file_kind, load, validate
from abm.io.errors import InputError
from abm.viz.arms import COMPARE_WITH, LETTERS, schedule_label, shipped_schedule, with_schedule

SCENARIO_DIR = Path(__file__).resolve().parent.parent.parent / "scenarios"

# The rates users most often vary; every other parameter keeps the scenario's value.
KEY_RATES: tuple[str, ...] = (
    "division_rate",
    "death_rate",
    "drug_kill_rate",
    "persister_entry_fraction",
    "axl_induction_rate",
    "met_amplification_rate",
    "t790m_mutation_rate",
    "c797s_mutation_rate",
)
MODEL_FIELDS = {
    "spatial": ("width", "height", "initial_cells", "days"),
    "clone": ("initial_cells", "carrying_capacity", "days"),
}


def shipped_scenarios(kind: str) -> dict[str, Path]:
    """The shipped scenario files by name; for ``clone``, every single-tumour file (spatial ones
    become one patient under the same schedule and rates)."""
    found: dict[str, Path] = {}
    for path in sorted(SCENARIO_DIR.glob("*.toml")):
        with path.open("rb") as f:
            data = tomllib.load(f)
        if file_kind(data) != "scenario":  # trial and sweep files are not one tumour
            continue
        model_kind = data.get("model", {}).get("kind", "spatial")
        if kind == "spatial" and model_kind != "spatial":
            continue
        found[f"{path.stem}: {data.get('name', path.stem)}"] = path
    return found


def as_kind(scenario: ScenarioConfig, kind: str) -> ScenarioConfig:
    """The scenario on a model of ``kind``, keeping its schedule, rates, days and seed: a spatial
    scenario becomes one patient of the clone model (its default tumour size), a clone scenario
    a tumour on the default lattice."""
    if scenario.model.kind == kind:
        return scenario
    data = scenario.model_dump(mode="json")
    settings = CloneSettings(kind="clone") if kind == "clone" else SpatialSettings()
    data["model"] = {**settings.model_dump(), "days": scenario.model.days, "seed": scenario.model.seed}
    return validate(data, f"{scenario.name} (on the {kind} model)")  # days and seed validated here


def edited(data: dict[str, Any], path: tuple[str | int, ...], value: Any) -> dict[str, Any]:
    """The controls' data with ``value`` at ``path``, set as `--set` sets it (``abm.config.paths``);
    ``validate(data, "the controls")`` then checks it as a scenario file is checked."""
    return set_in(data, {path: value}, source="the controls")


def without_block(data: dict[str, Any], index: int) -> dict[str, Any]:
    """The controls' data without dosing block ``index``."""
    return edited(data, ("schedule",), [b for i, b in enumerate(data["schedule"]) if i != index])


FIRST_LINE = "osimertinib"  # the standard first line (FLAURA): what an empty schedule gets first
EGFR_ROUTES = {r for r in Route if r.value.startswith("egfr_")}


def next_drug(scheduled: list[str]) -> str:
    """The drug "add drug" adds: osimertinib to an empty schedule, else the first drug (in the
    drug table's order) that blocks a route the schedule leaves open, a bypass route (MET, AXL,
    HER2, IGF-1R) before another EGFR inhibitor; a drug already scheduled only when none is left."""
    if not scheduled:
        return FIRST_LINE
    covered = {route for drug in scheduled for route in DRUGS[drug].blocks}
    fresh = [name for name in DRUG_NAMES if name not in scheduled and set(DRUGS[name].blocks) - covered]
    fresh.sort(key=lambda name: bool(set(DRUGS[name].blocks) - covered <= EGFR_ROUTES))  # stable: table order
    return (fresh or [n for n in DRUG_NAMES if n not in scheduled] or [FIRST_LINE])[0]


def _heading(text: str) -> None:
    # Not solara.Markdown: it loads mermaid from the CDN, one more asset to ship for bold text.
    solara.Text(text, style={"font-weight": "bold", "margin-top": "8px"})


@solara.component
def ScenarioControls(
    draft: solara.Reactive[ScenarioConfig],
    kind: str,
    initial: ScenarioConfig,
    compared: solara.Reactive[list[tuple[DosingBlock, ...]]] | None = None,
) -> None:
    """Controls editing ``draft``, the scenario the next Reset builds, and ``compared``, the
    schedules it is compared with (each on the same scenario and seed)."""
    data = solara.use_reactive(initial.model_dump(mode="json"))
    error = solara.use_reactive("")
    choices = solara.use_memo(lambda: shipped_scenarios(kind), [])
    start_label = f"(start) {initial.name}"
    picked = solara.use_reactive(start_label)

    def apply(new: dict[str, Any]) -> None:
        data.set(new)
        try:
            draft.set(validate(new, "the controls"))
            error.set("")
        except InputError as problem:
            error.set(str(problem))

    def edit(path: tuple[str | int, ...]) -> Callable[[Any], None]:
        return lambda value: apply(edited(data.value, path, value))

    def remove(index: int) -> None:
        apply(without_block(data.value, index))

    def pick(label: str) -> None:
        picked.set(label)
        try:
            chosen = initial if label == start_label else as_kind(load(choices[label]), kind)
        except InputError as problem:
            error.set(str(problem))
            return
        apply(chosen.model_dump(mode="json"))

    solara.Select(
        "scenario", values=[start_label, *choices], value=picked.value, on_value=pick, classes=["abm-scenario"]
    )
    current = data.value
    solara.Text(current.get("description", ""), style={"font-size": "0.85em", "color": "#555"})
    # The message always has its place, so the blocks below keep theirs in the page: an error
    # inserted before them shifted each block onto its neighbour's fields (dose -1 in block 2
    # showed in block 1's).
    with solara.Column(gap="0px"):
        if error.value:
            solara.Error(error.value, dense=True, classes=["abm-controls-error"])
    _heading(
        "Schedule A (applies on Reset)" if compared is not None and compared.value else "Schedule (applies on Reset)"
    )
    for index, block in enumerate(current["schedule"]):
        BlockControls(index, block, edit, remove).key(f"block-{index}")
    with solara.Row(style={"flex-wrap": "wrap"}):
        solara.Button(
            "add drug",
            icon_name="mdi-plus",
            text=True,
            on_click=lambda: apply(
                edited(
                    current,
                    ("schedule",),
                    [*current["schedule"], {"drug": next_drug([b["drug"] for b in current["schedule"]])}],
                )
            ),
            classes=["abm-add-block"],
        )
        if compared is not None and len(compared.value) < len(LETTERS) - 1:
            solara.Button(
                "compare with another schedule",
                icon_name="mdi-compare-horizontal",
                text=True,
                on_click=lambda: compared.set([*compared.value, schedule_to_compare(draft.value, compared.value)]),
                classes=["abm-compare"],
            )
    if compared is not None:
        for index, schedule in enumerate(compared.value):
            ComparedSchedule(index, schedule, draft.value, compared).key(f"compared-{index}-{len(compared.value)}")
    _heading("Lattice and tumour" if kind == "spatial" else "Tumour")
    with solara.Row(style={"flex-wrap": "wrap"}):
        for name in MODEL_FIELDS[kind]:
            solara.InputInt(
                name.replace("_", " "),
                value=current["model"][name],
                on_value=edit(("model", name)),
                style={"max-width": "140px"},
                classes=[f"abm-model-{name}"],
            )
    _heading("Key rates (per day; mutations per division)")
    for name in KEY_RATES:
        solara.InputFloat(
            name.replace("_", " "),
            value=current["parameters"][name],
            on_value=edit(("parameters", name)),
            dense=True,
            classes=[f"abm-rate-{name}"],
        )


def schedule_to_compare(scenario: ScenarioConfig, compared: list[tuple[DosingBlock, ...]]) -> tuple[DosingBlock, ...]:
    """The schedule "compare" adds: osimertinib + the AXL inhibitor upfront (the shipped
    ``arms.COMPARE_WITH``) when not shown yet, else the shown schedule with one more drug
    (``next_drug``)."""
    shown = [scenario.schedule, *compared]
    first = shipped_schedule(COMPARE_WITH)
    if first not in shown:
        return first
    blocks = list(shown[-1])
    return (*blocks, DosingBlock(drug=next_drug([b.drug for b in blocks])))


@solara.component
def ComparedSchedule(
    index: int,
    schedule: tuple[DosingBlock, ...],
    scenario: ScenarioConfig,
    compared: solara.Reactive[list[tuple[DosingBlock, ...]]],
) -> None:
    """A schedule compared with the scenario's (B, C, ...): its blocks, a shipped scenario's
    schedule to start from, and a button taking it away. Each edit is validated as the scenario's
    schedule is; the last valid one is what the next Reset builds."""
    letter = LETTERS[index + 1]
    data = solara.use_reactive({"schedule": [b.model_dump(mode="json", exclude_defaults=True) for b in schedule]})
    error = solara.use_reactive("")
    sources = solara.use_memo(lambda: shipped_schedules(), [])

    def apply(new: dict[str, Any]) -> None:
        data.set(new)
        try:
            checked = with_schedule(scenario, new["schedule"], f"the controls (schedule {letter})").schedule
        except InputError as problem:
            error.set(str(problem))
            return
        error.set("")
        compared.set([checked if i == index else s for i, s in enumerate(compared.value)])

    def edit(path: tuple[str | int, ...]) -> Callable[[Any], None]:
        return lambda value: apply(edited(data.value, path, value))

    def take(label: str) -> None:
        apply({"schedule": [b.model_dump(mode="json", exclude_defaults=True) for b in sources[label]]})

    blocks = data.value["schedule"]
    with solara.Card(margin=0, elevation=2, classes=[f"abm-compared-{letter}"], style={"margin-top": "10px"}):
        with solara.Row(style={"align-items": "center"}):
            _heading(f"Schedule {letter}: {schedule_label(schedule)}")
            solara.Button(
                icon_name="mdi-close",
                icon=True,
                on_click=lambda: compared.set([s for i, s in enumerate(compared.value) if i != index]),
                classes=[f"abm-remove-{letter}"],
            )
        solara.Select(
            "take the schedule of", values=list(sources), value=None, on_value=take, classes=[f"abm-take-{letter}"]
        )
        with solara.Column(gap="0px"):
            if error.value:
                solara.Error(error.value, dense=True, classes=["abm-controls-error"])
        for number, block in enumerate(blocks):
            BlockControls(
                number, block, edit, lambda i: apply(without_block(data.value, i)), prefix=f"abm-{letter}-"
            ).key(f"{letter}-block-{number}")
        solara.Button(
            "add drug",
            icon_name="mdi-plus",
            text=True,
            on_click=lambda: apply(
                edited(data.value, ("schedule",), [*blocks, {"drug": next_drug([b["drug"] for b in blocks])}])
            ),
            classes=[f"abm-add-block-{letter}"],
        )


def shipped_schedules() -> dict[str, tuple[DosingBlock, ...]]:
    """The schedules of the shipped single-tumour scenarios, by the scenario's name (each once)."""
    found: dict[str, tuple[DosingBlock, ...]] = {}
    for label, path in shipped_scenarios("clone").items():
        schedule = load(path).schedule
        if schedule not in found.values():
            found[f"{label.split(':')[0]}: {schedule_label(schedule)}"] = schedule
    return found


@solara.component
def BlockControls(
    index: int,
    block: dict[str, Any],
    edit: Callable[[tuple[str | int, ...]], Callable],
    remove: Callable[[int], None],
    prefix: str = "abm-",
) -> None:
    """One dosing block: drug, dose, start and stop (a day or a readout trigger), on/off days, adaptive."""
    here = ("schedule", index)
    with solara.Card(margin=0, elevation=1, classes=[f"{prefix}block-{index}"]):
        with solara.Row():
            solara.Select("drug", values=list(DRUG_NAMES), value=block["drug"], on_value=edit((*here, "drug")))
            dose = block.get("dose", 1.0)
            if isinstance(dose, str):  # a dose in mg ("80 mg") stays text
                solara.InputText(
                    "dose", value=dose, on_value=edit((*here, "dose")), style="max-width: 70px", classes=["abm-dose"]
                )
            else:
                solara.InputFloat(
                    "dose", value=dose, on_value=edit((*here, "dose")), style="max-width: 70px", classes=["abm-dose"]
                )
            solara.Button(icon_name="mdi-delete", icon=True, on_click=lambda: remove(index), classes=["abm-remove"])
        WhenControls("start", block.get("start", 0), edit((*here, "start")), optional=False)
        WhenControls("stop", block.get("stop"), edit((*here, "stop")), optional=True)
        with solara.Row():
            solara.InputInt(
                "on days",
                value=block.get("on_days"),
                optional=True,
                on_value=edit((*here, "on_days")),
                style="max-width: 110px",
            )
            solara.InputInt(
                "off days", value=block.get("off_days", 0), on_value=edit((*here, "off_days")), style="max-width: 110px"
            )
        adaptive = block.get("adaptive")
        solara.Checkbox(
            label="adaptive (pause when small)",
            value=adaptive is not None,
            on_value=lambda on: edit((*here, "adaptive"))(
                {"readout": "burden_fraction", "pause_below": 0.5, "resume_at": 1.0} if on else None
            ),
        )
        if adaptive is not None:
            with solara.Row():
                solara.InputFloat(
                    "pause below",
                    value=adaptive["pause_below"],
                    on_value=edit((*here, "adaptive", "pause_below")),
                    style="max-width: 110px",
                )
                solara.InputFloat(
                    "resume at",
                    value=adaptive["resume_at"],
                    on_value=edit((*here, "adaptive", "resume_at")),
                    style="max-width: 110px",
                )
            solara.Text(f"of {adaptive['readout']}", style={"font-size": "0.8em"})


@solara.component
def WhenControls(what: str, when: Any, on_value: Callable[[Any], None], optional: bool) -> None:
    """A start or stop: a day, a trigger on a readout, or (for a stop) never."""
    if isinstance(when, dict) and "all" in when:  # all of several triggers: shown, edited in the file
        conditions = " and ".join(
            f"{t['readout']} {'above' if t.get('above') is not None else 'below'} "
            f"{t['above'] if t.get('above') is not None else t['below']}"
            for t in when["all"]
        )
        solara.Text(f"{what}: when {conditions}", classes=[f"abm-{what}"])
        return
    modes = ["never", "day", "readout"] if optional else ["day", "readout"]
    mode = "never" if when is None else "day" if isinstance(when, int) else "readout"

    def set_mode(new: str) -> None:
        if new == "never":
            on_value(None)
        elif new == "day":
            on_value(0)
        else:
            on_value({"readout": "burden_fraction", "above": 1.2, "below": None})

    with solara.Row(classes=[f"abm-{what}"]):
        solara.Select(what, values=modes, value=mode, on_value=set_mode, style="max-width: 100px")
        if mode == "day":
            solara.InputInt(f"{what} day", value=when, on_value=on_value, classes=[f"abm-{what}-day"])
        elif mode == "readout":
            side = "above" if when.get("above") is not None else "below"
            solara.Select(
                "readout",
                values=list(READOUT_NAMES),
                value=when["readout"],
                on_value=lambda name: on_value({**when, "readout": name}),
            )
            solara.Select(
                "when",
                values=["above", "below"],
                value=side,
                on_value=lambda new: on_value({"readout": when["readout"], new: when[side], side: None}),
                style="max-width: 90px",
            )
            solara.InputFloat(
                "threshold", value=when[side], on_value=lambda v: on_value({**when, side: v}), style="max-width: 90px"
            )
