"""Pure renderers: resolved answers -> the text of each generated file."""

from __future__ import annotations

import tomllib

import tomlkit
from tomlkit import TOMLDocument

from .. import facts
from ..topology import NodePlan, Topology
from .control_plane import render_control_plane_toml
from .gateway import render_gateway_toml

__all__ = ["render_control_plane_toml", "render_gateway_toml", "render_node_document", "render_node_toml"]


def render_node_document(topology: Topology, node: NodePlan) -> TOMLDocument:
    if node.profile == facts.GATEWAY:
        return render_gateway_toml(topology, node)
    return render_control_plane_toml(topology, node)


def render_node_toml(topology: Topology, node: NodePlan) -> str:
    text = tomlkit.dumps(render_node_document(topology, node))
    # API-M's parser aborts start-up on any TOML error; never hand it one.
    tomllib.loads(text)
    return text
