"""Setting a value at a path: the one grammar of `--set`, sweeps, trials, calibration and the viz.

A path names a place in a scenario or trial the way its file does:

- dotted keys, lists indexed in brackets: ``model.width``, ``parameters.division_rate``,
  ``schedule[1].start``, ``arms[0].schedule[1].stop``, ``cohort.division_rate.sigma``;
- or, in code, the same as parts: ``("schedule", 1, "start")``;
- a bare name stands for a field of one of the file's tables (``ShortNames``): for a scenario
  ``division_rate`` is ``parameters.division_rate`` and ``width`` is ``model.width``;
- ``<dosing block>.duration = D`` is not a field but sets the block's ``stop`` to its
  ``start`` + D, once every other value is in place.

``set_in`` sets values in plain data (a parsed file) before it is validated; ``set_values``
sets them in a validated model by setting them in its data and validating that again, through
the same pydantic models and checks as a file, so a typo or an out-of-range value is one
``InputError`` naming the source, the field and what is allowed (``model_copy(update=...)``
would take either silently).
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from abm.io.errors import InputError, did_you_mean, field_path, from_validation_error

if TYPE_CHECKING:
    from pydantic import BaseModel

Parts = tuple[str | int, ...]
PathLike = str | Parts

# Not a field of a dosing block but a convenience for sweeps: ``schedule[i].duration = D``
# sets the block's stop to its start + D (applied after every other value).
DURATION = "duration"


def parse_path(name: str, source: str = "--set") -> Parts:
    """A dotted path with list indexes: 'schedule[1].start' -> ('schedule', 1, 'start')."""
    parts: list[str | int] = []
    for part in name.split("."):
        key, bracket, rest = part.partition("[")
        if not key:
            raise InputError(source, name, "empty name in the path; e.g. schedule[1].start")
        parts.append(key)
        while bracket:
            index, close, rest = rest.partition("]")
            if not close or not index.isdigit() or (rest and not rest.startswith("[")):
                raise InputError(source, name, "a list index is a number in brackets, e.g. schedule[1].start")
            parts.append(int(index))
            bracket, rest = rest[:1], rest[1:]
    return tuple(parts)


def dotted(path: Parts) -> str:
    """('schedule', 1, 'start') -> 'schedule[1].start' (the inverse of ``parse_path``)."""
    return field_path(path)


@dataclass(frozen=True)
class ShortNames:
    """Which bare names a kind of file accepts: each table's field names stand for ``table.name``
    (the first table that has the name wins; table "" is the top level)."""

    tables: tuple[tuple[str, Collection[str]], ...]
    unknown: str  # the message for a name no table has

    def resolve(self, name: str, source: str = "--set") -> Parts:
        """The path a name stands for; a dotted (or indexed) name is a path already."""
        if "." in name or "[" in name:
            return parse_path(name, source)
        for table, names in self.tables:
            if name in names:
                return (table, name) if table else (name,)
        suggestion = did_you_mean(name, [n for _, names in self.tables for n in names])
        raise InputError(source, name, f"unknown name; {suggestion}" if suggestion else self.unknown)


def _parts(path: PathLike, names: ShortNames | None, source: str) -> Parts:
    if isinstance(path, tuple):
        return path
    return names.resolve(path, source) if names is not None else parse_path(path, source)


def set_in(
    data: dict[str, Any], values: Mapping[PathLike, Any], names: ShortNames | None = None, source: str = "--set"
) -> dict[str, Any]:
    """A copy of plain ``data`` with each value set at its path (not yet validated).

    A missing table on the way is created; a list index must exist. ``<block>.duration = D``
    sets ``stop = start + D`` once the other values (a new start, say) are in place. Problems
    of the path itself are an ``InputError`` from ``source``, its field the path as written.
    """
    data = copy.deepcopy(data)
    paths = {path: _parts(path, names, source) for path in values}
    durations = [p for p, parts in paths.items() if len(parts) > 1 and parts[-1] == DURATION]
    for path in [p for p in values if p not in durations] + durations:
        parts, name = paths[path], path if isinstance(path, str) else dotted(paths[path])
        if not parts:
            raise InputError(source, name, "an empty path")
        node: Any = data
        for part, following in itertools.pairwise(parts):
            node = _child(node, part, name, following, source)
        leaf = parts[-1]
        if isinstance(leaf, int):
            _check_index(node, leaf, name, source)
            node[leaf] = values[path]
        elif path in durations:
            _set_duration(node, values[path], name, source)
        elif not isinstance(node, dict):
            raise InputError(source, name, f"{leaf} is inside something that is not a table")
        else:
            node[leaf] = values[path]
    return data


def set_values[M: BaseModel](
    model: M,
    values: Mapping[PathLike, Any],
    source: str,
    *,
    names: ShortNames | None = None,
    validate: Callable[[dict[str, Any], str], M] | None = None,
) -> M:
    """``model`` with each value set at its path, validated again as a file would be.

    The model's data (the fields it was given, so values it derives, such as a clone
    tumour's default plateau, follow the new values) gets the values (``set_in``) and is
    validated by ``validate(data, source)`` (default: the model's class, pydantic errors as one
    ``InputError``). Nothing set: ``model`` itself.
    """
    if not values:
        return model
    data = set_in(model.model_dump(exclude_unset=True), values, names, source)
    if validate is not None:
        return validate(data, source)
    from pydantic import ValidationError

    try:
        return type(model).model_validate(data)
    except ValidationError as error:
        raise from_validation_error(error, source, root=type(model)) from None


def _child(node: Any, part: str | int, name: str, following: str | int, source: str) -> Any:
    """The child ``part`` of ``node``, creating a missing table on the way."""
    if isinstance(part, int):
        _check_index(node, part, name, source)
        return node[part]
    if not isinstance(node, dict):
        raise InputError(source, name, f"{part} is inside something that is not a table")
    if isinstance(following, int):
        if part not in node:
            raise InputError(source, name, f"index {following} is out of range; the file has no {part} to index")
        if not isinstance(node.get(part), list | tuple):
            raise InputError(source, name, f"{part} is not a list in this file")
        node[part] = list(node[part])  # a validated model's dump holds tuples
        return node[part]
    child = node.setdefault(part, {})
    if not isinstance(child, dict):
        raise InputError(source, name, f"{part} is not a table")
    return child


def _check_index(node: Any, index: int, name: str, source: str) -> None:
    if not isinstance(node, list):
        raise InputError(source, name, "an index needs a list")
    if index >= len(node):
        raise InputError(source, name, f"index {index} is out of range; the file has {len(node)} entries (from 0)")


def _set_duration(block: Any, days: Any, name: str, source: str) -> None:
    if not isinstance(block, dict):
        raise InputError(source, name, "a duration belongs to a dosing block")
    start = block.get("start", 0)
    if not isinstance(start, int) or isinstance(start, bool):
        raise InputError(source, name, "a duration needs a block whose start is a day, not a trigger")
    if not isinstance(days, int) or isinstance(days, bool) or days < 1:
        raise InputError(source, name, f"{days!r} is not allowed; allowed: a whole number of days, 1 or more")
    block["stop"] = start + days
