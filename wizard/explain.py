"""Every effective answer with the layer it comes from (``apim-wizard explain``, and the
summary of the prompt flow).  Secret values are shown as ``****``; references as written."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from .layers import LayeredAnswers, Origin
from .model_paths import SECRET, spec_at
from .problems import Path, Problem, format_path, show_value
from .questions import question_for
from .secret_values import SecretRef
from .validation import validate_answers

SECRET_MASK = "****"


@dataclass(frozen=True)
class ExplainRow:
    path: Path
    value: str  # as shown: secrets masked
    origin: Origin


def model_leaves(model: BaseModel, prefix: Path = ()) -> Iterator[tuple[Path, Any]]:
    """Every answer of a validated model, unset ones (None) included, in model order."""
    for name in type(model).model_fields:
        path, value = (*prefix, name), getattr(model, name)
        if isinstance(value, BaseModel) and not isinstance(value, SecretRef):
            yield from model_leaves(value, path)
        elif isinstance(value, list) and value and isinstance(value[0], BaseModel):
            for index, row in enumerate(value):
                yield from model_leaves(row, (*path, index))
        elif isinstance(value, dict) and value:
            for key, item in value.items():
                yield (*path, key), item
        else:
            yield path, value


def raw_leaves(data: Any, prefix: Path = ()) -> Iterator[tuple[Path, Any]]:
    """Every answer as written (for answers that do not validate)."""
    is_secret = bool(prefix) and getattr(spec_at(prefix), "kind", None) == SECRET
    if isinstance(data, dict) and (data or not prefix) and not is_secret:
        for key, value in data.items():
            yield from raw_leaves(value, (*prefix, key))
    elif isinstance(data, list) and data and isinstance(data[0], dict):
        for index, row in enumerate(data):
            yield from raw_leaves(row, (*prefix, index))
    else:
        yield prefix, data


def show_answer(path: Path, value: Any, raw: dict) -> str:
    spec = spec_at(path)
    if spec is not None and spec.kind == SECRET and isinstance(value, str):
        return SECRET_MASK
    if isinstance(value, SecretRef):
        value = value.model_dump(exclude_none=True)
    if value is None:
        question = question_for(path)
        derived = question.derived_text(raw) if question is not None else ""
        return f"(not set: {derived})" if derived else "(not set)"
    return show_value(value)


def explain(layered: LayeredAnswers) -> tuple[list[ExplainRow], list[Problem]]:
    """Rows for every effective answer; when the answers do not validate, the written ones."""
    answers, problems = validate_answers(layered.raw)
    leaves = model_leaves(answers) if answers is not None else raw_leaves(layered.raw)
    rows = [ExplainRow(path, show_answer(path, value, layered.raw), layered.origin_of(path)) for path, value in leaves]
    return rows, problems


def format_rows(rows: list[ExplainRow]) -> list[str]:
    width = max((len(format_path(r.path)) for r in rows), default=0)
    value_width = min(max((len(r.value) for r in rows), default=0), 40)
    return [f"{format_path(r.path):<{width}} = {r.value:<{value_width}}  {r.origin}" for r in rows]
