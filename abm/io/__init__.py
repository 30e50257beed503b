"""Files in and out, knowing nothing of tumours (the lowest layer).

``inputs`` reads a user's files with a size limit and the strict rules of their models;
``errors`` is the one error of bad input (``InputError``) and turns pydantic's errors into it;
``output`` writes a file whole or not at all; ``outdir`` replaces a result folder as one unit.
"""
