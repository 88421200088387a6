"""The command line: argument parsing and dispatch only. Commands are imported when run."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from stagectl import __version__

USAGE_EXIT = 2


class _Parser(argparse.ArgumentParser):
    """Usage errors are one line and exit 2, like every other "cannot run"."""

    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"{self.prog}: error: {message} (see '{self.prog} --help')\n")
        raise SystemExit(USAGE_EXIT)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="stagectl", description="GitOps for machine-learning model stages.")
    parser.add_argument("--version", action="version", version=f"stagectl {__version__}")
    parser.add_argument("--debug", action="store_true", help="show a traceback when something goes wrong")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    check = commands.add_parser(
        "check",
        help="judge a change's stage transitions against the policy",
        description="Judge the model files a change touches (by default: the working tree against HEAD).",
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
        choices=("text", "json", "github"),
        help="output format (default text; github inside GitHub Actions)",
    )
    check.add_argument("-q", "--quiet", action="store_true", help="print errors only, no summary line")
    check.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    check.set_defaults(handler=_check)
    return parser


def _check(args: argparse.Namespace) -> int:
    from stagectl.commands import check
    from stagectl.errors import FatalError
    from stagectl.targets import Request

    if (args.staged or args.all) and (args.base or args.head):
        raise FatalError("--staged and --all cannot be combined with --base or --head")
    request = Request(base=args.base, head=args.head, staged=args.staged, all=args.all)
    return check.run(request, args.format, args.quiet, os.environ, sys.stdout, sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help(sys.stderr)
        return USAGE_EXIT
    debug = args.debug or bool(os.environ.get("STAGECTL_DEBUG"))
    try:
        return int(args.handler(args))
    except KeyboardInterrupt:
        sys.stderr.write("stagectl: interrupted\n")
        return 130
    except BrokenPipeError:
        # The reader went away (`stagectl check | head`): nothing more to say, and no error at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except Exception as error:
        from stagectl.errors import FatalError

        if debug:
            raise
        if isinstance(error, FatalError):
            sys.stderr.write(f"stagectl: error: {error}\n")
            return error.exit_code
        sys.stderr.write(
            f"stagectl: internal error: {type(error).__name__}: {error} (rerun with --debug for the details)\n"
        )
        return USAGE_EXIT
