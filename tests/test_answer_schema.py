"""`apim-wizard schema`: the JSON Schema of the answer file, and the annotated example."""

from __future__ import annotations

import copy
import io
import json
import tomllib
from pathlib import Path

import jsonschema
import pytest

from wizard.answer_schema import example_answers_toml
from wizard.cli import main
from wizard.model_paths import SECTION, TABLE, field_specs, format_path
from wizard.presets import list_presets
from wizard.validation import validate_answers

EXAMPLE = Path(__file__).parents[1] / "docs" / "answers-example.toml"


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    out = io.StringIO()
    assert main(["schema"], out=out) == 0
    schema = json.loads(out.getvalue())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@pytest.mark.parametrize("preset", [p.name for p in list_presets()])
def test_schema_accepts_every_preset(validator, preset):
    raw = next(p for p in list_presets() if p.name == preset).raw()
    assert [e.message for e in validator.iter_errors(raw)] == []


def test_schema_accepts_the_example(validator):
    assert [e.message for e in validator.iter_errors(tomllib.loads(EXAMPLE.read_text()))] == []


@pytest.mark.parametrize(
    "edit, fragment",
    [
        (lambda raw: raw["gateway"].update(lbhost="gw.example.com"), "'lbhost' was unexpected"),
        (lambda raw: raw.update(verison="4.4"), "'verison' was unexpected"),
        (lambda raw: raw["control_plane"]["nodes"][0].update(port=1), "'port' was unexpected"),
        (lambda raw: raw.update(version="4.5"), "'4.5' is not one of"),
        (lambda raw: raw["super_admin"].update(password={"env": "X", "file": "y"}), "is not valid under any"),
        (lambda raw: raw["control_plane"].update(proxy_https_port="443"), "is not of type 'integer'"),
    ],
)
def test_schema_rejects_unknown_keys_and_wrong_values(validator, edit, fragment):
    raw = copy.deepcopy(next(p for p in list_presets() if p.name == "ha").raw())
    edit(raw)
    messages = [e.message for e in validator.iter_errors(raw)]
    assert any(fragment in m for m in messages), messages


def test_secret_references_in_the_schema(validator):
    raw = next(p for p in list_presets() if p.name == "ha").raw()
    for value in ("literal", {"env": "VAR"}, {"file": "f"}, {"generate": True}, {"stored": True}):
        raw["super_admin"]["password"] = value
        assert list(validator.iter_errors(raw)) == [], value


def test_example_file_is_up_to_date_and_valid():
    assert EXAMPLE.read_text() == example_answers_toml(), (
        "docs/answers-example.toml is stale: apim-wizard schema --example > docs/answers-example.toml")
    answers, problems = validate_answers(tomllib.loads(EXAMPLE.read_text()))
    assert answers is not None and problems == []


def test_example_file_covers_every_field():
    text = EXAMPLE.read_text()
    data = tomllib.loads(text)
    for spec in field_specs():
        if spec.kind in (SECTION, TABLE):
            continue
        path = tuple(0 if part == "*" else part for part in spec.path)
        node = data
        for part in path[:-1]:
            node = node[part]
        written = path[-1] in node
        commented = f"# {path[-1]} = " in text
        assert written or commented, format_path(spec.path)


def test_schema_example_option_prints_the_example():
    out = io.StringIO()
    assert main(["schema", "--example"], out=out) == 0
    assert out.getvalue() == EXAMPLE.read_text()
