"""The GraphQL schema with its limits, error codes and error masking.

`python -m linkage.api.schema > schema.graphql` writes the SDL; a test keeps the
checked-in file equal to it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import strawberry
from graphql import FieldNode, GraphQLError, GraphQLSyntaxError, OperationDefinitionNode
from strawberry.extensions import (AddValidationRules, MaxTokensLimiter, ParserCache, SchemaExtension,
                                   ValidationCache)
from strawberry.extensions.max_aliases import create_validator as alias_rule
from strawberry.extensions.query_depth_limiter import create_validator as depth_rule

from linkage.api import fast_resolvers
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


class CachedParse(ParserCache):
    """Strawberry's parse cache, but a document that does not parse is left to Strawberry's
    own parse (which raises the same error where it becomes a coded GraphQL error)."""

    def on_parse(self) -> Iterator[None]:
        ec = self.execution_context
        try:
            ec.graphql_document = self.cached_parse_document(ec.query, **ec.parse_options)
        except GraphQLError:
            ec.graphql_document = None
        yield


class LinkageSchema(strawberry.Schema):
    def process_errors(self, errors, execution_context=None) -> None:  # type: ignore[override]
        """Logged by ErrorShaping instead, with the request id and without the query's text."""


def build_schema(settings: Settings | None = None) -> strawberry.Schema:
    """The schema with its limits. Parsing and validating a document cost more than executing
    a typical query, and clients send the same few documents again and again (with other
    variables): both are cached by the document's text, in bounded LRU caches. The limit
    rules are built once, so that a document's validation (which includes the depth and
    alias limits) is the same cache entry for every request; the token limit is a parse
    option, part of the parse cache's key. Answers are never cached: every request executes."""
    s = settings or Settings()
    limits = (depth_rule(s.api_max_depth, None, None), alias_rule(s.api_max_aliases))
    schema = LinkageSchema(
        query=Query, mutation=Mutation,
        extensions=[
            lambda: AddValidationRules(list(limits)),
            lambda: MaxTokensLimiter(max_token_count=s.api_max_tokens),
            lambda: CachedParse(maxsize=s.api_document_cache),
            lambda: ValidationCache(maxsize=s.api_document_cache),
            ErrorShaping,
        ],
    )
    fast_resolvers.install(schema)
    return schema


def sdl() -> str:
    return build_schema().as_str() + "\n"


if __name__ == "__main__":
    import sys

    sys.stdout.write(sdl())
