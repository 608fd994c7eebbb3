"""The answers behind the install artefacts: [install], lb_ip, admin_user, and their checks.

Every bad value gets a message naming the field, the value and what is allowed.
"""

from __future__ import annotations

import io

import pytest

from conftest import build_raw, preset_raw, problems_of
from wizard.build import build_deployment
from wizard.cli import main
from wizard.validation import validate_answers


def messages(raw: dict) -> dict[str, str]:
    return {p.field: str(p) for p in problems_of(raw) if p.severity == "error"}


@pytest.mark.parametrize("field,value,expected", [
    ("base_dir", "opt/wso2", 'install.base_dir = "opt/wso2": is not an absolute path'),
    ("base_dir", "/opt/my wso2", "contains characters that need quoting in scripts and configs; use letters"),
    ("nginx_cert_dir", "/etc/nginx/../x", "contains a '..' component"),
    ("user", "Wso2", 'install.user = "Wso2": is not a usable user or group name'),
    ("group", "-g", "is not a usable user or group name"),
    ("distribution", "wso2am-4.4.0.tar.gz", "is not a .zip file; give its path or file name (e.g. wso2am-4.4.0.zip)"),
    ("java_home", "jdk17", "is not an absolute path"),
])
def test_install_fields_name_the_bad_value(field, value, expected):
    raw = preset_raw("ha")
    raw["install"] = {field: value}
    found = messages(raw)
    assert expected in found[f"install.{field}"]


def test_jdbc_driver_entries_are_checked_one_by_one():
    raw = preset_raw("ha")
    raw["install"] = {"jdbc_drivers": ["ok.jar", "driver.zip", "$HOME/x.jar"]}
    found = messages(raw)
    assert "install.jdbc_drivers[0]" not in found
    assert 'install.jdbc_drivers[1] = "driver.zip": is not a .jar file' in found["install.jdbc_drivers[1]"]
    assert "need quoting" in found["install.jdbc_drivers[2]"]


def test_defaults_and_round_trip(tmp_path):
    answers, problems = validate_answers(preset_raw("ha"))
    assert answers is not None and not [p for p in problems if p.severity == "error"]
    assert (answers.install.base_dir, answers.install.user, answers.install.nginx_cert_dir) == (
        "/opt/wso2", "wso2", "/etc/nginx/ssl")
    raw = preset_raw("ha")
    raw["install"] = {"base_dir": "/srv/apim/", "jdbc_drivers": ["/opt/jdbc/mysql.jar"], "java_home": "/opt/jdk"}
    raw["gateway"]["lb_ip"] = "10.0.0.100"
    raw["databases"]["apim_db"]["admin_user"] = "dbadmin"
    out = tmp_path / "out"
    answers_file = tmp_path / "answers.toml"
    import tomlkit

    answers_file.write_text(tomlkit.dumps(raw))
    assert main(["apply", "--answers", str(answers_file), "--out", str(out)], out=io.StringIO()) == 0
    saved = (out / "answers.toml").read_text()
    assert 'base_dir = "/srv/apim"' in saved and 'lb_ip = "10.0.0.100"' in saved and 'admin_user = "dbadmin"' in saved
    second = tmp_path / "second"
    code = main(["apply", "--answers", str(out / "answers.toml"), "--out", str(second),
                 "--secrets", str(out / "secrets.toml")], out=io.StringIO())
    assert code == 0
    for path in ("cp-1/install.sh", "RUNBOOK.md", "hosts", "db/create-apim_db.sql"):
        assert (second / path).read_bytes() == (out / path).read_bytes(), path
    assert "DEFAULT_TARGET='/srv/apim/cp-1'" in (out / "cp-1/install.sh").read_text()
    assert "-U 'dbadmin'" in (out / "RUNBOOK.md").read_text() or "-u 'dbadmin'" in (out / "RUNBOOK.md").read_text()


def test_load_balancer_ports_must_not_collide():
    raw = preset_raw("ha")
    raw["gateway"]["proxy_https_port"] = 8099
    raw["control_plane"]["proxy_http_port"] = 443
    found = messages(raw)
    assert "already listens on for WebSocket APIs (9099 and 8099)" in found["gateway.proxy_https_port"]
    assert "is also proxy_https_port" in found["control_plane.proxy_http_port"]


def test_a_node_may_not_take_its_load_balancers_ports():
    raw = preset_raw("local")  # both load balancers on 127.0.0.1 (*.localhost)
    raw["gateway"]["nodes"][0]["offset"] = 0
    found = messages(raw)
    assert "makes node gw-1 listen on 8099 (secure WebSocket), 9099 (WebSocket)" in found["gateway.nodes[0].offset"]
    assert "gw.apim.localhost on the same address (127.0.0.1)" in found["gateway.nodes[0].offset"]


def test_one_hostname_has_one_address():
    raw = preset_raw("ha")
    raw["gateway"]["nodes"][1]["hostname"] = "gw1.example.com"
    raw["gateway"]["nodes"][1]["offset"] = 10
    found = messages(raw)
    assert "differs from node gw-1's address 10.0.0.21" in found["gateway.nodes[1].ip"]


def test_database_names_the_setup_sql_can_create():
    raw = preset_raw("ha")
    raw["databases"]["apim_db"].update(type="postgre", name="apim-db")
    raw["databases"]["shared_db"]["user"] = "u" * 33
    found = messages(raw)
    assert "is not a usable postgre database name: use 1-63 letters, digits and _" in found["databases.apim_db.name"]
    assert "at most 32 letters" in found["databases.shared_db.user"]
    raw["control_plane"]["existing"] = True  # shared_db exists: its user is not created by the wizard
    raw["gateway"]["existing"] = False
    assert "databases.shared_db.user" not in messages(raw)


def test_one_user_on_one_server_needs_one_password():
    raw = preset_raw("ha")
    raw["databases"]["shared_db"]["user"] = raw["databases"]["apim_db"].get("user", "apimadmin")
    raw["databases"]["apim_db"]["user"] = raw["databases"]["shared_db"]["user"]
    answers, _ = validate_answers(raw)
    build = build_deployment(answers, environ={})
    assert not build.ok and not build.files
    (problem,) = build.problems
    assert problem.field == "databases.shared_db.password"
    assert "both databases use user apimadmin on MySQL db.example.com:3306" in problem.message
    raw["databases"]["apim_db"]["password"] = raw["databases"]["shared_db"]["password"] = {"env": "DB_PW"}
    answers, _ = validate_answers(raw)
    assert build_deployment(answers, environ={"DB_PW": "same-secret"}).ok


def test_load_balancer_configs_follow_the_answers():
    raw = preset_raw("ha")
    raw["install"] = {"nginx_cert_dir": "/etc/ssl/apim"}
    raw["gateway"]["proxy_https_port"] = 8443
    files = {f.path: f.content.decode() for f in build_raw(raw).files}
    gateway = files["nginx/gateway-lb.conf"]
    assert "listen 8443 ssl;" in gateway and "ssl_certificate /etc/ssl/apim/gw.example.com.crt;" in gateway
    assert "server 10.0.0.21:8243;" in gateway and "proxy_ssl_name gw.example.com;" in gateway
    control = files["nginx/control-plane-lb.conf"]
    assert "hash $remote_addr consistent;" in control and "return 301 https://$host$request_uri;" in control
