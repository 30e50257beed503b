"""Re-run the tutorial's commands; copy what they print and the figures it shows into docs/.

    .venv/bin/python docs/scripts/tutorial_figures.py      # or: make tutorial-figures

Run from the repository's root (results go to results/, as in the tutorial). Each step is the
tutorial's literal command; its printed output goes to docs/snippets/tutorial/<step>.txt (the tutorial
includes it) and the figures it names are copied to docs/img/tutorial/<step>-<figure>.png. Run
it again whenever the model or the figures change: the tutorial then shows what the code does.
About a minute on 2 cores.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUTPUT = ROOT / "docs" / "snippets" / "tutorial"
IMAGES = ROOT / "docs" / "img" / "tutorial"
ABM = ".venv/bin/abm"  # as the tutorial writes it; run here as this Python's `-m abm`
MAKE_RUN = "make run"  # once installed, `make run` is `.venv/bin/abm run` (Makefile)

# (step, the tutorial's command, the result folder, the figures the tutorial shows)
STEPS: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("run", "make run", "results/default", ()),
    ("report", f"{ABM} report results/default", "results/default", ("run-muller", "run-burden")),
    (
        "trial-first-line",
        f"{ABM} trial trial-first-line --report",
        "results/trial-first-line",
        ("trial-km", "trial-mechanisms"),
    ),
    (
        "trial-axl-timing",
        f"{ABM} trial trial-axl-timing --report",
        "results/trial-axl-timing",
        ("trial-km", "trial-mechanisms"),
    ),
    (
        "trial-met-after-first-gen",
        f"{ABM} trial trial-met-after-first-gen --report",
        "results/trial-met-after-first-gen",
        ("trial-swimmer",),
    ),
)


def run(command: str) -> str:
    """The command's printed output (stdout; no progress bars, as off a terminal)."""
    argv = shlex.split(f"{ABM} run" if command == MAKE_RUN else command)
    argv = [sys.executable, "-m", "abm", *argv[1:]] if argv[0] == ABM else argv
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{command}: exit {done.returncode}\n{done.stdout}{done.stderr}")
    return done.stdout


def main() -> None:
    OUTPUT.mkdir(parents=True, exist_ok=True)
    IMAGES.mkdir(parents=True, exist_ok=True)
    for step, command, folder, figures in STEPS:
        start = time.perf_counter()
        printed = run(command)
        (OUTPUT / f"{step}.txt").write_text(f"$ {command}\n{printed}")
        for figure in figures:
            shutil.copyfile(ROOT / folder / "figures" / f"{figure}.png", IMAGES / f"{step}-{figure}.png")
        print(f"{step}: {time.perf_counter() - start:.1f} s; {len(figures)} figures")


if __name__ == "__main__":
    main()
