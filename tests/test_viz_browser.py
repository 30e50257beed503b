"""The viz in a real browser: `abm viz` on a free local port, driven by Debian's headless chromium.

Loads the page, sees the lattice and charts drawn, steps, edits the schedule, resets and sees
the model follow the edit, then opens the virtual-patient page. Fails on any console error,
failed request or request leaving 127.0.0.1. Screenshots go to tests/artifacts/viz/.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.viz_browser import (
    cells_of,
    chart_pixels,
    chromium_page,
    day_of,
    lattice_drawn,
    status,
    viz_server,
    wait_for_drawn,
    wait_for_status,
)

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parent / "artifacts" / "viz"


def test_viz_in_chromium_steps_edits_schedule_resets_and_shows_a_patient() -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with viz_server() as server, chromium_page() as (page, watch):
        page.goto(server.url + "/")
        wait_for_drawn(page, charts=1)
        drawn_after = time.perf_counter() - server.started
        assert lattice_drawn(page)
        first = status(page)
        assert first.startswith("Day 0 of 365 · 1,000 cells"), first
        assert "today: osimertinib 1" in first, first
        page.screenshot(path=ARTIFACTS / "1-loaded.png", full_page=True)

        # Step: the day advances, the burden and the chart change.
        before = chart_pixels(page)
        page.get_by_role("button", name="Step").click()
        wait_for_status(page, "s.startsWith('Day 1 of 365')")
        page.wait_for_function(
            "before => document.querySelector('.vega-embed canvas').toDataURL() !== before", arg=before, timeout=30_000
        )
        stepped = status(page)
        assert cells_of(stepped) < 1000, stepped  # osimertinib kills sensitive cells from day 0
        page.screenshot(path=ARTIFACTS / "2-stepped.png", full_page=True)

        # Edit the schedule (osimertinib from day 30), reset: the new model follows the edit.
        start = page.locator(".abm-start-day input").first
        start.fill("30")
        start.press("Enter")
        page.get_by_role("button", name="Reset").click()
        wait_for_status(page, "s.startsWith('Day 0 of 365') && s.includes('today: no drug')")
        page.get_by_role("button", name="Step").click()
        wait_for_status(page, "s.startsWith('Day 1 of 365')")
        untreated = status(page)
        # Same seed, no drug on day 0: far fewer cells die than under osimertinib.
        assert cells_of(untreated) > cells_of(stepped) + 50, (untreated, stepped)
        assert page.locator(".abm-controls-error").count() == 0
        page.screenshot(path=ARTIFACTS / "3-schedule-edited-and-reset.png", full_page=True)
        page.locator(".abm-controls").screenshot(path=ARTIFACTS / "3b-scenario-controls.png")

        # The virtual patient of the clone model: burden chart, shares and doses.
        page.goto(server.url + "/patient")
        wait_for_drawn(page, charts=2)
        assert status(page).startswith("Day 0 of 365"), status(page)
        page.get_by_role("button", name="Step").click()
        wait_for_status(page, "s.startsWith('Day 1 of 365')")
        assert day_of(status(page)) == 1
        day1_burden = chart_pixels(page, 0)
        # Play until imaging shows progression (seed 0: day 168), then pause.
        page.get_by_role("button", name="▶").click()
        wait_for_status(page, "s.includes('first progression on day')", timeout_ms=120_000)
        page.get_by_role("button", name="❚❚").click()
        assert "Best response PR" in status(page), status(page)
        # the burden chart shows the months played, not the first day (redrawn after the pause)
        page.wait_for_function(
            "old => { const c = document.querySelectorAll('.vega-embed canvas')[0];"
            " return c && c.width > 0 && c.toDataURL() !== old; }",
            arg=day1_burden,
            timeout=30_000,
        )
        page.wait_for_timeout(1_000)  # let vega finish the frame it started
        page.screenshot(path=ARTIFACTS / "4-patient-progressed.png", full_page=True)

        assert watch.problems() == []
        log = server.log_text()
    assert "Traceback" not in log and "raised exception" not in log, log
    print(f"\nscreenshots in {ARTIFACTS}; charts drawn {drawn_after:.1f} s after `abm viz` started")
