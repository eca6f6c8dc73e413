"""Errors a client may see, each with a stable `extensions.code`.

Anything else raised while resolving is an internal error: masked for the client
(`INTERNAL_SERVER_ERROR` with the request id) and logged with its traceback.
"""

from __future__ import annotations

from graphql import GraphQLError

BAD_USER_INPUT = "BAD_USER_INPUT"
FORBIDDEN = "FORBIDDEN"
NOT_FOUND = "NOT_FOUND"
UNAVAILABLE = "SERVICE_UNAVAILABLE"
LIMIT_EXCEEDED = "LIMIT_EXCEEDED"
VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
INTERNAL = "INTERNAL_SERVER_ERROR"


class ClientError(GraphQLError):
    """An error caused by the request, safe to show as is."""

    code = BAD_USER_INPUT

    def __init__(self, message: str, **extra: object):
        super().__init__(message, extensions={"code": self.code, **extra})


class BadUserInput(ClientError):
    code = BAD_USER_INPUT


class Forbidden(ClientError):
    code = FORBIDDEN


class NotFound(ClientError):
    code = NOT_FOUND


class Unavailable(ClientError):
    code = UNAVAILABLE


def code_for_request_error(message: str, is_syntax: bool) -> str:
    """The code of an error raised before execution: parse, validation, or one of the
    limit extensions (depth, aliases, tokens), recognised by strawberry's messages."""
    lowered = message.lower()
    if "token" in lowered and "more than" in lowered:
        return LIMIT_EXCEEDED
    if "exceeds maximum operation depth" in lowered or "aliases found" in lowered:
        return LIMIT_EXCEEDED
    return PARSE_FAILED if is_syntax else VALIDATION_FAILED
