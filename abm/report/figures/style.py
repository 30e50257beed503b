"""The shared look: paper-sized figures, readable fonts, one colour per mechanism and drug."""

from __future__ import annotations

from matplotlib.figure import Figure

from abm.biology.mechanisms import COUNT_COLUMNS, MECHANISMS
from abm.report.colours import DRAW_PRIORITY, DRUG_COLOURS, MECHANISM_COLOURS

# Full page width of a two-column journal (7 in); text stays >= 7 pt when printed at that size.
WIDTH = 7.0
DPI = 200
RC = {
    "font.size": 8,
    "axes.titlesize": 9,
    "axes.labelsize": 8,
    "xtick.labelsize": 7,
    "ytick.labelsize": 7,
    "legend.fontsize": 7,
    "legend.frameon": False,
    "axes.spines.top": False,
    "axes.spines.right": False,
}

# Readable names of the count columns (from abm.biology.mechanisms' labels).
LABELS: dict[str, str] = {"sensitive": "sensitive", **{m.name: m.label for m in MECHANISMS}}
# When a cell or clone carries several mechanisms it is drawn in the colour of the first of
# these it carries: genetic findings before expression states, the latest-acquired allele first.
PRIORITY: tuple[str, ...] = DRAW_PRIORITY
OTHER = "#bbbbbb"  # anything without a colour of its own (an arm that is not one drug, ...)


def figure(height: float, width: float = WIDTH, **subplots) -> tuple[Figure, object]:
    """A new figure (no pyplot: safe in any process) and its axes; call inside ``rc()``."""
    fig = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    axes = fig.subplots(**subplots) if subplots else fig.add_subplot()
    return fig, axes


def rc():
    """Context manager applying the shared style while drawing."""
    import matplotlib as mpl

    return mpl.rc_context(RC)


def mechanism_colour(name: str) -> str:
    """Colour of a count column (mechanism or 'sensitive')."""
    return MECHANISM_COLOURS[name]


def lead_mechanism(names: set[str] | list[str] | tuple[str, ...]) -> str:
    """The mechanism a set of mechanisms is drawn as ('sensitive' for none)."""
    present = set(names)
    return next((m for m in PRIORITY if m in present), "sensitive")


def drug_colour(name: str) -> str:
    """Colour of a drug, or of an arm named after one."""
    return DRUG_COLOURS.get(name, OTHER)


assert set(MECHANISM_COLOURS) == set(COUNT_COLUMNS)
assert set(PRIORITY) | {"sensitive"} == set(COUNT_COLUMNS)
