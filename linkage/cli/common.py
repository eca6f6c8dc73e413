"""Options every command shares, and how they become Settings and a store."""

from __future__ import annotations

import logging
from typing import Annotated, Optional

import typer
from rich.console import Console

from linkage.cli.failures import note_input
from linkage.settings import Settings, load_settings
from linkage.store import GraphStore, open_store

console = Console(stderr=True)
out = Console()

StoreOpt = Annotated[
    Optional[str],
    typer.Option("--store", help="Store URL: DuckDB file path, ':memory:' or neo4j://… "
                 "[env LINKAGE_STORE; default ./linkage.duckdb]", show_default=False),
]
VerboseOpt = Annotated[bool, typer.Option("--verbose", "-v", help="Log timings and statements.")]


def settings_from(store: str | None, verbose: bool = False, **overrides: object) -> Settings:
    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("numba").setLevel(logging.WARNING)  # -v is about Linkage, not the JIT compiler's passes
    return load_settings(store=store, **overrides)


def store_from(settings: Settings) -> GraphStore:
    note_input("store", settings.store)
    return open_store(settings.store, memory_limit=settings.memory_limit, threads=settings.threads)
