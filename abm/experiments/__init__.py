"""What is done with the models: runs, virtual trials, validation, calibration, sweeps.

``run`` (one scenario), ``trial`` and ``trial_stats`` (virtual trials), ``validation`` (the
targets and ``abm validate``), ``priors``, ``particles``, ``calibration`` and ``posterior``
(ABC-SMC and carrying its posterior to predictions), ``pool`` (worker processes), ``sweep``
(sweep files, running them, their metrics and sensitivity indices).
"""
