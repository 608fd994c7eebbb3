"""bin/start.sh and bin/start.bat of a node: start API-M with the node's profile.

Both pass ``--skipConfigOptimization``: without it, starting with ``-Dprofile`` runs WSO2's
profile optimiser, which swaps the generated deployment.toml for its template (facts §1).
Both refuse to start a home whose deployment.toml is not the one generated for this node,
the state that optimiser (or a missed install) leaves behind.
"""

from __future__ import annotations

from .. import installation as inst
from ..topology import NodePlan, Topology
from .text import GENERATED, comment_block, node_title, sh


def _java_home_lines(topology: Topology) -> str:
    java_home = topology.answers.install.java_home
    if java_home:
        return (
            "# JAVA_HOME from the answers (install.java_home) unless the environment sets one.\n"
            f": \"${{JAVA_HOME:={java_home}}}\"\n"
            "export JAVA_HOME\n"
        )
    return (
        "# api-manager.sh needs JAVA_HOME; derive it from the java on PATH when unset\n"
        "# (systemd starts services with an almost empty environment).\n"
        "if [ -z \"${JAVA_HOME:-}\" ] && java_bin=$(command -v java); then\n"
        "    JAVA_HOME=$(dirname -- \"$(dirname -- \"$(readlink -f -- \"$java_bin\")\")\")\n"
        "    export JAVA_HOME\n"
        "fi\n"
    )


def hostname_verification_args(topology: Topology) -> str:
    """Override api-manager.sh's -Dhttpclient.hostnameVerifier=AllowAll: Carbon sets -D
    arguments given after its main class as system properties, after the JVM's own."""
    verifier = topology.answers.install.hostname_verifier
    if verifier == "AllowAll":
        return ""
    return (f" -Dhttpclient.hostnameVerifier={verifier}"
            " -Dorg.opensaml.httpclient.https.disableHostnameVerification=false")


def render_start_sh(topology: Topology, node: NodePlan) -> str:
    name, profile = node.name, node.server_role
    home_hint = inst.apim_home(topology.answers, node)
    header = comment_block([
        f"Starts {node_title(topology, node)}.",
        f"Installed by install.sh as <API-M home>/{inst.START_SCRIPT} ({home_hint} by default); it runs that",
        f"home's bin/api-manager.sh -Dprofile={profile} --skipConfigOptimization and passes its own",
        "arguments on, e.g.  start.sh start | stop | restart | --debug 5005",
        "Refuses to start when the node's files are not installed in this home.",
        GENERATED,
    ])
    signature = inst.config_signature(node)
    return (
        "#!/bin/sh\n"
        f"{header}"
        "set -eu\n"
        "\n"
        "bin_dir=$(CDPATH='' cd -- \"$(dirname -- \"$0\")\" && pwd)\n"
        "APIM_HOME=$(dirname -- \"$bin_dir\")\n"
        f"node={sh(name)}\n"
        f"marker=\"$APIM_HOME/{inst.NODE_MARKER}\"\n"
        "config=\"$APIM_HOME/repository/conf/deployment.toml\"\n"
        "\n"
        "refuse() {\n"
        "    printf 'start.sh: %s\\n' \"$*\" >&2\n"
        "    exit 1\n"
        "}\n"
        "\n"
        "[ -f \"$APIM_HOME/bin/api-manager.sh\" ] ||\n"
        "    refuse \"$APIM_HOME is not an API-M home (no bin/api-manager.sh): run install.sh from node $node's folder, then this home's bin/start.sh\"\n"
        "[ -f \"$marker\" ] ||\n"
        f"    refuse \"node $node is not installed in $APIM_HOME (no {inst.NODE_MARKER}): run install.sh from the node's folder first\"\n"
        "installed=$(cat -- \"$marker\")\n"
        "[ \"$installed\" = \"$node\" ] ||\n"
        "    refuse \"$APIM_HOME holds node $installed, not $node: start it with its own start.sh\"\n"
        "[ -r \"$config\" ] ||\n"
        f"    refuse \"cannot read $config: run start.sh as the node's user ({topology.answers.install.user}) or root\"\n"
        f"grep -qF -- {sh(signature)} \"$config\" ||\n"
        "    refuse \"$config is not the deployment.toml generated for $node (the profile optimiser replaces it when started without --skipConfigOptimization, keeping the previous one as deployment.toml.backup): run install.sh again\"\n"
        "\n"
        f"{_java_home_lines(topology)}"
        "\n"
        f"exec sh \"$APIM_HOME/bin/api-manager.sh\" -Dprofile={profile} --skipConfigOptimization"
        f"{hostname_verification_args(topology)} \"$@\"\n"
    )


def render_start_bat(topology: Topology, node: NodePlan) -> str:
    """Windows: the same checks with cmd.exe; CRLF line ends, as cmd.exe expects."""
    name, profile = node.name, node.server_role
    signature = inst.config_signature(node)
    header = comment_block([
        f"Starts {node_title(topology, node)}, on Windows.",
        f"Install: run bin\\profileSetup.bat -Dprofile={profile} once in a fresh API-M home, then copy this",
        "node's bin and repository folders over the home (install.sh does this on Linux) and run",
        "bin\\start.bat in the API-M home; it runs api-manager.bat --run with the node's profile and",
        "--skipConfigOptimization and passes its own arguments on.",
        GENERATED,
    ], mark="rem")
    text = (
        "@echo off\n"
        f"{header}"
        "setlocal\n"
        "set \"APIM_HOME=%~dp0..\"\n"
        "set \"CONFIG=%APIM_HOME%\\repository\\conf\\deployment.toml\"\n"
        "if not exist \"%APIM_HOME%\\bin\\api-manager.bat\" goto notHome\n"
        f"findstr /b /l /c:\"{signature}\" \"%CONFIG%\" >nul 2>&1\n"
        "if errorlevel 1 goto notInstalled\n"
        f"if not exist \"%APIM_HOME%\\{inst.NODE_MARKER.replace('/', chr(92))}\" goto start\n"
        f"set /p INSTALLED_NODE=<\"%APIM_HOME%\\{inst.NODE_MARKER.replace('/', chr(92))}\"\n"
        f"if not \"%INSTALLED_NODE%\"==\"{name}\" goto otherNode\n"
        ":start\n"
        f"call \"%APIM_HOME%\\bin\\api-manager.bat\" --run -Dprofile={profile} --skipConfigOptimization"
        f"{hostname_verification_args(topology)} %*\n"
        "exit /b %ERRORLEVEL%\n"
        ":notHome\n"
        "echo start.bat: %APIM_HOME% is not an API-M home: bin\\api-manager.bat is missing 1>&2\n"
        "exit /b 1\n"
        ":notInstalled\n"
        f"echo start.bat: %CONFIG% is not the deployment.toml generated for node {name}: copy the node's files into this home again 1>&2\n"
        "exit /b 1\n"
        ":otherNode\n"
        f"echo start.bat: %APIM_HOME% holds node %INSTALLED_NODE%, not {name} 1>&2\n"
        "exit /b 1\n"
    )
    return text.replace("\n", "\r\n")
