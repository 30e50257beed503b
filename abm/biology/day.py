"""The order of a day's events, written once: every model follows it.

One step of every model is one day. The day's doses are set first (by the course, from the
schedule and the clinic's readouts), then these events happen in this order, each drawing its
probabilities from ``rules.rule_tables`` for the day's doses:

1. ``DEATH``: every cell alive at dawn may be hit (lost, or killed by the drugs); a hit cell
   dies, unless the drugs' hit is survived as a drug-tolerant persister (``rules.rescue_matrix``):
   then it lives on as a persister. Rescue is part of the death event, so no rule has to
   condition on an order.
2. ``DIVISION``: each cell not hit divides (if it has room); the daughter may carry new
   mutations (``rules.daughter_matrix``). Daughters act from the next day on.
3. ``SWITCH``: each cell not hit today may switch its reversible states (persister reversion,
   AXL-high, IGF-1R-active); the cells rescued today and today's daughters do not.
4. ``MOVE``: AXL-high (mesenchymal) cells not hit today may move to an empty neighbouring
   site. Only the spatial model has space; the clone model does nothing here.

A model implements one method per event, named ``_<event>_event`` (``_death_event``, ``_division_event``...),
and ``TumourModel.step`` calls them in ``DAY`` order.
"""

from __future__ import annotations

from enum import StrEnum


class Event(StrEnum):
    """One kind of event of a day."""

    DEATH = "death"
    DIVISION = "division"
    SWITCH = "switch"
    MOVE = "move"


DAY: tuple[Event, ...] = (Event.DEATH, Event.DIVISION, Event.SWITCH, Event.MOVE)
