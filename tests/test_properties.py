"""Property-based tests over answer files (hypothesis).

Thousands of generated answer dicts - mutations of the shipped presets and random
structures - must each be either rejected with validation messages (never a traceback)
or rendered to output that parses and keeps the cross-node invariants: labels name
environments, HA peers and gateways reach every control plane on its own ports after
offset, one primary keystore everywhere.

Example counts come from the hypothesis profile: ``ci`` (default) keeps the suite fast;
``HYPOTHESIS_PROFILE=thorough`` runs ten times as many.
"""

from __future__ import annotations

import copy
import os
import re
import tomllib

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from conftest import counter_generator
from wizard import facts
from wizard.build import BuildOptions, build_deployment
from wizard.presets import list_presets
from wizard.problems import Problem
from wizard.validation import validate_answers

settings.register_profile(
    "ci", max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
settings.register_profile(
    "thorough", max_examples=3000, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
SCALE = {"ci": 1, "thorough": 10}.get(os.environ.get("HYPOTHESIS_PROFILE", "ci"), 1)

PRESETS = {p.name: p.raw() for p in list_presets()}
INTERESTING = [
    "", " ", "a", "cp1.example.com", "gw9.example.com", "localhost", "127.0.0.1", "10.0.0.5", "::1",
    "gw_1", "Default", "Prod", "admin", "wso2carbon", "p@ss", "x]]>y", "${x}", "$secret{a}", "TLSv1",
    "TLSv1.3", "mysql", "postgre", "oracle", "mssql", "PKCS12", "JKS", "primary.p12", "a.jks",
    "generate", "encrypt", "plaintext", "é", "a" * 70, "cp-1", "gw-1", "cp-9", "hybrid", "sandbox",
    "rsa-4096", "ec-p256", "api1.xml", "http://x", "https://dev.example.com/devportal",
]
scalars = st.one_of(
    st.booleans(), st.integers(-3, 70000), st.integers(), st.text(max_size=10),
    st.sampled_from(INTERESTING), st.floats(allow_nan=False),
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(INTERESTING) | st.text(max_size=6),
                                                                inner, max_size=3),
    max_leaves=6,
)
# Switches that change what is rendered, with values that are valid for them.
OPTIONS = {
    ("jms_tls", "enabled"): st.booleans(),
    ("jms_tls", "protocols"): st.lists(st.sampled_from(["TLSv1.2", "TLSv1.3", "TLSv1"]), min_size=1, max_size=3),
    ("secure_vault", "enabled"): st.booleans(),
    ("secure_vault", "mode"): st.sampled_from(["plaintext", "encrypt"]),  # encrypt previews without keys
    ("control_plane", "existing"): st.booleans(),
    ("gateway", "existing"): st.booleans(),
    ("backend_jwt", "enabled"): st.booleans(),
    ("features", "token_revocation"): st.booleans(),
    ("features", "cache_invalidation"): st.booleans(),
    ("analytics", "enabled"): st.booleans(),
    ("analytics", "auth_token"): st.sampled_from(["tok-123", {"generate": True}, {"env": "APIM_UNSET_VAR"}]),
    ("gateway", "labels"): st.lists(st.sampled_from(["Default", "Prod", "Sandbox"]), min_size=1, max_size=3),
    ("pki", "localhost_sans"): st.booleans(),
    ("version",): st.sampled_from(list(facts.SUPPORTED_VERSIONS)),
}


def paths_of(data, prefix=()):
    """Every key/index path in a raw answers dict."""
    if isinstance(data, dict):
        for key, value in data.items():
            yield (*prefix, key)
            yield from paths_of(value, (*prefix, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield (*prefix, index)
            yield from paths_of(value, (*prefix, index))


def _parent(data, path):
    for part in path[:-1]:
        data = data[part]
    return data


def _set(data, path, value) -> None:
    node = data
    for part in path[:-1]:
        if isinstance(node, dict):
            node = node.setdefault(part, {})
            if not isinstance(node, dict | list):
                return
        else:
            return
    if isinstance(node, dict):
        node[path[-1]] = value


@st.composite
def mutated_presets(draw):
    raw = copy.deepcopy(PRESETS[draw(st.sampled_from(sorted(PRESETS)))])
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(["set", "delete", "option", "option", "add_node", "drop_node", "offset", "env"]))
        paths = list(paths_of(raw))
        if kind == "set" and paths:
            path = draw(st.sampled_from(paths))
            parent = _parent(raw, path)
            parent[path[-1]] = copy.deepcopy(draw(values))  # (strategies may hand out one shared object)
        elif kind == "delete" and paths:
            path = draw(st.sampled_from(paths))
            parent = _parent(raw, path)
            del parent[path[-1]]
        elif kind == "option":
            path = draw(st.sampled_from(sorted(OPTIONS)))
            # A copy: a later "set" must not edit the strategy's own value (e.g. { env = ... })
            # in place, which makes the next example's data differ (FlakyStrategyDefinition).
            _set(raw, path, copy.deepcopy(draw(OPTIONS[path])))
        elif kind in ("add_node", "drop_node", "offset"):
            cluster = raw.get(draw(st.sampled_from(["control_plane", "gateway"])))
            nodes = cluster.get("nodes") if isinstance(cluster, dict) else None
            if not isinstance(nodes, list) or not nodes or not isinstance(nodes[0], dict):
                continue
            if kind == "add_node":
                node = copy.deepcopy(nodes[0])
                number = draw(st.integers(3, 12))
                node["name"] = f"n-{number}"
                node["hostname"] = draw(st.sampled_from([f"n{number}.example.com", "localhost", nodes[0].get("hostname", "x")]))
                node["offset"] = draw(st.integers(0, 12))
                node.pop("ip", None)
                nodes.append(node)
                if len(nodes) > 1 and "lb_host" not in cluster:
                    cluster["lb_host"] = draw(st.sampled_from(["lb.example.com", "lb2.example.com"]))
            elif kind == "drop_node":
                nodes.pop(draw(st.integers(0, len(nodes) - 1)))
            else:
                index = draw(st.integers(0, len(nodes) - 1))
                if isinstance(nodes[index], dict):
                    nodes[index]["offset"] = draw(st.integers(-2, 70000) | st.integers(0, 20))
        elif kind == "env":
            envs = raw.setdefault("environments", [])
            if isinstance(envs, list):
                envs.append({"name": draw(st.sampled_from(["Prod", "Sandbox", "Default", "Edge"])),
                             "type": draw(st.sampled_from(["hybrid", "production", "sandbox"]))})
    return raw


random_structures = st.dictionaries(
    st.sampled_from(sorted({k for raw in PRESETS.values() for k in raw} | {"pki", "jms_tls", "secure_vault",
                                                                            "hardening", "bogus"})),
    values, max_size=8,
)


# -------------------------------------------------------------------- properties


def check_rejection(problems: list[Problem]) -> None:
    assert problems, "invalid answers without a message"
    assert any(p.severity == "error" for p in problems)
    for problem in problems:
        assert isinstance(problem, Problem) and isinstance(problem.message, str) and problem.message
        text = str(problem)
        assert "Traceback" not in text and "pydantic" not in text.lower()


def build_of(answers):
    options = BuildOptions(with_pki=False)  # keys are tested elsewhere; here: every cross-node value
    return build_deployment(answers, None, environ={}, generate=counter_generator(), options=options)


_URL = re.compile(r"\b(tcp|ssl|https?|wss?)://([A-Za-z0-9.\-]+):(\d+)")


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def check_output(build) -> None:
    answers = build.topology.answers
    topology = build.topology
    paths = [f.path for f in build.files]
    assert len(paths) == len(set(paths))
    configs = {
        f.path.split("/")[0]: tomllib.loads(f.content.decode())
        for f in build.files if f.path.endswith("/repository/conf/deployment.toml")
    }
    for f in build.files:
        if f.path.endswith(".toml"):
            tomllib.loads(f.content.decode())
    generated = {n.name: n for n in topology.generated_nodes}
    assert set(configs) == set(generated)
    cps = topology.control_planes
    amqp = "amqp_tls" if answers.jms_tls.enabled else "amqp"
    env_names = [e.name for e in answers.environments]
    lb_hosts = {answers.control_plane.lb_host, answers.gateway.lb_host} - {None}

    stores = {name: (c["keystore"]["primary"], c["keystore"]["internal"], c["truststore"]) for name, c in configs.items()}
    # One primary keystore: the same file, alias and password everywhere, also as the internal keystore.
    assert len({repr(s[0]) for s in stores.values()}) <= 1
    assert len({repr(s[2]) for s in stores.values()}) <= 1
    for primary, internal, _ in stores.values():
        assert {k: primary[k] for k in ("file_name", "type", "alias")} == \
            {k: internal[k] for k in ("file_name", "type", "alias")}

    offsets_on: dict[str, set[int]] = {}
    for node in topology.nodes:
        offsets_on.setdefault(node.hostname, set()).add(node.offset)

    for name, config in configs.items():
        node = generated[name]
        assert config["server"]["offset"] == node.offset
        assert config["server"]["server_role"] == node.server_role
        apim = config["apim"]
        if node.profile == facts.CONTROL_PLANE:
            assert [e["name"] for e in apim["gateway"]["environment"]] == env_names
            if answers.control_plane.ha:
                hub = apim["event_hub"]
                assert hub["event_duplicate_url"] == [
                    f"tcp://{p.hostname}:{p.port(amqp)}" for p in cps if p.name != node.name]
                assert len(hub["publish"]["url_group"]) == len(cps)
            else:
                assert "event_hub" not in apim
        else:
            labels = apim["sync_runtime_artifacts"]["gateway"]["gateway_labels"]
            assert labels == list(answers.gateway.labels) and set(labels) <= set(env_names)
            throttling = apim["throttling"]
            assert throttling["throttle_decision_endpoints"] == [f"tcp://{cp.hostname}:{cp.port(amqp)}" for cp in cps]
            assert throttling["url_group"] == [
                {"traffic_manager_urls": [f"tcp://{cp.hostname}:{cp.port('binary')}"],
                 "traffic_manager_auth_urls": [f"ssl://{cp.hostname}:{cp.port('binary_ssl')}"]} for cp in cps]
        # Offsets: a URL that names a node uses that node's ports after its offset.
        allowed = {host: {b + o for b in facts.BASE_PORTS.values() for o in offs} for host, offs in offsets_on.items()}
        allowed.setdefault("localhost", set()).update(b + node.offset for b in facts.BASE_PORTS.values())
        for text in _strings(config):
            for _, host, port in _URL.findall(text):
                if host in allowed and host not in lb_hosts:
                    assert int(port) in allowed[host], f"{name}: {text} does not use a port of {host}"
        if answers.secure_vault.enabled:
            assert list(config)[-1] == "secrets"
            assert config["super_admin"]["password"] == "$secret{admin_password}"


def check(raw) -> str:
    answers, problems = validate_answers(raw)
    if answers is None:
        check_rejection(problems)
        return "rejected"
    build = build_of(answers)
    if not build.ok:
        check_rejection(build.problems)
        return "rejected at build"
    check_output(build)
    return "rendered"


# ------------------------------------------------------------------------- tests


@settings(max_examples=1200 * SCALE)
@given(raw=mutated_presets())
def test_mutated_presets_are_rejected_or_rendered_consistently(raw):
    event(check(raw))


@settings(max_examples=1500 * SCALE)
@given(raw=random_structures)
def test_random_structures_never_crash_the_validator(raw):
    event(check(raw))


@given(raw=st.one_of(st.none(), st.integers(), st.text(), st.lists(values), values))
def test_anything_that_is_not_a_table(raw):
    answers, problems = validate_answers(raw)
    if answers is None:
        check_rejection(problems)


def test_the_mutations_reach_both_outcomes():
    """The generators are not degenerate: both rendered and rejected answers occur."""
    from hypothesis import find

    find(mutated_presets(), lambda raw: check(raw) == "rendered", settings=settings(max_examples=200))
    find(mutated_presets(), lambda raw: check(raw) == "rejected", settings=settings(max_examples=200))
