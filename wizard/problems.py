"""A problem found in the answers: where, what value, what is wrong, what is allowed."""

from __future__ import annotations

from dataclasses import dataclass
import difflib
from collections.abc import Iterable
from typing import Any, Literal

Path = tuple[str | int, ...]

_MISSING = object()


@dataclass(frozen=True)
class Problem:
    path: Path
    message: str
    value: Any = _MISSING
    severity: Literal["error", "warning"] = "error"

    @property
    def field(self) -> str:
        return format_path(self.path)

    @property
    def has_value(self) -> bool:
        return self.value is not _MISSING

    def __str__(self) -> str:
        where = self.field or "(answers)"
        if self.has_value:
            return f"{where} = {show_value(self.value)}: {self.message}"
        return f"{where}: {self.message}"


def format_path(path: Path) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


SHOWN_TEXT_MAX = 120  # a longer value is cut in messages (a pasted file, a 5000-digit number)


def show_value(value: Any) -> str:
    """Render a value as the operator wrote it in TOML."""
    if isinstance(value, str):
        if len(value) > SHOWN_TEXT_MAX:
            return show_value(value[:SHOWN_TEXT_MAX - 20]) + f"…({len(value)} characters)"
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {show_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(show_value(v) for v in value) + "]"
    return repr(value)


def errors(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity == "error"]


def warnings(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity == "warning"]


def did_you_mean(value: Any, choices: Iterable[str], aliases: dict[str, str] | None = None) -> str:
    """' (did you mean "x"?)' for the closest choice (or a known alias), else ''."""
    if isinstance(value, str):
        if aliases and value.lower() in aliases:
            return f' (did you mean "{aliases[value.lower()]}"?)'
        close = difflib.get_close_matches(value, list(choices), n=1, cutoff=0.6)
        if close:
            return f' (did you mean "{close[0]}"?)'
    return ""
