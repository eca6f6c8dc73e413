"""Relay-style pages: `first` checked against the page limit, opaque keyset cursors.

A cursor is the sort key of the last node a client saw (base64 of JSON, tagged with
its connection), so the next page starts right after that node even when a reload
has moved other nodes meanwhile: no node is skipped or shown twice because of it.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from bisect import bisect_right
from collections.abc import Sequence

from linkage.api.errors import BadUserInput


def check_first(first: int | None, default: int, limit: int, name: str = "first") -> int:
    if first is None:
        return min(default, limit)
    if first < 0:
        raise BadUserInput(f"`{name}` must not be negative (got {first})", argument=name)
    if first > limit:
        raise BadUserInput(f"`{name}` must be at most {limit} (got {first})", argument=name)
    return first


PLAIN = re.compile(r"^[A-Za-z0-9_.:-]*$")  # needs no JSON escaping


def encode_cursor(connection: str, key: Sequence[object]) -> str:
    if len(key) == 1 and isinstance(key[0], str) and PLAIN.match(key[0]):
        # a page of 100 members makes 100 of these: skip json.dumps, same bytes as it gives
        raw = f'["{connection}",["{key[0]}"]]'
    else:
        raw = json.dumps([connection, list(key)], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, connection: str, types: Sequence[type]) -> tuple[object, ...]:
    """The key inside `cursor`; BAD_USER_INPUT when it is not a cursor of `connection`."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        tag, key = json.loads(base64.urlsafe_b64decode(padded.encode()).decode())
    except (binascii.Error, ValueError, UnicodeDecodeError, TypeError):
        raise BadUserInput("`after` is not a cursor this API issued", argument="after") from None
    if tag != connection or not isinstance(key, list) or len(key) != len(types) or not all(
            isinstance(v, t) and not (t is int and isinstance(v, bool)) for v, t in zip(key, types)):
        raise BadUserInput(f"`after` is not a cursor of this {connection} list", argument="after")
    return tuple(key)


def page_after(keys: Sequence[tuple[object, ...]], after: tuple[object, ...] | None, first: int
               ) -> tuple[int, int, bool]:
    """(start, stop, has_next) of the page after `after` in the ascending `keys`."""
    start = bisect_right(keys, after) if after is not None else 0
    stop = min(start + first, len(keys))
    return start, stop, stop < len(keys)
