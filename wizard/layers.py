"""Answer layers: the effective answers, and for every value the layer it comes from.

Precedence, lowest first::

    default   the answer model's built-in defaults
    preset    --preset NAME (a shipped answer file)
    file      --answers FILE, in the order given (the last one wins)
    env       environment variables APIM_WIZARD_<PATH>
    set       --set PATH=VALUE, in the order given
    typed     what the operator answers in an interactive front end

Merging: tables merge key by key (free-form tables such as ``params`` too); everything
else replaces what a lower layer had, as a whole: a scalar, a secret (``{ env = ... }``
replaces ``{ generate = true }``, they never mix) and a list, including an array of tables
such as ``control_plane.nodes``.  One row's field can still be changed on its own by
path (``control_plane.nodes[1].hostname``).

Environment variables: ``APIM_WIZARD_`` + the path in upper case, ``__`` between parts,
row numbers as parts (field names contain single underscores)::

    APIM_WIZARD_VERSION=4.3
    APIM_WIZARD_DATABASES__APIM_DB__HOST=db.example.com
    APIM_WIZARD_CONTROL_PLANE__NODES__0__HOSTNAME=cp1.example.com
    APIM_WIZARD_DATABASES__APIM_DB__PASSWORD='{ env = "APIM_DB_PASSWORD" }'
    APIM_WIZARD_DATABASES__APIM_DB__PARAMS__useSSL=true

Below a free-form table the rest of the name is the key, case kept.  A variable that
names no answer field is an error (a typo must not be ignored), except the tool's own
settings (:data:`ENV_SETTINGS`, ``APIM_WIZARD_TEST_*``).  Values are typed by the model (see
:func:`wizard.model_paths.parse_text`); an empty value removes the answer (back to the
default), and at a row path removes that row.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .model_paths import (
    MAPPING,
    MISSING,
    UNSET,
    PathError,
    check_path,
    closest_field,
    get_value,
    is_leaf,
    parse_path,
    parse_text,
    pattern_of,
    set_value,
    spec_at,
)
from .problems import Path as FieldPath
from .problems import Problem, format_path

LAYERS = ("default", "preset", "file", "env", "set", "typed")
ENV_PREFIX = "APIM_WIZARD_"
# Variables with the prefix that configure the tool itself, not an answer: CI (tests fail
# instead of skipping), KEYGEN (key generation in threads), and any APIM_WIZARD_TEST_* hook.
# A new tool setting is added here, or it would be refused as an unknown answer.
ENV_SETTINGS = frozenset({"APIM_WIZARD_CI", "APIM_WIZARD_KEYGEN"})
ENV_TEST_HOOKS = "APIM_WIZARD_TEST_"


class LayerError(Exception):
    """An answer source that cannot be applied (unknown field, malformed value).  The
    message names the variable or option."""


@dataclass(frozen=True)
class Origin:
    layer: str  # one of LAYERS
    detail: str = ""  # preset name, file path, variable name, --set path
    unset: bool = False  # this layer removed the value: the default applies again

    def __str__(self) -> str:
        words = {"default": "default", "preset": "preset", "file": "file", "env": "env", "set": "--set", "typed": "typed"}
        text = f"{words[self.layer]} {self.detail}".strip()
        return f"default (unset by {text})" if self.unset else text

    @property
    def rank(self) -> int:
        return LAYERS.index(self.layer)


DEFAULT = Origin("default")


class LayeredAnswers:
    """Raw answers built from layers, lowest first, with the origin of every value."""

    def __init__(self, base_dir: Path | None = None):
        self.raw: dict[str, Any] = {}
        self.origins: dict[FieldPath, Origin] = {}
        self.sources: list[str] = []
        self.base_dir = base_dir or Path.cwd()  # where relative secret files are read from

    @property
    def source(self) -> str:
        """A name for messages: ``preset ha + answers.toml + env (2) + --set (1)``."""
        return " + ".join(self.sources) or "built-in defaults"

    # ------------------------------------------------------------------ layers

    def add_document(self, data: dict[str, Any], origin: Origin, name: str | None = None) -> None:
        """A whole answer document (preset, answer file), merged over what is there."""
        self._merge(self.raw, data, (), origin)
        self.sources.append(name or str(origin))

    def assign(self, path: FieldPath, value: Any, origin: Origin) -> None:
        """One answer at ``path``; UNSET removes it (at a row path: removes the row)."""
        if value is UNSET:
            existed = get_value(self.raw, path) is not MISSING
            set_value(self.raw, path, UNSET)
            if isinstance(path[-1], int):
                if existed:
                    self._shift_rows(path)
                return
            self._record(path, Origin(origin.layer, origin.detail, unset=True))
            return
        set_value(self.raw, path, copy.deepcopy(value))
        self._record(path, origin, value)

    def apply_env(self, environ: Mapping[str, str]) -> int:
        """Apply every APIM_WIZARD_* variable; returns how many there were."""
        assignments = []
        for name, text in environ.items():
            if not name.startswith(ENV_PREFIX) or name in ENV_SETTINGS or name.startswith(ENV_TEST_HOOKS):
                continue
            path = env_path(name)
            assignments.append((_sort_key(path), name, path, text))
        for _, name, path, text in sorted(assignments):
            try:
                self.assign(path, _typed(path, text, name), Origin("env", name))
            except PathError as exc:
                raise LayerError(f"{name}: {exc}") from None
        if assignments:
            self.sources.append(f"env ({len(assignments)})")
        return len(assignments)

    def apply_sets(self, options: list[str]) -> None:
        """``--set PATH=VALUE`` options, in order."""
        for option in options:
            text_path, sep, text = option.partition("=")
            if not sep:
                raise LayerError(f"--set {option}: expected PATH=VALUE, e.g. --set databases.apim_db.host=db.example.com")
            try:
                path = parse_path(text_path)
                check_path(path)
            except PathError as exc:
                raise LayerError(f"--set {option}: {exc}") from None
            try:
                self.assign(path, _typed(path, text, f"--set {text_path}"), Origin("set", format_path(path)))
            except PathError as exc:
                raise LayerError(f"--set {option}: {exc}") from None
        if options:
            self.sources.append(f"--set ({len(options)})")

    # ------------------------------------------------------------------ origins

    def origin_of(self, path: FieldPath) -> Origin:
        """The layer the value at ``path`` comes from: the layer that wrote it, else the
        default (noting the layer that removed it or a table above it)."""
        if path in self.origins:
            return self.origins[path]
        for end in range(len(path) - 1, 0, -1):
            origin = self.origins.get(path[:end])
            if origin is not None and origin.unset:
                return origin
        return DEFAULT

    def with_origin(self, problem: Problem) -> Problem:
        """The problem, naming the variable or option when the value came from one (a file's
        or preset's values are found by their path)."""
        origin = self.origin_of(problem.path)
        if origin.layer not in ("env", "set"):
            return problem
        return dataclasses.replace(problem, message=f"{problem.message} [from {origin}]")

    def _merge(self, target: dict, data: dict, prefix: FieldPath, origin: Origin) -> None:
        for key, value in data.items():
            path = (*prefix, key)
            if isinstance(value, dict) and isinstance(target.get(key), dict) and not is_leaf(path):
                self._merge(target[key], value, path, origin)
            else:
                target[key] = copy.deepcopy(value)
                self._record(path, origin, value)

    def _record(self, path: FieldPath, origin: Origin, value: Any = None) -> None:
        """``origin`` wrote ``value`` at ``path``: it replaces whatever lower layers wrote
        there, and is the origin of every answer inside it (not of the defaults around)."""
        n = len(path)
        for recorded in [p for p in self.origins if p[:n] == path]:
            del self.origins[recorded]
        for leaf in _written_leaves(value, path):
            self.origins[leaf] = origin

    def _shift_rows(self, removed: FieldPath) -> None:
        """After removing row ``removed``, rows below it moved up by one."""
        table, index = removed[:-1], removed[-1]
        n = len(table)
        shifted = {}
        for path, origin in self.origins.items():
            if path[:n] == table and len(path) > n and isinstance(path[n], int) and path[n] >= index:
                if path[n] == index:
                    continue
                shifted[(*table, path[n] - 1, *path[n + 1 :])] = origin
            else:
                shifted[path] = origin
        self.origins = shifted


def _written_leaves(value: Any, path: FieldPath) -> list[FieldPath]:
    if isinstance(value, dict) and value and not is_leaf(path):
        return [leaf for key, item in value.items() for leaf in _written_leaves(item, (*path, key))]
    if isinstance(value, list) and value and all(isinstance(row, dict) for row in value) and not is_leaf(path):
        return [leaf for index, row in enumerate(value) for leaf in _written_leaves(row, (*path, index))]
    return [path]


def env_path(name: str) -> FieldPath:
    """The answer path an ``APIM_WIZARD_...`` variable names, or LayerError."""
    parts = name[len(ENV_PREFIX) :].split("__")
    path: list[str | int] = []
    for index, part in enumerate(parts):
        spec = spec_at(tuple(path)) if path else None
        if spec is not None and spec.kind == MAPPING and spec.path == pattern_of(tuple(path)):
            path.append("__".join(parts[index:]))  # a free-form key, case kept
            break
        if not part:
            raise LayerError(f"{name}: empty part in the name; separate the parts of the path with __")
        path.append(int(part) if part.isdigit() else part.lower())
    if spec_at(tuple(path)) is None:
        close = closest_field(tuple(path))
        suggestion = f" (did you mean {env_name(close)}?)" if close else ""
        raise LayerError(
            f"{name}: names no answer field ({format_path(tuple(path))}){suggestion}; the name is "
            f"{ENV_PREFIX} + the field path in upper case with __ between parts, e.g. "
            f"{ENV_PREFIX}DATABASES__APIM_DB__HOST"
        )
    return tuple(path)


def env_name(path: FieldPath) -> str:
    """The variable that sets ``path``."""
    spec = None
    parts = []
    for index, part in enumerate(path):
        if spec is not None and spec.kind == MAPPING:
            parts.append(str(part))
            continue
        parts.append(str(part).upper())
        spec = spec_at(path[: index + 1])
    return ENV_PREFIX + "__".join(parts)


def _typed(path: FieldPath, text: str, where: str) -> Any:
    spec = check_path(path)
    try:
        return parse_text(spec, text, path)
    except ValueError as exc:
        raise LayerError(f"{where}: the value {exc}") from None


def _sort_key(path: FieldPath) -> tuple:
    # Rows in numeric order (2 before 10), so a row is created before the rows after it.
    return tuple((0, p, "") if isinstance(p, int) else (1, 0, p) for p in path)
