"""EGFR-mutant lung cancer resistance simulator on Mesa.

The biology is defined once (``mechanisms``, ``drugs``, ``parameters``, ``rules``,
``schedule``); the models (``spatial``) and the command line (``cli``) use it.
"""

from abm.version import __version__

__all__ = ["__version__"]
