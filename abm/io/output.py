"""Writing results: files appear whole or not at all.

Each file is written to a temporary name in the target folder and renamed into place, so an
interrupted or failed run never leaves a half-written file or clobbers a good one; a whole set
of files is replaced as one by ``abm.io.outdir.output_folder``. Files get the mode the user's
umask gives (mkstemp would make them private).
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd


def current_umask() -> int:
    """The process's umask, read without changing it where Linux allows (threads may be running)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def honour_umask(fd_or_path: int | Path, directory: bool = False) -> None:
    """Give a file made by mkstemp/mkdtemp (0600/0700) the mode a plain open would have."""
    mode = (0o777 if directory else 0o666) & ~current_umask()
    if isinstance(fd_or_path, int):
        os.fchmod(fd_or_path, mode)
    else:
        os.chmod(fd_or_path, mode)


def atomic_write(path: Path, write: Callable[[IO[str]], None]) -> None:
    """Write a text file through ``write(handle)`` and rename it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        honour_umask(fd)
        with os.fdopen(fd, "w", newline="") as handle:
            write(handle)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Bytes (a PNG, an .npz) written to a temporary name and renamed into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        honour_umask(fd)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_npz(arrays: dict[str, Any], path: Path) -> None:
    """numpy arrays as a compressed ``.npz``, written atomically."""
    import io

    import numpy as np

    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    atomic_write_bytes(path, buffer.getvalue())


def write_csv(df: pd.DataFrame, path: Path) -> None:
    """A DataFrame as CSV, written atomically, floats in a stable shortest form."""
    atomic_write(path, lambda f: df.to_csv(f, index=False, lineterminator="\n"))


def write_json(data: dict[str, Any], path: Path) -> None:
    """A dict as pretty JSON, written atomically."""
    text = json.dumps(finite(data), indent=2, sort_keys=False, allow_nan=False)
    atomic_write(path, lambda f: f.write(text + "\n"))


def finite(data: Any) -> Any:
    """``data`` with NaN and infinities as None: standard JSON has no such numbers."""
    if isinstance(data, float):
        return data if math.isfinite(data) else None
    if isinstance(data, dict):
        return {k: finite(v) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [finite(v) for v in data]
    return data


def write_parquet(df: pd.DataFrame, path: Path) -> None:
    """A DataFrame as Parquet (no index), written to a temporary name and renamed into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    honour_umask(fd)
    os.close(fd)
    try:
        df.to_parquet(tmp, index=False)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def check_writable(path: Path) -> None:
    """Refuse, before any work, a file path that names a folder or lies where nothing can be written."""
    from abm.io.errors import InputError

    if path.is_dir():
        raise InputError("--out", str(path), "is a folder; allowed: a file name")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path.parent):
            pass
    except OSError as error:
        raise InputError("--out", str(path), f"cannot write in {path.parent}: {error.strerror}") from None
