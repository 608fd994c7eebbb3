"""Golden comparison with the WSO2 guide's sample configurations.

For the wso2-docs-ha and wso2-docs-single presets, every key of the guide's samples must be
present in our output with the same value, except the deviations listed below, each with
its reason.  Keys we add beyond the samples are allowed (they are checked elsewhere).
"""

from __future__ import annotations

import tomllib
from typing import Any

import pytest

from conftest import SHARED, build_raw, node_configs, preset_raw
from seed_samples import SEED_TEXT, VENDORED, extract_samples

# The CP HA sample leaves the gateway LB as a placeholder; the preset names it.
PLACEHOLDERS = {"[api-gateway-LB-host]": "gw.wso2.com"}

NODE_IP = "the guide's node_ip = \"127.0.0.1\" is a placeholder: one loopback address cannot name two hosts, " \
          "so the presets give no IP and node_ip is written only for nodes that have one"
SHARED_DB_USER = "the guide's single samples disagree on the shared_db user (root on the control plane, " \
                 "sharedadmin on the gateway); one deployment has one shared_db user: sharedadmin"

# (sample, flattened key) -> reason
DEVIATIONS: dict[tuple[str, str], str] = {
    ("gateway-ha", "server.node_ip"): NODE_IP,
    ("gateway-single", "server.node_ip"): NODE_IP,
    ("control-plane-ha", "server.node_ip"): NODE_IP,
    ("control-plane-single", "server.node_ip"): NODE_IP,
    ("control-plane-single", "database.shared_db.username"): SHARED_DB_USER,
    ("control-plane-single", "database.shared_db.password"): SHARED_DB_USER,
}

# sample -> (preset, node whose file is compared)
SAMPLES = {
    "gateway-ha": ("wso2-docs-ha", "apim-gw-1"),
    "control-plane-ha": ("wso2-docs-ha", "apim-cp-1"),  # event_duplicate_url names apim-cp-2: node 1's file
    "gateway-single": ("wso2-docs-single", "gw"),
    "control-plane-single": ("wso2-docs-single", "cp"),
}


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            out.update(flatten(item, f"{prefix}.{key}" if prefix else key))
        return out
    if isinstance(value, list) and value and isinstance(value[0], dict):
        out = {}
        for index, item in enumerate(value):
            out.update(flatten(item, f"{prefix}[{index}]"))
        return out
    return {prefix: value}


def substitute(value: Any) -> Any:
    if isinstance(value, str):
        for placeholder, real in PLACEHOLDERS.items():
            value = value.replace(placeholder, real)
    return value


@pytest.mark.parametrize("sample", sorted(SAMPLES))
def test_output_has_every_key_of_the_seed_sample(sample):
    preset, node = SAMPLES[sample]
    expected = {k: substitute(v) for k, v in flatten(tomllib.loads((VENDORED / f"{sample}.toml").read_text())).items()}
    ours = flatten(node_configs(build_raw(preset_raw(preset)))[node])
    mismatches = []
    for key, value in expected.items():
        if (sample, key) in DEVIATIONS:
            continue
        if key not in ours:
            mismatches.append(f"{key}: missing (seed: {value!r})")
        elif ours[key] != value:
            mismatches.append(f"{key}: {ours[key]!r} (seed: {value!r})")
    assert not mismatches, "\n".join(mismatches)


@pytest.mark.parametrize("sample, key", sorted(DEVIATIONS))
def test_each_deviation_is_real(sample, key):
    """A listed deviation must still differ, so the list never hides a silent regression."""
    preset, node = SAMPLES[sample]
    expected = flatten(tomllib.loads((VENDORED / f"{sample}.toml").read_text()))
    ours = flatten(node_configs(build_raw(preset_raw(preset)))[node])
    assert key in expected and ours.get(key) != expected[key]


def test_ha_peer_file_points_back_at_node_one():
    configs = node_configs(build_raw(preset_raw("wso2-docs-ha")))
    assert configs["apim-cp-2"]["apim"]["event_hub"]["event_duplicate_url"] == ["tcp://apim-cp-1:5672"]


@pytest.mark.skipif(not SEED_TEXT.exists(), reason="../shared/seed is not present in this clone")
def test_vendored_samples_match_the_seed_guide():
    for name, text in extract_samples(SEED_TEXT.read_text(encoding="utf-8")).items():
        assert (VENDORED / f"{name}.toml").read_text() == text, name


def test_shared_path_is_where_the_skip_looks():
    assert SEED_TEXT.parent.parent == SHARED


# Entries of WSO2's profile templates the seed's edits keep (facts.TEMPLATE_*): the wizard
# writes the whole file, so they must be in it with the template's values.
KEPT_FROM_TEMPLATE = {
    "control-plane": ["apim.cors", "event_handler", "service_provider", "apim.gateway.environment[0].provider",
                      "apim.gateway.environment[0].gateway_type"],
    "gateway-worker": ["apim.cors", "apim.cache", "apim.oauth_config"],
}
TEMPLATE_VERSIONS = {"4.1": "v4.1.0", "4.2": "v4.2.0", "4.3": "v4.3.0", "4.4": "v4.4.0"}


@pytest.mark.parametrize("version", TEMPLATE_VERSIONS)
@pytest.mark.parametrize("profile", KEPT_FROM_TEMPLATE)
def test_entries_of_wso2s_profile_template_are_kept(version, profile):
    templates = SHARED / "wso2-apim-4x/raw/product-apim" / TEMPLATE_VERSIONS[version] / "deployment-templates"
    if not templates.is_dir():
        pytest.skip("WSO2's profile templates are in ../shared (absent here)")
    template = flatten(tomllib.loads((templates / f"{profile}.toml").read_text()))
    raw = preset_raw("ha")
    raw["version"] = version
    node = "cp-1" if profile == "control-plane" else "gw-1"
    ours = flatten(node_configs(build_raw(raw))[node])
    compared = 0
    for prefix in KEPT_FROM_TEMPLATE[profile]:
        wanted = {k: v for k, v in template.items() if k == prefix or k.startswith(prefix + ".")
                  or k.startswith(prefix + "[")}
        if not wanted:
            # gateway_type arrived with 4.3: not in older templates, so not in our file either.
            assert not any(k.startswith(prefix) for k in ours), (version, prefix)
            continue
        for key, value in wanted.items():
            assert ours.get(key) == value, (version, profile, key)
            compared += 1
    assert compared >= 5
