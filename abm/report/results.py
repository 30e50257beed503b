"""What a result folder holds, and loading its files.

A folder written by this version carries ``manifest.json`` (abm/io/outdir.py): its kind and the
files of the run that wrote it, with their checksums, so only those files are read, and only
while unchanged. Older folders are recognised by the file only their kind writes. A file that
cannot be read is an InputError naming it, not a traceback.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pandas as pd

from abm.io.errors import InputError
from abm.io.outdir import MARKERS, read_manifest
from abm.io.schema import FILES, KIND, SHA256

__all__ = ["MARKERS", "detect", "has", "read_csv", "read_json", "read_optional_csv", "read_parquet"]


def detect(folder: Path) -> list[str]:
    """The kinds of result in ``folder`` (run, trial, validation, sweep), in that order.

    With a manifest: its one kind, after checking that its files are there and unchanged.
    """
    folder = Path(folder)
    manifest = read_manifest(folder)
    if manifest is None:
        return [kind for kind, marker in MARKERS.items() if (folder / marker).is_file()]
    for name, facts in manifest[FILES].items():
        path = folder / name
        if not path.is_file():
            raise InputError(str(path), "", "listed in manifest.json but missing; the folder is not a whole result")
        if not isinstance(facts, dict) or hashlib.sha256(path.read_bytes()).hexdigest() != facts.get(SHA256):
            raise InputError(str(path), "", "changed since the run that wrote manifest.json; run it again")
    return [manifest[KIND]]


def has(folder: Path, name: str) -> bool:
    """Whether the folder's result includes the file (its manifest says so, or, without one, it is there)."""
    manifest = read_manifest(Path(folder))
    if manifest is not None:
        return name in manifest[FILES]
    return (Path(folder) / name).is_file()


def _unreadable(path: Path, error: Exception) -> InputError:
    return InputError(str(path), "", f"cannot read: {type(error).__name__}: {error}".replace("\n", " ")[:300])


def read_json(path: Path) -> dict[str, Any]:
    """A JSON file holding an object, as a dict."""
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise _unreadable(path, error) from None
    if not isinstance(data, dict):
        raise InputError(str(path), "", f"holds a {type(data).__name__}; allowed: a JSON object abm wrote")
    return data


def read_csv(path: Path) -> pd.DataFrame:
    """A CSV file."""
    try:
        return pd.read_csv(path)
    except (OSError, UnicodeDecodeError, ValueError) as error:  # pandas' parser errors are ValueErrors
        raise _unreadable(path, error) from None


def read_parquet(path: Path) -> pd.DataFrame:
    """A Parquet file."""
    try:
        return pd.read_parquet(path)
    except Exception as error:  # pyarrow raises its own kinds for a truncated or foreign file
        raise _unreadable(path, error) from None


def read_optional_csv(path: Path) -> pd.DataFrame | None:
    """A CSV file, or None when it is not there (older runs lack the newer files)."""
    return read_csv(path) if Path(path).is_file() else None
