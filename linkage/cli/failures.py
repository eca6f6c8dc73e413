"""Unexpected errors in any command: one clear line, the traceback at debug level, exit 1.

A scheduler's log should say what failed and on which input, not end in a Python
traceback. Every command runs inside `GuardedGroup.invoke`: usage errors and the
commands' own `typer.Exit` codes pass through untouched; any other exception becomes

    error: linkage detect failed (store linkage.duckdb): StoreBusy: store ... is busy: ...

and exit code 1. The traceback is logged at DEBUG (`--verbose` shows it). Commands
name their inputs with `note_input` as soon as they know them (the store URL from
the settings, the input directory, the truth file), so the line can name them too.
"""

from __future__ import annotations

import logging
from contextvars import ContextVar

import typer
from typer.core import TyperGroup
from typer.exceptions import TyperException

log = logging.getLogger("linkage.cli")
# The running command's inputs, by name (set afresh by each GuardedGroup.invoke).
_inputs: ContextVar[dict[str, str] | None] = ContextVar("linkage_cli_inputs", default=None)


def note_input(name: str, value: object) -> None:
    """Remember an input of the running command for its failure line (no-op outside a command)."""
    inputs = _inputs.get()
    if inputs is not None:
        inputs[name] = str(value)


def _message(exc: BaseException) -> str:
    """The first line of the error; for a settings error, each bad field and why."""
    errors = getattr(exc, "errors", None)
    if callable(errors) and type(exc).__name__ == "ValidationError":  # pydantic: one line per field
        return "; ".join(f"{'.'.join(map(str, e['loc'])) or 'value'}: {e['msg']}" for e in errors())
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else ""


def failure_line(command: str, inputs: dict[str, str], exc: BaseException) -> str:
    """`linkage <command> failed (<inputs>): <Type>: <first line of the message>`."""
    message = _message(exc)
    detail = f"{type(exc).__name__}: {message}" if message else type(exc).__name__
    where = ", ".join(f"{k} {v}" for k, v in inputs.items())
    return f"linkage {command} failed{f' ({where})' if where else ''}: {detail}"


class GuardedGroup(TyperGroup):
    """The `linkage` group: its sub-commands' unexpected errors end in one line and exit 1."""

    def invoke(self, ctx: typer.Context) -> object:
        token = _inputs.set({})
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, TyperException):  # exit codes and usage errors: as they are
            raise
        except Exception as exc:  # noqa: BLE001 - the point: nothing unexpected escapes as a traceback
            command = ctx.invoked_subcommand or ctx.info_name or "linkage"
            log.debug("linkage %s failed", command, exc_info=exc)
            from rich.markup import escape

            from linkage.cli.common import console

            line = failure_line(command, _inputs.get() or {}, exc)
            console.print(f"[red]error:[/red] {escape(line)}", soft_wrap=True, highlight=False)
            raise typer.Exit(1) from exc
        finally:
            _inputs.reset(token)
