"""Field types shared by the answer model: hostnames, IPs, node names, ports.

Each check raises ValueError with a message that names the bad value and what is allowed;
the validator prefixes the field path.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated

from pydantic import AfterValidator, Field

from . import facts

_LABEL = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")
_NODE_NAME = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
_ENV_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.-]{0,63}$")


def check_hostname(value: str) -> str:
    """A DNS name or IPv4 literal that Java's URI parser and TLS hostname checks accept."""
    if not value:
        raise ValueError("is empty; give a DNS name such as gw.example.com")
    try:
        ip = ipaddress.ip_address(value.strip("[]"))
    except ValueError:
        ip = None
    if ip is not None:
        if ip.version == 6:
            raise ValueError(
                "is an IPv6 address; give a DNS name here (API-M builds URLs from it) and map the name to the "
                "address in DNS or the hosts file (a node also takes its address in its ip field)"
            )
        return value
    if len(value) > 253:
        raise ValueError(f"is {len(value)} characters long; a hostname has at most 253")
    labels = value.rstrip(".").split(".")
    for label in labels:
        if "_" in label:
            raise ValueError(
                "is not a valid hostname: '_' is not allowed (Java's URI parser drops such "
                "hosts, so TLS and service URLs fail); use letters, digits, '-' and '.'"
            )
        if not _LABEL.match(label):
            raise ValueError(
                "is not a valid hostname: each dot-separated label needs 1-63 letters, "
                "digits or '-', not starting or ending with '-'"
            )
    if labels[-1].isdigit():
        raise ValueError("is neither an IPv4 address nor a hostname (the last label is numeric)")
    return value.rstrip(".")


def check_ip(value: str) -> str:
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        raise ValueError("is not an IPv4 or IPv6 address (e.g. 10.0.0.11)") from None


def check_node_name(value: str) -> str:
    if not _NODE_NAME.match(value):
        raise ValueError(
            "is not a usable node name: it names the node's output folder, so use 1-63 "
            "lower-case letters, digits and '-', not starting or ending with '-' (e.g. cp-1)"
        )
    if value in facts.RESERVED_NODE_NAMES:
        raise ValueError(
            "is reserved for a deployment-wide folder of the output; reserved: "
            + ", ".join(sorted(facts.RESERVED_NODE_NAMES))
        )
    return value


def check_environment_name(value: str) -> str:
    if not _ENV_NAME.match(value):
        raise ValueError(
            "is not a usable gateway environment name: use 1-64 letters, digits, "
            "space, '_', '.' or '-', starting with a letter or digit"
        )
    return value


def check_offset(value: int) -> int:
    if value < 0 or value > facts.MAX_OFFSET:
        top = max(facts.BASE_PORTS, key=facts.BASE_PORTS.get)
        raise ValueError(
            f"is out of range: the {facts.PORT_LABELS[top]} port {facts.BASE_PORTS[top]} "
            f"would become {facts.BASE_PORTS[top] + value}; allowed offsets: 0..{facts.MAX_OFFSET}"
        )
    return value


def check_port(value: int) -> int:
    if value < 1 or value > facts.MAX_PORT:
        raise ValueError(f"is not a TCP port; allowed: 1..{facts.MAX_PORT}")
    return value


def check_https_url(value: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(value)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ValueError("is not an http(s) URL such as https://cp.example.com/devportal")
    check_hostname(parts.hostname)
    return value


Hostname = Annotated[str, AfterValidator(check_hostname)]
IpAddress = Annotated[str, AfterValidator(check_ip)]
NodeName = Annotated[str, AfterValidator(check_node_name)]
EnvironmentName = Annotated[str, AfterValidator(check_environment_name)]
Offset = Annotated[int, AfterValidator(check_offset)]
Port = Annotated[int, AfterValidator(check_port)]
HttpUrl = Annotated[str, AfterValidator(check_https_url)]
NonEmpty = Annotated[str, Field(min_length=1)]


# Paths and names that the wizard writes into shell scripts, systemd units and nginx
# configs.  Quoting could carry more, but a path with spaces or quotes in a unit file or
# an nginx directive is a trap for whoever edits it next; these characters need none.
_PATH_CHARS = re.compile(r"^[A-Za-z0-9/._+@:=,-]+$")
_SYSTEM_NAME = re.compile(r"^[a-z_][a-z0-9_-]{0,31}$")
_PATH_ALLOWED = "letters, digits and / . _ + @ : = , -"


def _check_path_text(value: str) -> str:
    if not value:
        raise ValueError("is empty; give a path")
    if not _PATH_CHARS.match(value):
        raise ValueError(f"contains characters that need quoting in scripts and configs; use {_PATH_ALLOWED}")
    if ".." in value.split("/"):
        raise ValueError("contains a '..' component; give the path without it")
    return value


def check_absolute_path(value: str) -> str:
    _check_path_text(value)
    if not value.startswith("/"):
        raise ValueError("is not an absolute path; give one starting with / (e.g. /opt/wso2)")
    return value.rstrip("/") or "/"


def check_file_path(suffix: str, example: str):
    """A file path (absolute or relative) whose name ends in ``suffix``."""

    def check(value: str) -> str:
        _check_path_text(value)
        if value.endswith("/") or not value.endswith(suffix) or value.rsplit("/", 1)[-1] == suffix:
            raise ValueError(f"is not a {suffix} file; give its path or file name (e.g. {example})")
        return value

    return check


def check_system_name(value: str) -> str:
    if not _SYSTEM_NAME.match(value):
        raise ValueError(
            "is not a usable user or group name: use 1-32 lower-case letters, digits, '_' and '-', "
            "starting with a letter or '_' (e.g. wso2)"
        )
    return value


AbsolutePath = Annotated[str, AfterValidator(check_absolute_path)]
SystemName = Annotated[str, AfterValidator(check_system_name)]
ZipFile = Annotated[str, AfterValidator(check_file_path(".zip", "wso2am-4.4.0.zip"))]
JarFile = Annotated[str, AfterValidator(check_file_path(".jar", "/opt/drivers/mysql-connector-j-8.4.0.jar"))]
