"""Per-request context: who asks, which model answers, and the request's DataLoaders.

A request takes the current read model once, so every field of one response comes
from the same detection run. DataLoaders batch the lookups of one request — every
`account { … }` of a page of members is one vectorised lookup, every ring's
`status`/`decisions` one read of the decisions — and `backend_calls` counts those
batches, so that N+1 shows as a number (logged and exported per request).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from strawberry.dataloader import DataLoader
from strawberry.fastapi import BaseContext

from linkage.api.auth import Principal
from linkage.api.errors import Unavailable
from linkage.api.read_model import ReadModel
from linkage.api.serving import Decisions, ModelHolder
from linkage.settings import Settings
from linkage.store.models import RingDecision


@dataclass
class AccountRow:
    """One account's own facts, as a loader returns them."""

    code: int
    account_id: str


class RequestContext(BaseContext):
    def __init__(self, principal: Principal, request_id: str, settings: Settings, holder: ModelHolder):
        super().__init__()
        self.principal, self.request_id, self.settings, self.holder = principal, request_id, settings, holder
        self.model_or_none: ReadModel | None = holder.model
        self.backend_calls = 0
        self._decisions: Decisions | None = None
        self.accounts: DataLoader[str, AccountRow | None] = DataLoader(self._load_accounts)
        self.ring_decisions: DataLoader[str, list[RingDecision]] = DataLoader(self._load_decisions)

    @property
    def model(self) -> ReadModel:
        if self.model_or_none is None:
            raise Unavailable("no detection results are loaded yet (is the store there, or locked by its "
                              "first ingest?); try again shortly")
        return self.model_or_none

    def decisions(self) -> Decisions:
        """The decisions snapshot of this request (one read at most)."""
        if self._decisions is None:
            self.backend_calls += 1
            self._decisions = self.holder.decisions.snapshot()
        return self._decisions

    def fresh_decisions(self) -> Decisions:
        """After a mutation: the decisions as they are now."""
        self.holder.decisions.invalidate()
        self._decisions = None
        return self.decisions()

    async def _load_accounts(self, ids: list[str]) -> list[AccountRow | None]:
        self.backend_calls += 1
        graph = self.model.graph
        codes = [graph.account_code(a) for a in ids]  # a binary search each: microseconds
        return [AccountRow(c, a) if c is not None else None for a, c in zip(ids, codes)]

    async def _load_decisions(self, ring_ids: list[str]) -> list[list[RingDecision]]:
        snapshot = self.decisions()
        return [snapshot.by_ring.get(r, []) for r in ring_ids]


@dataclass
class RequestStats:
    """What the HTTP layer learns from the GraphQL layer about one request."""

    operation: str = "unknown"
    backend_calls: int = 0
    errors: list[str] = field(default_factory=list)
