"""Command line: ``apim-wizard apply | validate | presets | prompt | explain | schema``.

Exit codes: 0 ok, 1 invalid answers, 2 usage error, 3 I/O error.  Each command is a
:class:`~wizard.cli_common.Command`; ``COMMANDS`` lists them.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TextIO

from . import __version__
from .build import BuildOptions, build_deployment
from .hardening import gate, review
from .cli_common import (
    EXIT_INVALID,
    EXIT_IO,
    EXIT_OK,
    EXIT_USAGE,
    CliError,
    Command,
    add_source_arguments,
    describe,
    report_problems,
    validated_answers,
    validated_layers,
)
from .answers_io import ANSWERS_FILE
from .plan import OutputDirError, Status, check_generated_secrets, check_output_dir, folder_generation, make_plan
from .plan_report import masker_for, print_conflicts, print_diffs, print_plan, print_result
from .writer import apply_plan, check_not_busy, recover
from .pki.prefetch import claim_prefetch
from .presets import list_presets
from .saved_answers import secrets_by_reference
from .problems import Problem
from .secrets_store import SECRETS_FILE, SecretsFileError, SecretStore, resolve_secrets
from .cli_answers import COMMANDS as ANSWER_COMMANDS
from .cli_answers import in_terminal, open_wizard


def _apply_arguments(parser: argparse.ArgumentParser) -> None:
    add_source_arguments(parser)
    parser.add_argument("--out", metavar="DIR", type=Path, required=True, help="output folder")
    parser.add_argument("--dry-run", action="store_true",
                        help="show the plan and the differences (secrets masked); write nothing")
    parser.add_argument("--force", action="store_true",
                        help="write into a folder the wizard did not create, and replace files edited by hand "
                        "(each is backed up under DIR/.apim-wizard/backups first)")
    parser.add_argument("--rotate-certs", action="store_true",
                        help="reissue every leaf certificate with new keys (the CA is kept)")
    parser.add_argument(
        "--secrets", metavar="FILE", type=Path,
        help=f"take generated secrets from FILE (default: DIR/{SECRETS_FILE}); they are kept in DIR/{SECRETS_FILE}",
    )
    _production_argument(parser)


def _production_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--production", action="store_true",
                        help="production checks (default passwords, weak keys and protocols, plaintext "
                        "connections, ...) are errors, not warnings; [hardening] accept lists exceptions")


def _validate_arguments(parser: argparse.ArgumentParser) -> None:
    add_source_arguments(parser)
    _production_argument(parser)


def report_hardening(answers, files, production: bool, out: TextIO, pki=None) -> bool:
    """Print the production checks; True when they stop a --production run."""
    shown, accepted = gate(review(answers, files, pki), answers, production)
    report_problems(shown, "production checks" + ("" if production else " (errors with --production)"),
                    sys.stderr if production and shown else out)
    for note in accepted:
        print(f"  accepted {note}", file=out)
    return production and bool(shown)


def cmd_apply(args, out: TextIO) -> int:
    answers, layered = validated_layers(args, out)
    source, base_dir = layered.source, layered.base_dir
    # DIR/answers.toml holds no secret value that no answer file held: those from variables
    # and --set become references (the --set ones kept in DIR/secrets.toml).
    answers, set_secrets = secrets_by_reference(answers, layered.origins)
    out_dir: Path = args.out
    if args.secrets is not None and not args.secrets.exists():
        raise CliError(f"{args.secrets}: no such secrets file", EXIT_IO)
    try:
        check_output_dir(out_dir, force=args.force)
        check_generated_secrets(out_dir, SECRETS_FILE, given=args.secrets is not None, force=args.force)
        # An apply killed earlier is completed (or undone) before anything reads the folder:
        # its keys and secrets may sit in temporary files.
        check_not_busy(out_dir)
        recovery = None if args.dry_run else recover(out_dir)
        if recovery:
            print(recovery.describe(), file=out)
        based_on = folder_generation(out_dir)  # what the build reads: its keys and secrets
        store = SecretStore.load(args.secrets or out_dir / SECRETS_FILE)
        store.stored.update(set_secrets)
    except (OutputDirError, SecretsFileError) as exc:
        raise CliError(str(exc), EXIT_IO) from None
    except OSError as exc:
        raise CliError(f"{exc.filename or out_dir}: cannot complete the interrupted apply: {exc.strerror}", EXIT_IO) from None

    options = BuildOptions(out_dir=out_dir, base_dir=base_dir, rotate_certs=args.rotate_certs,
                           key_prefetch=claim_prefetch(out_dir))
    build = build_deployment(answers, store, options=options)
    if not build.ok:
        report_problems(build.problems, source, sys.stderr)
        raise CliError(f"{source}: fix the errors above; nothing was written", EXIT_INVALID)
    # The output's own answers.toml given as --answers is this run's input: an edit there
    # is the point, not a conflict.
    # Only when it is the sole layer: a --set, a variable or another file on top changes the
    # answers, and the answers.toml written must replay them.
    own_answers = out_dir / ANSWERS_FILE
    sole = layered.sources == [str(a) for a in args.answers or ()] and len(args.answers or ()) == 1
    inputs = {ANSWERS_FILE} if sole and _same_file(args.answers[0], own_answers) else set()
    try:
        plan = make_plan(out_dir, build.files, force=args.force, inputs=inputs, based_on=based_on)
    except OutputDirError as exc:
        raise CliError(str(exc), EXIT_IO) from None
    except OSError as exc:
        raise CliError(f"{exc.filename or out_dir}: cannot read: {exc.strerror}", EXIT_IO) from None

    blocked = report_hardening(build.topology.answers, build.files, args.production, out, build.shared.get("pki"))
    print(f"{source}: {describe(answers)} -> {out_dir}", file=out)
    print_plan(plan, out)
    if args.dry_run:
        for note in build.notes:
            print(f"  note (when applied): {note}", file=out)
        print_diffs(plan, masker_for(build.topology.answers, out_dir, build.shared.get("pki")), out)
        refused = f"; {len(plan.conflicts)} edited file(s) would stop it (see --force)" if plan.conflicts else ""
        print(f"dry run: would write {plan.summary()}{refused}; nothing was written", file=out)
        if blocked:
            raise CliError("--production: fix the production checks above (or accept them in [hardening])", EXIT_INVALID)
        return EXIT_OK
    if blocked:
        raise CliError("--production: fix the production checks above (or accept them in [hardening]); "
                       "nothing was written", EXIT_INVALID)
    if plan.conflicts:
        print_conflicts(plan, sys.stderr)
        raise CliError(f"{out_dir}: nothing was written", EXIT_IO)
    try:
        result = apply_plan(plan)
    except OutputDirError as exc:
        raise CliError(str(exc), EXIT_IO) from None
    except OSError as exc:
        raise CliError(f"{exc.filename or out_dir}: cannot write: {exc.strerror}", EXIT_IO) from None
    # Only now: notes say what was done (a CA created, certificates reissued).
    for note in build.notes:
        print(f"  note: {note}", file=out)
    print_result(plan, result, out_dir, out)
    if any(e.file.path == SECRETS_FILE and e.status in (Status.NEW, Status.CHANGED) for e in plan.entries):
        print(f"generated passwords are in {out_dir / SECRETS_FILE} (mode 0600); keep it safe", file=out)
    return EXIT_OK


def _same_file(a: Path, b: Path) -> bool:
    try:
        return b.exists() and a.resolve() == b.resolve()
    except OSError:
        return False


def cmd_validate(args, out: TextIO) -> int:
    answers, source, base_dir = validated_answers(args, out)
    # References are checked too, but an unset variable is only a warning here: validate
    # may run where the secrets are not (CI); apply refuses.
    resolution = resolve_secrets(answers, None, base_dir=base_dir, generate=lambda: "x" * 24)
    missing = [Problem(p.path, p.message, severity="warning") for p in resolution.unavailable]
    unusable = [p for p in resolution.problems if p not in resolution.unavailable]
    report_problems(missing + unusable, f"{source} (secret references)", sys.stderr if unusable else out)
    if unusable:
        raise CliError(f"{source}: fix the secret values above", EXIT_INVALID)
    if resolution.answers is not None and resolution.answers.pki.ca != "generate":
        from .pki.material import check_pki_sources  # cryptography: only for files to read
        from .topology import Topology

        pki_problems = check_pki_sources(Topology(resolution.answers), base_dir)
        report_problems(pki_problems, f"{source} (certificate files)", sys.stderr)
        if pki_problems:
            raise CliError(f"{source}: fix the certificate files above", EXIT_INVALID)
    # Without a build there are no keys or generated files to inspect: apply checks those too.
    blocked = report_hardening(resolution.answers or answers, (), args.production, out)
    if blocked:
        raise CliError(f"{source}: --production: fix the production checks above (or accept them in [hardening])",
                       EXIT_INVALID)
    print(f"{source}: valid: {describe(answers)}", file=out)
    return EXIT_OK


def cmd_presets(args, out: TextIO) -> int:
    presets = list_presets()
    width = max(len(p.name) for p in presets)
    for preset in presets:
        print(f"{preset.name:<{width}}  {preset.description}", file=out)
    return EXIT_OK


COMMANDS: list[Command] = [
    Command("apply", "write the deployment's files (headless)", _apply_arguments, cmd_apply),
    Command("validate", "list every problem in the answers", _validate_arguments, cmd_validate),
    Command("presets", "list the shipped presets", lambda parser: None, cmd_presets),
    *ANSWER_COMMANDS,
]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="apim-wizard",
        description="Generate per-node configuration for a distributed WSO2 API Manager 4.x deployment.",
    )
    parser.add_argument("--version", action="version", version=f"apim-wizard {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in COMMANDS:
        command.add_arguments(sub.add_parser(command.name, help=command.help))
    return parser


def main(argv: list[str] | None = None, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: --help/--version (0) or a usage error (2)
        return int(exc.code or 0)
    runners = {c.name: c.run for c in COMMANDS}
    try:
        if args.command is None:
            if not in_terminal():
                parser.print_help(out)
                return EXIT_USAGE
            return open_wizard(out)
        return runners[args.command](args, out)
    except CliError as exc:
        print(f"apim-wizard: {exc}", file=sys.stderr)
        return exc.code
    except KeyboardInterrupt:
        print("apim-wizard: interrupted; every file is its old or its new version; apply again to complete",
              file=sys.stderr)
        return 130
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
