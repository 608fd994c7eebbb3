"""The one validator: raw answers (a plain dict from any front end) to Answers + problems.

All problems are reported at once.  Pydantic collects every field error; the cross-field
checks then still run for the sections that parsed, and a check is skipped only when a
section it depends on is itself broken (so no problem is reported twice or invented).
"""

from __future__ import annotations

import copy
import difflib
import re
import types
import typing
from collections.abc import Callable, Iterable
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from . import facts
from .model import Answers, Cluster
from .model_paths import unwrap as _unwrap
from .problems import Path, Problem, errors
from .secret_values import policy_of

# ------------------------------------------------------------------ pydantic errors


def _navigate(loc: tuple) -> tuple[Path, Any, type[BaseModel] | None]:
    """Follow a pydantic error location through the model.

    Returns the location without pydantic's union-member tags, the annotation found there
    and the model class that owns the last key (for unknown-key suggestions).
    """
    current: Any = Answers
    clean: list[str | int] = []
    owner: type[BaseModel] | None = None
    for part in loc:
        current = _unwrap(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            owner = current
            clean.append(part)
            field = current.model_fields.get(part) if isinstance(part, str) else None
            current = field.annotation if field is not None else None
            if field is not None and field.metadata:
                current = typing.Annotated[(current, *field.metadata)]
            continue
        origin = typing.get_origin(current)
        if origin is list and isinstance(part, int):
            clean.append(part)
            current = typing.get_args(current)[0]
            owner = None
            continue
        if origin is dict:
            clean.append(part)
            current = typing.get_args(current)[1]
            owner = None
            continue
        if origin in (typing.Union, types.UnionType) or current is None:
            # A union member tag such as 'str' or 'function-after[...]': not a key.
            continue
        clean.append(part)
    return tuple(clean), current, owner


def _literal_choices(annotation: Any) -> tuple | None:
    annotation = _unwrap(annotation)
    if typing.get_origin(annotation) is typing.Literal:
        return typing.get_args(annotation)
    return None


def _suggest(value: Any, choices: Iterable[str], aliases: dict[str, str] | None = None) -> str:
    if isinstance(value, str):
        if aliases and value.lower() in aliases:
            return f' (did you mean "{aliases[value.lower()]}"?)'
        close = difflib.get_close_matches(value, list(choices), n=1, cutoff=0.6)
        if close:
            return f' (did you mean "{close[0]}"?)'
    return ""


def _is_secret(annotation: Any) -> bool:
    """True when a SecretPolicy sits anywhere in the (nested) annotation."""
    if typing.get_origin(annotation) is typing.Annotated:
        args = typing.get_args(annotation)
        return policy_of(list(args[1:])) is not None or _is_secret(args[0])
    return any(_is_secret(arg) for arg in typing.get_args(annotation))


_TYPE_WORDS = {
    "string_type": "expected text (a quoted string)",
    "int_type": "expected a whole number",
    "int_parsing": "expected a whole number",
    "int_from_float": "expected a whole number, not a fraction",
    "bool_type": "expected true or false",
    "bool_parsing": "expected true or false",
    "list_type": "expected a list [ ... ]",
    "dict_type": "expected a table",
    "model_type": "expected a table",
    "model_attributes_type": "expected a table",
}


def _problem_from_error(error: dict) -> Problem:
    loc, annotation, owner = _navigate(tuple(error["loc"]))
    kind = error["type"]
    value = error.get("input")
    ctx = error.get("ctx") or {}
    if kind == "missing":
        return Problem(loc, "is required but missing")
    if kind == "extra_forbidden":
        known = sorted(owner.model_fields) if owner else []
        key = str(loc[-1]) if loc else "?"
        hint = _suggest(key, known)
        where = "; known keys here: " + ", ".join(known) if known else ""
        return Problem(loc, f"unknown key{hint}{where}")
    if kind == "literal_error":
        choices = _literal_choices(annotation) or ()
        aliases = facts.DB_TYPE_ALIASES if loc and loc[-1] == "type" and "databases" in loc else None
        allowed = ", ".join(str(c) for c in choices)
        if loc == ("version",):
            return Problem(loc, "is not a supported API-M version: 4.5 and later ship separate component "
                           "distributions (api-cp.sh, gateway.sh) that this wizard does not configure; "
                           f"allowed: {allowed}", value)
        return Problem(loc, f"is not allowed{_suggest(value, map(str, choices), aliases)}; allowed: {allowed}", value)
    if kind == "value_error":
        message = str(ctx.get("error", error["msg"]))
        if _is_secret(annotation):
            return Problem(loc, message)  # never echo a secret
        return Problem(loc, message, value)
    if kind == "too_short":
        return Problem(loc, f"needs at least {ctx.get('min_length', 1)} item(s)", value)
    if kind == "string_too_short":
        return Problem(loc, "must not be empty", value)
    if kind == "string_pattern_mismatch":
        return Problem(loc, f"does not match the allowed pattern {ctx.get('pattern')}", value)
    if kind in _TYPE_WORDS:
        return Problem(loc, _TYPE_WORDS[kind], value)
    return Problem(loc, error["msg"], value)


def _problems_from_validation_error(exc: ValidationError) -> list[Problem]:
    seen: dict[tuple, Problem] = {}
    for error in exc.errors(include_url=False):
        problem = _problem_from_error(error)
        key = problem.path
        if key in seen:
            # Several members of a union failed for one value: say what any of them takes.
            if seen[key].message != problem.message and "expected" in problem.message:
                seen[key] = Problem(key, "expected text, a whole number or true/false", problem.value)
            continue
        seen[key] = problem
    return list(seen.values())


def _repair_target(loc: Path, kind: str) -> Path:
    """What to drop from the raw answers so that this error goes away.

    An error inside a list element drops the whole element (a node is then either intact
    or absent, which keeps the cross-node checks honest); a missing key drops its owner.
    """
    if kind == "missing":
        loc = loc[:-1]
    for index, part in enumerate(loc):
        if isinstance(part, int):
            return loc[: index + 1]
    return loc


def _drop(data: Any, path: Path) -> None:
    *parents, last = path
    for part in parents:
        data = data[part]
    if isinstance(data, list):
        del data[last]
    else:
        data.pop(last, None)


def _repair(raw: dict) -> tuple[dict, list[Path]]:
    """Drop broken pieces until the answers validate or only whole sections are missing.

    A top-level section is dropped only when the error is about the section itself (an
    unknown top-level key, a section that is not a table); a section that merely lost a
    required part stays, and :func:`_partial_answers` keeps its valid fields.
    """
    data = copy.deepcopy(raw)
    dropped: list[Path] = []
    for _ in range(200):
        try:
            Answers.model_validate(data)
            break
        except ValidationError as exc:
            targets = set()
            for error in exc.errors(include_url=False):
                loc, _, _ = _navigate(tuple(error["loc"]))
                target = _repair_target(loc, error["type"])
                if len(target) > 1 or (len(target) == 1 and loc == target and error["type"] != "missing"):
                    targets.add(target)
            # Drop later list elements first so earlier indices stay valid.
            targets = {t for t in targets if not any(t[: len(o)] == o and t != o for o in targets)}
            present = [t for t in targets if _exists(data, t)]
            if not present:
                break
            for target in sorted(present, key=_sort_key, reverse=True):
                _drop(data, target)
                dropped.append(target)
    return data, dropped


def _exists(data: Any, path: Path) -> bool:
    for part in path:
        if isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data):
            data = data[part]
        elif isinstance(data, dict) and part in data:
            data = data[part]
        else:
            return False
    return True


def _sort_key(path: Path) -> tuple:
    return tuple((0, p) if isinstance(p, int) else (1, str(p)) for p in path)


def _validate_field(field, value: Any) -> Any:
    return TypeAdapter(typing.Annotated[(field.annotation, field)]).validate_python(value)


def _partial_model(cls: type[BaseModel], data: dict) -> BaseModel:
    """``cls`` built from the fields of ``data`` that validate on their own; others unset."""
    values, failed = {}, []
    for name, field in cls.model_fields.items():
        if name in data:
            try:
                values[name] = _validate_field(field, data[name])
            except ValidationError:
                failed.append(name)
        elif not field.is_required():
            values[name] = field.get_default(call_default_factory=True)
    model = cls.model_construct(**values)
    for name in failed:  # model_construct fills defaults; a failed field must stay unset
        model.__dict__.pop(name, None)
    return model


def _partial_answers(data: dict) -> tuple[Answers, set[str]]:
    """An Answers with every section that validates, broken sections rebuilt field by field.

    Returns the answers and the names of the sections that are entirely unusable.  A check
    that reads a field left unset meets an AttributeError and is skipped.
    """
    values = {}
    broken: set[str] = set()
    for name, field in Answers.model_fields.items():
        if name not in data:
            if field.is_required():
                broken.add(name)
            else:
                values[name] = field.get_default(call_default_factory=True)
            continue
        try:
            values[name] = _validate_field(field, data[name])
        except ValidationError:
            section = _unwrap(field.annotation)
            if isinstance(section, type) and issubclass(section, BaseModel) and isinstance(data[name], dict):
                values[name] = _partial_model(section, data[name])
            else:
                broken.add(name)
    return Answers.model_construct(**values), broken


# --------------------------------------------------------------- cross-field checks

Check = Callable[[Answers, dict], Iterable[Problem]]
_CHECKS: list[tuple[frozenset[str], tuple[Path, ...], Check]] = []


def _check(*sections: str, sensitive: tuple[Path, ...] = ()) -> Callable[[Check], Check]:
    """Register a cross-field check.

    ``sections``: top-level sections it reads (skipped when one is unusable).
    ``sensitive``: paths where a value dropped by the repair could make the check report
    something that is not wrong (e.g. a dropped environment makes a label look dangling);
    the check is skipped when anything at or under them was dropped.
    A check receives the (possibly repaired) answers and the answers as written.
    """

    def register(func: Check) -> Check:
        _CHECKS.append((frozenset(sections), sensitive, func))
        return func

    return register


def _overlaps(a: Path, b: Path) -> bool:
    n = min(len(a), len(b))
    return a[:n] == b[:n]


_CLUSTER_KEYS = {facts.CONTROL_PLANE: "control_plane", facts.GATEWAY: "gateway"}
_CLUSTER_WORDS = {facts.CONTROL_PLANE: "control-plane", facts.GATEWAY: "gateway"}


@_check("control_plane", "gateway", sensitive=(("control_plane", "existing"), ("gateway", "existing")))
def _something_to_generate(answers: Answers, written: dict):
    if answers.control_plane.existing and answers.gateway.existing:
        yield Problem(
            ("gateway", "existing"),
            "both the control plane and the gateways are marked existing, so there is nothing to "
            "generate; set existing = false on the profile to write",
            True,
        )


def _cluster_checks(key: str, profile: str):
    @_check(key, sensitive=((key, "lb_host"),))
    def _load_balancer(answers: Answers, written: dict):
        cluster: Cluster = getattr(answers, key)
        word = _CLUSTER_WORDS[profile]
        # Count the nodes as written: a node dropped for another error still makes HA.
        nodes = written.get(key, {}).get("nodes") if isinstance(written.get(key), dict) else None
        count = len(nodes) if isinstance(nodes, list) else len(cluster.nodes)
        if count > 1 and cluster.lb_host is None:
            yield Problem(
                (key, "lb_host"),
                f"is required: {count} {word} nodes form an HA cluster, and other nodes and "
                f"clients reach it through a load balancer hostname (e.g. {'cp' if key == 'control_plane' else 'gw'}.example.com)",
            )
        if cluster.lb_host is not None:
            for index, node in enumerate(cluster.nodes):
                if node.hostname == cluster.lb_host:
                    yield Problem(
                        (key, "lb_host"),
                        f"is also the hostname of node {node.name} ({key}.nodes[{index}]); the load "
                        "balancer needs a name of its own",
                        cluster.lb_host,
                    )

    return _load_balancer


for _profile, _key in _CLUSTER_KEYS.items():
    _cluster_checks(_key, _profile)


def _nodes_of(answers: Answers, available: set[str]):
    for key in ("control_plane", "gateway"):
        if key in available:
            for index, node in enumerate(getattr(answers, key).nodes):
                yield (key, "nodes", index), node


def _unique_node_names(answers: Answers, available: set[str]):
    first: dict[str, Path] = {}
    for path, node in _nodes_of(answers, available):
        if node.name in first:
            from .problems import format_path

            yield Problem(
                (*path, "name"),
                f"is already the name of {format_path(first[node.name])}; node names must be unique "
                "because each names an output folder",
                node.name,
            )
        else:
            first[node.name] = path


def _ports(offset: int) -> dict[int, str]:
    return {base + offset: label for label, base in facts.BASE_PORTS.items()}


def _port_clashes(answers: Answers, available: set[str]):
    placed: list[tuple[Path, Any, set[str]]] = []
    for path, node in _nodes_of(answers, available):
        hosts = {node.hostname} | ({node.ip} if node.ip else set())
        mine = _ports(node.offset)
        for other_path, other, other_hosts in placed:
            shared = hosts & other_hosts
            if not shared:
                continue
            clash = sorted(set(mine) & set(_ports(other.offset)))
            if clash:
                used = [n.offset for p, n, h in placed if h & hosts]
                free = next(o for o in range(facts.MAX_OFFSET + 1) if all(
                    not set(_ports(o)) & set(_ports(u)) for u in used))
                shown = ", ".join(f"{p} ({facts.PORT_LABELS[mine[p]]})" for p in clash[:4])
                more = f" and {len(clash) - 4} more" if len(clash) > 4 else ""
                yield Problem(
                    (*path, "offset"),
                    f"node {node.name} and node {other.name} both run on {sorted(shared)[0]} and would both "
                    f"listen on {shown}{more}; give each node on one host its own offset (offset "
                    f"{free} is free here)",
                    node.offset,
                )
                break
        placed.append((path, node, hosts))


@_check()
def _nodes_across_profiles(answers: Answers, written: dict):
    # Runs with whichever clusters and nodes parsed: a dropped node can hide a clash but
    # never invent one.
    available = {k for k in ("control_plane", "gateway") if k in answers.__dict__}
    yield from _unique_node_names(answers, available)
    yield from _port_clashes(answers, available)


@_check("control_plane", "gateway", sensitive=(("control_plane",), ("gateway", "lb_host"),
          ("gateway", "proxy_http_port"), ("gateway", "proxy_https_port")))
def _load_balancers_apart(answers: Answers, written: dict):
    cp, gw = answers.control_plane, answers.gateway
    if cp.lb_host and cp.lb_host == gw.lb_host:
        shared = {cp.proxy_http_port, cp.proxy_https_port} & {gw.proxy_http_port, gw.proxy_https_port}
        if shared:
            yield Problem(
                ("gateway", "lb_host"),
                f"is also the control-plane load balancer and both would listen on port(s) "
                f"{', '.join(map(str, sorted(shared)))}; give the gateway load balancer its own hostname "
                "or other proxy ports",
                gw.lb_host,
            )


def _lb_ports(answers: Answers, key: str) -> dict[int, str]:
    cluster: Cluster = getattr(answers, key)
    ports = {cluster.proxy_https_port: "proxy_https_port", cluster.proxy_http_port: "proxy_http_port"}
    if key == "gateway":
        # The gateway LB also exposes the WebSocket ports unchanged (facts §3.9).
        ports.update({facts.BASE_PORTS["ws"]: "its WebSocket port", facts.BASE_PORTS["wss"]: "its secure WebSocket port"})
    return ports


def _lb_address(cluster: Cluster) -> str | None:
    if cluster.lb_ip:
        return cluster.lb_ip
    return "127.0.0.1" if cluster.lb_host and cluster.lb_host.endswith(".localhost") else None


@_check("control_plane", "gateway")
def _load_balancer_ports(answers: Answers, written: dict):
    for key in ("control_plane", "gateway"):
        cluster: Cluster = getattr(answers, key)
        if cluster.lb_host is None:
            continue
        word = _CLUSTER_WORDS[facts.CONTROL_PLANE if key == "control_plane" else facts.GATEWAY]
        if cluster.proxy_http_port == cluster.proxy_https_port:
            yield Problem((key, "proxy_http_port"), f"is also proxy_https_port; the {word} load balancer needs "
                          "two ports, one for HTTP and one for HTTPS", cluster.proxy_http_port)
        if key == "gateway":
            for field in ("proxy_http_port", "proxy_https_port"):
                port = getattr(cluster, field)
                if port in (facts.BASE_PORTS["ws"], facts.BASE_PORTS["wss"]):
                    yield Problem((key, field), "is a port the gateway load balancer already listens on for "
                                  "WebSocket APIs (9099 and 8099); choose another", port)
        address = _lb_address(cluster)
        if address is None:
            continue
        lb_ports = _lb_ports(answers, key)
        for path, node in _nodes_of(answers, {"control_plane", "gateway"}):
            on_lb_host = node.ip == address or (address == "127.0.0.1" and node.hostname == "localhost")
            clash = sorted(set(lb_ports) & set(_ports(node.offset))) if on_lb_host else []
            if clash:
                shown = ", ".join(f"{p} ({facts.PORT_LABELS[_ports(node.offset)[p]]})" for p in clash)
                yield Problem(
                    (*path, "offset"),
                    f"makes node {node.name} listen on {shown}, which the {word} load balancer {cluster.lb_host} "
                    f"on the same address ({address}) listens on; give the node another offset",
                    node.offset,
                )


@_check("control_plane", "gateway")
def _one_address_per_hostname(answers: Answers, written: dict):
    seen: dict[str, tuple[str, str]] = {}
    for path, node in _nodes_of(answers, {"control_plane", "gateway"}):
        if node.ip is None:
            continue
        if node.hostname in seen and seen[node.hostname][0] != node.ip:
            other_ip, other_name = seen[node.hostname]
            yield Problem(
                (*path, "ip"),
                f"differs from node {other_name}'s address {other_ip} for the same hostname {node.hostname}; "
                "one name resolves to one address (the hosts file and TLS checks rely on it)",
                node.ip,
            )
        seen.setdefault(node.hostname, (node.ip, node.name))


@_check("environments")
def _unique_environments(answers: Answers, written: dict):
    seen: set[str] = set()
    for index, env in enumerate(answers.environments):
        if env.name in seen:
            yield Problem(
                ("environments", index, "name"),
                "is defined twice; each gateway environment needs a unique name",
                env.name,
            )
        seen.add(env.name)


@_check("gateway", "environments", sensitive=(("environments",), ("gateway", "labels")))
def _labels_name_environments(answers: Answers, written: dict):
    names = [env.name for env in answers.environments]
    for index, label in enumerate(answers.gateway.labels):
        if label not in names:
            yield Problem(
                ("gateway", "labels", index),
                f"names no gateway environment{_suggest(label, names)}; defined environments: "
                f"{', '.join(names)} (a label without an environment makes the control plane answer "
                "'Environment not found for label')",
                label,
            )
    seen: set[str] = set()
    for index, label in enumerate(answers.gateway.labels):
        if label in seen:
            yield Problem(("gateway", "labels", index), "is listed twice", label, "warning")
        seen.add(label)
    for index, env in enumerate(answers.environments):
        if env.name not in answers.gateway.labels:
            yield Problem(
                ("environments", index, "name"),
                "is carried by no gateway label, so APIs deployed to this environment reach no "
                "gateway of this deployment",
                env.name,
                "warning",
            )


@_check("databases", "control_plane", sensitive=(("databases", "apim_db"), ("control_plane", "existing")))
def _databases_needed(answers: Answers, written: dict):
    if not answers.control_plane.existing and answers.databases.apim_db is None:
        yield Problem(
            ("databases", "apim_db"),
            "is required: control-plane nodes keep APIs, applications and subscriptions in apim_db",
        )


@_check("databases")
def _database_details(answers: Answers, written: dict):
    for key in ("apim_db", "shared_db"):
        db = getattr(answers.databases, key)
        if db is None:
            continue
        for name in db.params:
            if not re.fullmatch(r"[A-Za-z0-9_.-]+", name):
                yield Problem(
                    ("databases", key, "params", name),
                    "is not a JDBC parameter name; use letters, digits, '_', '.' and '-'",
                    db.params[name],
                )
        for name, value in db.params.items():
            if isinstance(value, str) and any(c in value for c in "&;?= "):
                yield Problem(
                    ("databases", key, "params", name),
                    "contains one of & ; ? = or a space, which separate JDBC URL parameters; give "
                    "each parameter as its own key",
                    value,
                )
        if db.oracle_sid and db.type != "oracle":
            yield Problem(("databases", key, "oracle_sid"), f"only applies to oracle, not {db.type}", True, "warning")


# The setup SQL in db/ and the JDBC URL carry these names unquoted in places.
_SETUP_DB_NAME = re.compile(r"[A-Za-z0-9_]{1,63}")
_SETUP_DB_USER = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")
_SETUP_USER_MAX = {"postgre": 63, "mysql": 32, "mariadb": 80}
_DB_USED_BY = {"apim_db": ("control_plane",), "shared_db": ("control_plane", "gateway")}


@_check("databases", "control_plane", "gateway", sensitive=(("control_plane", "existing"), ("gateway", "existing")))
def _database_setup_names(answers: Answers, written: dict):
    for key, users in _DB_USED_BY.items():
        db = getattr(answers.databases, key)
        if db is None or db.type not in _SETUP_USER_MAX:
            continue
        if not _SETUP_DB_NAME.fullmatch(db.name):
            yield Problem(("databases", key, "name"), f"is not a usable {db.type} database name: use 1-63 letters, "
                          "digits and _ (e.g. apim_db)", db.name)
        if any(getattr(answers, c).existing for c in users):
            continue  # the database exists; the wizard writes no setup SQL for it
        top = _SETUP_USER_MAX[db.type]
        if not _SETUP_DB_USER.fullmatch(db.user) or len(db.user) > top:
            yield Problem(("databases", key, "user"), f"is not a user name the setup SQL can create on {db.type}: "
                          f"use at most {top} letters, digits and _ . -, starting with a letter, digit or _", db.user)


@_check("user_store", sensitive=(("user_store",),))
def _user_store(answers: Answers, written: dict):
    store = answers.user_store
    if store.type not in ("database", "database_unique_id") and "connection_url" not in store.properties:
        yield Problem(
            ("user_store", "properties"),
            f"needs connection_url (and the other LDAP settings) for a {store.type} user store, e.g. "
            '{ connection_url = "ldaps://ldap.example.com:636", ... }',
            store.properties,
        )


@_check("analytics", sensitive=(("analytics",),))
def _analytics(answers: Answers, written: dict):
    if answers.analytics.enabled and answers.analytics.auth_token is None:
        yield Problem(
            ("analytics", "auth_token"),
            "is required when analytics is enabled: the on-prem key from the Choreo analytics console",
        )


@_check("keystores", sensitive=(("keystores",),))
def _keystore_files(answers: Answers, written: dict):
    stores = answers.keystores
    if stores.tls.file_name == stores.primary.file_name:
        yield Problem(
            ("keystores", "tls", "file_name"),
            "is also the primary keystore's file; the per-node TLS keystore needs its own file",
            stores.tls.file_name,
        )
    if stores.truststore.file_name in (stores.tls.file_name, stores.primary.file_name):
        yield Problem(
            ("keystores", "truststore", "file_name"),
            "is also a keystore's file; the truststore needs its own file",
            stores.truststore.file_name,
        )


@_check("pki", "control_plane", "gateway", sensitive=(("pki",),))
def _pki_sources(answers: Answers, written: dict):
    pki = answers.pki
    needed = {"generate": (), "provided": ("ca_cert", "ca_key"), "external": ("ca_cert",)}[pki.ca]
    for key in needed:
        if getattr(pki, key) is None:
            what = "your CA certificate (PEM)" if key == "ca_cert" else "your CA private key (PEM, unencrypted)"
            yield Problem(("pki", key), f"is required with ca = \"{pki.ca}\": the path of {what}")
    for key in ("ca_cert", "ca_key"):
        if getattr(pki, key) is not None and key not in needed:
            yield Problem(("pki", key), f"is ignored with ca = \"{pki.ca}\"", getattr(pki, key), "warning")
    for cluster_key in ("control_plane", "gateway"):
        cluster = getattr(answers, cluster_key)
        for index, node in enumerate(cluster.nodes):
            for key in ("tls_cert", "tls_key"):
                path = (cluster_key, "nodes", index, key)
                if pki.ca == "external" and not cluster.existing and getattr(node, key) is None:
                    yield Problem(path, f"is required with pki.ca = \"external\": the PEM file of {node.name}'s "
                                        f"{'certificate' if key == 'tls_cert' else 'private key'}")
                elif pki.ca != "external" and getattr(node, key) is not None:
                    yield Problem(path, "is ignored: the wizard issues this node's certificate (pki.ca = "
                                        f"\"{pki.ca}\"); set pki.ca = \"external\" to bring your own",
                                  getattr(node, key), "warning")


@_check("keystores", sensitive=(("keystores",),))
def _keystore_aliases(answers: Answers, written: dict):
    for key in ("primary", "tls"):
        alias = getattr(answers.keystores, key).alias
        if alias in facts.RESERVED_ALIASES or alias.startswith("public-"):
            yield Problem(
                ("keystores", key, "alias"),
                f"is reserved for the truststore ({', '.join(sorted(facts.RESERVED_ALIASES))} and public-*); "
                "choose another alias",
                alias,
            )


_TLS13_SUITES = ("TLS_AES_", "TLS_CHACHA20_")


@_check("jms_tls", "pki", "control_plane", sensitive=(("jms_tls",), ("pki",)))
def _jms_tls(answers: Answers, written: dict):
    jms = answers.jms_tls
    for index, protocol in enumerate(jms.protocols):
        if protocol in ("TLSv1", "TLSv1.1") and not jms.allow_weak_protocols:
            yield Problem(
                ("jms_tls", "protocols", index),
                "is a broken protocol version (the seed's sample enables TLSv1); use TLSv1.2 and TLSv1.3, or set "
                "jms_tls.allow_weak_protocols = true if an old client truly needs it",
                protocol,
            )
    if not jms.enabled:
        return
    # TLSv1.3 suites work with any key; older ones must match the key type of the certificate.
    rsa_key = answers.pki.tls_key.startswith("rsa")
    tls13 = [c for c in jms.ciphers if c.startswith(_TLS13_SUITES)]
    older = [c for c in jms.ciphers if not c.startswith(_TLS13_SUITES) and ("_RSA_" if rsa_key else "_ECDSA_") in c]
    usable = (tls13 if "TLSv1.3" in jms.protocols else []) + (older if set(jms.protocols) - {"TLSv1.3"} else [])
    if not usable:
        yield Problem(
            ("jms_tls", "ciphers"),
            f"offers no suite for the enabled protocols ({', '.join(jms.protocols)}) with "
            f"{answers.pki.tls_key} keys, so no JMS TLS handshake can succeed; add e.g. "
            + ("TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384" if rsa_key else "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384")
            + " or TLS_AES_256_GCM_SHA384",
        )
    if answers.control_plane.ha and not answers.pki.localhost_sans:
        yield Problem(
            ("pki", "localhost_sans"),
            "must stay true with JMS TLS on an HA control plane: each event hub reaches its own broker as "
            "localhost over TLS, so the node certificates must cover localhost",
            False,
        )


# ---------------------------------------------------------------------------- entry


def validate_answers(raw: Any) -> tuple[Answers | None, list[Problem]]:
    """Validate raw answers.  Returns the model (None when any error) and all problems."""
    if not isinstance(raw, dict):
        return None, [Problem((), f"expected a table of answers, got {type(raw).__name__}")]
    try:
        answers = Answers.model_validate(raw)
        problems: list[Problem] = []
        dropped: list[Path] = []
        broken: set[str] = set()
    except ValidationError as exc:
        problems = _problems_from_validation_error(exc)
        if any(not p.path for p in problems):
            return None, problems
        repaired, dropped = _repair(raw)
        answers, broken = _partial_answers(repaired)
    for needs, sensitive, check in _CHECKS:
        if needs & broken or not all(name in answers.__dict__ for name in needs):
            continue
        if any(_overlaps(s, d) for s in sensitive for d in dropped):
            continue
        try:
            for problem in check(answers, raw):
                problems.append(problem)
        except AttributeError:
            pass  # the check reached a field that did not validate; that error is reported
    if errors(problems):
        return None, problems
    return answers, problems
