"""The one validator: raw answers (a plain dict from any front end) to Answers + problems.

Field rules live on the model (wizard.model, wizard.fields); rules that relate several
answers live in wizard.checks.

All problems are reported at once.  Pydantic collects every field error; the cross-field
checks then still run for the sections that parsed, and a check is skipped only when a
section it depends on is itself broken (so no problem is reported twice or invented).
"""

from __future__ import annotations

import copy
import types
import typing
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from . import facts
from .checks import CHECKS, overlaps
from .model import Answers
from .model_paths import unwrap as _unwrap
from .problems import Path, Problem, did_you_mean, errors
from .secret_values import policy_of

# ------------------------------------------------------------------ pydantic errors


def _why_not_version(value: Any) -> str:
    if not isinstance(value, str):
        return 'write it as text, e.g. version = "4.4"'
    try:
        number = tuple(int(part) for part in value.split("."))
    except ValueError:
        return "expected a version such as 4.4"
    if number >= (4, 5):
        return ("4.5 and later ship separate component distributions (api-cp.sh, gateway.sh) that this wizard "
                "does not configure")
    return "this wizard configures the 4.x gateway and control-plane profiles of 4.1 to 4.4"


def _navigate(loc: tuple) -> tuple[Path, Any, type[BaseModel] | None]:
    """Follow a pydantic error location through the model.

    Returns the location without pydantic's union-member tags, the annotation found there
    and the model class that owns the last key (for unknown-key suggestions).
    """
    current: Any = Answers
    clean: list[str | int] = []
    owner: type[BaseModel] | None = None
    for part in loc:
        current = _unwrap(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            owner = current
            clean.append(part)
            field = current.model_fields.get(part) if isinstance(part, str) else None
            current = field.annotation if field is not None else None
            if field is not None and field.metadata:
                current = typing.Annotated[(current, *field.metadata)]
            continue
        origin = typing.get_origin(current)
        if origin is list and isinstance(part, int):
            clean.append(part)
            current = typing.get_args(current)[0]
            owner = None
            continue
        if origin is dict:
            clean.append(part)
            current = typing.get_args(current)[1]
            owner = None
            continue
        if origin in (typing.Union, types.UnionType) or current is None:
            # A union member tag such as 'str' or 'function-after[...]': not a key.
            continue
        clean.append(part)
    return tuple(clean), current, owner


def _literal_choices(annotation: Any) -> tuple | None:
    annotation = _unwrap(annotation)
    if typing.get_origin(annotation) is typing.Literal:
        return typing.get_args(annotation)
    return None


def _is_secret(annotation: Any) -> bool:
    """True when a SecretPolicy sits anywhere in the (nested) annotation."""
    if typing.get_origin(annotation) is typing.Annotated:
        args = typing.get_args(annotation)
        return policy_of(list(args[1:])) is not None or _is_secret(args[0])
    return any(_is_secret(arg) for arg in typing.get_args(annotation))


_TYPE_WORDS = {
    "string_type": "expected text (a quoted string)",
    "int_type": "expected a whole number",
    "int_parsing": "expected a whole number",
    "int_from_float": "expected a whole number, not a fraction",
    "bool_type": "expected true or false",
    "bool_parsing": "expected true or false",
    "list_type": "expected a list [ ... ]",
    "dict_type": "expected a table",
    "model_type": "expected a table",
    "model_attributes_type": "expected a table",
}


def _problem_from_error(error: dict) -> Problem:
    loc, annotation, owner = _navigate(tuple(error["loc"]))
    kind = error["type"]
    value = error.get("input")
    ctx = error.get("ctx") or {}
    if kind == "missing":
        return Problem(loc, "is required but missing")
    if kind == "extra_forbidden":
        known = sorted(owner.model_fields) if owner else []
        key = str(loc[-1]) if loc else "?"
        hint = did_you_mean(key, known)
        where = "; known keys here: " + ", ".join(known) if known else ""
        return Problem(loc, f"unknown key{hint}{where}")
    if kind == "literal_error":
        choices = _literal_choices(annotation) or ()
        aliases = facts.DB_TYPE_ALIASES if loc and loc[-1] == "type" and "databases" in loc else None
        allowed = ", ".join(str(c) for c in choices)
        if loc == ("version",):
            return Problem(loc, f"is not a supported API-M version: {_why_not_version(value)}; allowed: {allowed}",
                           value)
        return Problem(loc, f"is not allowed{did_you_mean(value, map(str, choices), aliases)}; allowed: {allowed}", value)
    if kind == "value_error":
        message = str(ctx.get("error", error["msg"]))
        if _is_secret(annotation):
            return Problem(loc, message)  # never echo a secret
        return Problem(loc, message, value)
    if kind == "too_short":
        return Problem(loc, f"needs at least {ctx.get('min_length', 1)} item(s)", value)
    if kind == "too_long":
        return Problem(loc, f"has {ctx.get('actual_length', '?')} items; at most {ctx.get('max_length')} are allowed")
    if kind == "string_too_short":
        return Problem(loc, "must not be empty", value)
    if kind == "string_pattern_mismatch":
        return Problem(loc, f"does not match the allowed pattern {ctx.get('pattern')}", value)
    bounds = {"greater_than_equal": ("ge", "at least"), "less_than_equal": ("le", "at most"),
              "greater_than": ("gt", "more than"), "less_than": ("lt", "less than")}
    if kind in bounds:
        key, words = bounds[kind]
        return Problem(loc, f"must be {words} {ctx.get(key)}", value)
    if kind in _TYPE_WORDS:
        return Problem(loc, _TYPE_WORDS[kind], value)
    return Problem(loc, error["msg"], value)


def _problems_from_validation_error(exc: ValidationError) -> list[Problem]:
    seen: dict[tuple, Problem] = {}
    for error in exc.errors(include_url=False):
        problem = _problem_from_error(error)
        key = problem.path
        if key in seen:
            # Several members of a union failed for one value: say what any of them takes.
            if seen[key].message != problem.message and "expected" in problem.message:
                seen[key] = Problem(key, "expected text, a whole number or true/false", problem.value)
            continue
        seen[key] = problem
    return list(seen.values())


def _repair_target(loc: Path, kind: str) -> Path:
    """What to drop from the raw answers so that this error goes away.

    An error inside a list element drops the whole element (a node is then either intact
    or absent, which keeps the cross-node checks honest); a missing key drops its owner.
    """
    if kind == "missing":
        loc = loc[:-1]
    for index, part in enumerate(loc):
        if isinstance(part, int):
            return loc[: index + 1]
    return loc


def _drop(data: Any, path: Path) -> None:
    *parents, last = path
    for part in parents:
        data = data[part]
    if isinstance(data, list):
        del data[last]
    else:
        data.pop(last, None)


def _repair(raw: dict) -> tuple[dict, list[Path]]:
    """Drop broken pieces until the answers validate or only whole sections are missing.

    A top-level section is dropped only when the error is about the section itself (an
    unknown top-level key, a section that is not a table); a section that merely lost a
    required part stays, and :func:`_partial_answers` keeps its valid fields.
    """
    data = copy.deepcopy(raw)
    dropped: list[Path] = []
    for _ in range(200):
        try:
            Answers.model_validate(data)
            break
        except ValidationError as exc:
            targets = set()
            for error in exc.errors(include_url=False):
                loc, _, _ = _navigate(tuple(error["loc"]))
                target = _repair_target(loc, error["type"])
                if len(target) > 1 or (len(target) == 1 and loc == target and error["type"] != "missing"):
                    targets.add(target)
            # Drop later list elements first so earlier indices stay valid.
            targets = {t for t in targets if not any(t[: len(o)] == o and t != o for o in targets)}
            present = [t for t in targets if _exists(data, t)]
            if not present:
                break
            for target in sorted(present, key=_sort_key, reverse=True):
                _drop(data, target)
                dropped.append(target)
    return data, dropped


def _exists(data: Any, path: Path) -> bool:
    for part in path:
        if isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data):
            data = data[part]
        elif isinstance(data, dict) and part in data:
            data = data[part]
        else:
            return False
    return True


def _sort_key(path: Path) -> tuple:
    return tuple((0, p) if isinstance(p, int) else (1, str(p)) for p in path)


def _validate_field(field, value: Any) -> Any:
    return TypeAdapter(typing.Annotated[(field.annotation, field)]).validate_python(value)


def _partial_model(cls: type[BaseModel], data: dict) -> BaseModel:
    """``cls`` built from the fields of ``data`` that validate on their own; others unset."""
    values, failed = {}, []
    for name, field in cls.model_fields.items():
        if name in data:
            try:
                values[name] = _validate_field(field, data[name])
            except ValidationError:
                failed.append(name)
        elif not field.is_required():
            values[name] = field.get_default(call_default_factory=True)
    model = cls.model_construct(**values)
    for name in failed:  # model_construct fills defaults; a failed field must stay unset
        model.__dict__.pop(name, None)
    return model


def _partial_answers(data: dict) -> tuple[Answers, set[str]]:
    """An Answers with every section that validates, broken sections rebuilt field by field.

    Returns the answers and the names of the sections that are entirely unusable.  A check
    that reads a field left unset meets an AttributeError and is skipped.
    """
    values = {}
    broken: set[str] = set()
    for name, field in Answers.model_fields.items():
        if name not in data:
            if field.is_required():
                broken.add(name)
            else:
                values[name] = field.get_default(call_default_factory=True)
            continue
        try:
            values[name] = _validate_field(field, data[name])
        except ValidationError:
            section = _unwrap(field.annotation)
            if isinstance(section, type) and issubclass(section, BaseModel) and isinstance(data[name], dict):
                values[name] = _partial_model(section, data[name])
            else:
                broken.add(name)
    return Answers.model_construct(**values), broken


# ---------------------------------------------------------------------------- entry


def validate_answers(raw: Any) -> tuple[Answers | None, list[Problem]]:
    """Validate raw answers.  Returns the model (None when any error) and all problems."""
    if not isinstance(raw, dict):
        return None, [Problem((), f"expected a table of answers, got {type(raw).__name__}")]
    try:
        answers = Answers.model_validate(raw)
        problems: list[Problem] = []
        dropped: list[Path] = []
        broken: set[str] = set()
    except ValidationError as exc:
        problems = _problems_from_validation_error(exc)
        if any(not p.path for p in problems):
            return None, problems
        repaired, dropped = _repair(raw)
        answers, broken = _partial_answers(repaired)
    for needs, sensitive, check in CHECKS:
        if needs & broken or not all(name in answers.__dict__ for name in needs):
            continue
        if any(overlaps(s, d) for s in sensitive for d in dropped):
            continue
        try:
            for problem in check(answers, raw):
                problems.append(problem)
        except AttributeError:
            pass  # the check reached a field that did not validate; that error is reported
    if errors(problems):
        return None, problems
    return answers, problems
