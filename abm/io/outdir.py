"""An output folder is one unit: a run's whole set of files replaces the previous set in one step.

``output_folder(out, kind)`` checks ``out`` before any work (a folder, writable, holding nothing
or a result of the same kind), makes a fresh hidden sibling folder to write into, and on
success writes ``manifest.json`` there (the kind of result and each file's size and SHA-256)
and swaps it into place with one ``renameat2(RENAME_EXCHANGE)``: a reader, or a kill at any
moment, sees either the old set or the new one, never a mix. On failure or interrupt the
sibling is removed and ``out`` is untouched; a sibling left by a killed process is removed the
next time that folder is written.

A folder holding another kind of result is refused unless ``overwrite``; a folder holding
files abm did not write is always refused, since replacing it would delete them.
"""

from __future__ import annotations

import ctypes
import errno
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from abm.io.errors import InputError
from abm.io.output import honour_umask, write_json
from abm.io.schema import ABM, BYTES, FILES, KIND, SHA256
from abm.version import __version__

MANIFEST = "manifest.json"
# What each kind of result writes (report.html and figures/ come from `abm report`).
KIND_FILES: dict[str, frozenset[str]] = {
    "run": frozenset({"timeseries.csv", "summary.json", "states.csv", "lineage.csv", "clones.csv", "snapshots.npz"}),
    "trial": frozenset({"patients.csv", "adtte.csv", "summary.json", "posterior.csv"}),
    "validation": frozenset({"validation.json"}),
    "sweep": frozenset(
        {"sweep.json", "design.parquet", "runs", "series", "runs.parquet", "series.parquet", "sensitivity.csv"}
    ),
    "optimise": frozenset(
        {"optimise.json", "study.db", "trials.csv", "importance.csv", "reevaluation.csv", "reevaluated_patients.csv"}
    ),
}
# The file only that kind writes, for folders written before manifests (as abm.report.results).
MARKERS = {
    "run": "timeseries.csv",
    "trial": "patients.csv",
    "validation": "validation.json",
    "sweep": "sweep.json",
    "optimise": "optimise.json",
}
REPORT_FILES = frozenset({MANIFEST, "report.html", "figures"})
TAG = ".abm-"  # in the names of the hidden siblings: .<name>.abm-new-<pid>-<random>


def read_manifest(folder: Path) -> dict[str, Any] | None:
    """The folder's manifest, None when it has none; an InputError when it is not one."""
    path = Path(folder) / MANIFEST
    if not path.is_file():
        return None
    try:
        manifest = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise InputError(str(path), "", f"not a manifest abm wrote: {error}") from None
    ok = isinstance(manifest, dict) and manifest.get(KIND) in KIND_FILES and isinstance(manifest.get(FILES), dict)
    if not ok:
        raise InputError(str(path), KIND, f"not a manifest abm wrote; allowed kinds: {', '.join(KIND_FILES)}")
    return manifest


def held_kinds(folder: Path) -> list[str]:
    """The kinds of result a folder holds: its manifest's, else those whose marker file is there."""
    manifest = read_manifest(folder)
    if manifest is not None:
        return [manifest[KIND]]
    return [kind for kind, marker in MARKERS.items() if (folder / marker).exists()]


def foreign_entries(folder: Path) -> list[str]:
    """Entries of a folder that no kind of abm result writes."""
    ours = REPORT_FILES.union(*KIND_FILES.values())
    return sorted(p.name for p in folder.iterdir() if p.name not in ours and not p.name.endswith(".tmp"))


class OutputFolder:
    """One output folder being replaced: check, stage, then commit or discard."""

    def __init__(self, out: Path, kind: str, overwrite: bool = False) -> None:
        self.out = Path(os.path.realpath(out))  # through a symlink: the folder it names is replaced
        self.kind = kind
        self.overwrite = overwrite
        self.staging: Path | None = None

    def check(self) -> None:
        """Refuse, before any work, an output location this kind of result may not replace."""
        out, where = self.out, str(self.out)
        if out.exists() and not out.is_dir():
            raise InputError("--out", where, "exists and is not a folder")
        if not out.is_dir():
            return
        if os.path.ismount(out):
            raise InputError("--out", where, "is a mount point; allowed: a folder inside it")
        foreign = foreign_entries(out)
        if foreign:
            shown = ", ".join(foreign[:3]) + (" ..." if len(foreign) > 3 else "")
            raise InputError(
                "--out",
                where,
                f"holds files abm did not write ({shown}), which replacing it would delete; allowed: a new or "
                "empty folder, or one abm wrote",
            )
        others = [k for k in held_kinds(out) if k != self.kind]
        if others and not self.overwrite:
            raise InputError(
                "--out",
                where,
                f"holds the results of a {others[0]}, not a {self.kind}; allowed: a new folder, or --overwrite "
                "to replace it",
            )

    def stage(self) -> Path:
        """Check ``out``, clean up after killed writers, and make the fresh folder to write into."""
        self.check()
        parent = self.out.parent
        try:
            parent.mkdir(parents=True, exist_ok=True)
            recover(self.out)
            self.staging = Path(tempfile.mkdtemp(dir=parent, prefix=f".{self.out.name}{TAG}new-{os.getpid()}-"))
            honour_umask(self.staging, directory=True)
        except OSError as error:
            raise InputError("--out", str(self.out), f"cannot write in {parent}: {error.strerror}") from None
        return self.staging

    def commit(self) -> None:
        """Write the manifest and swap the staged folder into place."""
        assert self.staging is not None
        manifest = {KIND: self.kind, FILES: _describe_files(self.staging), ABM: __version__}  # schema.MANIFEST_TABLE
        write_json(manifest, self.staging / MANIFEST)
        if not self.out.exists():
            os.rename(self.staging, self.out)
        elif not _exchange(self.staging, self.out):
            _swap_in_two_steps(self.staging, self.out)
        shutil.rmtree(self.staging, ignore_errors=True)  # now the old set (or nothing)
        self.staging = None

    def discard(self) -> None:
        if self.staging is not None:
            shutil.rmtree(self.staging, ignore_errors=True)
            self.staging = None


@contextmanager
def output_folder(out: Path, kind: str, overwrite: bool = False) -> Iterator[Path]:
    """Write a result set into the yielded folder; it replaces ``out`` whole when the block ends."""
    folder = OutputFolder(out, kind, overwrite)
    staging = folder.stage()
    try:
        yield staging
        folder.commit()
    except OSError as error:  # a full disk, a quota: the old set stays, the new one is dropped
        folder.discard()
        raise InputError(
            "--out", str(out), f"cannot write: {error.strerror or error}; the folder is as it was"
        ) from None
    except BaseException:
        folder.discard()
        raise


def _describe_files(folder: Path) -> dict[str, dict[str, Any]]:
    files = {}
    for path in sorted(folder.iterdir()):
        if path.is_file():
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            files[path.name] = {BYTES: path.stat().st_size, SHA256: digest}
    return files


# --- swapping -------------------------------------------------------------------------------------
RENAME_EXCHANGE = 2
AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Swap two folders atomically (Linux renameat2); False where the system cannot."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    if renameat2(AT_FDCWD, os.fsencode(a), AT_FDCWD, os.fsencode(b), RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), str(b))


def _swap_in_two_steps(staging: Path, out: Path) -> None:
    """Move the old set aside, then the new one in; ``recover`` undoes a kill between the two."""
    aside = staging.with_name(staging.name.replace(f"{TAG}new-", f"{TAG}old-", 1))
    os.rename(out, aside)
    os.rename(staging, out)
    os.rename(aside, staging)  # removed by the caller


def recover(out: Path) -> None:
    """Tidy the siblings a killed writer of ``out`` left: restore a set moved aside, drop the rest."""
    for sibling in sorted(out.parent.glob(f".{glob_escape(out.name)}{TAG}*")):
        rest = sibling.name.removeprefix(f".{out.name}{TAG}")  # new-<pid>-<random> or old-<pid>-<random>
        pid = _pid_of(rest)
        if pid is None or _alive(pid):
            continue
        if rest.startswith("old-") and not out.exists():
            os.rename(sibling, out)
        else:
            shutil.rmtree(sibling, ignore_errors=True)


def glob_escape(name: str) -> str:
    return "".join(f"[{c}]" if c in "*?[" else c for c in name)


def _pid_of(rest: str) -> int | None:
    """'new-123-abc' -> 123."""
    parts = rest.split("-")
    return int(parts[1]) if len(parts) >= 3 and parts[1].isdigit() else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
