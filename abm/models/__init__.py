"""The tumour models and the engine of cohorts.

``base`` (``TumourModel``: what every Mesa model shares), ``course`` (one tumour's treatment
under its scenario: schedule, scans, doses), ``spatial`` (one agent per cell on a lattice),
``clone`` (one agent per clone), ``cohort`` with its compiled ``cohort_kernel`` and per-patient
``streams`` (whole cohorts as counts), and ``mesa_adapter``: the lazily built lattice grid and
Mesa's agent bookkeeping in bulk, the one module that touches Mesa's internals.
"""
