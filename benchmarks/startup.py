"""CPU seconds of starting `abm`: `abm --help` and `abm parameters`, each the median of N runs.

Each command runs as the `abm` script does (a fresh interpreter that imports ``abm.cli`` and
calls ``main``), its output discarded; its CPU time is user + system seconds of the process
(``RUSAGE_CHILDREN``), less sensitive than wall time to other jobs on a shared machine. Prints
one JSON line per source and command: the median, lowest and highest CPU seconds and the
median wall seconds of ``--repeats`` runs. ``--compare REV`` also times the source of git
revision REV (see benchmarks/trial.py), alternating run by run with the working tree's, so both
see the same machine load.

The package is imported as the environment has it: where PYTHONDONTWRITEBYTECODE is set (as on
this project's machines) no ``.pyc`` is written for the package, so every start compiles the
modules it imports. ``--bytecode`` runs from copies compiled beforehand, as an ordinary install
(which writes ``__pycache__`` on first use) starts.

    python benchmarks/startup.py [--repeats 10] [--compare REV] [--bytecode] [--command parameters ...]
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from trial import source_of  # benchmarks/trial.py, beside this file

ROOT = Path(__file__).resolve().parent.parent
COMMANDS = ("--help", "parameters")
# What the `abm` script runs (with sys.argv[1:] the command's arguments).
SCRIPT = "import sys; from abm.cli import main; sys.exit(main())"


def cpu_of_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def time_command(arguments: list[str], source: Path) -> tuple[float, float]:
    """CPU and wall seconds of one `abm ARGUMENTS` run from ``source``'s package."""
    env = {**os.environ, "PYTHONPATH": str(source)}
    started, cpu = time.perf_counter(), cpu_of_children()
    subprocess.run(
        [sys.executable, "-c", SCRIPT, *arguments], check=True, stdout=subprocess.DEVNULL, cwd=source, env=env
    )
    return cpu_of_children() - cpu, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--compare", metavar="REV", help="also time git revision REV, alternating with this tree")
    parser.add_argument("--bytecode", action="store_true", help="run from copies with compiled .pyc files")
    parser.add_argument(
        "--command", action="append", metavar="ARGS", help="a command's arguments (default: --help, parameters)"
    )
    args = parser.parse_args()
    commands = [text.split() for text in args.command] if args.command else [[c] for c in COMMANDS]
    with tempfile.TemporaryDirectory() as scratch:
        sources = {"working tree": ROOT}
        if args.compare:
            (Path(scratch) / "rev").mkdir()
            sources = {args.compare: source_of(args.compare, Path(scratch) / "rev"), **sources}
        if args.bytecode:
            for k, (name, source) in enumerate(list(sources.items())):
                copy = Path(scratch) / f"compiled-{k}"
                shutil.copytree(source / "abm", copy / "abm", ignore=shutil.ignore_patterns("__pycache__"))
                compileall.compile_dir(copy / "abm", quiet=1)
                sources[name] = copy
        for arguments in commands:
            times: dict[str, list[tuple[float, float]]] = {name: [] for name in sources}
            for _ in range(args.repeats):
                for name, source in sources.items():
                    times[name].append(time_command(arguments, source))
            for name, runs in times.items():
                cpu = [c for c, _ in runs]
                print(
                    json.dumps(
                        {
                            "source": name,
                            "command": "abm " + " ".join(arguments),
                            "bytecode": "compiled" if args.bytecode else "as the environment has it",
                            "cpu_s_median": round(statistics.median(cpu), 3),
                            "cpu_s_min": round(min(cpu), 3),
                            "cpu_s_max": round(max(cpu), 3),
                            "wall_s_median": round(statistics.median(w for _, w in runs), 3),
                            "repeats": args.repeats,
                        }
                    ),
                    flush=True,
                )


if __name__ == "__main__":
    main()
