"""API keys: `LINKAGE_API_KEYS` holds `name:key:role` entries; requests send `Bearer <key>`.

Keys are compared in constant time and never logged: logs and decisions carry the
key's *name*. Roles: `reader` may query, `analyst` may also record decisions.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

ROLES = ("reader", "analyst")


@dataclass(frozen=True)
class Principal:
    name: str
    role: str

    @property
    def may_decide(self) -> bool:
        return self.role == "analyst"


class ApiKeyError(ValueError):
    """LINKAGE_API_KEYS is malformed; the message names the entry by position, never the key."""


@dataclass(frozen=True)
class ApiKeys:
    entries: tuple[tuple[bytes, Principal], ...]

    @classmethod
    def parse(cls, text: str) -> "ApiKeys":
        entries: list[tuple[bytes, Principal]] = []
        names: set[str] = set()
        for i, raw in enumerate((e.strip() for e in text.replace("\n", ",").split(",")), 1):
            if not raw:
                continue
            parts = raw.split(":")
            if len(parts) != 3 or not all(p.strip() for p in parts):
                raise ApiKeyError(f"LINKAGE_API_KEYS entry {i} is not name:key:role")
            name, key, role = (p.strip() for p in parts)
            if role not in ROLES:
                raise ApiKeyError(f"LINKAGE_API_KEYS entry {i} ({name}): role {role!r} is not one of {', '.join(ROLES)}")
            if len(key) < 16:
                raise ApiKeyError(f"LINKAGE_API_KEYS entry {i} ({name}): the key is shorter than 16 characters")
            if name in names:
                raise ApiKeyError(f"LINKAGE_API_KEYS entry {i}: the name {name!r} is used twice")
            names.add(name)
            entries.append((key.encode(), Principal(name, role)))
        return cls(tuple(entries))

    def __len__(self) -> int:
        return len(self.entries)

    def principal(self, authorization: str | None) -> Principal | None:
        """Who sent `Authorization: Bearer <key>`; None for no key or a wrong one."""
        if not authorization:
            return None
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        offered = token.strip().encode()
        found = None
        for key, who in self.entries:  # look at every key: the time taken does not tell which matched
            if hmac.compare_digest(key, offered):
                found = who
        return found
