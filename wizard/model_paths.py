"""Paths into the raw answer dict, and what the answer model says lives at each of them.

A path is a tuple of keys and list indices, as in :attr:`wizard.problems.Problem.path`
(``("control_plane", "nodes", 0, "hostname")``).  :func:`field_specs` walks the model once
and describes every field by *pattern* (``"*"`` stands for any row of a list); questions,
answer layers, the example answer file and ``explain`` all read the model through here, so
a field added to the model reaches every one of them.
"""

from __future__ import annotations

import copy
import difflib
import re
import tomllib
import types
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

from annotated_types import MaxLen, MinLen
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from .model import Answers
from .problems import Path, format_path
from .secret_values import SecretPolicy, SecretRef, field_policy


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()  # no value here, and the model has no default either
UNSET: Any = _Missing()  # an answer that removes a value (back to the model default)

ROW = "*"  # pattern segment: any row of a list

# What a field holds, as a front end asks for it.
TEXT, INT, BOOL, CHOICE, MULTI_CHOICE = "text", "int", "bool", "choice", "multi_choice"
LIST, MAPPING, SECRET, TABLE, SECTION, SCALAR = "list", "mapping", "secret", "table", "section", "scalar"


def unwrap(annotation: Any) -> Any:
    """Strip Annotated[...] and Optional[...] so navigation sees the container type."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
            continue
        if origin in (typing.Union, types.UnionType):
            members = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(members) == 1:
                annotation = members[0]
                continue
        return annotation


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _scalar_kind(annotation: Any) -> tuple[str, tuple]:
    annotation = unwrap(annotation)
    if typing.get_origin(annotation) is typing.Literal:
        return CHOICE, tuple(str(c) for c in typing.get_args(annotation))
    if annotation is bool:
        return BOOL, ()
    if annotation is int:
        return INT, ()
    if annotation is str:
        return TEXT, ()
    return SCALAR, ()  # a union of scalars (values of a free-form table)


@dataclass(frozen=True)
class FieldSpec:
    """One field of the answer model, at a path pattern."""

    path: Path  # pattern: "*" for list rows
    info: FieldInfo
    kind: str
    choices: tuple[str, ...] = ()
    item_kind: str | None = None  # LIST / MULTI_CHOICE: kind of each item
    model: type[BaseModel] | None = None  # SECTION / TABLE: the (row) model
    policy: SecretPolicy | None = None

    @property
    def name(self) -> str:
        return str(self.path[-1])

    @property
    def description(self) -> str:
        return self.info.description or ""

    @property
    def required(self) -> bool:
        return self.info.is_required()

    @property
    def nullable(self) -> bool:
        """``None`` is allowed: the value is derived or simply not written."""
        annotation = self.info.annotation
        return typing.get_origin(annotation) in (typing.Union, types.UnionType) and type(None) in typing.get_args(
            annotation
        )

    @property
    def min_items(self) -> int:
        return max((m.min_length for m in self.info.metadata if isinstance(m, MinLen)), default=0)

    @property
    def max_items(self) -> int | None:
        return min((m.max_length for m in self.info.metadata if isinstance(m, MaxLen)), default=None)

    @property
    def default(self) -> Any:
        """The model default in raw form (as an answer file writes it), or MISSING."""
        if self.required:
            return MISSING
        return to_raw(self.info.get_default(call_default_factory=True))


def to_raw(value: Any) -> Any:
    """A model value in the form of the raw answer dict (what TOML holds)."""
    if isinstance(value, SecretRef):
        return value.model_dump(exclude_none=True)
    if isinstance(value, BaseModel):
        return {k: to_raw(v) for k, v in value if v is not None}
    if isinstance(value, list):
        return [to_raw(v) for v in value]
    if isinstance(value, dict):
        return {k: to_raw(v) for k, v in value.items()}
    return value


def _spec(path: Path, info: FieldInfo) -> FieldSpec:
    policy = field_policy(info)
    if policy is not None:
        return FieldSpec(path, info, SECRET, policy=policy)
    annotation = unwrap(info.annotation)
    origin = typing.get_origin(annotation)
    if _is_model(annotation):
        return FieldSpec(path, info, SECTION, model=annotation)
    if origin is list:
        item = unwrap(typing.get_args(annotation)[0])
        if _is_model(item):
            return FieldSpec(path, info, TABLE, model=item)
        item_kind, choices = _scalar_kind(item)
        if item_kind == CHOICE:
            return FieldSpec(path, info, MULTI_CHOICE, choices, item_kind=CHOICE)
        return FieldSpec(path, info, LIST, item_kind=item_kind)
    if origin is dict:
        return FieldSpec(path, info, MAPPING)
    kind, choices = _scalar_kind(annotation)
    return FieldSpec(path, info, kind, choices)


def _walk(model: type[BaseModel], prefix: Path) -> Iterator[FieldSpec]:
    for name, info in model.model_fields.items():
        spec = _spec((*prefix, name), info)
        yield spec
        if spec.kind == SECTION:
            yield from _walk(spec.model, spec.path)
        elif spec.kind == TABLE:
            yield from _walk(spec.model, (*spec.path, ROW))


@cache
def field_specs() -> tuple[FieldSpec, ...]:
    """Every field of :class:`Answers`, depth first in model order (sections before their fields)."""
    return tuple(_walk(Answers, ()))


@cache
def _by_pattern() -> dict[Path, FieldSpec]:
    return {spec.path: spec for spec in field_specs()}


def pattern_of(path: Path) -> Path:
    return tuple(ROW if isinstance(part, int) else part for part in path)


def spec_at(path: Path) -> FieldSpec | None:
    """The spec of the field at a concrete path; for a key inside a free-form table, an item
    of a list or a row of a table, the spec of the table (list) itself.  None when the model
    has no such field."""
    specs = _by_pattern()
    pattern = pattern_of(path)
    for end in range(len(pattern), 0, -1):
        spec = specs.get(pattern[:end])
        if spec is None:
            continue
        rest = pattern[end:]
        if not rest:
            return spec
        if spec.kind == MAPPING and len(rest) == 1:
            return spec
        if spec.kind in (LIST, MULTI_CHOICE, TABLE) and rest == (ROW,):
            return spec
        return None
    return None


def is_leaf(path: Path) -> bool:
    """True when the value at ``path`` is one answer (a scalar, a list of scalars or a secret),
    False for sections, tables and free-form tables that hold further answers."""
    if path and isinstance(path[-1], int) and getattr(spec_at(path[:-1]), "kind", None) == TABLE:
        return False  # a row of a table
    spec = spec_at(path)
    if spec is None:
        return True
    if spec.path != pattern_of(path):  # inside a list or a free-form table
        return True
    return spec.kind not in (SECTION, TABLE, MAPPING)


def closest_field(path: Path) -> Path | None:
    """The known field whose path reads most like ``path`` (a typo's likely intent)."""
    known = {format_path(s.path).replace(ROW, str(_first_int(path))): s.path for s in field_specs()}
    close = difflib.get_close_matches(format_path(path), list(known), n=1, cutoff=0.7)
    if not close:
        return None
    return tuple(_first_int(path) if part == ROW else part for part in known[close[0]])


def _first_int(path: Path) -> int:
    return next((p for p in path if isinstance(p, int)), 0)


def suggest_field(path: Path) -> str:
    """' (did you mean a.b?)' for a path the model does not know, else ''."""
    close = closest_field(path)
    return f" (did you mean {format_path(close)}?)" if close else ""


# ------------------------------------------------------------------ raw dict access


def get_value(raw: Any, path: Path, default: Any = MISSING) -> Any:
    current = raw
    for part in path:
        if isinstance(part, int) and isinstance(current, list) and 0 <= part < len(current):
            current = current[part]
        elif isinstance(part, str) and isinstance(current, dict) and part in current:
            current = current[part]
        else:
            return default
    return current


def effective_value(raw: dict, path: Path) -> Any:
    """The value at ``path`` as the model will see it: written, else the model default
    (also inside a section that is absent and comes from its default), else MISSING."""
    current: Any = raw
    for index, part in enumerate(path):
        found = get_value(current, (part,))
        if found is not MISSING:
            current = found
            continue
        if not isinstance(current, dict):
            return MISSING
        here = path[: index + 1]
        spec = spec_at(here)
        if spec is None or spec.path != pattern_of(here):
            return MISSING
        default = spec.default
        if index == len(path) - 1:
            return default
        if isinstance(default, (dict, list)):
            current = default
        elif spec.kind == SECTION:
            current = {}  # an optional section left out: its fields keep their own defaults
        else:
            return MISSING
    return current


class PathError(ValueError):
    pass


def set_value(raw: dict, path: Path, value: Any) -> None:
    """Put ``value`` at ``path`` (UNSET removes it); an index one past the end of a list appends.

    A table missing on the way starts from its model default, not empty: setting
    ``keystores.primary.password`` alone must keep the file name and alias that the
    ``keystores`` default provides (an empty table would lose them)."""
    if value is UNSET:
        remove_value(raw, path)
        return
    current: Any = raw
    for index, part in enumerate(path):
        last = index == len(path) - 1
        nxt = None if last else path[index + 1]
        if isinstance(part, int):
            if not isinstance(current, list):
                raise PathError(f"{format_path(path[:index])} is not a list")
            if part > len(current) or part < 0:
                raise PathError(
                    f"{format_path(path[: index + 1])}: there are {len(current)} rows; give the rows in order "
                    f"(the next one is [{len(current)}])"
                )
            if part == len(current):
                current.append(value if last else ([] if isinstance(nxt, int) else {}))
            elif last:
                current[part] = value
        else:
            if not isinstance(current, dict):
                raise PathError(f"{format_path(path[:index])} is not a table")
            if last:
                current[part] = value
            elif not isinstance(current.get(part), (dict, list)):
                default = _container_default(path[: index + 1])
                current[part] = default if default is not None else [] if isinstance(nxt, int) else {}
        if not last:
            current = current[part]


def _container_default(path: Path) -> dict | list | None:
    spec = spec_at(path)
    if spec is None or spec.path != pattern_of(path) or spec.kind not in (SECTION, TABLE):
        return None
    default = spec.default
    return copy.deepcopy(default) if isinstance(default, (dict, list)) else None


def remove_value(raw: dict, path: Path) -> None:
    parent = get_value(raw, path[:-1])
    last = path[-1]
    if isinstance(parent, dict):
        parent.pop(last, None)
    elif isinstance(parent, list) and isinstance(last, int) and 0 <= last < len(parent):
        del parent[last]


def with_value(raw: dict, path: Path, value: Any) -> dict:
    """A copy of ``raw`` with ``value`` at ``path``."""
    trial = copy.deepcopy(raw)
    set_value(trial, path, value)
    return trial


# ------------------------------------------------------------------ paths as text

_SEGMENT = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def parse_path(text: str) -> Path:
    """``databases.apim_db.host``, ``control_plane.nodes[0].name`` (or ``nodes.0.name``).

    Below a free-form table (``params``, ``properties``) the rest of the text is one key, so
    JDBC parameter names with dots need no quoting: ``databases.apim_db.params.oracle.net.ssl_version``.
    """
    parts: list[str | int] = []
    position = 0
    text = text.strip()
    while position < len(text):
        spec = spec_at(tuple(parts)) if parts else None
        if spec is not None and spec.kind == MAPPING and spec.path == pattern_of(tuple(parts)):
            rest = text[position:].lstrip(".")
            if rest:
                parts.append(rest)
            break
        if text[position] == "." and parts:
            position += 1
        match = _SEGMENT.match(text, position)
        if not match:
            raise PathError(f"{text!r} is not a field path such as databases.apim_db.host or gateway.nodes[0].name")
        name, index = match.groups()
        parts.append(int(index) if index is not None else int(name) if name.isdigit() else name)
        position = match.end()
    if not parts:
        raise PathError("empty field path")
    return tuple(parts)


def check_path(path: Path) -> FieldSpec:
    """The spec at ``path``, or PathError naming the unknown part."""
    spec = spec_at(path)
    if spec is None:
        raise PathError(f"{format_path(path)}: no such answer field{suggest_field(path)}")
    return spec


# ------------------------------------------------------------------ values as text

_TRUE, _FALSE = {"true", "yes", "y", "on", "1"}, {"false", "no", "n", "off", "0"}


def _toml_value(text: str) -> Any:
    return tomllib.loads(f"v = {text}")["v"]


def _scalar(text: str, kind: str | None) -> Any:
    """Typed by the kind; what does not parse stays text for the validator to name."""
    if kind == INT and re.fullmatch(r"[+-]?\d{1,18}", text):  # longer: left as text, "expected a whole number"
        return int(text)
    if kind == BOOL and text.lower() in _TRUE | _FALSE:
        return text.lower() in _TRUE
    if kind == SCALAR:
        try:
            value = _toml_value(text)
        except tomllib.TOMLDecodeError:
            return text
        return value if isinstance(value, (bool, int, str)) else text
    return text


def parse_text(spec: FieldSpec, text: str, path: Path | None = None) -> Any:
    """An answer typed as text (prompt, environment variable, ``--set``) in raw form.

    Empty text is UNSET.  Lists take ``a, b`` or a TOML array; free-form tables ``k=v, k2=v2``
    or a TOML inline table; secrets a literal or an inline table such as ``{ env = "VAR" }``.
    Raises ValueError when structured text is not valid TOML.
    """
    text = text.strip()
    if text == "":
        return UNSET
    inside = path is not None and spec.path != pattern_of(path)  # a list item or a free-form key
    if inside and spec.kind == TABLE:
        return _structured(text, "a TOML inline table such as { name = ..., ... } (one row)")
    if inside:
        return _scalar(text, spec.item_kind if spec.kind in (LIST, MULTI_CHOICE) else SCALAR)
    if spec.kind == SECRET:
        if text.startswith("{") and text.endswith("}"):
            try:
                return _toml_value(text)
            except tomllib.TOMLDecodeError:
                pass  # a literal that happens to start with "{"; the policy judges it
        return text
    if spec.kind in (LIST, MULTI_CHOICE):
        if text.startswith("["):
            return _structured(text, "a TOML array such as [\"a\", \"b\"]")
        return [_scalar(item.strip(), spec.item_kind) for item in text.split(",") if item.strip()]
    if spec.kind == MAPPING:
        if text.startswith("{"):
            return _structured(text, "a TOML inline table such as { useSSL = true }")
        out = {}
        for item in text.split(","):
            key, sep, value = item.partition("=")
            if not sep or not key.strip():
                raise ValueError(f"{item.strip()!r} is not key=value; write key=value, key2=value2")
            out[key.strip()] = _scalar(value.strip(), SCALAR)
        return out
    if spec.kind in (TABLE, SECTION):
        example = "[{ name = ..., ... }, ...]" if spec.kind == TABLE else "{ key = value, ... }"
        return _structured(text, f"TOML such as {example}, or set its fields one by one")
    return _scalar(text, spec.kind)


def _structured(text: str, what: str) -> Any:
    try:
        return _toml_value(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"is not {what}: {exc}") from None
