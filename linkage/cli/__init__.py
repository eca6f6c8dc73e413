"""The `linkage` command: one sub-command per job a user runs.

Exit codes a scheduler can read: 0 done, 1 failed, 2 bad usage or input,
3 done but rows were quarantined (ingest --strict only). A failure is one line
on stderr (what failed, on which input); `--verbose` adds the traceback.
"""

from __future__ import annotations

import typer

from linkage.cli.failures import GuardedGroup

app = typer.Typer(
    cls=GuardedGroup,  # an unexpected error: one line naming the command and its input, exit 1
    help="Linkage: find the operator rings behind API abuse in an account-linkage graph.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)



@app.callback()
def main() -> None:
    """Linkage: find the operator rings behind API abuse in an account-linkage graph."""


# Each module registers its commands on `app`.
from linkage.cli import ingest_cmd, simulate_cmd, detect_cmd, evaluate_cmd  # noqa: E402,F401
from linkage.cli import export_cmd  # noqa: E402,F401
from linkage.cli import serve_cmd  # noqa: E402,F401
from linkage.cli import nightly_cmd, indicators_cmd  # noqa: E402,F401  (issue #9)


@app.command()
def version() -> None:
    """Print Linkage's version."""
    from linkage import __version__

    typer.echo(__version__)
