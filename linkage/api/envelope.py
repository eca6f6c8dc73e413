"""What wraps every HTTP request: request id, authentication, timing, metrics, one log line.

A plain ASGI middleware rather than Starlette's `BaseHTTPMiddleware`: that one runs
the app in a task of its own and streams the response through a memory channel,
which cost more CPU per request than the JSON encoding of a 100-member answer.

Every request gets a request id (the caller's `X-Request-ID` when sane, echoed back),
is authenticated before GraphQL sees it (no key or a wrong one: HTTP 401), is timed
and counted by operation, and leaves one JSON log line. Anything that still breaks
is logged with the request id and answered as a masked error, never a bare 500.
"""

from __future__ import annotations

import logging
import time
from urllib.parse import parse_qs

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from linkage.api.auth import ApiKeys
from linkage.api.context import RequestStats
from linkage.api.errors import INTERNAL
from linkage.api.metrics import ApiMetrics
from linkage.api.request_log import request_id

log = logging.getLogger("linkage.api")
UNAUTHENTICATED = {"errors": [{"message": "missing or unknown API key: send Authorization: Bearer <key>",
                               "extensions": {"code": "UNAUTHENTICATED"}}]}


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1"): v.decode("latin-1") for k, v in scope.get("headers", [])}


def is_ide_page(scope: Scope, headers: dict[str, str]) -> bool:
    """A browser asking for GraphiQL (served without a key; its queries then need one)."""
    return (scope["method"] == "GET" and "text/html" in headers.get("accept", "")
            and "query" not in parse_qs(scope.get("query_string", b"").decode("latin-1")))


class Envelope:
    def __init__(self, app: ASGIApp, keys: ApiKeys, metrics: ApiMetrics):
        self.app, self.keys, self.metrics = app, keys, metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = _headers(scope)
        rid = request_id(headers.get("x-request-id"))
        stats = RequestStats()
        state = scope.setdefault("state", {})
        state["request_id"], state["stats"], state["principal"] = rid, stats, None
        path = scope["path"]
        is_graphql = path.rstrip("/") == "/graphql"
        guarded = is_graphql and not is_ide_page(scope, headers)
        started = time.perf_counter()
        status = 0

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", rid.encode())]
            await send(message)

        principal = self.keys.principal(headers.get("authorization")) if guarded else None
        try:
            if guarded and principal is None:
                await JSONResponse(UNAUTHENTICATED, status_code=401,
                                   headers={"WWW-Authenticate": "Bearer"})(scope, receive, send_with_id)
            else:
                state["principal"] = principal
                await self.app(scope, receive, send_with_id)
        except Exception:  # the last line of defence: logged with the request id, never a bare 500
            log.exception("unhandled error", extra={"event": "internal_error", "request_id": rid})
            if status == 0:  # nothing sent yet: a masked answer is still possible
                body = {"errors": [{"message": "Internal error; quote the request id when reporting it.",
                                    "extensions": {"code": INTERNAL, "requestId": rid}}]}
                await JSONResponse(body, status_code=200 if is_graphql else 503)(scope, receive, send_with_id)
        seconds = time.perf_counter() - started
        operation = stats.operation if is_graphql else path
        outcome = ("unauthenticated" if status == 401 else
                   "error" if stats.errors or status >= 400 else "ok")
        if guarded:
            self.metrics.observe(operation, outcome, seconds, stats.backend_calls if principal else None)
        log.info("request", extra={
            "event": "request", "request_id": rid, "method": scope["method"], "path": path,
            "status": status, "operation": operation, "principal": principal.name if principal else None,
            "ms": round(seconds * 1000, 2), "backend_calls": stats.backend_calls, "error_codes": stats.errors})
