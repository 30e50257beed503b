"""The documentation site: its generated reference pages list everything the code defines, its
pages are in the navigation, it loads nothing from the internet, and the commands the README and
the tutorial tell a reader to type parse and name files that exist.

The site itself is built with ``mkdocs build --strict`` by ``make docs`` (part of ``make test``);
the notebook is executed by nbmake in the same ``make test``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import re
import shlex
from pathlib import Path
from types import ModuleType

import pytest
import yaml

from abm.biology.drugs import DRUG_NAMES, DRUGS
from abm.biology.mechanisms import COUNT_COLUMNS
from abm.biology.parameters import Parameters
from abm.cli import build_parser
from abm.clinic.readouts import READOUT_NAMES
from abm.config.files import locate
from abm.experiments.optimise import STATISTICS
from abm.experiments.sweep.metrics import CALIBRATION_DISTANCE, RUN_METRICS, TRIAL_STATISTICS
from abm.experiments.validation import CHECKS, DISH_TARGETS, TRIAL_TARGETS
from abm.io.schema import TABLES
from tests.conftest import ROOT

DOCS = ROOT / "docs"
SCRIPTS = DOCS / "scripts"


def script(name: str) -> ModuleType:
    """A module of docs/scripts/ (not a package: mkdocs-gen-files runs them by path)."""
    spec = importlib.util.spec_from_file_location(f"docs_{name}", SCRIPTS / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def reference() -> ModuleType:
    return script("gen_reference")


def section(page: str, heading: str) -> str:
    """The text of ``page`` from the ``## heading`` line to the next ``## ``."""
    match = re.search(rf"^## {re.escape(heading)}( \{{[^}}]*\}})?$", page, re.MULTILINE)
    assert match, f"no section {heading!r}"
    rest = page[match.end() :]
    following = re.search(r"^## ", rest, re.MULTILINE)
    return rest[: following.start()] if following else rest


def row(page: str, name: str) -> str:
    """The table row whose first cell is ``name`` in backticks."""
    found = [line for line in page.splitlines() if line.startswith(f"| `{name}` |")]
    assert len(found) == 1, f"{name}: {len(found)} rows"
    return found[0]


def escaped(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


# --- the generated reference pages -----------------------------------------------------------
def test_the_cli_page_lists_every_command_and_option_with_its_help(reference: ModuleType) -> None:
    page = reference.cli_page()
    subparsers = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    assert len(subparsers.choices) >= 12
    for name, command in subparsers.choices.items():
        text = section(page, f"abm {name}")
        for action in command._actions:
            if isinstance(action, argparse._HelpAction):
                continue
            for option in action.option_strings or [action.metavar or action.dest]:
                assert f"`{option}`" in text, f"abm {name}: {option}"
            assert escaped(action.help.replace("%%", "%")) in text, f"abm {name} {action.dest}: help"


def test_the_parameters_page_lists_every_parameter_with_default_range_and_source(reference: ModuleType) -> None:
    page = reference.parameters_page()
    rows = Parameters.describe()
    assert len(rows) == len(Parameters.model_fields) > 20
    for described in rows:
        name = described["name"]
        overview = next(line for line in page.splitlines() if line.startswith(f"| [`{name}`](#{name}) |"))
        assert escaped(described["allowed"]) in overview, name
        text = page[page.index(f"### `{name}`") :].split("\n### ")[0]
        for fact in (described["allowed"], described["meaning"], described["source"]):
            assert fact in text, f"{name}: {fact[:40]}"


def test_a_parameter_default_is_shown_as_its_value(reference: ModuleType) -> None:
    page = reference.parameters_page()
    text = page[page.index("### `persister_entry_fraction`") :].split("\n### ")[0]
    default = Parameters.model_fields["persister_entry_fraction"].default
    assert f"Default `{default!r}`" in text or f"Default `{default:.3g}`" in text


def test_the_drugs_page_lists_every_drug_with_regimen_action_and_sources(reference: ModuleType) -> None:
    page = reference.drugs_page()
    assert len(DRUGS) == len(DRUG_NAMES) > 15
    for drug in DRUGS.values():
        text = section(page, drug.name)
        for fact in (drug.drug_class, drug.pk.regimen, drug.source, drug.pk.source, drug.pk.reference.source):
            assert escaped(fact) in text, f"{drug.name}: {fact[:40]}"
        for route, strength in drug.blocks.items():
            assert f"{route.value} {strength:.0%}" in text, drug.name
        if drug.cytotoxic:
            assert f"kills {drug.cytotoxic:.0%}" in text, drug.name


def test_the_outputs_page_lists_every_column_of_every_file(reference: ModuleType) -> None:
    page = reference.outputs_page()
    groups = {"<count column>": COUNT_COLUMNS, "<drug>": DRUG_NAMES}
    for table in TABLES:
        text = section(page, table.file) if page.count(f"## {table.file} ") == 1 else None
        if text is None:  # two files of one name (summary.json, posterior.csv): find this one's section
            anchor = reference._anchor(table)
            text = page[page.index(f"{{ #{anchor} }}") :].split("\n## ")[0]
        assert f"Written by `{table.written_by}`" in text, table.file
        names = table.names(groups, only=[c.only for c in table.columns if c.only])
        names += [c.name for c in table.columns if c.group and c.group not in groups]  # <setting> ...
        for name in names:
            assert f"| `{name}` |" in text, f"{table.file}: {name}"


def test_the_readouts_page_lists_every_readout_metric_target_and_objective(reference: ModuleType) -> None:
    page = reference.readouts_page()
    named = [
        *READOUT_NAMES,
        *RUN_METRICS,
        *TRIAL_STATISTICS,
        *(t.key for t in (*TRIAL_TARGETS, *DISH_TARGETS, *CHECKS)),
        *STATISTICS,
        *(f"exposure_{d}" for d in DRUG_NAMES),
    ]
    for name in named:
        assert f"| `{name}` |" in page, name
    assert f"`{CALIBRATION_DISTANCE}`" in page
    assert all(escaped(t.source) in page for t in TRIAL_TARGETS)


def test_every_generated_page_is_in_the_navigation(reference: ModuleType) -> None:
    assert set(reference.PAGES) <= set(nav_pages())


# --- the site's configuration ----------------------------------------------------------------
def nav_pages() -> list[str]:
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text())

    def walk(items: list) -> list[str]:
        pages = []
        for item in items:
            value = next(iter(item.values())) if isinstance(item, dict) else item
            pages += walk(value) if isinstance(value, list) else [value]
        return pages

    return walk(config["nav"])


def test_every_written_page_is_in_the_navigation_and_every_entry_exists() -> None:
    written = {
        str(p.relative_to(DOCS))
        for p in DOCS.rglob("*.md")
        if not {"notes", "snippets", "scripts"} & set(p.relative_to(DOCS).parts)
    }
    nav = set(nav_pages())
    generated = {p for p in nav if p.startswith("reference/")}
    assert written == nav - generated, f"not in the nav: {written - nav}; no such page: {nav - generated - written}"
    assert not any((DOCS / p).exists() for p in generated), "a reference page is generated, not written"


def test_the_site_leaves_out_the_notes_and_fetches_no_fonts() -> None:
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text())
    assert "notes/" in config["exclude_docs"].split()
    assert config["theme"]["font"] is False
    assert config["strict"] is True
    assert not config.get("extra_javascript")
    assert all((DOCS / sheet).is_file() for sheet in config.get("extra_css", [])), "styles are local files"


def test_the_offline_check_finds_a_page_that_loads_from_another_host(tmp_path: Path) -> None:
    check = script("check_offline")
    (tmp_path / "index.html").write_text(
        '<a href="https://example.org/">a link is fine</a><script src="x.js"></script>'
    )
    (tmp_path / "style.css").write_text("body { color: black }")
    assert check.offenders(tmp_path) == []
    (tmp_path / "font.html").write_text('<link rel="stylesheet" href="https://fonts.example.org/css?family=Roboto">')
    (tmp_path / "page.css").write_text("@import 'https://fonts.example.org/roboto.css';")
    assert check.offenders(tmp_path) == [
        "font.html: <link href='https://fonts.example.org/css?family=Roboto'>",
        "page.css: loads CSS or a font from another host",
    ]


# --- what a reader types ---------------------------------------------------------------------
def commands(text: str) -> list[list[str]]:
    """Every ``.venv/bin/abm ...`` command in ``text`` (indented code lines), comments dropped."""
    found = []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith(".venv/bin/abm "):
            found.append(shlex.split(line.split("#")[0])[1:])
    return found


def check_command(argv: list[str]) -> None:
    """It parses, and the scenario, trial or sweep file it names exists."""
    args = build_parser().parse_args(argv)
    for key in ("scenario", "trial", "sweep", "family"):
        if getattr(args, key, None):
            locate(getattr(args, key))


def test_the_readme_is_short_gives_the_two_commands_a_figure_a_quick_start_and_the_docs() -> None:
    readme = (ROOT / "README.md").read_text()
    assert len(readme.splitlines()) < 60
    setup = readme[readme.index("## Set up and go") : readme.index("## Quick start")]
    assert re.findall(r"^    (make \S+)", setup, re.MULTILINE) == ["make run", "make test"]
    quick = readme[readme.index("## Quick start") : readme.index("## Documentation")]
    assert len(commands(quick)) == 3
    for argv in commands(readme):
        check_command(argv)
    images = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", readme)
    assert len(images) == 1 and (ROOT / images[0]).is_file()
    assert "make docs" in readme and "docs/tutorial.md" in readme
    for link in re.findall(r"\]\((docs/[^)#]*)\)", readme):
        assert (ROOT / link).exists(), link


def test_the_tutorial_shows_every_step_the_figure_script_runs() -> None:
    tutorial = (DOCS / "tutorial.md").read_text()
    steps = script("tutorial_figures").STEPS
    for step, command, _, figures in steps:
        assert f"    {command}\n" in tutorial, command
        assert f'--8<-- "snippets/tutorial/{step}.txt"' in tutorial, step
        assert (DOCS / "snippets" / "tutorial" / f"{step}.txt").read_text().startswith(f"$ {command}\n")
        for figure in figures:
            image = f"img/tutorial/{step}-{figure}.png"
            assert f"]({image})" in tutorial and (DOCS / image).is_file(), image
    for argv in commands(tutorial):
        check_command(argv)


def test_the_notebook_is_stored_without_outputs() -> None:
    notebooks = sorted((DOCS / "notebooks").glob("*.ipynb"))
    assert notebooks
    for path in notebooks:
        cells = json.loads(path.read_text())["cells"]
        code = [c for c in cells if c["cell_type"] == "code"]
        assert code and all(c["outputs"] == [] and c["execution_count"] is None for c in code), path.name
