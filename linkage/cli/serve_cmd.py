"""CLI: `linkage serve` — the GraphQL API over the store."""

from __future__ import annotations

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
    from linkage.api.auth import ApiKeyError

    settings = settings_from(store)
    try:
        application = create_app(settings)
    except ApiKeyError as exc:
        console.print(str(exc), style="red", markup=False)
        raise typer.Exit(2) from None
    console.print(f"Linkage API on http://{host}:{port}/graphql (store {settings.store}); "
                  "the model loads in the background, /healthz says when it is ready")
    uvicorn.run(application, host=host, port=port, log_level=log_level, access_log=False)
