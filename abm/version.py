"""The package version, stamped into every result written (``summary.json``, manifests, reports)."""

__version__ = "0.1.0"
