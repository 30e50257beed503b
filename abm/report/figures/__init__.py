"""Figures by kind of result: ``run``, ``trial``, ``validation``, ``sweep``; ``style`` is their shared look."""
