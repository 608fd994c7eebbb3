"""Every validation of the core issue, each naming the field, the bad value and what is allowed."""

from __future__ import annotations

import pytest

from conftest import preset_raw, problems_of
from wizard.presets import list_presets
from wizard.validation import validate_answers


def only_error(raw: dict):
    problems = [p for p in problems_of(raw) if p.severity == "error"]
    assert len(problems) == 1, "\n".join(map(str, problems))
    return problems[0]


@pytest.mark.parametrize("preset", [p.name for p in list_presets()])
def test_every_preset_is_valid_without_warnings(preset):
    answers, problems = validate_answers(preset_raw(preset))
    assert answers is not None and problems == [], "\n".join(map(str, problems))


def test_unknown_key_suggests_the_closest_known_key(ha_raw):
    ha_raw["gateway"]["nodes"][1]["hostnmae"] = "gw2.example.com"
    problem = only_error(ha_raw)
    assert problem.field == "gateway.nodes[1].hostnmae"
    assert 'did you mean "hostname"' in problem.message
    assert "known keys here: extra_sans, hostname, ip, name, offset, tls_cert, tls_key" in problem.message


def test_unknown_top_level_key(ha_raw):
    ha_raw["databse"] = {}
    problem = only_error(ha_raw)
    assert problem.field == "databse" and 'did you mean "databases"' in problem.message


@pytest.mark.parametrize(
    "hostname, fragment",
    [
        ("gw_2.example.com", "'_' is not allowed"),
        ("-gw.example.com", "not starting or ending with '-'"),
        ("gw..example.com", "1-63 letters"),
        ("1.2.3", "last label is numeric"),
        ("::1", "IPv6"),
        ("a" * 64 + ".example.com", "1-63 letters"),
        ("", "is empty"),
    ],
)
def test_bad_hostnames(ha_raw, hostname, fragment):
    ha_raw["gateway"]["nodes"][1]["hostname"] = hostname
    problem = only_error(ha_raw)
    assert problem.field == "gateway.nodes[1].hostname"
    assert problem.value == hostname
    assert fragment in problem.message


def test_ipv4_literal_is_a_valid_hostname(ha_raw):
    ha_raw["gateway"]["nodes"][1]["hostname"] = "10.0.0.22"
    assert validate_answers(ha_raw)[0] is not None


@pytest.mark.parametrize("ip", ["10.0.0.256", "gw1", "10.0.0"])
def test_bad_ip(ha_raw, ip):
    ha_raw["control_plane"]["nodes"][0]["ip"] = ip
    problem = only_error(ha_raw)
    assert problem.field == "control_plane.nodes[0].ip" and problem.value == ip
    assert "IPv4 or IPv6 address" in problem.message


def test_ipv6_node_ip_is_accepted(ha_raw):
    ha_raw["control_plane"]["nodes"][0]["ip"] = "fd00::11"
    assert validate_answers(ha_raw)[0] is not None


def test_port_out_of_range_after_offset(ha_raw):
    ha_raw["gateway"]["nodes"][0]["offset"] = 60000
    problem = only_error(ha_raw)
    assert problem.field == "gateway.nodes[0].offset" and problem.value == 60000
    assert "11111 would become 71111" in problem.message
    assert "allowed offsets: 0..54424" in problem.message


def test_negative_offset(ha_raw):
    ha_raw["gateway"]["nodes"][0]["offset"] = -1
    assert "allowed offsets: 0..54424" in only_error(ha_raw).message


def test_proxy_port_out_of_range(ha_raw):
    ha_raw["gateway"]["proxy_https_port"] = 70000
    problem = only_error(ha_raw)
    assert problem.field == "gateway.proxy_https_port" and "1..65535" in problem.message


def test_two_nodes_on_one_host_with_clashing_ports(ha_raw):
    ha_raw["gateway"]["nodes"][1]["hostname"] = "gw1.example.com"
    ha_raw["gateway"]["nodes"][1]["ip"] = "10.0.0.21"
    problem = only_error(ha_raw)
    assert problem.field == "gateway.nodes[1].offset" and problem.value == 0
    assert "gw-2 and node gw-1 both run on" in problem.message
    assert "9443 (HTTPS servlet)" in problem.message or "5672 (AMQP broker)" in problem.message
    assert "offset 1 is free here" in problem.message


def test_same_ip_counts_as_the_same_host(ha_raw):
    ha_raw["gateway"]["nodes"][0]["ip"] = "10.0.0.11"  # cp-1's address
    assert only_error(ha_raw).field == "gateway.nodes[0].offset"


def test_distinct_offsets_on_one_host_are_fine(ha_raw):
    for index, node in enumerate(ha_raw["gateway"]["nodes"]):
        node.update(hostname="localhost", ip="127.0.0.1", offset=index + 1)
    assert validate_answers(ha_raw)[0] is not None


def test_duplicate_node_names_across_profiles(ha_raw):
    ha_raw["gateway"]["nodes"][0]["name"] = "cp-1"
    problem = only_error(ha_raw)
    assert problem.field == "gateway.nodes[0].name" and problem.value == "cp-1"
    assert "already the name of control_plane.nodes[0]" in problem.message


@pytest.mark.parametrize("name, fragment", [("CP-1", "lower-case"), ("cp_1", "lower-case"), ("ca", "reserved")])
def test_bad_node_names(ha_raw, name, fragment):
    ha_raw["control_plane"]["nodes"][0]["name"] = name
    problem = only_error(ha_raw)
    assert problem.field == "control_plane.nodes[0].name" and fragment in problem.message


@pytest.mark.parametrize("key", ["control_plane", "gateway"])
def test_ha_profile_without_lb_host(ha_raw, key):
    del ha_raw[key]["lb_host"]
    problem = only_error(ha_raw)
    assert problem.field == f"{key}.lb_host"
    assert "2 " in problem.message and "HA cluster" in problem.message


def test_single_node_needs_no_lb(ha_raw):
    for key in ("control_plane", "gateway"):
        del ha_raw[key]["lb_host"]
        del ha_raw[key]["nodes"][1]
    assert validate_answers(ha_raw)[0] is not None


def test_lb_host_equal_to_a_node_hostname(ha_raw):
    ha_raw["gateway"]["lb_host"] = "gw1.example.com"
    problem = only_error(ha_raw)
    assert problem.field == "gateway.lb_host" and "name of its own" in problem.message


@pytest.mark.parametrize("change, field, node", [
    (("gateway", "lb_host", "cp1.example.com"), "gateway.lb_host", "control_plane.nodes[0]"),
    (("gateway", "nodes", 0, "hostname", "cp.example.com"), "control_plane.lb_host", "gateway.nodes[0]"),
])
def test_lb_host_equal_to_a_node_hostname_of_the_other_profile(ha_raw, change, field, node):
    """The hosts file and the certificates would give the load balancer's name to that node."""
    *path, value = change
    target = ha_raw
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    problem = only_error(ha_raw)
    assert problem.field == field and f"({node})" in problem.message and "name of its own" in problem.message


def test_two_load_balancers_on_one_name_and_port(ha_raw):
    ha_raw["gateway"]["lb_host"] = "cp.example.com"
    problem = only_error(ha_raw)
    assert problem.field == "gateway.lb_host" and "80, 443" in problem.message


def test_label_naming_no_environment(ha_raw):
    ha_raw["gateway"]["labels"] = ["Default", "Defualt"]
    problem = only_error(ha_raw)
    assert problem.field == "gateway.labels[1]" and problem.value == "Defualt"
    assert 'did you mean "Default"' in problem.message
    assert "defined environments: Default" in problem.message


def test_environment_without_a_gateway_is_a_warning(ha_raw):
    ha_raw["environments"].append({"name": "Sandbox", "type": "sandbox"})
    answers, problems = validate_answers(ha_raw)
    assert answers is not None
    (warning,) = problems
    assert warning.severity == "warning" and warning.field == "environments[1].name"


def test_duplicate_environment_names(ha_raw):
    ha_raw["environments"].append({"name": "Default"})
    assert only_error(ha_raw).field == "environments[1].name"


def test_environment_type(ha_raw):
    ha_raw["environments"][0]["type"] = "prod"
    problem = only_error(ha_raw)
    assert "allowed: hybrid, production, sandbox" in problem.message


@pytest.mark.parametrize("given, expected", [("postgres", "postgre"), ("postgresql", "postgre"), ("sqlserver", "mssql"),
                                             ("mysq", "mysql")])
def test_db_type_not_a_wso2_token(ha_raw, given, expected):
    ha_raw["databases"]["shared_db"]["type"] = given
    problem = only_error(ha_raw)
    assert problem.field == "databases.shared_db.type" and problem.value == given
    assert f'did you mean "{expected}"' in problem.message
    assert "allowed: mysql, mariadb, postgre, mssql, oracle, db2" in problem.message


@pytest.mark.parametrize("char", ["@", "{", "}", "%", "#"])
def test_admin_password_with_amqp_breaking_characters(ha_raw, char):
    ha_raw["super_admin"]["password"] = f"Secret{char}Pass1"
    problem = only_error(ha_raw)
    assert problem.field == "super_admin.password"
    assert repr(char) in problem.message and "AMQP" in problem.message
    # A secret is never echoed back.
    assert not problem.has_value and "Secret" not in str(problem)


@pytest.mark.parametrize("char", ["@", "{", "}", "%"])
def test_admin_username_with_amqp_breaking_characters(ha_raw, char):
    ha_raw["super_admin"]["username"] = f"ad{char}min"
    problem = only_error(ha_raw)
    assert problem.field == "super_admin.username" and repr(char) in problem.message


def test_placeholder_in_a_secret(ha_raw):
    ha_raw["databases"]["apim_db"]["password"] = "abc$ref{x}"
    assert "placeholder" in only_error(ha_raw).message


def test_keystore_password_rules(ha_raw):
    ha_raw["keystores"] = {"tls": {"file_name": "tls.p12", "alias": "tls", "password": "short"}}
    problem = only_error(ha_raw)
    assert problem.field == "keystores.tls.password" and "at least 6" in problem.message
    ha_raw["keystores"]["tls"]["password"] = "quote'inside"
    assert "allowed: letters, digits" in only_error(ha_raw).message


@pytest.mark.parametrize(
    "path, fragment",
    [
        (("databases", "shared_db", "host"), "databases.shared_db.host"),
        (("control_plane", "nodes"), "control_plane.nodes"),
        (("databases", "shared_db"), "databases.shared_db"),
        (("gateway",), "gateway"),
    ],
)
def test_missing_required_values(ha_raw, path, fragment):
    parent = ha_raw
    for key in path[:-1]:
        parent = parent[key]
    del parent[path[-1]]
    problem = only_error(ha_raw)
    assert problem.field == fragment and "required" in problem.message


def test_apim_db_needed_only_when_control_plane_is_generated(ha_raw):
    del ha_raw["databases"]["apim_db"]
    assert only_error(ha_raw).field == "databases.apim_db"
    ha_raw["control_plane"]["existing"] = True
    assert validate_answers(ha_raw)[0] is not None


def test_nothing_to_generate(ha_raw):
    ha_raw["control_plane"]["existing"] = True
    ha_raw["gateway"]["existing"] = True
    assert "nothing to generate" in only_error(ha_raw).message


def test_wrong_types_are_named(ha_raw):
    ha_raw["gateway"]["nodes"][0]["offset"] = "one"
    ha_raw["features"] = {"token_revocation": "maybe"}
    ha_raw["gateway"]["labels"] = "Default"
    problems = {p.field: p.message for p in problems_of(ha_raw)}
    assert problems["gateway.nodes[0].offset"] == "expected a whole number"
    assert problems["features.token_revocation"] == "expected true or false"
    assert problems["gateway.labels"] == "expected a list [ ... ]"


def test_ldap_user_store_needs_connection_url(ha_raw):
    ha_raw["user_store"] = {"type": "read_write_ldap_unique_id"}
    assert "connection_url" in only_error(ha_raw).message
    ha_raw["user_store"]["properties"] = {"connection_url": "ldaps://ldap.example.com:636"}
    assert validate_answers(ha_raw)[0] is not None


def test_analytics_needs_a_token(ha_raw):
    ha_raw["analytics"] = {"enabled": True}
    assert only_error(ha_raw).field == "analytics.auth_token"


def test_every_problem_at_once(ha_raw):
    """One file with many kinds of mistakes: all are reported in one pass."""
    ha_raw["nmae"] = "x"
    ha_raw["super_admin"] = {"username": "admin", "password": "pa%ss"}
    ha_raw["control_plane"]["nodes"][0]["hostname"] = "cp_1.example.com"
    del ha_raw["control_plane"]["lb_host"]
    ha_raw["gateway"]["labels"] = ["Default", "Prod"]
    ha_raw["gateway"]["nodes"][1]["name"] = "gw-1"
    ha_raw["gateway"]["nodes"][1]["hostnmae"] = "typo"
    ha_raw["databases"]["shared_db"]["type"] = "postgres"
    ha_raw["databases"]["apim_db"]["port"] = 99999
    ha_raw["keystores"] = {"tls": {"file_name": "tls.p12", "alias": "TLS", "password": "abc"}}
    fields = {p.field for p in problems_of(ha_raw)}
    assert {
        "nmae",
        "super_admin.password",
        "control_plane.nodes[0].hostname",
        "control_plane.lb_host",
        "gateway.labels[1]",
        "gateway.nodes[1].hostnmae",
        "databases.shared_db.type",
        "databases.apim_db.port",
        "keystores.tls.alias",
        "keystores.tls.password",
    } <= fields


def test_a_dropped_environment_does_not_invent_a_dangling_label(ha_raw):
    ha_raw["environments"][0]["type"] = "bogus"
    problems = problems_of(ha_raw)
    assert [p.field for p in problems] == ["environments[0].type"]


@pytest.mark.parametrize("raw", [[], "text", 42, None, {"control_plane": []}, {"gateway": {"nodes": [1, "x"]}}])
def test_nonsense_input_gives_messages_not_tracebacks(raw):
    answers, problems = validate_answers(raw)
    assert answers is None and problems
    assert all(isinstance(str(p), str) for p in problems)


@pytest.mark.parametrize("db_type, name, ok", [
    ("mssql", "a;encrypt=false", False),  # would add a parameter to the JDBC URL
    ("mssql", "shared&db", False),
    ("mssql", "x y", False),
    ("mssql", "WSO2_SHARED", True),
    ("oracle", "orcl.example.com", True),
    ("oracle", "orcl/x", False),
    ("db2", "shared_db", False),  # nine characters, and _ is not a Db2 database name character
    ("db2", "SHAREDDB", True),
])
def test_database_names_of_every_type_stay_out_of_the_url_syntax(ha_raw, db_type, name, ok):
    ha_raw["databases"]["shared_db"].update(type=db_type, name=name)
    ha_raw["databases"]["shared_db"].pop("port", None)
    errors = [p for p in validate_answers(ha_raw)[1] if p.severity == "error"]
    if ok:
        assert not errors, errors
    else:
        assert [p.field for p in errors] == ["databases.shared_db.name"]
        assert f"not a usable {db_type} database name" in errors[0].message


@pytest.mark.parametrize("path, value, expected", [
    (("control_plane", "nodes", 0, "offset"), True, "expected a whole number"),
    (("databases", "apim_db", "port"), True, "expected a whole number"),
    (("pki", "validity_days"), True, "expected a whole number"),
    (("jms_tls", "enabled"), "no", "expected true or false"),
    (("jms_tls", "enabled"), 0, "expected true or false"),
    (("version",), 4.4, 'write it as text, e.g. version = "4.4"'),
])
def test_answer_files_are_typed_strictly(ha_raw, path, value, expected):
    """TOML has types: true is not 1 and "no" is not false (a typo would pass as a setting)."""
    target = ha_raw
    for part in path[:-1]:
        target = target.setdefault(part, {}) if isinstance(part, str) else target[part]
    target[path[-1]] = value
    problem = only_error(ha_raw)
    assert problem.path == path and expected in problem.message


def test_node_count_has_a_ceiling(ha_raw):
    from wizard import facts

    node = ha_raw["gateway"]["nodes"][0]
    ha_raw["gateway"]["nodes"] = [
        {**node, "name": f"gw-{i}", "hostname": f"gw{i}.example.com", "ip": f"10.1.{i // 200}.{i % 200 + 1}"}
        for i in range(facts.MAX_NODES_PER_CLUSTER + 1)]
    problem = only_error(ha_raw)
    assert problem.field == "gateway.nodes" and f"at most {facts.MAX_NODES_PER_CLUSTER}" in problem.message
    ha_raw["gateway"]["nodes"].pop()
    assert validate_answers(ha_raw)[0] is not None


def test_a_table_given_in_part_keeps_the_other_defaults(ha_raw):
    ha_raw["keystores"] = {"primary": {"password": "abcdefgh12"}}
    answers, problems = validate_answers(ha_raw)
    assert answers is not None, problems
    assert (answers.keystores.primary.file_name, answers.keystores.primary.alias) == ("primary.p12", "primary")
    assert (answers.keystores.tls.file_name, answers.keystores.tls.alias) == ("tls.p12", "tls")


@pytest.mark.parametrize("path, value, message", [
    (("pki", "validity_days"), 0, "must be at least 1"),
    (("name",), 'x"; rm', "use 1-64 letters, digits, spaces and . _ -"),
])
def test_messages_say_what_is_allowed_in_words(ha_raw, path, value, message):
    target = ha_raw
    for part in path[:-1]:
        target = target.setdefault(part, {})
    target[path[-1]] = value
    problem = only_error(ha_raw)
    assert problem.path == path and problem.message.startswith(message)
    assert "pattern" not in problem.message and "Input should" not in problem.message
