"""The viz in a real browser: `abm viz` on a free local port, driven by Debian's headless chromium.

Loads the page, sees the lattice and charts drawn, steps, edits the schedule, resets and sees
the model follow the edit, then opens the virtual-patient page; plays the built-in default to
its MET-amplified regrowth, hovers on the lattice, downloads the timeseries and the report,
scrubs back to an earlier day and replays, checks the sidebar and the schedule blocks' fields;
compares osimertinib with osimertinib + the AXL inhibitor side by side on both pages. Fails on
any console error, failed request or request leaving 127.0.0.1. Screenshots go to
tests/artifacts/viz/.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.viz_browser import (
    cells_of,
    chart_pixels,
    chromium_page,
    compare_and_reset,
    day_of,
    lattice_drawn,
    lattice_sources,
    status,
    statuses,
    viz_server,
    wait_for_drawn,
    wait_for_status,
)

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parent / "artifacts" / "viz"

# A tumour that progresses within the test's patience: osimertinib on a tumour carrying a 1%
# MET-amplified subclone (003 §5.2: such subclones precede failure by MET). On the patient page
# (10^10 cells, seed 0) it first progresses on day 280 (biology v2; day 560 before).
SCENARIO = """
name = "osimertinib, MET subclone"
[model]
width = 100
height = 100
initial_cells = 1000
days = 730
[parameters]
met_amplified_initial_fraction = 0.01
[[schedule]]
drug = "osimertinib"
"""


def test_viz_in_chromium_steps_edits_schedule_resets_and_shows_a_patient(tmp_path: Path) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    scenario = tmp_path / "met-subclone.toml"
    scenario.write_text(SCENARIO)
    with viz_server(str(scenario)) as server, chromium_page() as (page, watch):
        page.goto(server.url + "/")
        wait_for_drawn(page, charts=1)
        drawn_after = time.perf_counter() - server.started
        assert lattice_drawn(page)
        first = status(page)
        assert first.startswith("Day 0 of 730 · 1,000 cells"), first
        assert "today: osimertinib 1" in first, first
        page.screenshot(path=ARTIFACTS / "1-loaded.png", full_page=True)

        # Step: the day advances, the burden and the chart change.
        before = chart_pixels(page)
        page.get_by_role("button", name="Step").click()
        wait_for_status(page, "s.startsWith('Day 1 of 730')")
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
        wait_for_status(page, "s.startsWith('Day 0 of 730') && s.includes('today: no drug')")
        page.get_by_role("button", name="Step").click()
        wait_for_status(page, "s.startsWith('Day 1 of 730')")
        untreated = status(page)
        # Same seed, no drug on day 0: fewer cells die and more divide than under osimertinib
        # (a day moves ~1.5% of a 1,000-cell disc at biology v2's rates; seed 0: 1,005 vs 990).
        assert cells_of(untreated) > cells_of(stepped) + 10, (untreated, stepped)
        assert page.locator(".abm-controls-error").count() == 0
        page.screenshot(path=ARTIFACTS / "3-schedule-edited-and-reset.png", full_page=True)
        page.locator(".abm-controls").screenshot(path=ARTIFACTS / "3b-scenario-controls.png")

        # The virtual patient of the clone model: burden chart, shares and doses.
        page.goto(server.url + "/patient")
        wait_for_drawn(page, charts=2)
        assert status(page).startswith("Day 0 of 730"), status(page)
        page.get_by_role("button", name="Step").click()
        wait_for_status(page, "s.startsWith('Day 1 of 730')")
        assert day_of(status(page)) == 1
        day1_burden = chart_pixels(page, 0)
        # Play until imaging shows progression (seed 0: day 280), then pause.
        page.get_by_role("button", name="▶").click()
        wait_for_status(page, "s.includes('first progression on day')", timeout_ms=300_000)
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


def test_default_page_tells_response_then_regrowth_and_keeps_each_block_its_own_dose() -> None:
    """The built-in default played: the story line names MET-amplified regrowth; Mesa's unused
    controls are gone; a long scenario name leaves the sidebar's width; an invalid dose in the
    second block shows there only; no console error, no request beyond 127.0.0.1."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with viz_server() as server, chromium_page() as (page, watch):
        page.goto(server.url + "/")
        wait_for_drawn(page, charts=1)
        assert status(page).startswith("Day 0 of 730 · 3,000 cells"), status(page)
        for leftover in ("Information", "Use Threads", "Page 0"):
            shown = page.get_by_text(leftover, exact=True)
            assert not any(shown.nth(i).is_visible() for i in range(shown.count())), leftover
        width = page.eval_on_selector(".abm-lattice img", "img => img.getBoundingClientRect().width")
        assert width >= 400, width  # no longer a 280 px thumbnail
        # Hover: the centre of the 120x120 lattice holds a cell of the day-0 disc.
        box = page.locator(".abm-lattice img").bounding_box()
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.wait_for_selector(".abm-site-info")
        hovered = page.inner_text(".abm-site-info")
        # the image's centre is the corner of four sites (which one the pointer lands on is rounding)
        centre = tuple(f"site ({x}, {y}) · cell:" for x in (59, 60) for y in (59, 60))
        assert hovered.startswith(centre), hovered
        page.screenshot(path=ARTIFACTS / "5-default-day0-hover.png")
        page.mouse.move(box["x"] + 3, box["y"] + 3)  # a corner: empty
        page.wait_for_function("document.querySelector('.abm-site-info').innerText.includes('empty')")
        assert page.inner_text(".abm-site-info").startswith("site (0, 119) · empty")
        page.mouse.move(0, box["y"] + box["height"] + 200)  # away: the hover box goes
        page.wait_for_selector(".abm-site-info", state="detached")

        day0_lattice = page.eval_on_selector(".abm-lattice img", "img => img.src")
        page.get_by_role("button", name="▶").click()
        wait_for_status(page, "s.includes('Responding')", timeout_ms=120_000)
        wait_for_status(
            page,
            "s.includes('Regrowing by MET-amplified') && day(s) > 200".replace("day(s)", "parseInt(s.split(' ')[1])"),
            timeout_ms=300_000,
        )
        page.get_by_role("button", name="❚❚").click()
        page.wait_for_timeout(1_500)
        assert page.eval_on_selector(".abm-lattice img", "img => img.src") != day0_lattice  # drawn each day
        page.screenshot(path=ARTIFACTS / "6-default-regrowth.png")

        # Export: the days played as abm run's timeseries.csv, one row per day from day 0.
        played = day_of(status(page))
        with page.expect_download() as download:
            page.locator(".abm-export").click()
        rows = Path(download.value.path()).read_text().splitlines()
        assert download.value.suggested_filename == f"osimertinib-continuous-day{played}-timeseries.csv"
        assert rows[0].startswith("day,total,sensitive,") and len(rows) == played + 2, (rows[0], len(rows))
        # ... and the report abm run --report writes, of the same days
        with page.expect_download(timeout=60_000) as download:
            page.locator(".abm-export-report").click()
        assert download.value.suggested_filename == f"osimertinib-continuous-day{played}-report.html"
        report = Path(download.value.path()).read_text()
        for part in (
            f"days 0-{played}</h1>",
            "Tumour burden and drug doses",
            "Lattice snapshots",
            "data:image/png;base64",
        ):
            assert part in report, part

        # The scrubber: back to a quarter of the days played; the lattice, chart and status show that day.
        live_lattice, live_chart = lattice_sources(page)[0], chart_pixels(page)
        slider = page.locator(".abm-scrubber .v-slider")
        box = slider.bounding_box()
        slider.click(position={"x": box["width"] * 0.25, "y": box["height"] / 2})
        page.wait_for_selector(".abm-looking-back")
        back = day_of(status(page))
        assert 0 < back < played / 2, (back, played)
        assert f"the run is on day {played}" in page.inner_text(".abm-looking-back")
        assert lattice_sources(page)[0] != live_lattice
        page.wait_for_function(
            "old => document.querySelector('.vega-embed canvas').toDataURL() !== old", arg=live_chart, timeout=30_000
        )
        page.wait_for_timeout(1_000)
        page.screenshot(path=ARTIFACTS / "8-scrubbed-back.png")
        # Step replays the next kept day (the run stays on its live day); "back to day N" returns.
        page.get_by_role("button", name="Step").click()
        wait_for_status(page, f"s.startsWith('Day {back + 1} of 730')")
        assert f"the run is on day {played}" in page.inner_text(".abm-looking-back")
        page.locator(".abm-live").click()
        wait_for_status(page, f"s.startsWith('Day {played} of 730')")
        page.wait_for_selector(".abm-looking-back", state="detached")
        assert lattice_sources(page)[0] == live_lattice
        # Play from an earlier day replays the kept days up to the live day, then runs on.
        slider.click(position={"x": box["width"] * 0.75, "y": box["height"] / 2})
        page.wait_for_selector(".abm-looking-back")
        page.get_by_role("button", name="▶").click()
        page.wait_for_selector(".abm-looking-back", state="detached", timeout=60_000)
        wait_for_status(page, f"parseInt(s.split(' ')[1]) > {played}", timeout_ms=60_000)
        page.get_by_role("button", name="❚❚").click()

        drawer = ".v-navigation-drawer"
        before = page.eval_on_selector(drawer, "d => d.getBoundingClientRect().width")
        page.locator(".abm-scenario").click()
        page.get_by_role("option", name="osimertinib-savolitinib-on-regrowth", exact=False).click()
        after = page.eval_on_selector(drawer, "d => d.getBoundingClientRect().width")
        page.screenshot(path=ARTIFACTS / "5b-long-scenario-name.png")
        assert after == before, (before, after)
        page.locator(".abm-scenario").click()
        page.get_by_role("option", name="(start)", exact=False).click()
        page.wait_for_selector(".abm-block-1", state="detached")  # the default's one block
        page.wait_for_selector(".v-menu__content", state="hidden")

        page.locator(".abm-add-block").click()
        page.wait_for_selector(".abm-block-1 .abm-dose input")
        doses = page.locator(".abm-block-1 .abm-dose input")
        doses.fill("-1")
        doses.press("Tab")
        page.wait_for_selector(".abm-controls-error")
        assert page.locator(".abm-block-0 .abm-dose input").input_value() == "1.0"
        assert page.locator(".abm-block-1 .abm-dose input").input_value() == "-1"
        page.locator(".abm-controls").screenshot(path=ARTIFACTS / "7-invalid-dose-in-block-2.png")

        assert watch.problems() == []
        log = server.log_text()
    assert "Traceback" not in log and "Warning" not in log, log


def test_osimertinib_and_osimertinib_with_the_axl_inhibitor_side_by_side() -> None:
    """ "compare with another schedule" adds osimertinib + the AXL inhibitor; after Reset both
    schedules show the same day-0 tumour (common random numbers), step and play together, each
    with its lattice, hover and charts; the patient page likewise, each with its RECIST course."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with viz_server() as server, chromium_page() as (page, watch):
        page.goto(server.url + "/")
        wait_for_drawn(page, charts=1)
        page.locator(".abm-compare").click()
        page.wait_for_selector(".abm-compared-B")
        assert "Schedule B: osimertinib + bemcentinib (AXL inhibitor)" in page.inner_text(".abm-compared-B")
        page.get_by_role("button", name="Reset").click()
        page.wait_for_function("document.querySelectorAll('.abm-arm-name').length == 2")
        wait_for_drawn(page, charts=3)  # the comparison chart, then each schedule's
        names = page.eval_on_selector_all(".abm-arm-name", "es => es.map(e => e.innerText)")
        assert names == ["A · osimertinib", "B · osimertinib + bemcentinib (AXL inhibitor)"], names
        a, b = statuses(page)
        assert a.startswith("Day 0 of 730 · 3,000 cells") and b.startswith("Day 0 of 730 · 3,000 cells"), (a, b)
        assert "today: osimertinib 1 " in a + " " and "today: osimertinib 1, bemcentinib 1" in b, (a, b)
        first, second = lattice_sources(page)
        assert first == second  # the same founding tumour, site for site
        page.get_by_role("button", name="Step").click()
        page.wait_for_function("document.querySelectorAll('.abm-status').length == 2")
        wait_for_status(page, "s.startsWith('Day 1 of 730')")
        page.wait_for_function(
            "[...document.querySelectorAll('.abm-status')].every(e => e.innerText.startsWith('Day 1 of 730'))"
        )
        page.screenshot(path=ARTIFACTS / "9-compare-day1.png")
        page.get_by_role("button", name="▶").click()
        wait_for_status(page, "parseInt(s.split(' ')[1]) >= 150", timeout_ms=300_000)
        page.get_by_role("button", name="❚❚").click()
        page.wait_for_timeout(1_500)
        a, b = statuses(page)
        assert day_of(a) == day_of(b) >= 150, (a, b)  # stepped together
        assert cells_of(a) != cells_of(b)
        first, second = lattice_sources(page)
        assert first != second
        # hover on schedule B's lattice
        box = page.locator(".abm-lattice img").nth(1).bounding_box()
        page.mouse.move(box["x"] + 2, box["y"] + 2)
        page.wait_for_function(
            "(() => { const e = document.querySelector('.abm-site-info');"
            " return e && e.innerText.includes('empty'); })()"
        )
        page.screenshot(path=ARTIFACTS / "10-compare-played.png")
        page.set_viewport_size({"width": 1400, "height": 1900})  # the page scrolls inside its layout
        page.wait_for_timeout(1_500)
        page.screenshot(path=ARTIFACTS / "10b-compare-played-full.png")
        page.set_viewport_size({"width": 1400, "height": 1000})
        page.mouse.move(0, 0)

        # The patient page: the same two schedules on one virtual patient, each with its RECIST course.
        page.goto(server.url + "/patient")
        wait_for_drawn(page, charts=2)
        compare_and_reset(page, charts=5)
        page.get_by_role("button", name="▶").click()
        wait_for_status(page, "parseInt(s.split(' ')[1]) >= 120", timeout_ms=300_000)  # two scans after baseline
        page.get_by_role("button", name="❚❚").click()
        page.wait_for_timeout(1_500)
        a, b = statuses(page)
        assert day_of(a) == day_of(b), (a, b)
        for text in (a, b):
            assert "Best response PR · no progression yet" in text, text
        page.set_viewport_size({"width": 1400, "height": 1500})
        page.wait_for_timeout(1_500)
        page.screenshot(path=ARTIFACTS / "11-patient-compare.png")

        assert watch.problems() == []
        log = server.log_text()
    assert "Traceback" not in log and "Warning" not in log, log
