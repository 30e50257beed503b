"""Check that the built site loads nothing from the internet.

    .venv/bin/python docs/scripts/check_offline.py [SITE]      # default: site/

Every page's scripts, stylesheets, images, fonts and frames must come from the site itself: no
``src`` or ``href`` of a ``<script>``, ``<link>``, ``<img>``, ``<iframe>``, ``<source>`` or
``<video>`` pointing at another host, and no ``url(http...)`` or ``@import`` of another host in
the site's CSS. Links a reader clicks (``<a href>``) are fine. Exits 1 naming each offender.
"""

from __future__ import annotations

import re
import sys
from html.parser import HTMLParser
from pathlib import Path

LOADING = {"script": "src", "link": "href", "img": "src", "iframe": "src", "source": "src", "video": "src"}
EXTERNAL = re.compile(r"^(https?:)?//", re.IGNORECASE)
CSS_EXTERNAL = re.compile(r"(url\(\s*['\"]?|@import\s+['\"])(https?:)?//", re.IGNORECASE)


class Loads(HTMLParser):
    """The addresses a page loads by itself."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        wanted = LOADING.get(tag)
        for name, value in attrs:
            if name == wanted and value and EXTERNAL.match(value):
                self.found.append(f"<{tag} {name}={value!r}>")


def offenders(site: Path) -> list[str]:
    found = []
    for page in sorted(site.rglob("*.html")):
        parser = Loads()
        parser.feed(page.read_text(encoding="utf-8"))
        found += [f"{page.relative_to(site)}: {item}" for item in parser.found]
    for sheet in sorted(site.rglob("*.css")):
        if CSS_EXTERNAL.search(sheet.read_text(encoding="utf-8", errors="replace")):
            found.append(f"{sheet.relative_to(site)}: loads CSS or a font from another host")
    return found


def main() -> int:
    site = Path(sys.argv[1] if len(sys.argv) > 1 else "site")
    pages = len(list(site.rglob("*.html")))
    if not pages:
        print(f"{site}: no pages; build the site first (make docs)", file=sys.stderr)
        return 1
    found = offenders(site)
    for item in found:
        print(item, file=sys.stderr)
    print(f"{pages} pages checked: {len(found)} loads from another host")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
