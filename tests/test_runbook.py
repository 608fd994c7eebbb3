"""RUNBOOK.md, the hosts file and the systemd units against the deployment they describe."""

from __future__ import annotations

import ipaddress
import os
import re
from pathlib import Path

import pytest

from conftest import build_raw, preset_raw
from fake_apim import make_distribution_zip
from tools import IN_CI, require, run
from wizard import installation as inst
from wizard.artefacts import HOSTS_FILE, RUNBOOK_FILE
from wizard.pki import CA_CERT, lb_cert_path, lb_key_path
from wizard.plan import apply_plan, make_plan
from wizard.presets import list_presets

PRESETS = [p.name for p in list_presets()]


def files_of(raw: dict, pki: bool = False) -> tuple[dict[str, str], object]:
    build = build_raw(raw, pki=pki)
    return {f.path: f.content.decode("utf-8", "replace") for f in build.files}, build.topology


@pytest.mark.parametrize("preset", PRESETS)
def test_runbook_names_every_node_with_its_start_command_in_start_order(preset):
    files, topology = files_of(preset_raw(preset))
    runbook = files[RUNBOOK_FILE]
    expected = [n for n in topology.control_planes if n.generated] + [n for n in topology.gateways if n.generated]
    starts = []
    for node in expected:
        manual = inst.start_command(topology.answers, node)
        service = f"sudo systemctl enable --now {inst.service_name(node)}"
        assert manual in runbook and service in runbook, node.name
        starts.append((runbook.index(service), node.name))
        assert f"**{node.name}** on {node.hostname}" in runbook
    assert [name for _, name in sorted(starts)] == [n.name for n in expected]
    # Databases, then installs, then control planes, their LB, gateways, smoke checks.
    sections = [line for line in runbook.splitlines() if line.startswith("## ")]
    order = ["Prepare", "Databases", "JDBC drivers", "Install", "Start the control planes", "Load balancers",
             "Start the gateways", "Smoke checks"]
    assert [next(i for i, s in enumerate(sections) if word in s) for word in order] == sorted(
        next(i for i, s in enumerate(sections) if word in s) for word in order)


@pytest.mark.parametrize("preset", PRESETS)
def test_runbook_commands_name_files_that_exist(preset):
    files, topology = files_of(preset_raw(preset), pki=True)
    runbook = files[RUNBOOK_FILE]
    words = {w.removeprefix("./") for w in re.split(r"[\s`]+", runbook)}
    named = {w for w in words if re.fullmatch(r"[a-z0-9-]+/[\w./-]+\.(sql|sh|conf|service|crt|key)", w)}
    assert named, "the runbook names no generated file"
    assert named <= set(files), sorted(named - set(files))
    for node in topology.generated_nodes:
        assert f"./{node.name}/install.sh" in runbook


def test_runbook_of_the_ha_preset_has_the_deployments_values():
    files, topology = files_of(preset_raw("ha"))
    runbook = files[RUNBOOK_FILE]
    for text in ("cp1.example.com", "10.0.0.21", "https://cp1.example.com:9443/publisher/",
                 "https://gw1.example.com:8243/", "mysql --protocol=TCP -h 'db.example.com' -P 3306 -u 'root' -p",
                 "bash db/load-schemas.sh wso2am-4.4.0.zip", "com.mysql.cj.jdbc.Driver",
                 "sudo install -m 0600 lb/gw.example.com.key /etc/nginx/ssl/gw.example.com.key",
                 "https://cp.example.com/devportal/", "https://gw.example.com/"):
        assert text in runbook, text


def test_runbook_handles_existing_control_planes():
    raw = preset_raw("ha")
    raw["control_plane"]["existing"] = True
    runbook = files_of(raw)[0][RUNBOOK_FILE]
    assert "The databases exist already" in runbook
    assert "They exist already (cp-1, cp-2): make sure they run." in runbook
    assert "wso2am-cp-1" not in runbook and "sudo systemctl enable --now wso2am-gw-1" in runbook


# --------------------------------------------------------------------------- hosts


def _hosts_entries(text: str) -> tuple[dict[str, str], set[str]]:
    active, commented = {}, set()
    for line in text.splitlines():
        body = line.split("#", 2)
        if not line.startswith("#"):
            address, *names = body[0].split()
            ipaddress.ip_address(address)
            active.update({name: address for name in names})
        elif line.startswith("# <address>"):
            commented.add(line.split()[2])
    return active, commented


@pytest.mark.parametrize("preset", PRESETS)
def test_hosts_file_covers_every_name_the_output_uses(preset):
    files, topology = files_of(preset_raw(preset))
    active, commented = _hosts_entries(files[HOSTS_FILE])
    used = {e.host for node in topology.nodes for e in topology.calls(node)}
    used |= {n.hostname for n in topology.nodes}
    used |= {db.host for db in (topology.answers.databases.apim_db, topology.answers.databases.shared_db) if db}
    for name in used - {"localhost"}:
        try:
            ipaddress.ip_address(name)
            continue
        except ValueError:
            pass
        assert name in active or name in commented, name
    for node in topology.nodes:
        if node.ip and node.hostname != "localhost":
            assert active[node.hostname] == node.ip


def test_hosts_file_addresses_local_names_and_load_balancer_ips():
    raw = preset_raw("local")
    files, _ = files_of(raw)
    active, _ = _hosts_entries(files[HOSTS_FILE])
    assert active == {"cp.apim.localhost": "127.0.0.1", "gw.apim.localhost": "127.0.0.1"}
    raw = preset_raw("ha")
    raw["gateway"]["lb_ip"] = "10.0.0.100"
    active, commented = _hosts_entries(files_of(raw)[0][HOSTS_FILE])
    assert active["gw.example.com"] == "10.0.0.100" and "cp.example.com" in commented


def test_hosts_block_replaces_itself_in_etc_hosts(tmp_path):
    """The runbook's two commands, run twice on a copy of /etc/hosts, leave one block."""
    files, _ = files_of(preset_raw("ha"))
    (tmp_path / "hosts").write_text(files[HOSTS_FILE])
    etc_hosts = tmp_path / "etc-hosts"
    etc_hosts.write_text("127.0.0.1 localhost\n")
    runbook = files[RUNBOOK_FILE]
    commands = [line for line in runbook.splitlines() if "/etc/hosts" in line and line.startswith("sudo ")]
    assert len(commands) == 2
    for _ in range(2):
        for command in commands:
            command = command.removeprefix("sudo ").replace("/etc/hosts", str(etc_hosts))
            assert run(["bash", "-c", command], cwd=tmp_path).returncode == 0
    assert etc_hosts.read_text() == "127.0.0.1 localhost\n" + files[HOSTS_FILE]


# ------------------------------------------------------------------------- systemd


@pytest.mark.skipif(os.geteuid() != 0, reason="install.sh sets owners as root")
def test_systemd_accepts_the_units_of_an_installed_node(tmp_path):
    analyze = require("systemd-analyze")
    raw = preset_raw("single")
    raw["install"] = {"base_dir": str(tmp_path / "opt"), "user": "root", "group": "root"}
    out = tmp_path / "out"
    build = build_raw(raw)
    apply_plan(make_plan(out, build.files))
    make_distribution_zip(out)
    for node in build.topology.generated_nodes:
        installed = run(["bash", str(out / node.name / "install.sh")])  # default target: base_dir/<node>
        assert installed.returncode == 0, installed.stderr
        unit = out / node.name / inst.unit_file(node)
        result = run([analyze, "verify", str(unit)])
        if result.returncode != 0 and "Failed to" in result.stderr and "bus" in result.stderr.lower() and not IN_CI:
            pytest.skip(f"systemd-analyze cannot run here: {result.stderr.strip()}")
        assert result.returncode == 0, result.stderr
        text = unit.read_text()
        home = Path(raw["install"]["base_dir"]) / node.name
        assert f"ExecStart={home}/bin/start.sh start" in text and "Type=forking" in text
        assert f"PIDFile={home}/wso2carbon.pid" in text and "User=root" in text


def test_installation_paths_are_the_pkis():
    """installation.py names the PKI's files without importing it (and cryptography)."""
    assert inst.CA_CERT == CA_CERT
    assert (inst.lb_cert("gw.example.com"), inst.lb_key("gw.example.com")) == (
        lb_cert_path("gw.example.com"), lb_key_path("gw.example.com"))


def test_runbook_asks_for_load_balancer_certificates_with_an_external_ca():
    raw = preset_raw("ha")
    raw["pki"] = {"ca": "external", "ca_cert": "corp-ca.pem"}
    for cluster in ("control_plane", "gateway"):
        for node in raw[cluster]["nodes"]:
            node.update(tls_cert=f"{node['name']}.pem", tls_key=f"{node['name']}.key")
    runbook = files_of(raw)[0][RUNBOOK_FILE]
    assert "the wizard makes no load balancer certificates: put yours for\ncp.example.com, gw.example.com" in runbook


@pytest.mark.parametrize("preset", PRESETS)
def test_the_firewall_list_opens_every_port_another_node_calls(preset):
    """Each port a node's deployment.toml names on another node is in that node's list of
    ports to open, JMS over TLS included; 'load balancer' only where there is one."""
    raw = preset_raw(preset)
    for jms_tls in (False, True):
        raw.setdefault("jms_tls", {})["enabled"] = jms_tls
        files, topology = files_of(raw)
        section = files[RUNBOOK_FILE].split("Open these ports to each node", 1)[1].split("\n\n", 2)[1]
        opened = {line.split(" ", 2)[1]: {int(p) for p in re.findall(r"(\d+) from", line)}
                  for line in section.splitlines() if line.startswith("- ")}
        called = 0
        for caller in topology.generated_nodes:
            for endpoint in topology.calls(caller):
                if endpoint.target in opened and endpoint.target != caller.name:
                    assert endpoint.effective_port in opened[endpoint.target], (jms_tls, caller.name, endpoint.url)
                    called += 1
        assert called > 0
        for node in topology.generated_nodes:
            line = next(l for l in section.splitlines() if l.startswith(f"- {node.name} "))
            assert ("load balancer" in line) == bool(topology.lb_host(node)), line
