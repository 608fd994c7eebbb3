"""The question registry: derived from the model, conditions, checks through the one validator."""

from __future__ import annotations

import copy

import pytest

from conftest import preset_raw
from wizard.model_paths import MISSING, ROW, SECTION, TABLE, UNSET, field_specs
from wizard.questions import STEPS, all_questions, question_for, questions, step_problems
from wizard.validation import validate_answers


def asked_paths() -> list[tuple]:
    paths = []
    for question in all_questions():
        if question.kind == TABLE:
            paths.extend(column.path for column in question.columns)
        else:
            paths.append(question.path)
    return paths


def test_every_field_of_the_model_is_asked_exactly_once():
    answers = [s.path for s in field_specs() if s.kind not in (SECTION, TABLE)]
    asked = asked_paths()
    assert sorted(map(str, asked)) == sorted(map(str, answers))


def test_every_question_and_step_has_a_label_and_help():
    for step in STEPS:
        assert step.title and len(step.help) > 80, step.key
    for question in all_questions() + [c for q in all_questions() for c in q.columns]:
        assert question.label, question.path
        assert question.help and question.help != question.label, (
            f"{question.key}: give the field a description= (or an override in wizard.questions)")


def test_steps_follow_the_textual_wizard():
    assert [s.title for s in STEPS] == [
        "Start", "Topology", "Load balancers", "Environments", "Messaging (JMS TLS)", "Databases",
        "Keystores & certificates", "Options", "Review", "Write"]
    assert [q.key for q in questions("topology")] == [
        "version", "control_plane.existing", "control_plane.nodes", "gateway.existing", "gateway.nodes"]
    certificates = [q for q in questions("keystores") if q.kind == TABLE]
    assert [q.key for q in certificates] == ["control_plane.nodes", "gateway.nodes"]
    assert all(not q.rows_editable for q in certificates)  # rows are added in Topology only
    assert [c.path[-1] for c in certificates[0].columns] == ["extra_sans", "tls_cert", "tls_key"]


def test_choices_and_defaults_come_from_the_model():
    version = question_for(("version",))
    assert version.choices == ("4.1", "4.2", "4.3", "4.4") and version.current({}) == "4.4"
    db_type = question_for(("databases", "apim_db", "type"))
    assert "postgre" in db_type.choices and db_type.choice_help["postgre"] == "PostgreSQL"
    assert question_for(("keystores", "primary", "file_name")).current({}) == "primary.p12"
    assert question_for(("super_admin", "password")).kind == "secret"
    assert question_for(("analytics", "auth_token")).kind == "secret"  # Optional[secret] too
    assert question_for(("jms_tls", "protocols")).kind == "multi_choice"
    port = question_for(("databases", "shared_db", "port"))
    assert port.current({}) is None and port.derived_text({"databases": {"shared_db": {"type": "postgre"}}}) == (
        "5432, the usual port for postgre")


def applicable(raw: dict, step: str) -> set[str]:
    out = set()
    for question in questions(step):
        if question.applies(raw):
            out.add(question.key)
    return out


def test_load_balancer_questions_only_in_ha(ha_raw):
    single = preset_raw("single")
    assert applicable(single, "load_balancers") == set()
    assert {"control_plane.lb_host", "gateway.lb_host"} <= applicable(ha_raw, "load_balancers")
    mixed = copy.deepcopy(ha_raw)
    mixed["gateway"]["nodes"] = mixed["gateway"]["nodes"][:1]
    assert "gateway.lb_host" not in applicable(mixed, "load_balancers")


def test_conditional_questions(ha_raw):
    assert applicable(ha_raw, "messaging") == {"jms_tls.enabled"}
    ha_raw["jms_tls"] = {"enabled": True}
    assert "jms_tls.ciphers" in applicable(ha_raw, "messaging")

    keys = applicable(ha_raw, "keystores")
    assert "pki.ca_cert" not in keys and "pki.ca_key" not in keys
    ha_raw["pki"] = {"ca": "provided"}
    assert {"pki.ca_cert", "pki.ca_key"} <= applicable(ha_raw, "keystores")
    ha_raw["pki"] = {"ca": "external"}
    keys = applicable(ha_raw, "keystores")
    assert "pki.ca_cert" in keys and "pki.ca_key" not in keys
    node_certs = next(q for q in questions("keystores") if q.key == "gateway.nodes")
    assert [c.key for c in node_certs.row_questions(ha_raw, 1)] == [
        "gateway.nodes[1].extra_sans", "gateway.nodes[1].tls_cert", "gateway.nodes[1].tls_key"]

    assert "databases.apim_db.oracle_sid" not in applicable(ha_raw, "databases")
    ha_raw["databases"]["apim_db"]["type"] = "oracle"
    assert "databases.apim_db.oracle_sid" in applicable(ha_raw, "databases")
    ha_raw["control_plane"]["existing"] = True
    assert not any(k.startswith("databases.apim_db") for k in applicable(ha_raw, "databases"))


def test_check_uses_the_one_validator_at_the_question_path(ha_raw):
    lb = question_for(("control_plane", "lb_host"))
    problems = lb.check(ha_raw, "cp_lb")
    assert [p.path for p in problems] == [("control_plane", "lb_host")]
    assert problems[0].message == validate_answers({**ha_raw, "control_plane": {
        **ha_raw["control_plane"], "lb_host": "cp_lb"}})[1][0].message
    assert lb.check(ha_raw, UNSET)[0].message.startswith("is required: 2 control-plane nodes form an HA cluster")
    assert lb.check(ha_raw, "cp.example.com") == []
    # a cross-field rule: a label must name an environment
    labels = question_for(("gateway", "labels"))
    assert "names no gateway environment" in labels.check(ha_raw, ["Nope"])[0].message
    # problems elsewhere are not this question's
    broken = copy.deepcopy(ha_raw)
    broken["databases"]["apim_db"]["host"] = "db_x"
    assert lb.check(broken, "cp.example.com") == []


def test_question_for_a_problem_path_and_step_problems(ha_raw):
    assert question_for(("gateway", "nodes", 1, "hostname")).key == "gateway.nodes[1].hostname"
    assert question_for(("gateway", "nodes", 1, "tls_cert")).step == "keystores"
    assert question_for(("gateway", "labels", 0)).key == "gateway.labels"
    assert question_for(("databases", "apim_db")).key == "databases.apim_db.type"
    assert question_for(("gateway", "nodes", 0, "hostnmae")) is None  # an unknown key
    ha_raw["gateway"]["nodes"][1]["hostname"] = "gw_2"
    assert [p.path for p in step_problems("topology", ha_raw)] == [("gateway", "nodes", 1, "hostname")]
    assert step_problems("databases", ha_raw) == []


def test_new_rows_count_on_from_the_last_one(ha_raw):
    nodes = question_for(("control_plane", "nodes"))
    rows = ha_raw["control_plane"]["nodes"]
    assert nodes.new_row(rows, 2) == {"name": "cp-3", "hostname": "cp3.example.com", "ip": "10.0.0.13"}
    assert nodes.new_row([], 0) == {"name": "cp-1"}


def test_parse_types_text_by_the_model():
    assert question_for(("pki", "validity_days")).parse("397") == 397
    assert question_for(("pki", "validity_days")).parse("soon") == "soon"  # the validator names it
    assert question_for(("gateway", "labels")).parse("A, B") == ["A", "B"]
    assert question_for(("control_plane", "lb_host")).parse("  ") is UNSET
    assert question_for(("jms_tls", "enabled")).parse("yes") is True


@pytest.mark.parametrize("pattern", [s.path for s in field_specs() if ROW not in s.path and s.kind not in (SECTION, TABLE)])
def test_each_question_accepts_its_default_or_the_preset_value(pattern, ha_raw):
    question = question_for(pattern)
    value = question.current(ha_raw)
    if value is MISSING or not question.applies(ha_raw):
        return
    assert [p for p in question.check(ha_raw, value) if p.severity == "error"] == []
