from __future__ import annotations

import copy
import itertools
import sys
import tomllib
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from wizard.build import Build, build_deployment  # noqa: E402
from wizard.presets import load_preset  # noqa: E402
from wizard.secrets_store import SecretStore  # noqa: E402
from wizard.validation import validate_answers  # noqa: E402

SHARED = Path(__file__).resolve().parents[2] / "shared"


def counter_generator():
    """Deterministic stand-in for generated passwords (letters and digits, as the real one)."""
    numbers = itertools.count(1)
    return lambda: f"Generated{next(numbers):04d}Secret"


def preset_raw(name: str) -> dict:
    return copy.deepcopy(load_preset(name).raw())


def build_raw(raw: dict, store: SecretStore | None = None, environ=None) -> Build:
    answers, problems = validate_answers(raw)
    assert answers is not None, "\n".join(map(str, problems))
    build = build_deployment(answers, store, environ=environ or {}, generate=counter_generator())
    assert build.ok, "\n".join(map(str, build.problems))
    return build


def node_configs(build: Build) -> dict[str, dict]:
    """{node name: parsed deployment.toml}"""
    out = {}
    for planned in build.files:
        if planned.path.endswith("repository/conf/deployment.toml"):
            out[planned.path.split("/")[0]] = tomllib.loads(planned.content.decode())
    return out


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    """{relative path: (content, mode)} of every file below ``folder``."""
    return {
        str(p.relative_to(folder)): (p.read_bytes(), p.stat().st_mode & 0o777)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def problems_of(raw: dict) -> list:
    return validate_answers(raw)[1]


@pytest.fixture
def ha_raw() -> dict:
    return preset_raw("ha")
