"""Turning result files into figures and a one-file report.

Everything here reads result folders only (``abm run``, ``abm trial``, ``abm validate --out``,
sweeps), so it works on old runs and on results copied from elsewhere:

- ``abm.report.results``: what a folder holds and loading it;
- ``abm.report.figures``: one module per kind of result, each figure a function returning a
  matplotlib ``Figure`` whose key artists carry a ``gid`` naming what they show;
- ``abm.report.build``: ``build_report(folder)`` writes the PNGs and ``report.html``;
- ``abm.report.calibration_report``: the same for a calibration folder;
- ``abm.report.colours``: one colour per mechanism and drug, for the figures and the viz.

``explore_issue14`` holds the scripts of the issue-14 exploration (docs/notes/issue14-exploration.md).
"""
