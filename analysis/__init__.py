"""Turning result files into figures and a one-file report.

Everything here reads result folders only (``abm run``, ``abm trial``, ``abm validate --out``,
sweeps), so it works on old runs and on results copied from elsewhere:

- ``analysis.results``: what a folder holds and loading it;
- ``analysis.figures``: one module per kind of result, each figure a function returning a
  matplotlib ``Figure`` whose key artists carry a ``gid`` naming what they show;
- ``analysis.report``: ``build_report(folder)`` writes the PNGs and ``report.html``.
"""
