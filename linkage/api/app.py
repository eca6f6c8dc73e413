"""The FastAPI app: GraphQL at /graphql (GraphiQL in a browser), /healthz, /metrics.

Every request passes through the `Envelope` (request id, authentication, timing,
metrics, one JSON log line; see envelope.py). Nothing escapes as an HTTP 500:
GraphQL errors travel in the response body with a code, and anything that still
breaks is logged with the request id and answered as a masked error.
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timezone

import orjson
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST
from strawberry.fastapi import GraphQLRouter

from linkage.api.auth import ApiKeyError, ApiKeys
from linkage.api.context import RequestContext
from linkage.api.envelope import Envelope
from linkage.api.metrics import ApiMetrics
from linkage.api.request_log import configure_json_logging
from linkage.api.schema import build_schema
from linkage.api.serving import DecisionCache, ModelHolder
from linkage.settings import Settings
from linkage.store import open_store

log = logging.getLogger("linkage.api")


class Router(GraphQLRouter):
    def encode_json(self, data: object) -> bytes:
        """orjson: a third of the cost of `json.dumps` for a 100-member answer."""
        return orjson.dumps(data)


def make_holder(settings: Settings) -> ModelHolder:
    """Readers open the store read-only for a moment; decisions go through a lazily opened store."""
    def open_reader():
        return open_store(settings.store, memory_limit=settings.memory_limit, threads=settings.threads,
                          read_only=True)

    decisions = open_store(settings.store, memory_limit=settings.memory_limit, threads=settings.threads, lazy=True)
    return ModelHolder(settings, open_reader, DecisionCache(decisions, settings.api_decisions_ttl_seconds))


def create_app(settings: Settings, holder: ModelHolder | None = None, wait_for_model: bool = False) -> FastAPI:
    """The app for `settings`; `wait_for_model` loads the model before serving (tests, benchmarks)."""
    keys = ApiKeys.parse(settings.api_keys)
    if not len(keys):
        raise ApiKeyError("LINKAGE_API_KEYS is empty: give at least one name:key:role entry")
    configure_json_logging()
    holder = holder or make_holder(settings)
    metrics = ApiMetrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if wait_for_model:
            holder.refresh()
        holder.start()
        try:
            yield
        finally:
            holder.stop()
            holder.decisions.store.close()

    app = FastAPI(title="Linkage", description="Rings, evidence and analyst decisions of Linkage.",
                  lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    app.state.holder, app.state.metrics = holder, metrics

    async def get_context(request: Request) -> RequestContext:
        return RequestContext(principal=request.state.principal, request_id=request.state.request_id,
                              settings=settings, holder=holder)

    app.include_router(Router(build_schema(settings), context_getter=get_context, graphql_ide="graphiql"),
                       prefix="/graphql")

    app.add_middleware(Envelope, keys=keys, metrics=metrics)

    @app.get("/healthz")
    def healthz() -> JSONResponse:
        model = holder.model
        body = {"status": "ok" if model else "loading", "run_id": model.run_id if model else None,
                "rings": len(model.active) if model else 0,
                "accounts": model.graph.n_accounts if model else 0,
                "loaded_at": model.loaded_at.isoformat() if model else None,
                "last_check": holder.last_check.isoformat() if holder.last_check else None,
                "store_busy": holder.last_error, "now": datetime.now(timezone.utc).isoformat(),
                "worker_pid": os.getpid(), "model_source": holder.last_source}
        return JSONResponse(body, status_code=200 if model else 503)

    @app.get("/metrics")
    def prometheus() -> Response:
        model = holder.model
        if model:
            metrics.model_loaded.set(model.loaded_at.timestamp())
            metrics.model_rings.set(len(model.active))
        return Response(metrics.exposition(), media_type=CONTENT_TYPE_LATEST)

    return app


def app_from_environment() -> FastAPI:
    """The app of one worker of `linkage serve --workers N` (uvicorn calls it in each worker
    process; the settings come from the environment the CLI set up)."""
    return create_app(Settings())
