"""Finding an input file by name: ``abm run osimertinib-continuous`` reads ``scenarios/osimertinib-continuous.toml``.

A name that is not a file is looked up, with and without ``.toml``, in ``scenarios/`` under
the working folder and then in the ``scenarios/`` shipped beside the package (a source
checkout). A name found nowhere is an InputError that suggests the nearest file names.
"""

from __future__ import annotations

from pathlib import Path

from abm.io.errors import InputError, did_you_mean

SCENARIO_FOLDER = "scenarios"
SHIPPED = Path(__file__).resolve().parents[2] / SCENARIO_FOLDER  # a source checkout's scenarios/


def search_folders() -> list[Path]:
    """Where a bare name is looked for, in order: ./scenarios, then the shipped scenarios/."""
    return list(dict.fromkeys(p for p in (Path(SCENARIO_FOLDER), SHIPPED) if p.is_dir()))


def locate(name: str | Path, what: str = "scenario file") -> Path:
    """The file ``name`` names: itself when it exists, else ``scenarios/NAME[.toml]``; an InputError
    with the nearest names when there is none."""
    path = Path(name)
    if path.exists():
        return path
    if len(path.parts) == 1:
        for folder in search_folders():
            for candidate in (folder / path.name, folder / f"{path.name}.toml"):
                if candidate.is_file():
                    return candidate
    bare = len(path.parts) == 1
    folders = search_folders() if bare else [path.parent] if path.parent.is_dir() else []
    known = sorted({p.stem for folder in folders for p in folder.glob("*.toml")})
    hint = did_you_mean(path.stem, known)
    if hint:
        raise InputError(str(name), "", f"no such {what}; {hint}")
    where = f" (nor in {', '.join(f'{f}/' for f in folders)})" if bare and folders else ""
    raise InputError(str(name), "", f"no such {what}{where}")
