"""deployment.toml of a gateway worker node (seed: "Configure the Gateway Nodes")."""

from __future__ import annotations

from tomlkit import TOMLDocument

from .. import facts
from ..topology import NodePlan, Topology
from .common import (
    SUPER_ADMIN_PASSWORD_REF,
    SUPER_ADMIN_USERNAME_REF,
    aot,
    backend_jwt_table,
    base_document,
    event_hub_jms_tls,
    plain,
    ssl_options,
    super_table,
    table,
    template_cors,
    urls,
)
from .jms import topic_connection_factory


def render_gateway_toml(topology: Topology, node: NodePlan) -> TOMLDocument:
    answers = topology.answers
    # Gateways do not use apim_db (facts §3.2).
    doc = base_document(topology, node, {"shared_db": answers.databases.shared_db})

    apim = super_table()
    sync = super_table()
    sync_gateway = table(
        "Labels of the gateway environments this gateway serves (names of the control plane's",
        "[[apim.gateway.environment]] entries).",
        gateway_labels=list(answers.gateway.labels),
    )
    skip = answers.gateway.skip_list
    if not skip.is_empty():
        sync_gateway["skip_list"] = table(
            "Custom runtime artifacts this gateway keeps when the control plane syncs artifacts.",
            **{key: list(getattr(skip, key)) for key in ("apis", "endpoints", "sequences", "local_entries")
               if getattr(skip, key)},
        )
    sync["gateway"] = sync_gateway
    apim["sync_runtime_artifacts"] = sync

    service_url = topology.cp_service_url.url
    apim["key_manager"] = table(
        "Key manager component of the control plane.",
        service_url=service_url,
        username=SUPER_ADMIN_USERNAME_REF,
        password=SUPER_ADMIN_PASSWORD_REF,
    )

    throttling = table(
        "Traffic manager component of the control plane: throttle decisions arrive over JMS from",
        "every control-plane node; throttle events go out through one url_group per node.",
        service_url=service_url,
        throttle_decision_endpoints=urls(topology.throttle_decision_endpoints()),
    )
    throttling["url_group"] = aot(
        table(traffic_manager_urls=[tcp.url], traffic_manager_auth_urls=[ssl.url])
        for tcp, ssl in (topology.data_bridge(cp, "throttle events") for cp in topology.control_planes)
    )
    if topology.jms_tls:
        admin = answers.super_admin
        brokers = [(e.host, e.port) for e in topology.throttle_decision_endpoints()]
        throttling["jms"] = table(
            "JMS over TLS to the control-plane brokers (built by apim-wizard; do not edit the quoting).",
            topic_connection_factory=topic_connection_factory(
                admin.username, plain(admin.password), brokers, ssl_options(topology)
            ),
        )
    apim["throttling"] = throttling

    event_hub = table(
        "The seed guide (4.1/4.2 era) omits [apim.event_hub] on gateways and relies on the",
        "throttling connection; later WSO2 guides (Traffic Manager separated, 4.5+) add it",
        "(docs-apim#9235), so it is written here: the gateway subscribes to every control plane.",
        enable=True,
        username=SUPER_ADMIN_USERNAME_REF,
        password=SUPER_ADMIN_PASSWORD_REF,
        service_url=service_url,
        event_listening_endpoints=urls(topology.event_listening_endpoints()),
    )
    if topology.jms_tls:
        event_hub_jms_tls(topology, event_hub)
    apim["event_hub"] = event_hub

    jwt = backend_jwt_table(topology, node)
    if jwt is not None:
        apim["jwt"] = jwt

    analytics = answers.analytics
    if analytics.enabled:
        apim["analytics"] = table(
            "Choreo cloud analytics: gateways publish API usage events.",
            enable=True,
            config_endpoint=analytics.config_endpoint,
            auth_token=plain(analytics.auth_token),
        )
    cache = super_table()
    for i, (name, values) in enumerate(facts.TEMPLATE_GATEWAY_CACHE.items()):
        cache[name] = table(*(["From WSO2's gateway-worker template."] if i == 0 else []), **values)
    apim["cache"] = cache
    apim["oauth_config"] = table(**facts.TEMPLATE_OAUTH_CONFIG)
    apim["cors"] = template_cors()
    doc["apim"] = apim
    return doc
