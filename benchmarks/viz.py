"""Speed of the browser view: seconds from `abm viz` start to charts drawn, and days per second
while playing (a 100x100 lattice), measured in Debian's headless chromium with Playwright.

For each case it starts `abm viz` (a fresh process, so imports count), loads the page, waits
until the status line, the lattice image and the chart are drawn, presses Play and reads the
day shown on the page over a window of wall time. Prints one JSON line per case.

    python benchmarks/viz.py [--window 20] [--repeats 2]

Cases (both 100x100, seed 0, 2000 days so playing never reaches the end):
- `disc-osimertinib`: the built-in default tumour (1,000 cells in a disc) under osimertinib.
- `dense-untreated`: 5,000 cells scattered, no drug: the lattice fills up (the busiest view).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.viz_browser import (  # noqa: E402
    chromium_page,
    day_of,
    lattice_drawn,
    status,
    viz_server,
    wait_for_drawn,
)

CASES = {
    "disc-osimertinib": 'name = "disc, osimertinib"\n[model]\nwidth = 100\nheight = 100\ninitial_cells = 1000\n'
    'days = 2000\n[[schedule]]\ndrug = "osimertinib"\n',
    "dense-untreated": 'name = "dense, untreated"\nschedule = []\n[model]\nwidth = 100\nheight = 100\n'
    'initial_cells = 5000\nlayout = "scattered"\ndays = 2000\n',
}


def measure(scenario: Path, window: float) -> dict[str, float]:
    with viz_server(str(scenario)) as server, chromium_page() as (page, watch):
        answered = time.perf_counter() - server.started
        page.goto(server.url + "/")
        wait_for_drawn(page, charts=1)
        assert lattice_drawn(page)
        drawn = time.perf_counter() - server.started
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
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for name, text in CASES.items():
            path = Path(tmp) / f"{name}.toml"
            path.write_text(text)
            for repeat in range(args.repeats):
                result = measure(path, args.window)
                print(json.dumps({"case": name, "repeat": repeat, "lattice": "100x100", **result}), flush=True)


if __name__ == "__main__":
    main()
