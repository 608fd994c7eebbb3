"""deployment.toml semantics: HA wiring, offsets, labels, databases, determinism."""

from __future__ import annotations

import re
import tomllib

import pytest

from conftest import build_raw, node_configs, preset_raw
from wizard.presets import list_presets


@pytest.fixture
def ha():
    return node_configs(build_raw(preset_raw("ha")))


@pytest.fixture
def local():
    return node_configs(build_raw(preset_raw("local")))


@pytest.mark.parametrize("preset", [p.name for p in list_presets()])
def test_every_output_file_parses(preset):
    build = build_raw(preset_raw(preset))
    for planned in build.files:
        if planned.path.endswith(".toml"):
            tomllib.loads(planned.content.decode())


def test_server_roles_and_hostnames(ha):
    assert {n: c["server"]["server_role"] for n, c in ha.items()} == {
        "cp-1": "control-plane", "cp-2": "control-plane", "gw-1": "gateway-worker", "gw-2": "gateway-worker"}
    assert ha["cp-2"]["server"]["hostname"] == "cp.example.com"  # the LB in HA
    assert ha["gw-1"]["server"]["hostname"] == "gw.example.com"
    assert ha["gw-1"]["server"]["node_ip"] == "10.0.0.21"


def test_single_mode_uses_node_hostnames():
    configs = node_configs(build_raw(preset_raw("single")))
    assert configs["cp-1"]["server"]["hostname"] == "cp.example.com"
    assert configs["gw-1"]["server"]["hostname"] == "gw.example.com"
    assert "transport" not in configs["gw-1"]  # no LB, no proxy ports
    assert "event_hub" not in configs["cp-1"]["apim"]  # "only if you have HA for the Control Plane"


def test_gateway_talks_to_every_control_plane(ha):
    for name in ("gw-1", "gw-2"):
        apim = ha[name]["apim"]
        assert apim["key_manager"]["service_url"] == "https://cp.example.com/services/"
        assert apim["throttling"]["service_url"] == "https://cp.example.com/services/"
        assert apim["throttling"]["throttle_decision_endpoints"] == [
            "tcp://cp1.example.com:5672", "tcp://cp2.example.com:5672"]
        assert apim["throttling"]["url_group"] == [
            {"traffic_manager_urls": ["tcp://cp1.example.com:9611"], "traffic_manager_auth_urls": ["ssl://cp1.example.com:9711"]},
            {"traffic_manager_urls": ["tcp://cp2.example.com:9611"], "traffic_manager_auth_urls": ["ssl://cp2.example.com:9711"]},
        ]
        assert apim["event_hub"]["event_listening_endpoints"] == apim["throttling"]["throttle_decision_endpoints"]
        assert apim["event_hub"]["username"] == "$ref{super_admin.username}"
        assert "apim_db" not in ha[name]["database"]


def test_url_group_is_written_after_throttling():
    """docs-apim#6212: [[apim.throttling.url_group]] before [apim.throttling] is an error."""
    build = build_raw(preset_raw("ha"))
    text = next(f.content.decode() for f in build.files if f.path.startswith("gw-1/"))
    assert text.index("[apim.throttling]") < text.index("[[apim.throttling.url_group]]")
    assert "[apim.event_hub]" in text and "docs-apim#9235" in text  # the deviation is explained


def test_event_duplicate_url_names_exactly_the_peers():
    raw = preset_raw("ha")
    raw["control_plane"]["nodes"].append({"name": "cp-3", "hostname": "cp3.example.com", "offset": 7})
    configs = node_configs(build_raw(raw))
    hosts = {"cp-1": "tcp://cp1.example.com:5672", "cp-2": "tcp://cp2.example.com:5672", "cp-3": "tcp://cp3.example.com:5679"}
    for name, own in hosts.items():
        hub = configs[name]["apim"]["event_hub"]
        assert sorted(hub["event_duplicate_url"]) == sorted(u for n, u in hosts.items() if n != name)
        assert hub["event_listening_endpoints"] == [f"tcp://localhost:{own.rsplit(':', 1)[1]}"]
        assert [g["urls"] for g in hub["publish"]["url_group"]] == [
            ["tcp://cp1.example.com:9611"], ["tcp://cp2.example.com:9611"], ["tcp://cp3.example.com:9618"]]
        assert [g["auth_urls"] for g in hub["publish"]["url_group"]][2] == ["ssl://cp3.example.com:9718"]


def test_offsets_propagate_into_every_remote_url(local):
    offsets = {"cp-1": 1, "cp-2": 2, "gw-1": 3, "gw-2": 4}
    for name, config in local.items():
        assert config["server"]["offset"] == offsets[name]
    gw = local["gw-1"]["apim"]
    assert gw["throttling"]["throttle_decision_endpoints"] == ["tcp://localhost:5673", "tcp://localhost:5674"]
    assert [g["traffic_manager_auth_urls"][0] for g in gw["throttling"]["url_group"]] == [
        "ssl://localhost:9712", "ssl://localhost:9713"]
    assert gw["key_manager"]["service_url"] == "https://cp.apim.localhost:8443/services/"
    cp2 = local["cp-2"]["apim"]
    assert cp2["event_hub"]["event_listening_endpoints"] == ["tcp://localhost:5674"]
    assert cp2["event_hub"]["event_duplicate_url"] == ["tcp://localhost:5673"]
    env = cp2["gateway"]["environment"][0]
    assert env["https_endpoint"] == "https://gw.apim.localhost:8443"
    assert env["http_endpoint"] == "http://gw.apim.localhost:8080"
    assert local["cp-1"]["apim"]["devportal"]["url"] == "https://cp.apim.localhost:8443/devportal"
    assert local["gw-1"]["transport"]["https"]["properties"] == {"port": 9443, "proxyPort": 8443}


def test_single_gateway_environment_carries_the_gateway_offset():
    raw = preset_raw("single")
    raw["gateway"]["nodes"][0]["offset"] = 10
    raw["control_plane"]["nodes"][0]["offset"] = 5
    configs = node_configs(build_raw(raw))
    env = configs["cp-1"]["apim"]["gateway"]["environment"][0]
    assert env == env | {
        "service_url": "https://gw.example.com:9453/services/",
        "ws_endpoint": "ws://gw.example.com:9109",
        "wss_endpoint": "wss://gw.example.com:8109",
        "http_endpoint": "http://gw.example.com:8290",
        "https_endpoint": "https://gw.example.com:8253",
        "username": "${admin.username}",
        "password": "${admin.password}",
    }
    assert configs["gw-1"]["apim"]["key_manager"]["service_url"] == "https://cp.example.com:9448/services/"
    assert configs["gw-1"]["apim"]["throttling"]["url_group"][0]["traffic_manager_urls"] == ["tcp://cp.example.com:9616"]
    listener = configs["cp-1"]["event_listener"][0]
    assert listener["properties"]["notification_endpoint"] == "https://cp.example.com:9448/internal/data/v1/notify"


def test_every_url_port_is_a_real_listener_of_its_target(local):
    """No URL in any file points at a port its target node does not open after offset."""
    from wizard import facts
    listening = {}
    for offset in (1, 2, 3, 4):
        listening[offset] = {p + offset for p in facts.BASE_PORTS.values()}
    lb_ports = {8443, 8080, 9099, 8099}
    for name, config in local.items():
        text = str(config)
        for host, port in re.findall(r"(?:tcp|ssl|https?|wss?)://([\w.-]+):(\d+)", text):
            port = int(port)
            if host == "localhost":
                assert any(port in ports for ports in listening.values()), (name, host, port)
            else:
                assert port in lb_ports, (name, host, port)


def test_labels_and_environments_agree():
    raw = preset_raw("ha")
    raw["environments"] = [{"name": "Production", "type": "production"}, {"name": "Sandbox", "type": "sandbox"}]
    raw["gateway"]["labels"] = ["Production", "Sandbox"]
    configs = node_configs(build_raw(raw))
    names = [e["name"] for e in configs["cp-1"]["apim"]["gateway"]["environment"]]
    assert names == ["Production", "Sandbox"]
    assert [e["type"] for e in configs["cp-2"]["apim"]["gateway"]["environment"]] == ["production", "sandbox"]
    for gw in ("gw-1", "gw-2"):
        assert configs[gw]["apim"]["sync_runtime_artifacts"]["gateway"]["gateway_labels"] == names


def test_token_revocation_listener_uses_runtime_placeholders(ha):
    (listener,) = ha["cp-1"]["event_listener"]
    assert listener["id"] == "token_revocation" and listener["order"] == 1
    assert listener["properties"] == {
        "notification_endpoint": "https://cp.example.com/internal/data/v1/notify",
        "username": "${admin.username}",
        "password": "${admin.password}",
        "header.X-WSO2-KEY-MANAGER": "default",
    }


def test_token_revocation_can_be_turned_off_and_cache_invalidation_on():
    raw = preset_raw("ha")
    raw["features"] = {"token_revocation": False, "cache_invalidation": True}
    configs = node_configs(build_raw(raw))
    assert "event_listener" not in configs["cp-1"]
    assert configs["cp-1"]["apim"]["cache_invalidation"] == {"enabled": True, "domain": "control-plane-domain"}
    assert "cache_invalidation" not in configs["gw-1"]["apim"]


def test_devportal_url_override_and_analytics():
    raw = preset_raw("ha")
    raw["features"] = {"devportal_url": "https://developer.example.com/devportal"}
    raw["analytics"] = {"enabled": True, "auth_token": "on-prem-key-123"}
    configs = node_configs(build_raw(raw))
    assert configs["cp-1"]["apim"]["devportal"]["url"] == "https://developer.example.com/devportal"
    assert configs["gw-1"]["apim"]["analytics"] == {
        "enable": True, "config_endpoint": "https://analytics-event-auth.choreo.dev/auth/v1", "auth_token": "on-prem-key-123"}
    assert "analytics" not in configs["cp-1"]["apim"]


def test_keystore_blocks_match_the_answers(ha):
    for config in ha.values():
        keystore = config["keystore"]
        assert keystore["primary"]["file_name"] == "primary.p12" and keystore["tls"]["file_name"] == "tls.p12"
        assert keystore["internal"] == keystore["primary"]
        for block in keystore.values():
            assert block["password"] == block["key_password"] and block["type"] == "PKCS12"
        assert config["truststore"]["file_name"] == "client-truststore.p12"
    assert len({str(c["keystore"]["primary"]) for c in ha.values()}) == 1


DB_CASES = [
    ("mysql", {"useSSL": True, "serverTimezone": "UTC"}, "jdbc:mysql://db.example.com:3306/apim_db?useSSL=true&amp;serverTimezone=UTC", "com.mysql.cj.jdbc.Driver", "SELECT 1"),
    ("mariadb", {"useSsl": True, "trustServerCertificate": False}, "jdbc:mariadb://db.example.com:3306/apim_db?useSsl=true&amp;trustServerCertificate=false", "org.mariadb.jdbc.Driver", "SELECT 1"),
    ("postgre", {"ssl": True, "sslmode": "verify-full"}, "jdbc:postgresql://db.example.com:5432/apim_db?ssl=true&amp;sslmode=verify-full", "org.postgresql.Driver", "SELECT 1; COMMIT"),
    ("mssql", {"encrypt": True}, "jdbc:sqlserver://db.example.com:1433;databaseName=apim_db;SendStringParametersAsUnicode=false;encrypt=true", "com.microsoft.sqlserver.jdbc.SQLServerDriver", "SELECT 1"),
    ("oracle", {"oracle.net.ssl_server_dn_match": True, "x": 1}, "jdbc:oracle:thin:@db.example.com:1521/apim_db?oracle.net.ssl_server_dn_match=true&amp;x=1", "oracle.jdbc.OracleDriver", "SELECT 1 FROM DUAL"),
    ("db2", {"sslConnection": True}, "jdbc:db2://db.example.com:50000/APIMDB:progressiveStreaming=2;sslConnection=true;", "com.ibm.db2.jcc.DB2Driver", "SELECT 1 FROM sysibm.sysdummy1"),
]


@pytest.mark.parametrize("db_type, params, url, driver, query", DB_CASES)
def test_database_url_per_type(db_type, params, url, driver, query):
    raw = preset_raw("ha")
    raw["databases"]["apim_db"].update(type=db_type, params=params)
    if db_type == "db2":
        raw["databases"]["apim_db"]["name"] = "APIMDB"  # Db2 names: at most 8 of letters, digits and @ # $
    block = node_configs(build_raw(raw))["cp-1"]["database"]["apim_db"]
    assert block["url"] == url
    assert "&" not in url.replace("&amp;", "")  # every & is escaped for the XML it lands in
    assert block["driver"] == driver and block["pool_options"] == {"validationQuery": query}
    assert block["type"] == db_type


def test_oracle_sid_and_overrides():
    raw = preset_raw("ha")
    raw["databases"]["apim_db"].update(type="oracle", name="ORCL", oracle_sid=True, port=1522,
                                       driver="oracle.jdbc.driver.OracleDriver", validation_query="SELECT 2 FROM DUAL")
    block = node_configs(build_raw(raw))["cp-1"]["database"]["apim_db"]
    assert block["url"] == "jdbc:oracle:thin:@db.example.com:1522:ORCL"
    assert block["port"] == "1522" and block["driver"] == "oracle.jdbc.driver.OracleDriver"
    assert block["pool_options"]["validationQuery"] == "SELECT 2 FROM DUAL"


def test_credentials_with_xml_characters_are_wrapped_in_cdata():
    raw = preset_raw("ha")
    raw["super_admin"]["password"] = "Tom&Jerry(3)"
    raw["databases"]["shared_db"]["password"] = "a&b<c"
    config = node_configs(build_raw(raw))["gw-1"]
    assert config["super_admin"]["password"] == "<![CDATA[Tom&Jerry(3)]]>"
    assert config["database"]["shared_db"]["password"] == "<![CDATA[a&b<c]]>"


def test_existing_control_plane_writes_only_gateways():
    raw = preset_raw("ha")
    raw["control_plane"]["existing"] = True
    del raw["databases"]["apim_db"]
    configs = node_configs(build_raw(raw))
    assert sorted(configs) == ["gw-1", "gw-2"]
    assert configs["gw-1"]["apim"]["throttling"]["throttle_decision_endpoints"] == [
        "tcp://cp1.example.com:5672", "tcp://cp2.example.com:5672"]


def test_output_is_deterministic():
    first = build_raw(preset_raw("ha"))
    second = build_raw(preset_raw("ha"))
    assert [(f.path, f.content, f.mode) for f in first.files] == [(f.path, f.content, f.mode) for f in second.files]


def test_server_role_and_start_command_per_version():
    for version in ("4.1", "4.2", "4.3", "4.4"):
        raw = preset_raw("single")
        raw["version"] = version
        build = build_raw(raw)
        text = next(f.content.decode() for f in build.files if f.path.startswith("gw-1/"))
        assert f"WSO2 API Manager {version}" in text
        assert "-Dprofile=gateway-worker --skipConfigOptimization" in text
        assert tomllib.loads(text)["server"]["server_role"] == "gateway-worker"
