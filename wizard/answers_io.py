"""Answer files: read TOML into the raw dict the validator takes; write Answers back.

Written answer files are deterministic (model field order, no timestamps) and keep secret
references as references, so ``apply --answers DIR/answers.toml`` replays a run exactly.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import tomlkit
from pydantic import BaseModel
from tomlkit.items import Table

from .model import Answers
from .secret_values import SecretRef

ANSWERS_FILE = "answers.toml"


class AnswersFileError(Exception):
    """The answer file cannot be read or is not TOML.  The message names file and place."""


def load_answers_file(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise AnswersFileError(f"{path}: no such answer file") from None
    except IsADirectoryError:
        raise AnswersFileError(f"{path}: is a directory, not an answer file") from None
    except OSError as exc:
        raise AnswersFileError(f"{path}: cannot read: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise AnswersFileError(f"{path}: is not UTF-8 text") from None
    return parse_answers_text(text, str(path))


def parse_answers_text(text: str, name: str = "answers") -> dict[str, Any]:
    text = text.removeprefix("\ufeff")  # a byte-order mark some Windows editors write
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise AnswersFileError(f"{name}: not valid TOML: {exc}") from None
    except RecursionError:
        raise AnswersFileError(f"{name}: arrays or tables nested too deeply to be answers") from None
    except ValueError as exc:  # an integer of thousands of digits (Python's int size limit)
        raise AnswersFileError(f"{name}: holds a number too large to be an answer ({str(exc).split(';')[0]})") from None


def _is_table(value: Any) -> bool:
    return isinstance(value, BaseModel) and not isinstance(value, SecretRef)


def _is_array_of_tables(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and isinstance(value[0], BaseModel)


def _inline(value: SecretRef | dict):
    data = value.model_dump(exclude_none=True) if isinstance(value, SecretRef) else value
    inline = tomlkit.inline_table()
    inline.update(data)
    return inline


def _fill(container, model: BaseModel) -> None:
    """Scalars, arrays and inline tables first, then sub-tables, as TOML requires."""
    fields = [(name, getattr(model, name)) for name in type(model).model_fields]
    # None means "derive it"; an empty table or list is the default and only adds noise.
    fields = [(name, value) for name, value in fields if value is not None and value != {} and value != []]
    for name, value in fields:
        if _is_table(value) or _is_array_of_tables(value):
            continue
        container[name] = _inline(value) if isinstance(value, (SecretRef, dict)) else value
    for name, value in fields:
        if _is_array_of_tables(value):
            aot = tomlkit.aot()
            for item in value:
                table = tomlkit.table()
                _fill(table, item)
                aot.append(table)
            container[name] = aot
        elif _is_table(value):
            sub = [getattr(value, n) for n in type(value).model_fields]
            has_own_keys = any(v is not None and not _is_table(v) and not _is_array_of_tables(v) for v in sub)
            table: Table = tomlkit.table(is_super_table=not has_own_keys)
            _fill(table, value)
            container[name] = table


def dump_answers(answers: Answers, header: list[str] | None = None) -> str:
    doc = tomlkit.document()
    for line in header or []:
        doc.add(tomlkit.comment(line))
    if header:
        doc.add(tomlkit.nl())
    _fill(doc, answers)
    return tomlkit.dumps(doc)
