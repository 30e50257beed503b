"""User-input errors: one line naming where, which field and what is allowed."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, get_args

if TYPE_CHECKING:  # pydantic is imported only where a file is validated: not for `abm --help`
    from pydantic import BaseModel, ValidationError

# Names pydantic puts in an error's location for the branch of a union; not field names.
UNION_TAGS = ("int", "Trigger", "AllOf", "spatial", "clone", "a number", "a distribution")
# What a field of the wrong type wants, in the words of a TOML file (no coercion: see abm/io/inputs.py).
TYPE_WORDS = {
    "int_type": "an integer (a whole number: no quotes, no decimal point)",
    "int_from_float": "an integer (no decimal point)",
    "float_type": "a number (no quotes)",
    "bool_type": "true or false (no quotes)",
    "string_type": "text in quotes",
    "finite_number": "a finite number",
}


class InputError(Exception):
    """Bad input from a scenario file or the command line. The CLI prints it and exits 2."""

    def __init__(self, source: str, field: str, message: str) -> None:
        self.source = source
        self.field = field
        self.message = message
        super().__init__(f"{source}: {field}: {message}" if field else f"{source}: {message}")


def field_path(loc: Sequence[str | int], prefix: Iterable[str] = ()) -> str:
    """('schedule', 1, 'drug') -> 'schedule[1].drug'."""
    text = ".".join(prefix)
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text


def from_validation_error(
    error: ValidationError,
    source: str,
    prefix: Iterable[str] = (),
    *,
    root: type[BaseModel],
    parameter_words: Mapping[str, str] | None = None,
) -> InputError:
    """The first problem of a pydantic error, as a one-line InputError.

    ``root``: the model of the whole file, for listing allowed keys. ``parameter_words``: for a
    file with ``[parameters]`` (a scenario or trial), what each parameter allows, in the words of
    its kind (``abm.config.scenario.parameter_words``).
    """
    # In a union (a day or a trigger) the most specific complaint is the useful one.
    problem = max(error.errors(include_url=False), key=lambda e: len(e["loc"]))
    loc = [p for p in problem["loc"] if not (isinstance(p, str) and ("[" in p or p in UNION_TAGS))]
    path = field_path(loc, prefix)
    message = problem["msg"].removeprefix("Value error, ")
    given = problem.get("input")
    # Say what is allowed in the words of the field's kind (parameters carry it).
    name = loc[-1] if loc else ""
    in_parameters = len(loc) >= 2 and loc[-2] == "parameters"
    if parameter_words is not None and in_parameters and isinstance(name, str) and name in parameter_words:
        wanted = f"{TYPE_WORDS['float_type']}, " if problem["type"] in TYPE_WORDS else ""
        message = f"{given!r} is not allowed; allowed: {wanted}{parameter_words[name]}"
    elif problem["type"] == "union_tag_invalid":
        path = field_path([*loc, "kind"], prefix)
        message = f"{problem['ctx']['tag']!r} is not allowed; allowed: {problem['ctx']['expected_tags']}"
    elif problem["type"] == "extra_forbidden":
        message = "unknown key"
        allowed = _allowed_keys(problem["loc"], root)
        if allowed:
            message += f"; allowed: {', '.join(allowed)}"
    elif problem["type"] in TYPE_WORDS:
        message = f"{given!r} is not allowed; allowed: {TYPE_WORDS[problem['type']]}"
    elif message.startswith("Input should be ") and not isinstance(given, dict | list):
        wanted = message.removeprefix("Input should be ").split(",")[0]
        message = f"{given!r} is not allowed; allowed: {wanted}"
    return InputError(source, path, message)


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    """The pydantic models an annotation can hold (through unions, lists, Annotated)."""
    from pydantic import BaseModel

    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    found: list[type[BaseModel]] = []
    for arg in get_args(annotation):
        found += _models_in(arg)
    return found


def _is_branch(model: type[BaseModel], part: str) -> bool:
    """Whether a location part names this union branch: its 'kind' value or its class name."""
    kind = model.model_fields.get("kind")
    kinds = get_args(kind.annotation) if kind is not None else ()
    return part in kinds or model.__name__ == part or part.endswith(f" {model.__name__}]")


def _allowed_keys(raw_loc: Sequence[str | int], root: type[BaseModel]) -> list[str]:
    """Field names of the model in which the unknown key at ``raw_loc`` was found."""
    candidates: list[type[BaseModel]] = [root]
    for part in raw_loc[:-1]:
        if isinstance(part, int):
            continue
        chosen = [m for m in candidates if _is_branch(m, part)]
        if chosen:
            candidates = chosen
            continue
        field = candidates[0].model_fields.get(part)
        if field is None:
            return []
        candidates = _models_in(field.annotation)
        if not candidates:
            return []
    return list(candidates[0].model_fields) if len(candidates) == 1 else []
