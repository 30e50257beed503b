"""Speed of the browser view: seconds from `abm viz` start to charts drawn, and days per second
while playing, measured in Debian's headless chromium with Playwright.

For each case it starts `abm viz` (a fresh process, so imports count), loads the page, waits
until the status line, the lattice image and the chart are drawn, presses Play and reads the
day shown on the page over a window of wall time. Every day is drawn: the render interval is
SolaraViz's default, 1 (the page is rendered in Python after each day and sent to the
browser). Prints one JSON line per case, with the machine's load average (1 min) before and after.

    python benchmarks/viz.py [--window 20] [--repeats 2] [--cases dense-300x300 ...]

Cases (seed 0, 2000 days so playing never reaches the end):
- `disc-osimertinib`: 100x100, 1,000 cells in a disc, under osimertinib.
- `dense-untreated`: 100x100, 5,000 cells scattered, no drug: the lattice fills up.
- `dense-300x300`: 300x300, 45,000 cells scattered, no drug: the lattice fills up (90,000 sites).
- `compare-osimertinib-axl`: `disc-osimertinib` compared with osimertinib + the AXL inhibitor
  ("compare with another schedule", then Reset): two lattices and three charts each day.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.viz_browser import (  # noqa: E402
    chromium_page,
    compare_and_reset,
    day_of,
    lattice_drawn,
    status,
    viz_server,
    wait_for_drawn,
)

DISC = (
    'name = "disc, osimertinib"\n[model]\nwidth = 100\nheight = 100\ninitial_cells = 1000\n'
    'days = 2000\n[[schedule]]\ndrug = "osimertinib"\n'
)
CASES = {  # name: (scenario file, compare with another schedule)
    "disc-osimertinib": (DISC, False),
    "dense-untreated": (
        'name = "dense, untreated"\nschedule = []\n[model]\nwidth = 100\nheight = 100\n'
        'initial_cells = 5000\nlayout = "scattered"\ndays = 2000\n',
        False,
    ),
    "dense-300x300": (
        'name = "dense, untreated, 300x300"\nschedule = []\n[model]\nwidth = 300\nheight = 300\n'
        'initial_cells = 45000\nlayout = "scattered"\ndays = 2000\n',
        False,
    ),
    "compare-osimertinib-axl": (DISC, True),
}


def measure(scenario: Path, window: float, compare: bool) -> dict[str, float]:
    with viz_server(str(scenario)) as server, chromium_page() as (page, watch):
        answered = time.perf_counter() - server.started
        page.goto(server.url + "/")
        wait_for_drawn(page, charts=1)
        assert lattice_drawn(page)
        drawn = time.perf_counter() - server.started
        if compare:
            compare_and_reset(page, charts=3)
        page.get_by_role("button", name="▶").click()
        page.wait_for_timeout(2000)  # past the first days
        t0, d0 = time.perf_counter(), day_of(status(page))
        page.wait_for_timeout(window * 1000)
        t1, d1 = time.perf_counter(), day_of(status(page))
        problems = watch.problems()
    return {
        "server_answers_s": round(answered, 2),
        "charts_drawn_s": round(drawn, 2),
        "days_played": d1 - d0,
        "days_per_s": round((d1 - d0) / (t1 - t0), 2),
        "problems": len(problems),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--window", type=float, default=20.0, help="seconds of playing measured")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--cases", nargs="*", choices=list(CASES), default=list(CASES))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.cases:
            text, compare = CASES[name]
            path = Path(tmp) / f"{name}.toml"
            path.write_text(text)
            for repeat in range(args.repeats):
                load_before = os.getloadavg()[0]
                result = measure(path, args.window, compare)
                load = {"load_before": round(load_before, 2), "load_after": round(os.getloadavg()[0], 2)}
                print(json.dumps({"case": name, "repeat": repeat, **result, **load}), flush=True)


if __name__ == "__main__":
    main()
