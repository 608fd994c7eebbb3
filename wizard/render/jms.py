"""JMS over TLS between gateways and control-plane brokers: the strings API-M needs.

The seed shows two encodings of the same SSL options:

* ``[apim.throttling.jms] topic_connection_factory``: a Qpid AMQP URL whose broker options
  are joined by ``%26`` and single-quoted, credentials wrapped in CDATA, e.g.
  ``amqp://<![CDATA[u]]>:<![CDATA[p]]>@clientid/carbon?brokerlist='tcp://tm:8672?ssl='true'%26ssl_cert_alias='a'...''``
* ``[apim.event_hub] jms.ssl`` / ``ssl``: the text API-M's template puts between
  ``ssl='`` and ``'``, joined by ``&amp;`` (it lands in XML), e.g.
  ``true'&amp;ssl_cert_alias='a'&amp;...&amp;key_store_password='p``

A value that would end its quoting or its section cannot be escaped in either form, so
it is refused with the field it came from.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..problems import Problem
from .common import xml_unsafe

# Option values sit between single quotes, options are separated by %26 / &amp;, brokers by ;
_UNQUOTABLE = "'%&;"


class JmsTlsError(ValueError):
    def __init__(self, problem: Problem):
        super().__init__(str(problem))
        self.problem = problem


@dataclass(frozen=True)
class SslOptions:
    cert_alias: str
    trust_store: str
    trust_store_password: str
    key_store: str
    key_store_password: str
    # answer fields the passwords came from, for messages
    trust_store_field: tuple = ("keystores", "truststore", "password")
    key_store_field: tuple = ("keystores", "tls", "password")

    def _checked(self) -> list[tuple[str, str]]:
        items = [
            ("ssl_cert_alias", self.cert_alias, ()),
            ("trust_store", self.trust_store, ("keystores", "truststore", "file_name")),
            ("trust_store_password", self.trust_store_password, self.trust_store_field),
            ("key_store", self.key_store, ("keystores", "tls", "file_name")),
            ("key_store_password", self.key_store_password, self.key_store_field),
        ]
        out = []
        for option, value, path in items:
            bad = sorted({c for c in value if c in _UNQUOTABLE or ord(c) < 32})
            if bad:
                raise JmsTlsError(Problem(
                    path,
                    f"contains {' '.join(repr(c) for c in bad)}, which cannot be written into the JMS TLS "
                    f"broker URL option {option} (single-quoted, joined by %26/&amp;); choose a value without ' % & ;",
                ))
            out.append((option, value))
        return out

    def joined(self, separator: str) -> str:
        """ssl='true' followed by the options, each single-quoted, joined by ``separator``."""
        return separator.join(["ssl='true'"] + [f"{option}='{value}'" for option, value in self._checked()])


def cdata(value: str, path: tuple) -> str:
    if "]]>" in value:
        raise JmsTlsError(Problem(path, "contains ']]>', which ends the CDATA section of the JMS connection URL"))
    return f"<![CDATA[{value}]]>"


def topic_connection_factory(username: str, password: str, brokers: list[tuple[str, int]], ssl: SslOptions) -> str:
    """[apim.throttling.jms] topic_connection_factory for one broker (the seed's form) or several.

    With several control planes the gateway fails over between their brokers as WSO2's HA
    samples do (failover='roundrobin'); every traffic manager publishes every decision, so
    one connection at a time receives them all.
    """
    user = cdata(xml_unsafe(username), ("super_admin", "username"))
    secret = cdata(xml_unsafe(password), ("super_admin", "password"))
    options = ssl.joined("%26")
    prefix = f"amqp://{user}:{secret}@clientid/carbon?"
    if len(brokers) == 1:
        host, port = brokers[0]
        return f"{prefix}brokerlist='tcp://{host}:{port}?{options}'"
    listed = ";".join(f"tcp://{host}:{port}?{options}%26retries='5'%26connectdelay='50'" for host, port in brokers)
    return f"{prefix}failover='roundrobin'%26cyclecount='2'%26brokerlist='{listed}'"


def event_hub_ssl(ssl: SslOptions) -> str:
    """[apim.event_hub] jms.ssl / ssl: the seed's ``true'&amp;...&amp;key_store_password='<pw>`` form."""
    text = ssl.joined("&amp;")
    # The template supplies the outer quotes: drop our leading ssl=' and trailing '.
    return text[len("ssl='"):-1]
