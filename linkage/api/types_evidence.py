"""Schema types for artifacts, evidence paths and detection runs."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.scalars import JSON

from linkage.api.context import AccountRow
from linkage.api.enums import ArtifactKind
from linkage.api.pagination import check_first, decode_cursor, encode_cursor
from linkage.api.types import AccountType, After, AllowlistEntryType, Ctx, First, PageInfo


@strawberry.type(description="An edge of an artifact's account list.")
class AccountEdge:
    cursor: str = strawberry.field(description="Pass as `after` to continue after this account.")
    node: AccountType = strawberry.field(description="The account.")


@strawberry.type(description="A page of accounts, in account id order.")
class AccountConnection:
    edges: list[AccountEdge] = strawberry.field(description="The accounts on this page.")
    page_info: PageInfo = strawberry.field(description="Where this page ends.")
    total_count: int = strawberry.field(description="Accounts in all.")


@strawberry.type(name="Artifact", description="Something accounts share: an IP, a card, a prompt template, ...")
class ArtifactType:
    code: strawberry.Private[int]
    kind: ArtifactKind = strawberry.field(description="Its kind.")
    key: str = strawberry.field(description="Its value as stored (IP, keyed hash, fingerprint, ...).")

    @strawberry.field(description="How much sharing it says, in [0, 1]; 0 when it never links (hub, allowlisted).")
    def specificity(self, info: Ctx) -> float:
        return round(float(info.context.model.graph.spec[self.code]), 4)

    @strawberry.field(description="How many accounts use it.")
    def account_count(self, info: Ctx) -> int:
        return int(info.context.model.graph.df[self.code])

    @strawberry.field(description="The accounts using it, a page at a time.")
    def accounts(self, info: Ctx, first: First = 50, after: After = None) -> AccountConnection:
        n = check_first(first, 50, info.context.settings.api_max_page)
        g = info.context.model.graph
        users = g.users_of(self.code)
        start = 0
        if after is not None:
            (last,) = decode_cursor(after, "accounts", (str,))
            start = g.rows_after(users, str(last))  # users ascend by code, so by id
        stop = min(start + n, len(users))
        edges = [AccountEdge(cursor=encode_cursor("accounts", [a]), node=AccountType(row=AccountRow(int(c), a)))
                 for c, a in ((c, g.account_ids[int(c)]) for c in users[start:stop])]
        return AccountConnection(edges=edges, total_count=len(users), page_info=PageInfo(
            has_next_page=stop < len(users), end_cursor=edges[-1].cursor if edges else None))

    @strawberry.field(description="Its allowlist entry, when an analyst allowlisted it.")
    def allowlisted(self, info: Ctx) -> AllowlistEntryType | None:
        entry = info.context.decisions().allowlist.get((self.kind.value, self.key))
        return AllowlistEntryType.of(entry) if entry else None


@strawberry.type(description="One step of an evidence path: two accounts sharing one artifact.")
class EvidenceHop:
    source: strawberry.Private[AccountRow]
    target: strawberry.Private[AccountRow]
    artifact: ArtifactType = strawberry.field(description="The artifact both use.")

    @strawberry.field(name="from", description="The account the step starts from.")
    def from_(self) -> AccountType:
        return AccountType(row=self.source)

    @strawberry.field(description="The account the step reaches.")
    def to(self) -> AccountType:
        return AccountType(row=self.target)


@strawberry.type(description="A chain of shared artifacts from one account to another.")
class EvidencePath:
    strength: float = strawberry.field(description="Its weakest hop's specificity: a chain is as strong as that.")
    hops: list[EvidenceHop] = strawberry.field(description="The steps, from `from` to `to`.")


@strawberry.type(description="What one detection run changed for one ring.")
class RingChange:
    ring_id: strawberry.ID = strawberry.field(description="The ring.")
    change: str = strawberry.field(description="new, grown, shrunk, stable, merged, split or dissolved.")
    detail: JSON = strawberry.field(description="Sizes before/after, ids merged or split, review notes.")


@strawberry.type(name="DetectionRun", description="One run of `linkage detect`.")
class DetectionRunType:
    id: strawberry.ID = strawberry.field(description="The run id.")
    started_at: datetime = strawberry.field(description="When it started.")
    finished_at: datetime = strawberry.field(description="When it finished.")
    duration_seconds: float = strawberry.field(description="Wall time.")
    parameters: JSON = strawberry.field(description="The detection settings it ran with.")
    timings: JSON = strawberry.field(description="Seconds per step.")
    counts: JSON = strawberry.field(description="Accounts, links, pairs, communities, rings, flagged accounts.")

    @strawberry.field(description="What it changed, ring by ring.")
    def changes(self, info: Ctx) -> list[RingChange]:
        out = []
        for rid, entry in info.context.model.rings.items():
            out += [RingChange(ring_id=strawberry.ID(rid), change=h.change, detail=h.detail)
                    for h in entry.history if h.run_id == self.id]
        return sorted(out, key=lambda c: c.ring_id)
