"""`abm run` end to end: outputs, reproducibility, and one-line errors for bad input.

Most tests call ``abm.cli.main`` in this process (``run``); a few start a real interpreter
(``abm``) where only a process shows it: the console script and ``python -m abm`` agree, the
same seed gives the same bytes in another process (another string-hash seed), and a bad input
is one line on stderr and exit status 2 from the real entry point.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from abm.biology.drugs import DRUG_NAMES, DRUGS
from abm.biology.mechanisms import COUNT_COLUMNS
from abm.cli import main
from tests.conftest import ROOT, SCENARIOS

SMALL = ["--set", "model.width=30", "--set", "model.height=30", "--set", "model.initial_cells=200"]


def abm(*args: str | Path, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """``python -m abm ARGS`` in a new process."""
    return subprocess.run(
        [sys.executable, "-m", "abm", *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=300
    )


@pytest.fixture
def run(cli: Callable[..., subprocess.CompletedProcess[str]]) -> Callable[..., subprocess.CompletedProcess[str]]:
    """``abm ARGS`` in this process (conftest's ``cli``)."""
    return cli


def test_run_default_scenario_writes_documented_outputs(tmp_path: Path, run) -> None:
    out = tmp_path / "default"
    done = run("run", "--days", "20", "--out", out, *SMALL)
    assert done.returncode == 0, done.stderr
    df = pd.read_csv(out / "timeseries.csv")
    concentrations = [f"concentration_{d}" for d in DRUG_NAMES]
    assert list(df.columns) == ["day", "total", *COUNT_COLUMNS, *DRUG_NAMES, *concentrations]
    assert list(df["day"]) == list(range(21))
    assert (df["osimertinib"] == 1.0).all() and (df["gefitinib"] == 0.0).all()
    summary = json.loads((out / "summary.json").read_text())
    assert summary["final"]["total"] == df["total"].iloc[-1]
    assert summary["scenario"] == "osimertinib continuous"
    assert "fraction alive" in done.stdout


@pytest.mark.slow
def test_same_scenario_and_seed_give_byte_identical_timeseries(tmp_path: Path, run) -> None:
    """Run a in this process, b in another (another string-hash seed), c with another seed."""
    scenario = SCENARIOS / "osimertinib-axl-days0-9.toml"
    runs = [
        call("run", scenario, "--seed", "3", "--days", "60", "--out", tmp_path / n, *SMALL)
        for call, n in ((run, "a"), (abm, "b"))
    ]
    assert all(r.returncode == 0 for r in runs), runs[0].stderr
    other = run("run", scenario, "--seed", "4", "--days", "60", "--out", tmp_path / "c", *SMALL)
    assert other.returncode == 0
    a, b, c = ((tmp_path / n / "timeseries.csv").read_bytes() for n in "abc")
    assert a == b
    assert a != c


def test_drugs_shows_regimen_half_life_blocks_at_steady_state_and_sources(capsys) -> None:
    """`abm drugs`: each drug's regimen, half-life, the routes it blocks and how strongly at steady
    state (over the cycle for a drug given every few days), or its kill for a cytotoxic one, and
    the sources of each."""
    assert main(["drugs"]) == 0
    out = capsys.readouterr().out
    sections = {}
    for block in out.split("\n")[1:]:
        if block and not block.startswith(" "):
            name = block.split(":")[0]
            sections[name] = []
        if block:
            sections[name].append(block)
    assert list(sections) == list(DRUG_NAMES)
    for name, drug in DRUGS.items():
        text = "\n".join(sections[name])
        pk = drug.pk
        assert f"regimen     {pk.regimen}" in text and "half-life" in text, name
        for route, strength in drug.blocks.items():
            if route in drug.potency:  # reached only at high concentration: its own curve, and the block at 1x
                potency = drug.potency[route]
                assert f"{route.value} only at high concentration: EC50 {potency.ec50:g} x Css,avg" in text, name
                assert "blocked 0.0% at steady state" in text and potency.source in text, name
            else:
                assert f"{route.value} {strength:.0%}" in text, name
        assert pk.source in text and pk.reference.source in text and drug.source in text, name
        if drug.cytotoxic:
            assert (
                f"blocks no route; kills dividing cells at {drug.cytotoxic:g}x the untreated tumour's net growth"
                in text
            ), name
        if pk.interval_days > 1 and drug.blocks:
            assert f"each day of its {pk.interval_days}-day cycle" in text, name
    assert "egfr_t790m_c797s 80%" in "\n".join(sections["amivantamab"])


@pytest.mark.slow
def test_python_dash_m_and_console_script_agree(tmp_path: Path) -> None:
    script = Path(sys.executable).parent / "abm"
    done = subprocess.run([script, "drugs"], capture_output=True, text=True)
    assert done.returncode == 0 and "osimertinib" in done.stdout
    assert abm("drugs").stdout == done.stdout


# Not trials, not sweeps (tests/test_sweep.py runs those), not schedule families (tests/test_optimise.py).
SCENARIO_FILES = sorted(
    p
    for p in SCENARIOS.glob("*.toml")
    if "[[arms]]" not in p.read_text() and not p.name.startswith(("sweep-", "optimise-"))
)


@pytest.mark.parametrize("path", SCENARIO_FILES, ids=lambda p: p.stem)
def test_every_shipped_scenario_runs(path: Path, tmp_path: Path, run) -> None:
    small = ["--set", "model.initial_cells=1000000"] if 'kind = "clone"' in path.read_text() else SMALL
    done = run("run", path, "--days", "15", "--out", tmp_path, "--quiet", *small)
    assert done.returncode == 0, done.stderr


BAD_SCENARIOS = {
    "unknown drug": (
        '[[schedule]]\ndrug = "aspirin"\n',
        "schedule[0].drug",
        "unknown drug 'aspirin'; allowed: gefitinib",
    ),
    "unknown key": ("[model]\nwidht = 10\n", "model.widht", "unknown key; did you mean 'width'?"),
    "wrong type": ('[model]\nwidth = "wide"\n', "model.width", "integer"),
    "probability above 1": (
        "[parameters]\npersister_reversion_rate = 1.5\n",
        "parameters.persister_reversion_rate",
        "allowed: probability per day, 0 to 1",
    ),
    "negative dose": (
        '[[schedule]]\ndrug = "osimertinib"\ndose = -0.5\n',
        "schedule[0].dose",
        "greater than or equal to 0",
    ),
    "lattice too large": ("[model]\nwidth = 100000\nheight = 100000\n", "model.width x model.height", "GiB"),
    "malformed TOML": ("[model\nwidth = 3\n", "", "not valid TOML"),
    "a trial file": ('name = "t"\n[[arms]]\nname = "a"\n', "", "a trial file; run it with `abm trial`"),
    "unknown parameter": ("[parameters]\nmagic = 1\n", "parameters.magic", "unknown key; allowed: division_rate"),
    "key of the other model kind": (
        '[model]\nkind = "clone"\nwidth = 3\n',
        "model.width",
        "unknown key; allowed: kind, initial_cells, carrying_capacity",
    ),
}


def assert_one_line_error(done: subprocess.CompletedProcess[str], *fragments: str) -> None:
    """Exit 2, nothing on stdout, one line on stderr containing every fragment, no traceback."""
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert all(f in lines[0] for f in fragments), lines[0]


@pytest.fixture(scope="module")
def earlier_output(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The output folder of a good run, made once (in this process) for the bad-input tests to keep."""
    out = tmp_path_factory.mktemp("earlier") / "out"
    assert main(["run", "--days", "5", "--out", str(out), "--quiet", *SMALL]) == 0
    return out


@pytest.mark.parametrize("case", list(BAD_SCENARIOS))
def test_bad_scenario_gives_one_line_exit_2_and_keeps_earlier_output(
    case: str, tmp_path: Path, earlier_output: Path, run
) -> None:
    text, field, fragment = BAD_SCENARIOS[case]
    out = tmp_path / "out"
    shutil.copytree(earlier_output, out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    bad = tmp_path / "bad.toml"
    bad.write_text(text)
    assert_one_line_error(run("run", bad, "--out", out), str(bad), field, fragment)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


@pytest.mark.slow
def test_bad_input_from_the_real_entry_point_is_one_line_without_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(BAD_SCENARIOS["unknown drug"][0])
    assert_one_line_error(abm("run", bad, "--out", tmp_path / "out"), str(bad), "unknown drug 'aspirin'")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (
            ["--set", "persister_reversion_rate=2"],
            "parameters.persister_reversion_rate: 2 is not allowed; allowed: probability",
        ),
        (["--set", "nonsense=1"], "--set: nonsense: unknown name"),
        (["--set", "no-equals-sign"], "expected NAME=VALUE"),
        (["--days", "-3"], "--days: -3 is not allowed; allowed: greater than or equal to 0"),
        (["does-not-exist.toml"], "no such scenario file"),
    ],
)
def test_bad_command_line_gives_one_line_exit_2(args: list[str], fragment: str, tmp_path: Path, run) -> None:
    assert_one_line_error(run("run", *args, "--out", tmp_path), fragment)
