"""``abm viz``: start solara's server on the viz app, offline."""

from __future__ import annotations

import ipaddress
import os
import sys
from pathlib import Path

from abm.io.errors import InputError

# Where solara would fetch a file missing from the local assets: a closed port on this machine,
# so a missing asset fails at once in the browser instead of leaving the machine.
NO_CDN = "http://127.0.0.1:9/"
# Solara warns on every page load over http to 127.0.0.1 (not "localhost") that its session
# cookie falls back to SameSite=Lax: right for a local app, and ~12 lines per load.
QUIET = "ignore:Cookies with samesite=none require https:UserWarning"


def environment(scenario: str | None, assets: Path) -> dict[str, str]:
    """The environment of the solara server: local assets, no CDN, no telemetry, the scenario."""
    env = dict(os.environ)
    env.update(
        SOLARA_ASSETS_PROXY="True",
        SOLARA_ASSETS_PROXY_CACHE_DIR=str(assets),
        SOLARA_ASSETS_CDN=NO_CDN,
        SOLARA_TELEMETRY_MIXPANEL_ENABLE="False",
        ABM_VIZ_SCENARIO=str(Path(scenario).resolve()) if scenario else "",
        PYTHONWARNINGS=",".join(filter(None, [os.environ.get("PYTHONWARNINGS"), QUIET])),
    )
    return env


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine only (127.0.0.0/8, ::1, localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def serve(scenario: str | None, host: str, port: int, allow_remote: bool = False) -> int:
    """Check the scenario and the assets, then become the solara server (does not return on success)."""
    from abm.config.scenario import load
    from abm.viz import assets

    load(scenario)  # a bad file is an InputError here, before any server starts
    if not 0 < port < 65536:
        raise InputError("--port", str(port), "allowed: 1 to 65535")
    # The app has no login and builds any lattice the memory guard allows: serving beyond this
    # machine is a choice to state, and to be reminded of.
    if not is_loopback(host):
        if not allow_remote:
            raise InputError(
                "--host",
                host,
                "serves beyond this machine an app with no login; allowed: 127.0.0.1, or add --allow-remote",
            )
        print(f"abm viz: warning: serving on {host}, reachable from other machines, without a login", file=sys.stderr)
    folder = assets.cache_dir()
    if not assets.installed(folder):
        print(
            f"abm: error: the viz's browser assets are not installed in {folder}; "
            "run `make install` (or `python -m abm.viz.assets`)",
            file=sys.stderr,
        )
        return 1
    argv = [sys.executable, "-m", "solara", "run", "abm.viz.app", "--host", host, "--port", str(port)]
    argv += ["--production", "--no-open"]
    print(f"abm viz: http://{host}:{port}/ (Ctrl-C to stop)", flush=True)
    os.execve(sys.executable, argv, environment(scenario, folder))
    return 0  # not reached
