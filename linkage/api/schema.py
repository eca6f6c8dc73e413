"""The GraphQL schema with its limits, error codes and error masking.

`python -m linkage.api.schema > schema.graphql` writes the SDL; a test keeps the
checked-in file equal to it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import strawberry
from graphql import FieldNode, GraphQLError, GraphQLSyntaxError, OperationDefinitionNode
from strawberry.extensions import MaxAliasesLimiter, MaxTokensLimiter, QueryDepthLimiter, SchemaExtension

from linkage.api.errors import INTERNAL, ClientError, code_for_request_error
from linkage.api.resolvers import Mutation, Query
from linkage.settings import Settings

log = logging.getLogger("linkage.api.errors")


def operation_label(ec) -> str:
    """`query:ring` / `mutation:setRingStatus`: the operation type and its root fields.

    Root fields come from the schema (unknown ones fail validation first), so the label
    set stays small whatever clients send; it names metrics and log lines."""
    doc = ec.graphql_document
    if doc is None:
        return "unparsed"
    ops = [d for d in doc.definitions if isinstance(d, OperationDefinitionNode)]
    if ec.operation_name:
        ops = [o for o in ops if o.name and o.name.value == ec.operation_name] or ops
    if not ops:
        return "none"
    op = ops[0]
    fields = sorted({s.name.value for s in op.selection_set.selections if isinstance(s, FieldNode)})
    return f"{op.operation.value}:{'+'.join(fields) or 'fragments'}"[:80]


class ErrorShaping(SchemaExtension):
    """Every error leaves with a code; internal ones are masked and logged with the request id."""

    def on_operation(self) -> Iterator[None]:
        yield
        ctx = self.execution_context.context
        label = operation_label(self.execution_context)
        stats = getattr(getattr(getattr(ctx, "request", None), "state", None), "stats", None)
        if stats is not None:
            stats.operation = label
            stats.backend_calls = getattr(ctx, "backend_calls", 0)
        result = self.execution_context.result
        errors = getattr(result, "errors", None)
        if not errors:
            return
        request_id = getattr(ctx, "request_id", None)
        shaped = [self._shape(e, request_id, label) for e in errors]
        result.errors = shaped
        if stats is not None:
            stats.errors = [str((e.extensions or {}).get("code")) for e in shaped]

    def _shape(self, error: GraphQLError, request_id: str | None, label: str) -> GraphQLError:
        original = error.original_error
        if isinstance(original, ClientError):
            return GraphQLError(original.message, error.nodes, error.source, error.positions, error.path,
                                extensions=original.extensions)
        if original is None:  # parse, validation or limit: the message is the client's to read
            if error.extensions and error.extensions.get("code"):
                return error
            code = code_for_request_error(error.message, isinstance(error, GraphQLSyntaxError))
            return GraphQLError(error.message, error.nodes, error.source, error.positions, error.path,
                                extensions={"code": code})
        log.error("internal error in %s", label, exc_info=(type(original), original, original.__traceback__),
                  extra={"event": "internal_error", "request_id": request_id, "operation": label,
                         "path": list(error.path or [])})
        return GraphQLError("Internal error; quote the request id when reporting it.", error.nodes, error.source,
                            error.positions, error.path, extensions={"code": INTERNAL, "requestId": request_id})


class LinkageSchema(strawberry.Schema):
    def process_errors(self, errors, execution_context=None) -> None:  # type: ignore[override]
        """Logged by ErrorShaping instead, with the request id and without the query's text."""


def build_schema(settings: Settings | None = None) -> strawberry.Schema:
    s = settings or Settings()
    return LinkageSchema(
        query=Query, mutation=Mutation,
        extensions=[
            lambda: QueryDepthLimiter(max_depth=s.api_max_depth),
            lambda: MaxAliasesLimiter(max_alias_count=s.api_max_aliases),
            lambda: MaxTokensLimiter(max_token_count=s.api_max_tokens),
            ErrorShaping,
        ],
    )


def sdl() -> str:
    return build_schema().as_str() + "\n"


if __name__ == "__main__":
    import sys

    sys.stdout.write(sdl())
