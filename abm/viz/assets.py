"""Solara's browser assets, installed from the npm registry so the viz never fetches at run time.

Solara's server proxies a CDN (``/_solara/cdn/<package>@<version>/<file>``) and serves a local
copy when one is in ``SOLARA_ASSETS_PROXY_CACHE_DIR``, laid out as ``<package>@<version as
requested>/<file>``. ``python -m abm.viz.assets`` (run by ``make install``) fills that folder:
for each package below it runs ``npm pack`` on the version solara asks for and unpacks the
whole package there. ``abm viz`` points solara at the folder, and at an unroutable CDN, so a
file missing from it is an error in the browser, never a download.

The list is what the app's pages request (found by running them and reading solara's and
Mesa's templates): solara's Vue 2 app bundle with its CSS and fonts, requirejs, font-awesome,
the grid layout SolaraViz uses, and vega / vega-lite / vega-embed for the Altair charts.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

# As solara requests them (``<package>@<version>``): exact versions, or a major version that
# npm resolves to its newest release, as the CDN would.
PACKAGES: tuple[str, ...] = (
    "@widgetti/solara-vuetify-app@10.1.1",  # solara.html.j2 with ipywidgets 8 (main8.css, solara-vuetify-app8.js)
    "requirejs@2.3.6",
    "font-awesome@4.5.0",
    "@widgetti/vue-grid-layout@2.3.13-alpha.2",  # solara's GridDraggable, SolaraViz's layout
    "vega@5",
    "vega-lite@5",
    "vega-embed@6",
)
STAMP = ".abm-assets.json"  # what was installed, written last: its presence means complete


def cache_dir() -> Path:
    """Where the assets live: inside the project's environment (``.venv/share/abm/solara-cdn``)."""
    return Path(sys.prefix) / "share" / "abm" / "solara-cdn"


def installed(folder: Path | None = None) -> bool:
    """True when every package of ``PACKAGES`` was installed in ``folder``."""
    stamp = (folder or cache_dir()) / STAMP
    try:
        return set(json.loads(stamp.read_text())["packages"]) >= set(PACKAGES)
    except (OSError, ValueError, KeyError):
        return False


def _split(spec: str) -> tuple[str, str]:
    name, _, version = spec.rpartition("@")
    return name, version


def install(folder: Path | None = None, log=print) -> dict[str, str]:
    """Fetch each package with ``npm pack`` and unpack it into ``folder``; returns spec -> version got."""
    folder = folder or cache_dir()
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm not found: the viz's browser assets come from the npm registry (apt-get install npm)")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / STAMP).unlink(missing_ok=True)
    got: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="abm-assets-") as tmp:
        for spec in PACKAGES:
            out = subprocess.run(
                [npm, "pack", spec, "--json", "--pack-destination", tmp],
                check=True,
                capture_output=True,
                text=True,
                cwd=tmp,
            )
            packed = json.loads(out.stdout)[0]
            target = folder / spec
            staging = folder / f".{_split(spec)[0].replace('/', '_')}.partial"
            shutil.rmtree(staging, ignore_errors=True)
            with tarfile.open(Path(tmp) / packed["filename"]) as archive:
                archive.extractall(staging, filter="data")
            shutil.rmtree(target, ignore_errors=True)
            target.parent.mkdir(parents=True, exist_ok=True)
            (staging / "package").rename(target)
            shutil.rmtree(staging)
            got[spec] = packed["version"]
            log(f"  {spec}: {packed['name']} {packed['version']} ({packed['entryCount']} files)")
    (folder / STAMP).write_text(json.dumps({"packages": got}, indent=1))
    return got


def main(argv: list[str] | None = None) -> int:
    """``python -m abm.viz.assets [--folder DIR] [--force]``."""
    parser = argparse.ArgumentParser(prog="python -m abm.viz.assets", description=__doc__.splitlines()[0])
    parser.add_argument("--folder", type=Path, help=f"where to install (default {cache_dir()})")
    parser.add_argument("--force", action="store_true", help="install again even when complete")
    args = parser.parse_args(argv)
    folder = args.folder or cache_dir()
    if installed(folder) and not args.force:
        print(f"viz assets already installed in {folder}")
        return 0
    print(f"installing the viz's browser assets from the npm registry into {folder}")
    try:
        install(folder)
    except (RuntimeError, subprocess.CalledProcessError) as error:
        detail = getattr(error, "stderr", "") or ""
        print(f"error: {error}\n{detail}".rstrip(), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
