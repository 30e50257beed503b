"""Start ``abm viz`` on a free local port and drive it in Debian's headless chromium (Playwright).

Shared by the browser test and ``benchmarks/viz.py``. Never ``playwright install``: the browser
is /usr/bin/chromium (``make test`` installs Debian's package when it is missing).
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LOCAL_HOSTS = {"127.0.0.1"}


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    """A running ``abm viz``: its URL, process, log file and start time (perf_counter)."""

    url: str
    process: subprocess.Popen
    log: Path
    started: float

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


@contextlib.contextmanager
def viz_server(*args: str, timeout: float = 120.0) -> Iterator[Server]:
    """``abm viz ARGS --port <free>``; yields once the page answers, stops the server after."""
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="abm-viz-") as tmp:
        log = Path(tmp) / "server.log"
        with log.open("w") as out:
            started = time.perf_counter()
            process = subprocess.Popen(
                [sys.executable, "-m", "abm", "viz", *args, "--host", "127.0.0.1", "--port", str(port)],
                stdout=out,
                stderr=subprocess.STDOUT,
            )
            server = Server(f"http://127.0.0.1:{port}", process, log, started)
            try:
                _wait_until_up(server, timeout)
                yield server
            finally:
                process.terminate()
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


def _wait_until_up(server: Server, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"abm viz exited with {server.process.returncode}:\n{server.log_text()}")
        try:
            with urllib.request.urlopen(server.url + "/", timeout=5):
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.3)
    raise RuntimeError(f"abm viz did not answer within {timeout} s:\n{server.log_text()}")


@dataclass
class Watch:
    """Everything the page did wrong: console errors, failed requests, requests leaving 127.0.0.1."""

    console_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    outside_requests: list[str] = field(default_factory=list)

    def attach(self, page) -> None:
        page.on("console", lambda m: self.console_errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.console_errors.append(f"page error: {e}"))
        page.on("requestfailed", lambda r: self.failed_requests.append(f"{r.url} ({r.failure})"))
        page.on("response", lambda r: self.failed_requests.append(f"{r.url} ({r.status})") if r.status >= 400 else None)
        page.on("request", self._request)

    def _request(self, request) -> None:
        parsed = urlparse(request.url)
        if parsed.scheme in ("http", "https", "ws", "wss") and parsed.hostname not in LOCAL_HOSTS:
            self.outside_requests.append(request.url)

    def problems(self) -> list[str]:
        return (
            [f"console error: {m}" for m in self.console_errors]
            + [f"failed request: {u}" for u in self.failed_requests]
            + [f"request leaving 127.0.0.1: {u}" for u in self.outside_requests]
        )


@contextlib.contextmanager
def chromium_page(width: int = 1400, height: int = 1000) -> Iterator[tuple[object, Watch]]:
    """A page of a fresh headless chromium profile, watched for problems."""
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        raise RuntimeError(
            f"{CHROMIUM} not found: install Debian's chromium (apt-get install chromium; make test does)"
        )
    with tempfile.TemporaryDirectory(prefix="abm-chromium-") as profile, sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            profile,
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": width, "height": height},
        )
        try:
            page = context.pages[0] if context.pages else context.new_page()
            watch = Watch()
            watch.attach(page)
            yield page, watch
        finally:
            context.close()


# --- reading the page ----------------------------------------------------------------------
STATUS = ".abm-status"
CHART = ".vega-embed canvas, .vega-embed svg"


def status(page) -> str:
    """The day / burden / doses line."""
    return page.inner_text(STATUS).replace("\n", " ")


def wait_for_drawn(page, charts: int, timeout_ms: float = 90_000) -> None:
    """Until the status line, the lattice image (spatial page) and ``charts`` charts are drawn."""
    page.wait_for_selector(STATUS, timeout=timeout_ms)
    page.wait_for_function(
        f"document.querySelectorAll('.vega-embed canvas').length >= {charts}"
        " && [...document.querySelectorAll('.vega-embed canvas')].every(c => c.width > 0 && c.height > 0)",
        timeout=timeout_ms,
    )


def lattice_drawn(page) -> bool:
    """True when the lattice image has loaded with a non-zero size."""
    return page.eval_on_selector(".abm-lattice img", "img => img.complete && img.naturalWidth > 0")


def chart_pixels(page, index: int = 0) -> str:
    """The index-th chart's canvas as a data URL (to see that it changed)."""
    return page.evaluate(f"document.querySelectorAll('.vega-embed canvas')[{index}].toDataURL()")


def wait_for_status(page, predicate_js: str, timeout_ms: float = 60_000) -> None:
    """Until ``predicate_js`` (a JS expression on ``s``, the status text) holds."""
    page.wait_for_function(
        f"(() => {{ const e = document.querySelector('{STATUS}'); if (!e) return false;"
        f" const s = e.innerText.replace(/\\n/g, ' '); return {predicate_js}; }})()",
        timeout=timeout_ms,
    )


def statuses(page) -> list[str]:
    """The day / burden / doses line of each schedule shown, in order (A, B, ...)."""
    return [t.replace("\n", " ") for t in page.eval_on_selector_all(STATUS, "es => es.map(e => e.innerText)")]


def lattice_sources(page) -> list[str]:
    """The lattice images' data URLs, one per schedule shown."""
    return page.eval_on_selector_all(".abm-lattice img", "es => es.map(e => e.src)")


def compare_and_reset(page, charts: int) -> None:
    """ "compare with another schedule", then Reset: until both schedules and ``charts`` charts are drawn."""
    page.locator(".abm-compare").click()
    page.wait_for_selector(".abm-compared-B")
    page.get_by_role("button", name="Reset").click()
    page.wait_for_function("document.querySelectorAll('.abm-arm-name').length == 2")
    wait_for_drawn(page, charts=charts)


def day_of(text: str) -> int:
    """The day number of a status line ('Day 12 of 365 · ...')."""
    return int(text.split()[1])


def cells_of(text: str) -> int:
    """The cell count of a status line ('... · 1,234 cells ...')."""
    before = text.split(" cells")[0]
    return int(before.split("· ")[-1].replace(",", ""))
