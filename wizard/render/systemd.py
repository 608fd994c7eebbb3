"""The systemd unit of a node, in the shape of WSO2's ansible-apim units.

ansible-apim runs ``api-manager.sh -Dprofile=<p> start`` as a forking service with the PID
file Carbon writes.  Here ExecStart goes through the node's start.sh, so a service start
gets the same checks and --skipConfigOptimization as a manual one.
"""

from __future__ import annotations

from .. import installation as inst
from ..topology import NodePlan, Topology
from .text import GENERATED, comment_block, lines, node_title


def render_unit(topology: Topology, node: NodePlan) -> str:
    answers = topology.answers
    home = inst.apim_home(answers, node)
    unit = inst.unit_file(node)
    header = comment_block([
        f"systemd unit of {node_title(topology, node)}.",
        f"Install on {node.hostname} after install.sh has set up {home}:",
        f"  sudo install -m 0644 {unit} /etc/systemd/system/{unit}",
        f"  sudo systemctl daemon-reload && sudo systemctl enable --now {inst.service_name(node)}",
        "The paths are install.sh's default target; edit them if you installed elsewhere.",
        GENERATED,
    ])
    return header + lines(
        "[Unit]",
        f"Description=WSO2 API Manager {answers.version} {node.server_role} node {node.name} ({answers.name})",
        "Documentation=https://apim.docs.wso2.com/",
        "After=network-online.target",
        "Wants=network-online.target",
        "StartLimitIntervalSec=60",
        "StartLimitBurst=3",
        "",
        "[Service]",
        "Type=forking",
        f"User={answers.install.user}",
        f"Group={answers.install.group}",
        f"ExecStart={home}/{inst.START_SCRIPT} start",
        # api-manager.sh may lack its execute bit when the zip was unpacked without unzip.
        f"ExecStop=/bin/sh {home}/bin/api-manager.sh stop",
        f"PIDFile={home}/{inst.CARBON_PID_FILE}",
        "# The JVM exits with 143 on SIGTERM: a normal stop, not a failure.",
        "SuccessExitStatus=143",
        "TimeoutStopSec=120",
        "Restart=on-failure",
        "RestartSec=5",
        "# WSO2's production guidelines raise the open-file limit for the gateway's connections.",
        "LimitNOFILE=65535",
        "",
        "[Install]",
        "WantedBy=multi-user.target",
    )
