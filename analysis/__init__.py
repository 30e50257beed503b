"""Turning result files into tables and figures (see the report issue)."""
