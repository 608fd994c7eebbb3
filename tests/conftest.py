from __future__ import annotations

import copy
import itertools
import sys
import tomllib
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))


def _missing_dependencies() -> list[str]:
    """The project's runtime dependencies (pyproject.toml) this interpreter cannot import: the
    suite was started outside the environment README's set-up makes."""
    import importlib.util
    import re

    project = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text())["project"]
    names = [re.match(r"[A-Za-z0-9_.-]+", spec).group() for spec in project["dependencies"]]
    return [name for name in names if importlib.util.find_spec(name.replace("-", "_")) is None]


if _missing_dependencies():
    pytest.exit(f"{sys.executable} cannot import {', '.join(_missing_dependencies())}: run the tests in the "
                "project's environment (README: python3 -m venv .venv && .venv/bin/pip install -e '.[test]', "
                "then .venv/bin/python -m pytest)", returncode=4)

from wizard.build import Build, BuildOptions, build_deployment  # noqa: E402
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


def build_raw(raw: dict, store: SecretStore | None = None, environ=None, pki: bool = False, out_dir=None) -> Build:
    """Build the deployment of ``raw``; without keys and certificates unless ``pki``."""
    answers, problems = validate_answers(raw)
    assert answers is not None, "\n".join(map(str, problems))
    options = BuildOptions(with_pki=pki, out_dir=out_dir)
    build = build_deployment(answers, store, environ=environ or {}, generate=counter_generator(), options=options)
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


def require_tool(name: str) -> str:
    """Path of a system tool the test needs.  Locally a missing tool skips the test; under
    CI (APIM_WIZARD_CI=1, set by .ci/run, which installs the tools) it is a failure."""
    from tools import require

    return require(name)


def apply_to(raw: dict, out_dir, **build_options):
    """Build with keys and write the output the way `apim-wizard apply` does."""
    from wizard.plan import apply_plan, make_plan

    answers, problems = validate_answers(raw)
    assert answers is not None, "\n".join(map(str, problems))
    store = SecretStore.load(out_dir / "secrets.toml")
    options = BuildOptions(out_dir=out_dir, **build_options)
    build = build_deployment(answers, store, environ={}, options=options)
    assert build.ok, "\n".join(map(str, build.problems))
    plan = make_plan(out_dir, build.files)
    apply_plan(plan)
    return build, plan


def is_key_material(path: str) -> bool:
    """Keys and certificates are made anew in another folder; the PKI state and the manifest
    record them, so they differ too."""
    return path.startswith(("ca/", "lb/", ".apim-wizard/")) or "/resources/security/" in path


def assert_apply_replays(answers: Path, secrets: Path, written: Path, replay: Path, at_least: int) -> None:
    """`apim-wizard apply` of saved answers writes what ``written`` holds, byte for byte and
    mode for mode, certificates aside."""
    import io

    from wizard.cli import main

    code = main(["apply", "--answers", str(answers), "--secrets", str(secrets), "--out", str(replay)],
                out=io.StringIO())
    assert code == 0
    ours, theirs = snapshot(written), snapshot(replay)
    assert ours.keys() == theirs.keys()
    compared = [path for path in ours if not is_key_material(path)]
    assert len(compared) >= at_least
    assert {p: ours[p] for p in compared} == {p: theirs[p] for p in compared}
