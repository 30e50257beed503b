"""The biology, defined once: cell states and mechanisms, drugs, parameters, the rules of a day.

``mechanisms`` (states as bit masks), ``drugs`` (which routes each blocks), ``parameters`` (every
rate, cited), ``rules`` (the per-day probabilities from parameters and doses), ``day`` (the order
of a day's events), ``history`` and ``founding`` (the subclones a tumour grew with before
diagnosis), ``kinetics`` (untreated growth at these rates). Imports nothing above ``abm.io``.
"""
