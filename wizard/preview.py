"""What a front end shows before anything is written: each node's deployment.toml with
every secret masked.

The text comes from the same renderer as the written files; only the secret values differ
(``********``), so a preview never prints a password and needs no secret resolved (an
environment variable that is not set yet still previews).
"""

from __future__ import annotations

from .model import Answers
from .render import render_node_toml
from .secret_values import iter_secret_fields
from .topology import NodePlan, Topology

MASK = "********"  # passes every secret policy, so the masked answers still validate


def masked_answers(answers: Answers) -> Answers:
    data = answers.model_dump(mode="python")
    for path, _, _ in iter_secret_fields(answers):
        target = data
        for part in path[:-1]:
            target = target[part]
        target[path[-1]] = MASK
    return Answers.model_validate(data)


def node_previews(answers: Answers) -> list[tuple[NodePlan, str]]:
    """(node, deployment.toml text) for every node the deployment writes, secrets masked."""
    topology = preview_topology(answers)
    return [(node, render_node_toml(topology, node)) for node in topology.generated_nodes]


def preview_topology(answers: Answers) -> Topology:
    """The topology a preview renders from (secrets masked); render one node at a time with
    :func:`node_preview` when only one is shown (a keystroke re-renders only what is seen)."""
    return Topology(masked_answers(answers))


def node_preview(topology: Topology, name: str) -> str | None:
    """The deployment.toml of node ``name`` of a preview topology, or None when it writes none."""
    for node in topology.generated_nodes:
        if node.name == name:
            return render_node_toml(topology, node)
    return None
