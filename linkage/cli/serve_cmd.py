"""CLI: `linkage serve` — the GraphQL API over the store."""

from __future__ import annotations

import os
import tempfile
from typing import Annotated

import typer

from linkage.cli import app
from linkage.cli.common import StoreOpt, console, settings_from


@app.command()
def serve(
    store: StoreOpt = None,
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8000,
    log_level: Annotated[str, typer.Option(help="debug, info, warning or error")] = "info",
    workers: Annotated[int | None, typer.Option(
        min=1, help="Worker processes (default LINKAGE_API_WORKERS, 1); they share one memory-mapped model")] = None,
) -> None:
    """Serve rings, evidence paths and analyst decisions as GraphQL at /graphql (GraphiQL in a browser),
    with /healthz and Prometheus /metrics. Keys from LINKAGE_API_KEYS (name:key:role, roles reader, analyst)."""
    try:  # the API's packages are an extra: say so rather than fail with a traceback
        import fastapi  # noqa: F401
        import strawberry  # noqa: F401
        import uvicorn
    except ImportError as exc:
        console.print(f"the API needs its packages: pip install 'linkage\\[api]' ({exc.name} is missing)",
                      style="red")
        raise typer.Exit(2) from None
    from linkage.api.app import create_app
    from linkage.api.auth import ApiKeyError, ApiKeys

    settings = settings_from(store, api_workers=workers)
    try:
        if not len(ApiKeys.parse(settings.api_keys)):
            raise ApiKeyError("LINKAGE_API_KEYS is empty: give at least one name:key:role entry")
    except ApiKeyError as exc:
        console.print(str(exc), style="red", markup=False)
        raise typer.Exit(2) from None
    n = settings.api_workers
    console.print(f"Linkage API on http://{host}:{port}/graphql (store {settings.store}, {n} worker(s)); "
                  "the model loads in the background, /healthz says when it is ready")
    if n == 1:
        uvicorn.run(create_app(settings), host=host, port=port, log_level=log_level, access_log=False)
        return
    # uvicorn starts each worker afresh and calls the factory there: it reads the settings from the environment
    os.environ["LINKAGE_STORE"] = settings.store
    with tempfile.TemporaryDirectory(prefix="linkage-metrics-") as metrics_dir:
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir  # /metrics adds up every worker's counters
        uvicorn.run("linkage.api.app:app_from_environment", factory=True, workers=n, host=host, port=port,
                    log_level=log_level, access_log=False)
