"""User-input errors: one line naming where, which field and what is allowed."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from pydantic import ValidationError

# Names pydantic puts in an error's location for the branch of a union; not field names.
UNION_TAGS = ("int", "Trigger", "spatial", "clone")


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


def from_validation_error(error: ValidationError, source: str, prefix: Iterable[str] = ()) -> InputError:
    """The first problem of a pydantic error, as a one-line InputError."""
    from abm.parameters import KINDS, Parameters

    # In a union (a day or a trigger) the most specific complaint is the useful one.
    problem = max(error.errors(include_url=False), key=lambda e: len(e["loc"]))
    loc = [p for p in problem["loc"] if not (isinstance(p, str) and ("[" in p or p in UNION_TAGS))]
    path = field_path(loc, prefix)
    message = problem["msg"].removeprefix("Value error, ")
    given = problem.get("input")
    # Say what is allowed in the words of the field's kind (parameters carry it).
    name = loc[-1] if loc else ""
    if isinstance(name, str) and name in Parameters.model_fields:
        kind = (Parameters.model_fields[name].json_schema_extra or {}).get("kind")
        if kind in KINDS:
            message = f"{given!r} is not allowed; allowed: {KINDS[kind][0]}"
    elif problem["type"] == "union_tag_invalid":
        path = field_path([*loc, "kind"], prefix)
        message = f"{problem['ctx']['tag']!r} is not allowed; allowed: {problem['ctx']['expected_tags']}"
    elif problem["type"] == "extra_forbidden":
        message = "unknown key"
        allowed = _allowed_keys(error, loc)
        if allowed:
            message += f"; allowed: {', '.join(allowed)}"
    elif message.startswith("Input should be ") and not isinstance(given, dict | list):
        wanted = message.removeprefix("Input should be ").split(",")[0]
        message = f"{given!r} is not allowed; allowed: {wanted}"
    return InputError(source, path, message)


def _allowed_keys(error: ValidationError, loc: list) -> list[str]:
    """Field names of the model that rejected an unknown key (best effort)."""
    from abm.scenario import Scenario

    model = Scenario
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part)
        if field is None:
            return []
        annotation = field.annotation
        candidates = [annotation, *getattr(annotation, "__args__", ())]
        for c in candidates:
            inner = getattr(c, "__args__", None)
            for t in [c, *(inner or ())]:
                if isinstance(t, type) and hasattr(t, "model_fields"):
                    model = t
                    break
            else:
                continue
            break
        else:
            return []
    return list(model.model_fields)
