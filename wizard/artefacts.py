"""Producers of the kit around the node configs: scripts, units, LB configs, hosts, db/, runbook.

Each producer is pure (answers in, planned files out); build.PRODUCERS lists them.  Modes
follow what a file holds: secrets 0600 (SQL and scripts with passwords), secret-free
scripts 0755, everything else 0644.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from . import installation as inst
from .plan import EXECUTABLE_MODE, PUBLIC_MODE, SECRET_MODE, PlannedFile
from .problems import Problem
from .render import db_setup, nginx
from .render.hosts import render_hosts
from .render.install_script import render_install_sh
from .render.runbook import render_runbook
from .render.start_scripts import render_start_bat, render_start_sh
from .render.systemd import render_unit

if TYPE_CHECKING:
    from .build import BuildContext

HOSTS_FILE = "hosts"
RUNBOOK_FILE = "RUNBOOK.md"


def start_scripts(ctx: BuildContext) -> Iterable[PlannedFile]:
    for node in ctx.topology.generated_nodes:
        yield PlannedFile(inst.node_path(node, inst.START_SCRIPT),
                          render_start_sh(ctx.topology, node).encode(), EXECUTABLE_MODE)
        yield PlannedFile(inst.node_path(node, inst.START_BATCH),
                          render_start_bat(ctx.topology, node).encode(), PUBLIC_MODE)


def systemd_units(ctx: BuildContext) -> Iterable[PlannedFile]:
    for node in ctx.topology.generated_nodes:
        yield PlannedFile(inst.node_path(node, inst.unit_file(node)), render_unit(ctx.topology, node).encode())


def install_scripts(ctx: BuildContext) -> Iterable[PlannedFile]:
    """After every producer that writes into node folders: the script lists their files."""
    for node in ctx.topology.generated_nodes:
        text = render_install_sh(ctx.topology, node, ctx.planned)
        yield PlannedFile(inst.node_path(node, inst.INSTALL_SCRIPT), text.encode(), EXECUTABLE_MODE)


def hosts_file(ctx: BuildContext) -> Iterable[PlannedFile]:
    yield PlannedFile(HOSTS_FILE, render_hosts(ctx.topology).encode())


def load_balancer_configs(ctx: BuildContext) -> Iterable[PlannedFile]:
    for key in nginx.load_balancers(ctx.topology):
        yield PlannedFile(nginx.LB_FILES[key], nginx.RENDERERS[key](ctx.topology).encode())


def _shared_user_problems(ctx: BuildContext) -> list[Problem]:
    """One user on one server has one password: two different ones would lock one node pool out."""
    setup = dict(db_setup.databases_to_set_up(ctx.topology))
    apim, shared = setup.get("apim_db"), setup.get("shared_db")
    if apim is None or shared is None:
        return []
    same_user = (apim.type, apim.host, apim.effective_port, apim.user) == (
        shared.type, shared.host, shared.effective_port, shared.user)
    if same_user and apim.password != shared.password:
        return [Problem(
            ("databases", "shared_db", "password"),
            f"differs from databases.apim_db.password, but both databases use user {apim.user} on "
            f"{db_setup.server_label(apim)}, which has one password; give both the same value or reference "
            "(e.g. the same { env = ... })",
        )]
    return []


def database_setup(ctx: BuildContext) -> Iterable[PlannedFile]:
    problems = _shared_user_problems(ctx)
    if problems:
        ctx.problems.extend(problems)
        return
    setup = db_setup.databases_to_set_up(ctx.topology)
    for key, db in setup:
        if db.type in db_setup.SETUP_TYPES:
            sql = db_setup.render_create_sql(ctx.topology, key, db)
            yield PlannedFile(db_setup.create_sql_path(key), sql.encode(), SECRET_MODE)
    if setup:
        yield PlannedFile(db_setup.LOAD_SCRIPT, db_setup.render_load_schemas(ctx.topology).encode(), SECRET_MODE)


def runbook(ctx: BuildContext) -> Iterable[PlannedFile]:
    yield PlannedFile(RUNBOOK_FILE, render_runbook(ctx.topology).encode())
