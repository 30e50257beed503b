"""Sweeps: ``design`` (sweep files and their runs), ``runner`` (running them, resumable),
``metrics`` (the figures kept of each run), ``sensitivity`` (Morris and Sobol indices)."""
