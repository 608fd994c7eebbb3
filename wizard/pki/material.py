"""Every key, certificate and store of a deployment, reusing what an earlier run wrote.

What is needed comes from the topology: one TLS certificate per generated node covering
every name its callers use, one per load balancer, one primary certificate shared by all
nodes, and a truststore (identical on every node) with the CA, the primary certificate
under ``gateway_certificate_alias`` and optionally the machine's public CAs.

On a re-run each piece is kept when its inputs did not change: the CA always (it is never
regenerated silently), a keystore file byte for byte when its certificate, alias and chain
are still right, a key alone when only the certificate must be reissued.  Keys are read
lazily: an unchanged deployment opens no private key at all (see state.py).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509

from ..facts import CA_ALIAS, GATEWAY_CERT_ALIAS, SECURITY_DIR
from ..model import Keystore
from ..plan import PUBLIC_MODE, SECRET_MODE, PlannedFile
from ..problems import Problem
from ..topology import NodePlan, Topology
from . import certs, stores
from .key_specs import lb_key_name, node_key_name, primary_key_name
from .keys import KeyJob, KeySpec, PrivateKey, Progress, generate_keys, same_public_key
from .state import PkiState

CA_DIR = "ca"
CA_CERT = f"{CA_DIR}/ca.crt"
CA_KEY = f"{CA_DIR}/ca.key"
LB_DIR = "lb"
# The CA outlives its leaves (10 years).  P-256 is as strong as RSA-3072, signs RSA leaves
# as well (Java, OpenSSL and nginx all accept the mix) and takes microseconds to make.
CA_KEY_SPEC: KeySpec = "ec-p256"


def security_path(node: NodePlan, file_name: str) -> str:
    return f"{node.name}/{SECURITY_DIR}/{file_name}"


def lb_cert_path(host: str) -> str:
    return f"{LB_DIR}/{host}.crt"


def lb_key_path(host: str) -> str:
    return f"{LB_DIR}/{host}.key"


class Issued:
    """A certificate with its chain and its key, the key loaded on first use."""

    def __init__(self, cert: x509.Certificate, chain: tuple[x509.Certificate, ...],
                 key: PrivateKey | Callable[[], PrivateKey]):
        self.cert, self.chain = cert, chain
        self._key = key

    @property
    def key(self) -> PrivateKey:
        if callable(self._key):
            self._key = self._key()
        return self._key


@dataclass
class Stored:
    """What an earlier run left for one certificate."""

    cert: x509.Certificate
    chain: tuple[x509.Certificate, ...]
    alias: str
    load_key: Callable[[], PrivateKey]
    files: dict[str, bytes]  # path -> bytes, reused as they are when nothing changed


@dataclass
class PkiMaterial:
    """What the PKI made, for later producers (nginx configs, secure vault, tests)."""

    ca_cert: x509.Certificate
    primary: Issued
    nodes: dict[str, Issued] = field(default_factory=dict)
    load_balancers: dict[str, Issued] = field(default_factory=dict)  # by LB hostname
    truststore: dict[str, x509.Certificate] = field(default_factory=dict)

    @property
    def primary_cert(self) -> x509.Certificate:
        return self.primary.cert

    @property
    def primary_key(self) -> PrivateKey:
        return self.primary.key


class PkiError(Exception):
    def __init__(self, problem: Problem):
        super().__init__(str(problem))
        self.problem = problem


class _Pki:
    def __init__(self, topology: Topology, out_dir: Path | None, base_dir: Path | None, rotate: bool,
                 now: datetime.datetime):
        self.t = topology
        self.answers = topology.answers
        self.pki = topology.answers.pki
        self.stores = topology.answers.keystores
        self.out = out_dir
        self.base = base_dir or Path.cwd()
        self.rotate = rotate
        self.now = now
        self.state = PkiState.load(out_dir)
        self.files: list[PlannedFile] = []
        self.notes: list[str] = []

    # --------------------------------------------------------- reading

    def existing(self, relative: str) -> bytes | None:
        if self.out is None:
            return None
        try:
            return (self.out / relative).read_bytes()
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            return None

    def user_file(self, path: tuple, value: str) -> bytes:
        file = Path(value).expanduser()
        file = file if file.is_absolute() else self.base / file
        try:
            return file.read_bytes()
        except OSError as exc:
            raise PkiError(Problem(path, f"cannot read {file}: {exc.strerror}", value)) from None

    def user_certs(self, path: tuple, value: str) -> list[x509.Certificate]:
        try:
            found = stores.load_cert_pem(self.user_file(path, value))
        except ValueError:
            found = []
        if not found:
            raise PkiError(Problem(path, "holds no PEM certificate (-----BEGIN CERTIFICATE-----)", value))
        return found

    def user_key(self, path: tuple, value: str) -> PrivateKey:
        try:
            return stores.load_key_pem(self.user_file(path, value))
        except (ValueError, TypeError):
            raise PkiError(Problem(path, "holds no unencrypted PEM private key (PKCS#8 or traditional)", value)) from None

    def stored_keystore(self, node: NodePlan, cfg: Keystore) -> Stored | None:
        relative = security_path(node, cfg.file_name)
        data = self.existing(relative)
        if data is None:
            return None
        known = self.state.known(relative, data, cfg.password)
        if known is not None:
            def load(data=data, password=cfg.password):
                entry = stores.read_keystore(data, password)
                assert entry is not None, "a keystore recorded in the state file no longer opens"
                return entry.key

            return Stored(known.chain[0], known.chain[1:], known.alias, load, {relative: data})
        entry = stores.read_keystore(data, cfg.password)
        if entry is None or not same_public_key(entry.key.public_key(), entry.cert.public_key()):
            self.notes.append(f"{relative} cannot be opened with the current password; a new key is made")
            return None
        return Stored(entry.cert, entry.chain, entry.alias, lambda key=entry.key: key, {relative: data})

    def stored_lb(self, host: str) -> Stored | None:
        cert_pem, key_pem = self.existing(lb_cert_path(host)), self.existing(lb_key_path(host))
        if cert_pem is None or key_pem is None:
            return None
        try:
            chain = stores.load_cert_pem(cert_pem)
        except ValueError:
            return None

        def load(key_pem=key_pem, cert=chain[0]):
            key = stores.load_key_pem(key_pem, trusted=True)
            if not same_public_key(key.public_key(), cert.public_key()):
                raise ValueError("key does not match")
            return key

        files = {lb_cert_path(host): cert_pem, lb_key_path(host): key_pem}
        return Stored(chain[0], tuple(chain[1:]), host, load, files)

    # --------------------------------------------------------------- CA

    def ca(self) -> tuple[x509.Certificate, Callable[[], PrivateKey] | None]:
        if self.pki.ca == "generate":
            return self.generated_ca()
        cert = self.user_certs(("pki", "ca_cert"), self.pki.ca_cert)[0]
        if not certs.is_ca(cert):
            raise PkiError(Problem(("pki", "ca_cert"), "is not a CA certificate (basicConstraints CA:TRUE is missing)",
                                   self.pki.ca_cert))
        if cert.not_valid_after_utc <= self.now:
            raise PkiError(Problem(("pki", "ca_cert"), f"expired on {cert.not_valid_after_utc:%Y-%m-%d}", self.pki.ca_cert))
        self.files.append(PlannedFile(CA_CERT, stores.cert_pem(cert), PUBLIC_MODE))
        if self.pki.ca == "external":
            return cert, None
        key = self.user_key(("pki", "ca_key"), self.pki.ca_key)
        if not same_public_key(key.public_key(), cert.public_key()):
            raise PkiError(Problem(("pki", "ca_key"), "is not the private key of pki.ca_cert", self.pki.ca_key))
        return cert, lambda: key

    def generated_ca(self) -> tuple[x509.Certificate, Callable[[], PrivateKey]]:
        cert_pem, key_pem = self.existing(CA_CERT), self.existing(CA_KEY)
        if cert_pem is not None and key_pem is not None:
            cert = stores.load_cert_pem(cert_pem)[0]

            def load():
                key = stores.load_key_pem(key_pem, trusted=True)
                if not same_public_key(key.public_key(), cert.public_key()):
                    raise PkiError(Problem(("pki", "ca"), f"{self.out / CA_KEY} does not belong to {self.out / CA_CERT}; "
                                           "restore the pair from a backup"))
                return key

            self.files += [PlannedFile(CA_CERT, cert_pem, PUBLIC_MODE), PlannedFile(CA_KEY, key_pem, SECRET_MODE)]
            return cert, load
        if cert_pem is not None or key_pem is not None:
            missing = CA_KEY if key_pem is None else CA_CERT
            raise PkiError(Problem(
                ("pki", "ca"),
                f"{self.out / missing} is missing, so the deployment CA cannot issue certificates; restore it, or "
                f"move {self.out / CA_DIR} away to create a new CA (every node certificate is then reissued)",
            ))
        key = generate_keys({"ca": CA_KEY_SPEC})["ca"]
        cert = certs.make_ca(self.answers.name, key, self.now)
        self.notes.append(f"created the deployment CA in {CA_DIR}/ (keep {CA_KEY} safe: it issues every certificate)")
        self.files += [PlannedFile(CA_CERT, stores.cert_pem(cert), PUBLIC_MODE),
                       PlannedFile(CA_KEY, stores.key_pem(key), SECRET_MODE)]
        return cert, lambda: key

    # ---------------------------------------------------------- storing

    def keystore_bytes(self, node: NodePlan, cfg: Keystore, issued: Issued, stored: Stored | None, kept: bool) -> bytes:
        """The existing file when it already holds exactly this entry, else a new one."""
        relative = security_path(node, cfg.file_name)
        data = None
        if kept and stored is not None and stored.alias == cfg.alias and stores.same_chain(
            (stored.cert, *stored.chain), (issued.cert, *issued.chain)
        ):
            data = stored.files.get(relative) or next(iter(stored.files.values()))
        if data is None:
            data = stores.keystore_bytes(cfg.alias, issued.key, issued.cert, list(issued.chain), cfg.password)
        self.state.record(relative, data, cfg.password, cfg.alias, (issued.cert, *issued.chain))
        return data

    def truststore_bytes(self, trusted: dict[str, x509.Certificate]) -> bytes:
        cfg = self.stores.truststore
        for node in self.t.generated_nodes:
            data = self.existing(security_path(node, cfg.file_name))
            if data is not None:
                current = stores.read_truststore(data, cfg.password)
                if current is not None and stores.same_certs(current, trusted):
                    return data
        return stores.truststore_bytes(trusted, cfg.password)


def _requests(topology: Topology):
    pki = topology.answers.pki
    nodes = {
        node.name: certs.san_request(node.hostname, topology.tls_names(node), pki.tls_key, pki.validity_days)
        for node in topology.generated_nodes
    }
    lbs = {
        host: certs.san_request(host, topology.lb_names(key), pki.tls_key, pki.validity_days)
        for key, host in topology.load_balancers().items()
    }
    primary = certs.CertRequest(f"{topology.answers.name} primary", (), (), pki.primary_key, "primary",
                                pki.primary_validity_days)
    return nodes, lbs, primary


class PkiJob:
    """The PKI of a deployment in two halves: deciding and starting the key generation
    (``start_pki``), then issuing and storing once the keys are there (:meth:`finish`).
    The build starts it first and finishes it after rendering the configuration, so the
    slow key generation runs alongside the rest of the build."""

    def __init__(self, topology: Topology, out_dir: Path | None, base_dir: Path | None, rotate: bool,
                 now: datetime.datetime | None, key_job: KeyJob | None = None):
        p = self.p = _Pki(topology, out_dir, base_dir, rotate, now or datetime.datetime.now(datetime.timezone.utc))
        self.topology = topology
        self.external = p.pki.ca == "external"
        self.ca_cert, self.ca_key = p.ca()
        self.node_requests, self.lb_requests, primary_request = _requests(topology)
        generated = topology.generated_nodes

        # What can be kept, what must be reissued, which need a new key.
        self.wanted: dict[str, tuple[certs.CertRequest, Stored | None, x509.Certificate | None]] = {
            primary_key_name(): (primary_request, p.stored_keystore(generated[0], p.stores.primary),
                        None if self.external else self.ca_cert),
        }
        if not self.external:
            for node in generated:
                self.wanted[node_key_name(node.name)] = (self.node_requests[node.name],
                                                         p.stored_keystore(node, p.stores.tls), self.ca_cert)
            for host, request in self.lb_requests.items():
                self.wanted[lb_key_name(host)] = (request, p.stored_lb(host), self.ca_cert)
        self.reasons: dict[str, str | None] = {}
        need_keys: dict[str, KeySpec] = {}
        for name, (request, stored, issuer) in self.wanted.items():
            if stored is None:
                reason = "new"
            elif p.rotate:
                reason = "rotated (--rotate-certs)"
            else:
                reason = certs.why_not(stored.cert, request, issuer, p.now)
            self.reasons[name] = reason
            if reason is not None and (stored is None or p.rotate or reason.startswith(certs.KEY_TYPE_CHANGED)):
                need_keys[name] = request.key_spec
        # Every missing key at once, in the background: the slow part.  A job the build set
        # going early (fresh folder: every key) is used when it makes exactly these keys.
        if key_job is not None and key_job.specs != need_keys:
            key_job.cancel()
            key_job = None
        self.key_job = key_job or KeyJob(need_keys)

    def _issue(self, name: str) -> tuple[Issued, bool]:
        p = self.p
        request, stored, issuer = self.wanted[name]
        reason = self.reasons[name]
        if reason is None:
            return Issued(stored.cert, stored.chain, stored.load_key), True
        key = self.key_job.key(name) if name in self.key_job.specs else stored.load_key()
        # Without an issuer the certificate is self-signed (the primary with an external CA).
        signer = self.ca_key() if issuer is not None else key
        cert = certs.issue(request, key, issuer, signer, p.now)
        if reason != "new":
            what = name.replace("node:", "node ").replace("lb:", "load balancer ")
            p.notes.append(f"{what}: certificate reissued ({reason})")
        return Issued(cert, (issuer,) if issuer is not None else (), key), False

    def finish(self, progress: Progress | None = None) -> tuple[PkiMaterial, list[PlannedFile], list[str]]:
        """Issue and store, each certificate as soon as its key is there; ``progress(done,
        total)`` follows the keys."""
        p, generated = self.p, self.topology.generated_nodes
        self.key_job.follow(progress)
        try:
            return self._finish(p, generated)
        finally:
            self.key_job.cancel()  # every key is used by now, unless issuing failed

    def _finish(self, p: _Pki, generated: list[NodePlan]) -> tuple[PkiMaterial, list[PlannedFile], list[str]]:
        primary, primary_kept = self._issue(primary_key_name())
        material = PkiMaterial(self.ca_cert, primary)

        # The truststore, the same on every node.
        trusted = {CA_ALIAS: self.ca_cert, GATEWAY_CERT_ALIAS: primary.cert, p.stores.primary.alias: primary.cert}
        if p.pki.system_cas:
            bundle = stores.system_ca_bundle()
            if bundle is None:
                p.notes.append("no system CA bundle found: truststores hold only the deployment's certificates")
            else:
                trusted = {**stores.system_cas(bundle), **trusted}
        material.truststore = trusted
        trust_bytes = p.truststore_bytes(trusted)

        # Per node: its TLS keystore, the shared primary keystore and the truststore.
        primary_bytes = p.keystore_bytes(generated[0], p.stores.primary, primary, self.wanted[primary_key_name()][1],
                                         primary_kept)
        for node in generated:
            if self.external:
                material.nodes[node.name] = _external_node(p, node, self.node_requests[node.name], self.ca_cert)
                # keystore_bytes keeps the file only if it holds exactly the given chain.
                tls_bytes = p.keystore_bytes(node, p.stores.tls, material.nodes[node.name],
                                             p.stored_keystore(node, p.stores.tls), True)
            else:
                material.nodes[node.name], kept = self._issue(node_key_name(node.name))
                tls_bytes = p.keystore_bytes(node, p.stores.tls, material.nodes[node.name],
                                             self.wanted[node_key_name(node.name)][1], kept)
            if node is not generated[0]:
                p.state.record(security_path(node, p.stores.primary.file_name), primary_bytes, p.stores.primary.password,
                               p.stores.primary.alias, (primary.cert, *primary.chain))
            p.files += [
                PlannedFile(security_path(node, p.stores.tls.file_name), tls_bytes, SECRET_MODE),
                PlannedFile(security_path(node, p.stores.primary.file_name), primary_bytes, SECRET_MODE),
                PlannedFile(security_path(node, p.stores.truststore.file_name), trust_bytes, SECRET_MODE),
            ]

        # Load balancers: PEM for nginx.
        if self.external:
            if self.lb_requests:
                p.notes.append("pki.ca = external: no load balancer certificates were made; put yours, issued by "
                               f"pki.ca_cert, in {LB_DIR}/<host>.crt and .key")
        else:
            for host in self.lb_requests:
                lb, kept = self._issue(lb_key_name(host))
                material.load_balancers[host] = lb
                stored = self.wanted[lb_key_name(host)][1]
                if kept and stores.same_chain((stored.cert, *stored.chain), (lb.cert, *lb.chain)):
                    cert_pem, key_pem = stored.files[lb_cert_path(host)], stored.files[lb_key_path(host)]
                else:
                    cert_pem, key_pem = stores.cert_pem(lb.cert, *lb.chain), stores.key_pem(lb.key)
                p.files += [PlannedFile(lb_cert_path(host), cert_pem, PUBLIC_MODE),
                            PlannedFile(lb_key_path(host), key_pem, SECRET_MODE)]
        p.files.append(p.state.planned_file())
        return material, p.files, p.notes


def start_pki(topology: Topology, out_dir: Path | None = None, base_dir: Path | None = None,
              rotate: bool = False, now: datetime.datetime | None = None, key_job: KeyJob | None = None) -> PkiJob:
    """Decide what to keep and start making the missing keys.  Raises PkiError naming the
    answer field at fault (an unreadable CA file, say)."""
    return PkiJob(topology, out_dir, base_dir, rotate, now, key_job)


def build_pki(topology: Topology, out_dir: Path | None = None, base_dir: Path | None = None,
              rotate: bool = False, now: datetime.datetime | None = None,
              progress: Progress | None = None) -> tuple[PkiMaterial, list[PlannedFile], list[str]]:
    """Everything PKI for ``topology`` in one call."""
    return start_pki(topology, out_dir, base_dir, rotate, now).finish(progress)


def _external_node(p: _Pki, node: NodePlan, request: certs.CertRequest, ca_cert) -> Issued:
    base = (node.cluster_key, "nodes", node.index)
    model = getattr(p.answers, node.cluster_key).nodes[node.index]
    chain = p.user_certs((*base, "tls_cert"), model.tls_cert)
    key = p.user_key((*base, "tls_key"), model.tls_key)
    leaf = chain[0]
    if not same_public_key(key.public_key(), leaf.public_key()):
        raise PkiError(Problem((*base, "tls_key"), f"is not the private key of {model.tls_cert}", model.tls_key))
    intermediates = [c for c in chain[1:] if not stores.same_chain([c], [ca_cert])]
    issuer = intermediates[0] if intermediates else ca_cert
    if not certs.signed_by(leaf, issuer):
        raise PkiError(Problem((*base, "tls_cert"), "was not issued by pki.ca_cert (or the intermediate in the file)",
                               model.tls_cert))
    missing = sorted(request.sans - certs.sans_of(leaf))
    if missing:
        raise PkiError(Problem(
            (*base, "tls_cert"),
            f"does not cover {', '.join(missing)}: the names other nodes and clients use to reach {node.name}",
            model.tls_cert,
        ))
    if leaf.not_valid_after_utc <= p.now:
        raise PkiError(Problem((*base, "tls_cert"), f"expired on {leaf.not_valid_after_utc:%Y-%m-%d}", model.tls_cert))
    return Issued(leaf, tuple(intermediates) + (ca_cert,), key)


def check_pki_sources(topology: Topology, base_dir: Path | None = None,
                      now: datetime.datetime | None = None) -> list[Problem]:
    """The certificate and key files the answers name (a provided or external CA, the nodes'
    own certificates), read and checked as apply reads them; no key is made.  For validate."""
    if topology.answers.pki.ca == "generate":
        return []
    p = _Pki(topology, None, base_dir, False, now or datetime.datetime.now(datetime.timezone.utc))
    try:
        ca_cert, _ = p.ca()
        if p.pki.ca == "external":
            requests = _requests(topology)[0]
            for node in topology.generated_nodes:
                _external_node(p, node, requests[node.name], ca_cert)
    except PkiError as exc:
        return [exc.problem]
    return []
