"""The command line: argument parsing and dispatch only. Commands are imported when run."""

from __future__ import annotations

import argparse
import errno
import os
import sys
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, NoReturn

from stagectl import __version__, display
from stagectl.core.stage import Stage

if TYPE_CHECKING:
    from stagectl.authoring.changes import Edit
    from stagectl.commands.edit import Workspace
    from stagectl.core.model import ModelFile

USAGE_EXIT = 2
_CANNOT_WRITE = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO)


class _Parser(argparse.ArgumentParser):
    """Usage errors are one line and exit 2, like every other "cannot run"."""

    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"{self.prog}: error: {message} (see '{self.prog} --help')\n")
        raise SystemExit(USAGE_EXIT)


_TABLE_OR_JSON = "text: a table on a terminal, tab-separated when piped (the default); json: one object, for tools"
_EDIT_EXITS = """exit status:
  0  the file was edited (or printed, with --dry-run), or nothing needed to change
  1  refused: the policy rejects the edit (same rule and message as check), or rollback finds no
     earlier production version; the file is unchanged
  2  cannot run: not a git repository, no such model or version, bad arguments"""
_REGISTRY_EXITS = """exit status:
  0  {ok}
  1  {one}
  2  cannot run: no registry reachable, invalid stagectl.yaml at HEAD, a shallow clone, bad arguments"""
_READ_EXITS = """exit status:
  0  printed
  2  cannot run: not a git repository, unknown ref or model, bad arguments"""
EPILOGS = {
    "check": """exit status:
  0  no errors
  1  rule violations (one per line: file:line:col: rule: message)
  2  cannot run: not a git repository, unknown ref, invalid stagectl.yaml at the base, bad arguments

example (judge this branch as its pull request to main would be judged):
  stagectl check --base main""",
    "promote": _EDIT_EXITS
    + "\n\nexample:\n  stagectl promote fraud 3            # staging -> production, archiving what it displaces",
    "archive": _EDIT_EXITS + "\n\nexample:\n  stagectl archive fraud 1",
    "rollback": _EDIT_EXITS + "\n\nexample:\n  stagectl rollback fraud --dry-run   # show which version goes back",
    "register": _EDIT_EXITS
    + "\n\nexample:\n  stagectl register fraud --source s3://ml-artifacts/fraud/4 --run-id 0c9d8e7f --stage staging",
    "new": """exit status:
  0  the file was written
  1  the model's file exists already
  2  cannot run: an invalid model name, not a git repository

example:
  stagectl new fraud""",
    "owners": """exit status:
  0  printed, written, or (--check) the block is up to date
  1  --check: the file lacks the stagectl owners block, or it differs from the model files' owners
  2  cannot run: not a git repository, a file that cannot be read

example (in CI, beside stagectl check):
  stagectl owners --check .github/CODEOWNERS""",
    "status": _READ_EXITS + "\n\nexample:\n  stagectl status --stage production",
    "history": _READ_EXITS + "\n\nexample (what was in production then, and who put it there):\n"
    "  stagectl history fraud --at 2026-11-12",
    "plan": _REGISTRY_EXITS.format(
        ok="planned (or nothing to do)", one="a model cannot be applied (its files or its registry state refuse)"
    )
    + "\n\nexample:\n  stagectl plan --registry sqlite:///mlflow.db",
    "apply": _REGISTRY_EXITS.format(
        ok="all applied, or nothing to do", one="a model could not be applied, or was refused (the others were applied)"
    )
    + "\n\nexample:\n  MLFLOW_TRACKING_URI=https://mlflow.example.com stagectl apply",
    "diff": _REGISTRY_EXITS.format(
        ok="the registry matches git", one="the registry differs from git (drift), or a model cannot be read"
    )
    + "\n\nexample:\n  stagectl diff --model fraud",
    "import": """exit status:
  0  every model asked for was imported (or already has a file)
  1  a model could not be imported (not registered, or not a valid model file)
  2  cannot run: no registry there, not a git repository, bad arguments

example:
  stagectl import --registry sqlite:///legacy.db""",
}


_PROMOTE_TO = tuple(stage.next.value for stage in Stage if stage.next)  # staging, production
_STARTS = tuple(stage.value for stage in Stage.starts())  # none, staging


class _Formats:
    """`check --format` choices, read from the reporter registry only when argparse asks (not for --version)."""

    def _names(self) -> tuple[str, ...]:
        from stagectl.report import FORMATS

        return FORMATS

    def __contains__(self, name: object) -> bool:
        return name in self._names()

    def __iter__(self) -> Iterator[str]:
        return iter(self._names())


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="stagectl", description="GitOps for machine-learning model stages.")
    parser.add_argument("--version", action="version", version=f"stagectl {__version__}")
    parser.add_argument("--debug", action="store_true", help="show a traceback when something goes wrong")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    _add_check(commands)
    _add_authoring(commands)
    _add_registry(commands)
    return parser


def _command(commands: Any, name: str, summary: str, description: str | None = None) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = commands.add_parser(
        name,
        help=summary,
        description=description or summary,
        epilog=EPILOGS[name],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    return parser


def _add_check(commands: Any) -> None:
    check = _command(
        commands,
        "check",
        "judge a change's stage transitions against the policy",
        "Judge the model files a change touches (by default: the working tree against HEAD).",
    )
    which = check.add_mutually_exclusive_group()
    which.add_argument("--staged", action="store_true", help="judge the index against HEAD (the pre-commit hook)")
    which.add_argument("--all", action="store_true", help="validate every model file of the working tree on its own")
    check.add_argument(
        "--base", metavar="REF", help="judge HEAD (or --head) against the merge-base with REF, like a pull request"
    )
    check.add_argument(
        "--head", metavar="REF", help="the commit to judge (default HEAD); alone: against its first parent"
    )
    check.add_argument(
        "--format",
        choices=_Formats(),
        metavar="FORMAT",  # argparse would list the choices, importing the reporters, to build any parser
        help="one of %(choices)s. text: one 'file:line:col: rule: message' line per error, the summary on "
        "stderr (the default); "
        "json: one JSON object {ok, base, head, files_checked, errors}; github: an ::error annotation per "
        "error and a table in $GITHUB_STEP_SUMMARY (the default inside GitHub Actions); sarif: a SARIF 2.1.0 "
        "log for code scanning; markdown: the pull-request comment (what merging does, the verdict, the policy)",
    )
    check.add_argument("-q", "--quiet", action="store_true", help="print errors only, no summary line")
    check.set_defaults(handler=_check)


def _check(args: argparse.Namespace) -> int:
    from stagectl.commands import check
    from stagectl.errors import FatalError
    from stagectl.gitrepo.targets import Request

    if (args.staged or args.all) and (args.base or args.head):
        raise FatalError("--staged and --all cannot be combined with --base or --head")
    request = Request(base=args.base, head=args.head, staged=args.staged, all=args.all)
    return check.run(request, args.format, args.quiet, os.environ, sys.stdout, sys.stderr)


def _add_authoring(commands: Any) -> None:
    promote = _command(commands, "promote", "move a version to its next stage (or --to), archiving what it displaces")
    promote.add_argument("model")
    promote.add_argument("version", type=int)
    promote.add_argument("--to", choices=_PROMOTE_TO, help="the target stage (default: the next one)")
    archive = _command(commands, "archive", "archive a version")
    archive.add_argument("model")
    archive.add_argument("version", type=int)
    rollback = _command(commands, "rollback", "put the previous production version back; archive the current one")
    rollback.add_argument("model")
    register = _command(commands, "register", "add the next version of a model")
    register.add_argument("model")
    register.add_argument("--source", required=True, metavar="URI", help="the artifact URI")
    register.add_argument("--run-id", metavar="ID", help="the MLflow run that produced it")
    register.add_argument("--stage", choices=_STARTS, default=Stage.NONE.value, help="its first stage (default none)")
    register.add_argument(
        "--metric", action="append", default=[], metavar="NAME=NUMBER", help="a metric it carries (repeatable)"
    )
    for editing in (promote, archive, rollback, register):
        editing.add_argument("--dry-run", action="store_true", help="print the diff; change nothing")
        editing.set_defaults(handler=_edit)
    new = _command(commands, "new", "write a new, empty model file")
    new.add_argument("model")
    new.set_defaults(handler=_new)

    owners = _command(
        commands, "owners", "the CODEOWNERS lines that give each model file its owners (print, check, write)"
    )
    mode = owners.add_mutually_exclusive_group()
    mode.add_argument(
        "--check",
        nargs="?",
        const=".github/CODEOWNERS",
        metavar="FILE",
        help="exit 1 when FILE's stagectl block differs (default .github/CODEOWNERS)",
    )
    mode.add_argument(
        "--write", nargs="?", const=".github/CODEOWNERS", metavar="FILE", help="update (or add) the block in FILE"
    )
    owners.set_defaults(handler=_owners)

    status = _command(commands, "status", "every model's versions by stage, from HEAD (or --ref)")
    status.add_argument("model", nargs="?")
    status.add_argument("--stage", choices=Stage.names(), help="only versions in this stage")
    status.add_argument("--ref", metavar="REF", help="read this commit instead of HEAD")
    status.add_argument(
        "--format", choices=("text", "json", "markdown"), default="text", help=_TABLE_OR_JSON + "; markdown: a table"
    )
    status.set_defaults(handler=_status)

    history = _command(commands, "history", "every stage change of a model, with commit, author, date and PR")
    history.add_argument("model")
    history.add_argument("--version", type=int, dest="model_version", metavar="N", help="only this version")
    history.add_argument("--at", metavar="DATE|REF", help="only what had happened by then (YYYY-MM-DD, or a commit)")
    history.add_argument(
        "--format",
        choices=("text", "json", "mermaid"),
        default="text",
        help=_TABLE_OR_JSON + "; mermaid: a gantt timeline of each version's stages",
    )
    history.set_defaults(handler=_history)


def _edit(args: argparse.Namespace) -> int:
    from stagectl.authoring import changes
    from stagectl.commands import edit

    def plan(model: ModelFile, workspace: Workspace) -> Edit:
        if args.command == "promote":
            return changes.promote(model, args.version, Stage(args.to) if args.to else None, workspace.settings.policy)
        if args.command == "archive":
            return changes.archive(model, args.version)
        if args.command == "register":
            return changes.register(model, args.source, args.run_id, Stage(args.stage), args.metric)
        return edit.plan_rollback(model, workspace)

    return edit.run(args.model, plan, args.dry_run, os.environ, sys.stdout, sys.stderr)


def _new(args: argparse.Namespace) -> int:
    from stagectl.commands import new

    return new.run(args.model, sys.stdout, sys.stderr)


def _owners(args: argparse.Namespace) -> int:
    from stagectl.commands import owners

    return owners.run(args.check, args.write, sys.stdout, sys.stderr)


def _status(args: argparse.Namespace) -> int:
    from stagectl.commands import status

    return status.run(args.model, args.stage, args.ref, args.format, os.environ, sys.stdout, sys.stderr)


def _history(args: argparse.Namespace) -> int:
    from stagectl.commands import history

    return history.run(args.model, args.model_version, args.at, args.format, sys.stdout, sys.stderr)


def _add_registry(commands: Any) -> None:
    described = (
        ("plan", "show what apply would write to the MLflow registry, in order (writes nothing)"),
        ("apply", "make the MLflow registry match the model files at HEAD (git wins)"),
        ("diff", "show where the MLflow registry differs from git; exit 1 when it does"),
    )
    for name, summary in described:
        sub = _command(commands, name, summary)
        sub.add_argument(
            "--registry",
            metavar="URI",
            help="the MLflow registry (default: MLFLOW_TRACKING_URI, then registry.uri in stagectl.yaml, "
            "then sqlite:///mlflow.db at the repository root)",
        )
        sub.add_argument("--model", metavar="NAME", action="append", default=[], help="only this model (repeatable)")
        sub.add_argument(
            "--format",
            choices=("text", "json"),
            default="text",
            help="text: the registry, then each model's writes and a summary (the default); json: one object "
            "with the actions list (and errors), for tools",
        )
        sub.set_defaults(handler=_registry)
    imports = _command(commands, "import", "write model files for the models of an existing MLflow registry")
    imports.add_argument("--registry", metavar="URI", help="the MLflow registry (found as for plan)")
    imports.add_argument("models", metavar="MODEL", nargs="*", help="registered models to import (default: all)")
    imports.set_defaults(handler=_import)


def _registry(args: argparse.Namespace) -> int:
    from stagectl.commands import apply, diff, plan

    run = {"plan": plan.run, "apply": apply.run, "diff": diff.run}[args.command]
    return run(args.registry, args.model, args.format, os.environ, sys.stdout, sys.stderr)


def _import(args: argparse.Namespace) -> int:
    from stagectl.commands import importer

    return importer.run(args.registry, args.models, os.environ, sys.stdout, sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    if sys.stdout is None or sys.stderr is None:
        # `stagectl status >&-`: there is nowhere to put the answer (nor, maybe, the reason).
        if sys.stderr is not None:
            sys.stderr.write("stagectl: error: standard output is closed\n")
        return USAGE_EXIT
    display.tolerate_any_encoding(sys.stdout, sys.stderr)
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help(sys.stderr)
        return USAGE_EXIT
    debug = args.debug or bool(os.environ.get("STAGECTL_DEBUG"))
    try:
        status = int(args.handler(args))
        sys.stdout.flush()  # a full disk or a dead pipe shows here, not as a warning at exit
        return status
    except KeyboardInterrupt:
        sys.stderr.write("stagectl: interrupted\n")
        return 130
    except BrokenPipeError:
        # The reader went away (`stagectl check | head`): nothing more to say, and no error at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except Exception as error:
        if debug:
            raise
        return _report(error)


def _report(error: Exception) -> int:
    """One line on stderr for what went wrong, and the exit status."""
    from stagectl.errors import FatalError

    if isinstance(error, FatalError):
        sys.stderr.write(f"stagectl: error: {display.printable(str(error))}\n")  # one line, whatever it quotes
        return error.exit_code
    if isinstance(error, OSError) and error.errno in _CANNOT_WRITE:
        sys.stderr.write(f"stagectl: error: cannot write: {error.strerror}\n")
        try:
            sys.stdout.flush()
        except OSError:  # what stdout still holds cannot be written either: no second error at exit
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return USAGE_EXIT
    name = type(error).__name__
    shown = display.printable(str(error))
    sys.stderr.write(f"stagectl: internal error: {name}: {shown} (rerun with --debug for the details)\n")
    return USAGE_EXIT
