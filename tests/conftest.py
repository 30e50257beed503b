"""Shared fixtures: paths of the repository and its scenario files, and the documented validation targets."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"


@pytest.fixture
def scenarios_dir() -> Path:
    return SCENARIOS


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., subprocess.CompletedProcess[str]]:
    """``abm ARGS`` in this process (``abm.cli.main``), its status and output as a finished process's."""

    def call(*args: str | Path) -> subprocess.CompletedProcess[str]:
        capsys.readouterr()
        argv = [str(a) for a in args]
        from abm.cli import main  # here: conftest is read before every test module

        try:
            status = main(argv)
        except SystemExit as stop:  # argparse's usage errors
            status = int(stop.code or 0)
        out, err = capsys.readouterr()
        return subprocess.CompletedProcess(["abm", *argv], status, out, err)

    return call


def documented_targets() -> dict[str, tuple[float, float, float]]:
    """docs/biology.md's table of validation targets: key -> (reviewed value, low, high)."""
    text = (ROOT / "docs" / "biology.md").read_text()
    table = text[text.index("## Validation targets") :]
    rows = [line.split("|")[1:-1] for line in table.splitlines() if line.startswith("| `")]
    out = {}
    for key, _, value, bounds, _ in (map(str.strip, row) for row in rows):
        low, high = bounds.split("-")
        out[key.strip("`")] = (float(value), float(low), float(high))
    return out
