"""Issue 8: backend JWT, runtime-artifact skip list, node IP."""

from __future__ import annotations

import tomllib

import pytest

from conftest import build_raw, node_configs, preset_raw, problems_of
from wizard.answers_io import dump_answers
from wizard.validation import validate_answers


def round_trip(raw: dict) -> dict:
    """answers -> answers.toml text -> answers: what `apply --answers DIR/answers.toml` reads."""
    answers, problems = validate_answers(raw)
    assert answers is not None, problems
    again, problems = validate_answers(tomllib.loads(dump_answers(answers)))
    assert again == answers, problems
    return tomllib.loads(dump_answers(again))


def test_backend_jwt_renders_on_both_profiles_and_round_trips():
    raw = preset_raw("ha")
    raw["backend_jwt"] = {"enabled": True, "encoding": "base64url", "enable_user_claims": True, "header": "X-Backend-JWT"}
    saved = round_trip(raw)
    assert saved["backend_jwt"]["encoding"] == "base64url"
    build = build_raw(raw)
    configs = node_configs(build)
    expected = {
        "enable": True, "encoding": "base64url", "header": "X-Backend-JWT", "signing_algorithm": "SHA256withRSA",
        "claim_dialect": "http://wso2.org/claims", "convert_dialect": False, "enable_user_claims": True,
    }
    for name in ("gw-1", "gw-2", "cp-1", "cp-2"):
        assert configs[name]["apim"]["jwt"] == expected
    text = next(f.content.decode() for f in build.files if f.path.startswith("gw-1/"))
    assert "Signed with the primary keystore primary.p12 (alias primary)" in text
    assert "gateway_certificate_alias" in text


def test_backend_jwt_off_by_default():
    configs = node_configs(build_raw(preset_raw("ha")))
    assert all("jwt" not in c["apim"] for c in configs.values())


def test_bad_backend_jwt_values():
    raw = preset_raw("ha")
    raw["backend_jwt"] = {"enabled": True, "encoding": "hex", "header": "X JWT"}
    fields = {p.field: p.message for p in problems_of(raw)}
    assert "allowed: base64, base64url" in fields["backend_jwt.encoding"]
    assert "HTTP header name" in fields["backend_jwt.header"]


def test_skip_list_renders_on_gateways_only_and_round_trips():
    raw = preset_raw("ha")
    raw["gateway"]["skip_list"] = {"apis": ["api1.xml", "admin--Pizza_v1.0.0.xml"], "endpoints": ["endpoint1.xml"],
                                   "sequences": ["post_with_nobody.xml"], "local_entries": ["file.xml"]}
    saved = round_trip(raw)
    assert saved["gateway"]["skip_list"]["endpoints"] == ["endpoint1.xml"]
    configs = node_configs(build_raw(raw))
    for gw in ("gw-1", "gw-2"):
        sync = configs[gw]["apim"]["sync_runtime_artifacts"]["gateway"]
        assert sync["gateway_labels"] == ["Default"]
        assert sync["skip_list"] == raw["gateway"]["skip_list"]
    assert "sync_runtime_artifacts" not in configs["cp-1"]["apim"]


def test_partial_skip_list_writes_only_given_kinds():
    raw = preset_raw("ha")
    raw["gateway"]["skip_list"] = {"sequences": ["custom.xml"]}
    sync = node_configs(build_raw(raw))["gw-1"]["apim"]["sync_runtime_artifacts"]["gateway"]
    assert sync["skip_list"] == {"sequences": ["custom.xml"]}


def test_no_skip_list_by_default():
    sync = node_configs(build_raw(preset_raw("ha")))["gw-1"]["apim"]["sync_runtime_artifacts"]["gateway"]
    assert "skip_list" not in sync


@pytest.mark.parametrize(
    "entry, fragment",
    [
        ("../api1.xml", "is a path"),
        ("apis/api1.xml", "is a path"),
        ("C:\\\\api1.xml", "is a path"),
        ("api1.json", "does not end in .xml"),
        ("api1", "does not end in .xml"),
        ("api 1.xml", "plain file name"),
        (".hidden.xml", "is a path"),
    ],
)
def test_invalid_skip_list_entry_names_the_field(entry, fragment):
    raw = preset_raw("ha")
    raw["gateway"]["skip_list"] = {"apis": ["ok.xml", entry]}
    problems = [p for p in problems_of(raw) if p.severity == "error"]
    assert len(problems) == 1
    assert problems[0].field == "gateway.skip_list.apis[1]" and problems[0].value == entry
    assert fragment in problems[0].message


def test_node_ip_written_only_when_given_and_round_trips():
    raw = preset_raw("ha")
    del raw["gateway"]["nodes"][1]["ip"]
    saved = round_trip(raw)
    assert saved["gateway"]["nodes"][0]["ip"] == "10.0.0.21" and "ip" not in saved["gateway"]["nodes"][1]
    configs = node_configs(build_raw(raw))
    assert configs["gw-1"]["server"]["node_ip"] == "10.0.0.21"
    assert "node_ip" not in configs["gw-2"]["server"]
    assert configs["cp-2"]["server"]["node_ip"] == "10.0.0.12"
