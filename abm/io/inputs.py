"""Files a user writes: read with a size limit, validated strictly.

Scenario, trial and sweep files are data a person typed, so a wrong type is a mistake to
report, not a value to coerce: ``true`` is not a rate, ``"50"`` is not a width. Whole numbers
stay acceptable where a real number is expected (``dose = 1``), and only finite numbers are
accepted (a trigger at NaN would never fire).
"""

from __future__ import annotations

from pathlib import Path

from pydantic import ConfigDict

from abm.io.errors import InputError

# The models of user-written files: no coercion, no NaN or infinity, no unknown keys.
USER_FILE = ConfigDict(frozen=True, extra="forbid", strict=True, allow_inf_nan=False)

# The largest input file read (the shipped files are a few KB); /dev/zero is refused, not read
# until memory runs out.
MAX_FILE_BYTES = 4 * 2**20


def read_bytes(path: Path, what: str = "file") -> bytes:
    """A file's bytes, at most ``MAX_FILE_BYTES`` of them, or an InputError naming the file."""
    try:
        with path.open("rb") as f:
            data = f.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise InputError(str(path), "", f"no such {what}") from None
    except IsADirectoryError:
        raise InputError(str(path), "", f"is a folder; allowed: a {what}") from None
    except OSError as error:
        raise InputError(str(path), "", f"cannot read: {error.strerror}") from None
    if len(data) > MAX_FILE_BYTES:
        raise InputError(str(path), "", f"larger than {MAX_FILE_BYTES // 2**20} MiB; allowed: a {what} of TOML text")
    return data


def read_text(path: Path, what: str = "file") -> str:
    """A file as UTF-8 text (bounded as ``read_bytes``); a binary file is an InputError."""
    data = read_bytes(path, what)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InputError(
            str(path), "", f"not a text file (byte {error.start} is not UTF-8); allowed: TOML text"
        ) from None
