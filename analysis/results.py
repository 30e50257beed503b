"""What a result folder holds, and loading its files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

# A kind of result is recognised by the file that only it writes.
MARKERS: dict[str, str] = {
    "run": "timeseries.csv",
    "trial": "patients.csv",
    "validation": "validation.json",
    "sweep": "sweep.json",
}


def detect(folder: Path) -> list[str]:
    """The kinds of result in ``folder`` (run, trial, validation, sweep), in that order."""
    return [kind for kind, marker in MARKERS.items() if (Path(folder) / marker).is_file()]


def read_json(path: Path) -> dict[str, Any]:
    """A JSON file as a dict."""
    return json.loads(Path(path).read_text())


def read_optional_csv(path: Path) -> pd.DataFrame | None:
    """A CSV file, or None when it is not there (older runs lack the newer files)."""
    return pd.read_csv(path) if Path(path).is_file() else None
