"""Answers to the complete list of files of a deployment (pure: nothing is written here)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .answers_io import ANSWERS_FILE, dump_answers
from .model import Answers
from .plan import SECRET_MODE, PlannedFile
from .problems import Problem
from .render import render_node_toml
from .secrets_store import SECRETS_FILE, SecretStore, generate_password, resolve_secrets
from .topology import NodePlan, Topology

ANSWERS_HEADER = [
    "apim-wizard answers: replay with  apim-wizard apply --answers answers.toml --out <DIR>",
    "Secret fields hold a reference ({ env = ... }, { file = ... }, { generate = true }) or a literal;",
    "generated values live in secrets.toml next to this file.",
]


def deployment_toml_path(node: NodePlan) -> str:
    return f"{node.name}/repository/conf/deployment.toml"


@dataclass
class Build:
    answers: Answers
    problems: list[Problem] = field(default_factory=list)
    files: list[PlannedFile] = field(default_factory=list)
    topology: Topology | None = None  # of the resolved answers
    secret_sources: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems


def build_deployment(
    answers: Answers,
    store: SecretStore | None = None,
    environ: Mapping[str, str] | None = None,
    base_dir: Path | None = None,
    generate: Callable[[], str] = generate_password,
) -> Build:
    """Resolve secrets and render every file of the deployment."""
    resolution = resolve_secrets(answers, store, environ, base_dir, generate)
    build = Build(answers, resolution.problems, secret_sources=resolution.sources)
    if resolution.answers is None:
        return build
    topology = Topology(resolution.answers)
    build.topology = topology
    for node in topology.generated_nodes:
        build.files.append(PlannedFile(deployment_toml_path(node), render_node_toml(topology, node).encode(), SECRET_MODE))
    # The answers may hold literal secrets, so they are private like the node configs.
    build.files.append(PlannedFile(ANSWERS_FILE, dump_answers(answers, ANSWERS_HEADER).encode(), SECRET_MODE))
    if resolution.store.generated:
        build.files.append(PlannedFile(SECRETS_FILE, resolution.store.dumps().encode(), SECRET_MODE))
    return build
