"""The lattice as a PNG image, one pixel block per site coloured by mechanism.

An image, not ten thousand markers: a 100x100 lattice becomes one small PNG whatever the
number of cells, so drawing costs the same every day.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from abm.biology.mechanisms import mechanisms_of
from abm.report.colours import state_rgb

_RGB = state_rgb()  # row N_STATES (the last) is an empty site
_EMPTY_ROW = len(_RGB) - 1


def lattice_png(lattice: np.ndarray, size: int = 480) -> bytes:
    """PNG of a (width, height) lattice of states (-1 empty), x across and y up.

    Sites are whole blocks of pixels, as many as fit in ``size`` px (at least one: ``size=0``
    gives one pixel per site, for a browser to scale up).
    """
    width, height = lattice.shape
    index = np.where(lattice >= 0, lattice, _EMPTY_ROW)
    pixels = _RGB[index.T[::-1]]  # rows are y, top row is the largest y
    scale = max(1, size // max(width, height))
    if scale > 1:  # whole-pixel blocks keep sites sharp in any browser
        pixels = pixels.repeat(scale, axis=0).repeat(scale, axis=1)
    buffer = io.BytesIO()
    Image.fromarray(pixels, "RGB").save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


def site_text(lattice: np.ndarray, x: int, y: int) -> str:
    """What a (width, height) lattice holds at site (x, y): empty, a sensitive cell, or the
    mechanisms the cell carries (``mechanisms.Mechanism.label``)."""
    width, height = lattice.shape
    if not (0 <= x < width and 0 <= y < height):
        return ""
    state = int(lattice[x, y])
    if state < 0:
        held = "empty"
    else:
        carried = [m.label for m in mechanisms_of(state)]
        held = "cell: " + (", ".join(carried) if carried else "sensitive (no resistance mechanism)")
    return f"site ({x}, {y}) · {held}"
