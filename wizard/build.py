"""Answers to the complete list of files of a deployment (pure: nothing is written here).

Each kind of artefact is one *producer*: a function that takes the :class:`BuildContext`
and returns the files it contributes.  ``PRODUCERS`` lists them in output order; adding
an artefact means adding one producer, nothing else.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from . import artefacts
from .answers_io import ANSWERS_FILE, dump_answers
from .model import Answers
from .plan import SECRET_MODE, PlannedFile
from .problems import Problem
from .render import render_node_toml
from .render.jms import JmsTlsError
from .secrets_store import SECRETS_FILE, SecretStore, generate_password, resolve_secrets
from .secure_vault import vault_finisher
from .topology import NodePlan, Topology

if TYPE_CHECKING:
    from .pki.prefetch import KeyPrefetch

ANSWERS_HEADER = [
    "apim-wizard answers: replay with  apim-wizard apply --answers answers.toml --out <DIR>",
    "Secret fields hold a reference ({ env = ... }, { file = ... }, { generate = true }) or a literal;",
    "generated values live in secrets.toml next to this file.",
]


def deployment_toml_path(node: NodePlan) -> str:
    return f"{node.name}/repository/conf/deployment.toml"


@dataclass
class BuildOptions:
    """How to build, beyond the answers."""

    out_dir: Path | None = None  # existing output: keys and certificates there are reused
    base_dir: Path | None = None  # where relative paths in the answers are read from
    rotate_certs: bool = False  # reissue every leaf certificate
    with_pki: bool = True  # False: configuration only (previews, fast tests)
    progress: Callable[[int, int], None] | None = None  # (keys made, keys needed), for progress bars
    key_prefetch: KeyPrefetch | None = None  # keys made while the program loaded (pki/prefetch.py)


@dataclass
class BuildContext:
    answers: Answers  # as given: secret references kept
    topology: Topology  # of the resolved answers
    store: SecretStore  # generated secrets to keep
    options: BuildOptions
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # things the operator should know
    # Producers may leave results for later producers (e.g. the PKI's certificates).
    shared: dict[str, object] = field(default_factory=dict)
    # What earlier producers planned (install.sh lists the files of its node folder).
    planned: list[PlannedFile] = field(default_factory=list)


Producer = Callable[[BuildContext], Iterable[PlannedFile]]


def start_pki(ctx: BuildContext) -> None:
    """Decide what the PKI keeps and start making the missing keys in the background, so
    they are made while the other producers render (figures: bench/apply_bench.py)."""
    prefetch = ctx.options.key_prefetch
    ctx.options.key_prefetch = None  # adopted or closed here, once
    if not ctx.options.with_pki:
        if prefetch is not None:
            prefetch.close()
        return
    early = None
    from .pki.prefetch import nothing_to_reuse

    if nothing_to_reuse(ctx.options.out_dir):
        # Every key is new: start the workers before loading the certificate code.
        from .pki.key_specs import all_key_specs
        from .pki.keys import KeyJob

        early = KeyJob(all_key_specs(ctx.topology), prefetch)
    elif prefetch is not None:
        prefetch.close()
    from .pki import PkiError, start_pki as start  # x509 and PKCS12 support, only when keys are made

    try:
        ctx.shared["pki_job"] = start(ctx.topology, ctx.options.out_dir, ctx.options.base_dir,
                                      ctx.options.rotate_certs, key_job=early)
    except PkiError as exc:
        if early is not None:
            early.cancel()
        ctx.problems.append(exc.problem)


def pki_files(ctx: BuildContext) -> Iterable[PlannedFile]:
    job = ctx.shared.pop("pki_job", None)
    if job is None:
        return []
    from .pki import PkiError

    try:
        material, files, notes = job.finish(ctx.options.progress)
    except PkiError as exc:
        ctx.problems.append(exc.problem)
        return []
    ctx.shared["pki"] = material
    ctx.notes.extend(notes)
    return files


def node_configs(ctx: BuildContext) -> Iterable[PlannedFile]:
    out = []
    for node in ctx.topology.generated_nodes:
        try:
            text = render_node_toml(ctx.topology, node)
        except JmsTlsError as exc:
            ctx.problems.append(exc.problem)
            return []
        # deployment.toml holds database and keystore passwords: private.
        out.append(PlannedFile(deployment_toml_path(node), text.encode(), SECRET_MODE))
    return out


def answers_file(ctx: BuildContext) -> Iterable[PlannedFile]:
    # The answers may hold literal secrets, so they are private like the node configs.
    yield PlannedFile(ANSWERS_FILE, dump_answers(ctx.answers, ANSWERS_HEADER).encode(), SECRET_MODE)


def secrets_file(ctx: BuildContext) -> Iterable[PlannedFile]:
    if not ctx.store.is_empty():
        yield PlannedFile(SECRETS_FILE, ctx.store.dumps().encode(), SECRET_MODE)


PRODUCERS: list[Producer] = [
    node_configs,
    artefacts.start_scripts,
    artefacts.systemd_units,
    pki_files,  # collects the keys start_pki set going before the producers ran
    artefacts.install_scripts,  # after everything that writes into node folders
    artefacts.hosts_file,
    artefacts.load_balancer_configs,
    artefacts.database_setup,
    artefacts.runbook,
    answers_file,
    secrets_file,
]

# Finishers run after every producer and may rewrite the whole list: what must see all of
# the output (the secure vault seals every deployment.toml, whoever contributed to it).
Finisher = Callable[[BuildContext, list[PlannedFile]], list[PlannedFile]]
FINISHERS: list[Finisher] = [vault_finisher]


@dataclass
class Build:
    answers: Answers
    problems: list[Problem] = field(default_factory=list)
    files: list[PlannedFile] = field(default_factory=list)
    topology: Topology | None = None  # of the resolved answers
    secret_sources: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    shared: dict[str, object] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems


def build_deployment(
    answers: Answers,
    store: SecretStore | None = None,
    environ: Mapping[str, str] | None = None,
    base_dir: Path | None = None,
    generate: Callable[[], str] = generate_password,
    options: BuildOptions | None = None,
) -> Build:
    """Resolve secrets and produce every file of the deployment."""
    options = options or BuildOptions(base_dir=base_dir)
    if options.base_dir is None:
        options.base_dir = base_dir
    resolution = resolve_secrets(answers, store, environ, options.base_dir, generate)
    build = Build(answers, resolution.problems, secret_sources=resolution.sources)
    if resolution.answers is None:
        if options.key_prefetch is not None:
            options.key_prefetch.close()
            options.key_prefetch = None
        return build
    topology = Topology(resolution.answers)
    build.topology = topology
    ctx = BuildContext(answers, topology, resolution.store, options, planned=build.files)
    build.notes, build.shared = ctx.notes, ctx.shared
    start_pki(ctx)
    if ctx.problems:
        return _failed(build, ctx)
    for producer in PRODUCERS:
        build.files.extend(producer(ctx))
        if ctx.problems:
            return _failed(build, ctx)
    for finisher in FINISHERS:
        build.files = finisher(ctx, build.files)
        if ctx.problems:
            return _failed(build, ctx)
    return build


def _failed(build: Build, ctx: BuildContext) -> Build:
    job = ctx.shared.pop("pki_job", None)
    if job is not None:
        job.key_job.cancel()
    build.problems.extend(ctx.problems)
    build.files.clear()
    return build
