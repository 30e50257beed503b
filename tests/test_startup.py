"""Starting `abm` imports only what the command needs; pool workers start with the model loaded.

Behaviour, not timing: `abm --help` imports neither pydantic nor numpy nor Mesa (their imports
are most of a start's CPU time: benchmarks/startup.py measures it), `abm parameters` needs
pydantic and nothing heavier, and a worker of ``abm.experiments.pool.process_pool`` has the model imported
before its first task and watches its parent.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from abm.experiments.pool import PRELOAD, process_pool

HEAVY = ("numpy", "pandas", "scipy", "mesa", "networkx", "pyarrow", "tqdm", "lifelines")


def modules_after(*arguments: str) -> set[str]:
    """The modules a fresh interpreter has imported once `abm ARGUMENTS` has run, as the `abm` script runs it."""
    code = (
        "import json, sys\n"
        "from abm.cli import main\n"
        "try:\n"
        f"    main({list(arguments)!r})\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(json.dumps(sorted(sys.modules)), file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(json.loads(done.stderr.strip().splitlines()[-1]))


def top_level(modules: set[str]) -> set[str]:
    return {name.split(".")[0] for name in modules}


@pytest.mark.parametrize("arguments", [["--help"], ["sweep", "--help"], ["drugs"]])
def test_help_and_drugs_import_no_pydantic_numpy_or_mesa(arguments: list[str]) -> None:
    loaded = top_level(modules_after(*arguments))
    assert not loaded & {"pydantic", "pydantic_core", *HEAVY}


def test_parameters_imports_pydantic_and_nothing_heavier() -> None:
    loaded = top_level(modules_after("parameters"))
    assert "pydantic" in loaded
    assert not loaded & set(HEAVY)


def test_loading_a_spatial_sweep_imports_no_mesa(scenarios_dir: Path) -> None:
    """The sweep process only plans and stores: its workers build the models."""
    code = (
        "import sys\n"
        "from abm.experiments.sweep.runner import run_sweep\n"
        "from abm.experiments.sweep.design import load_sweep\n"
        f"load_sweep({str(scenarios_dir / 'sweep-axl-timing.toml')!r}).runs()\n"
        "print('mesa' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def worker_state() -> tuple[list[str], list[str]]:
    """In a worker: which preloaded modules are imported, and the names of its threads."""
    return [m for m in PRELOAD if m in sys.modules], [t.name for t in threading.enumerate()]


def test_pool_workers_have_the_model_before_their_first_task_and_watch_their_parent() -> None:
    with process_pool(2) as pool:
        loaded, threads = pool.submit(worker_state).result(timeout=120)
    assert loaded == list(PRELOAD)
    assert "abm-watch-parent" in threads
