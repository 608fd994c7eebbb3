"""Presets: answer files shipped in the wheel (top-level ``presets/``, package ``wizard.bundled_presets``)."""

from __future__ import annotations

import difflib
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Preset:
    name: str
    description: str
    text: str

    def raw(self) -> dict[str, Any]:
        return tomllib.loads(self.text)


class UnknownPreset(Exception):
    pass


def _preset_folder():
    try:
        return resources.files("wizard.bundled_presets")
    except ModuleNotFoundError:
        # Running from a source checkout whose wizard/ shadows the installed package:
        # the presets are the top-level presets/ folder next to it.
        return Path(__file__).resolve().parent.parent / "presets"


def list_presets() -> list[Preset]:
    folder = _preset_folder()
    out = []
    for item in sorted(folder.iterdir(), key=lambda p: p.name.rsplit(".", 1)[0]):
        if item.name.endswith(".toml"):
            text = item.read_text(encoding="utf-8")
            description = tomllib.loads(text).get("description", "")
            out.append(Preset(item.name[: -len(".toml")], description, text))
    return out


def load_preset(name: str) -> Preset:
    presets = {p.name: p for p in list_presets()}
    if name in presets:
        return presets[name]
    lowered = {p.lower(): p for p in presets}
    close = difflib.get_close_matches(name.lower(), list(lowered), n=1)
    hint = f' (did you mean "{lowered[close[0]]}"?)' if close else ""
    raise UnknownPreset(f'no preset "{name}"{hint}; available: {", ".join(presets)}')
