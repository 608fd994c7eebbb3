"""deployment.toml of a control-plane node (seed: "Configure the Control Plane Nodes")."""

from __future__ import annotations

from tomlkit import TOMLDocument
from tomlkit.items import Table

from .. import facts

from ..topology import NodePlan, Topology
from .common import (
    ADMIN_PASSWORD_PLACEHOLDER,
    ADMIN_USERNAME_PLACEHOLDER,
    SUPER_ADMIN_PASSWORD_REF,
    SUPER_ADMIN_USERNAME_REF,
    aot,
    backend_jwt_table,
    base_document,
    event_hub_jms_tls,
    literal_key,
    ssl_options,
    super_table,
    table,
    template_cors,
    urls,
)

TOKEN_REVOCATION_LISTENER = {
    "id": "token_revocation",
    "type": "org.wso2.carbon.identity.core.handler.AbstractIdentityHandler",
    "name": "org.wso2.is.notification.ApimOauthEventInterceptor",
    "order": 1,
}


def broker_tables(topology: Topology) -> Table:
    """[broker.transport.amqp.ssl_connection]: the broker's TLS listener (8672 + offset)."""
    jms = topology.answers.jms_tls
    if not jms.enabled:
        ssl = table(
            "WSO2's default opens the broker's TLS listener with TLSv1 only; no node of this deployment",
            "uses it (JMS TLS is off), so it is closed.",
            enabled=False,
        )
    else:
        stores = ssl_options(topology)
        ssl = table(
            "JMS over TLS: gateways and peer event hubs reach this broker on this port (+ offset).",
            enabled=True,
            port=facts.BASE_PORTS["amqp_tls"],
            ssl_enabled_protocols=",".join(jms.protocols),
            ciphers=",".join(jms.ciphers),
        )
        # Plain passwords on purpose: the broker's SSL context fails with $secret{} (api-manager#3055).
        ssl["keystore"] = table(location=stores.key_store, password=stores.key_store_password, cert_type="SunX509")
        ssl["truststore"] = table(location=stores.trust_store, password=stores.trust_store_password, cert_type="SunX509")
    broker, transport, amqp = super_table(), super_table(), super_table()
    amqp["ssl_connection"] = ssl
    transport["amqp"] = amqp
    broker["transport"] = transport
    return broker


def render_control_plane_toml(topology: Topology, node: NodePlan) -> TOMLDocument:
    answers = topology.answers
    databases = {"apim_db": answers.databases.apim_db, "shared_db": answers.databases.shared_db}
    doc = base_document(
        topology, node, databases, base_path="${carbon.protocol}://${carbon.host}:${carbon.management.port}"
    )

    apim = super_table()
    gateway = super_table()
    endpoints = topology.gateway_environment()
    environments = []
    for env in answers.environments:
        environments.append(
            table(
                name=env.name,
                type=env.type,
                gateway_type=facts.TEMPLATE_GATEWAY_TYPE
                if facts.version_at_least(answers.version, facts.GATEWAY_TYPE_SINCE) else None,
                provider=facts.TEMPLATE_ENVIRONMENT_PROVIDER,
                display_in_api_console=env.display_in_api_console,
                description=env.description,
                show_as_token_endpoint_url=env.show_as_token_endpoint_url,
                # $ref{} is not resolved inside arrays of tables: run-time placeholders instead.
                username=ADMIN_USERNAME_PLACEHOLDER,
                password=ADMIN_PASSWORD_PLACEHOLDER,
                **{key: endpoint.url for key, endpoint in endpoints.items()},
            )
        )
    gateway["environment"] = aot(environments)
    apim["gateway"] = gateway

    apim["devportal"] = table(url=topology.devportal_url)
    service_url = topology.cp_service_url.url
    apim["key_manager"] = table(service_url=service_url)

    if answers.control_plane.ha:
        event_hub = table(
            "HA control plane: each node listens on its own broker, duplicates revocation events",
            "to its peers and publishes events to every node's event stream.",
            enable=True,
            username=SUPER_ADMIN_USERNAME_REF,
            password=SUPER_ADMIN_PASSWORD_REF,
            service_url=service_url,
            event_listening_endpoints=[topology.own_event_listener(node).url],
            event_duplicate_url=urls(topology.event_duplicate_urls(node)),
        )
        if topology.jms_tls:
            event_hub_jms_tls(topology, event_hub)
        publish = super_table()
        publish["url_group"] = aot(
            table(urls=[tcp.url], auth_urls=[ssl.url])
            for tcp, ssl in (topology.data_bridge(cp, "event hub publishing") for cp in topology.control_planes)
        )
        event_hub["publish"] = publish
        apim["event_hub"] = event_hub

    jwt = backend_jwt_table(topology, node)
    if jwt is not None:
        apim["jwt"] = jwt

    features = answers.features
    if features.cache_invalidation:
        apim["cache_invalidation"] = table(enabled=True, domain=features.cache_invalidation_domain)
    apim["cors"] = template_cors()
    doc["apim"] = apim

    doc["broker"] = broker_tables(topology)

    if features.token_revocation:
        listener = table(
            "Resident key manager: notify the gateways of revoked tokens.",
            **TOKEN_REVOCATION_LISTENER,
        )
        properties = table(
            notification_endpoint=topology.notification_endpoint.url,
            username=ADMIN_USERNAME_PLACEHOLDER,
            password=ADMIN_PASSWORD_PLACEHOLDER,
        )
        literal_key(properties, "header.X-WSO2-KEY-MANAGER", "default")
        listener["properties"] = properties
        doc["event_listener"] = aot([listener])

    doc["event_handler"] = aot(
        table("From WSO2's control-plane template: gives self-signed-up users their role.", **handler)
        if i == 0 else table(**handler) for i, handler in enumerate(facts.TEMPLATE_EVENT_HANDLERS)
    )
    doc["service_provider"] = table(sp_name_regex=facts.TEMPLATE_SP_NAME_REGEX)
    return doc
