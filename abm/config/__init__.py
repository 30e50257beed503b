"""Scenario files: a model's settings, parameter overrides and schedule, validated on load (``scenario``)."""
