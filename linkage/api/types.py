"""The schema's object types. Each wraps a piece of the request's read model.

Fields that need other objects go through the request's DataLoaders
(`info.context.accounts`, `info.context.ring_decisions`), never one lookup per node.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import numpy as np
import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from linkage.api.context import AccountRow, RequestContext
from linkage.api.enums import ArtifactKind, RingStatus
from linkage.api.graph_index import to_datetime
from linkage.api.pagination import check_first, decode_cursor, encode_cursor
from linkage.api.read_model import RingEntry
from linkage.store.models import AllowlistEntry, RingDecision

Ctx = Info[RequestContext, None]
First = Annotated[int | None, strawberry.argument(description="Page size, 0 to 500.")]
After = Annotated[str | None, strawberry.argument(description="Cursor of the last node seen; omit for the first page.")]


@strawberry.type(description="Where a page ends and whether more follow.")
class PageInfo:
    has_next_page: bool = strawberry.field(description="True when more nodes follow this page.")
    end_cursor: str | None = strawberry.field(description="Cursor of this page's last node (null when empty).")


@strawberry.type(description="One named component of a ring's score, in [0, 1].")
class ScoreComponent:
    name: str = strawberry.field(description="Component name, e.g. evidence_kinds or synchrony.")
    value: float = strawberry.field(description="Its value in [0, 1].")


@strawberry.type(description="An artifact a ring's members share.")
class RingArtifact:
    kind: ArtifactKind = strawberry.field(description="What kind of artifact.")
    key: str = strawberry.field(description="The artifact's value as stored (IP, hash, fingerprint, ...).")
    specificity: float = strawberry.field(description="How much sharing it says, in [0, 1].")
    members: int = strawberry.field(description="How many of the ring's members use it.")


@strawberry.type(description="Something that happened to a ring: a detection run's change or a decision.")
class RingHistoryEntry:
    run_id: str | None = strawberry.field(description="The detection run, null for a decision made through the API.")
    change: str = strawberry.field(
        description="new, grown, shrunk, stable, merged, split or dissolved; or `status:<STATUS>` for a decision.")
    at: datetime = strawberry.field(description="When (the run's end, or the decision's time).")
    detail: JSON = strawberry.field(description="Sizes before/after, ids merged or split, review notes.")


@strawberry.type(name="RingDecision", description="A verdict on a ring, by an analyst's key or by the detector.")
class RingDecisionType:
    status: RingStatus = strawberry.field(description="The status it set.")
    note: str = strawberry.field(description="Why.")
    author: str = strawberry.field(description="The API key's name, or `linkage detect` when raised again.")
    at: datetime = strawberry.field(description="When it was recorded.")

    @classmethod
    def of(cls, d: RingDecision) -> "RingDecisionType":
        return cls(status=RingStatus(d.status), note=d.note, author=d.author, at=d.at)


@strawberry.type(name="AllowlistEntry", description="An artifact that links nobody from the next detection run.")
class AllowlistEntryType:
    kind: ArtifactKind = strawberry.field(description="Its kind.")
    key: str = strawberry.field(description="Its value.")
    reason: str = strawberry.field(description="Why it is harmless.")
    author: str = strawberry.field(description="The API key's name that allowlisted it.")
    at: datetime = strawberry.field(description="When.")

    @classmethod
    def of(cls, e: AllowlistEntry) -> "AllowlistEntryType":
        return cls(kind=ArtifactKind(e.kind), key=e.key, reason=e.reason, author=e.author, at=e.at)


@strawberry.type(description="An account's use of one artifact.")
class AccountArtifact:
    kind: ArtifactKind = strawberry.field(description="The artifact's kind.")
    key: str = strawberry.field(description="The artifact's value.")
    count: int = strawberry.field(description="Requests (or payments, or prompts sent) through it.")
    first_seen: datetime | None = strawberry.field(description="First use.")
    last_seen: datetime | None = strawberry.field(description="Last use.")
    specificity: float = strawberry.field(description="How much sharing it says, in [0, 1].")


@strawberry.type(name="Account", description="An API account (pseudonymous: e-mail only as its domain).")
class AccountType:
    row: strawberry.Private[AccountRow]

    @strawberry.field(description="The account id.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(self.row.account_id)

    @strawberry.field(description="When the account was created, if known.")
    def created_at(self, info: Ctx) -> datetime | None:
        return to_datetime(int(info.context.model.graph.created_at[self.row.code]))

    @strawberry.field(description="The domain of its e-mail address, if known.")
    def email_domain(self, info: Ctx) -> str | None:
        return info.context.model.graph.email_domain[self.row.code]

    @strawberry.field(description="Its country, if known.")
    def country(self, info: Ctx) -> str | None:
        return info.context.model.graph.country[self.row.code]

    @strawberry.field(description="The artifacts it used, most specific first.")
    def artifacts(self, info: Ctx, kind: Annotated[ArtifactKind | None, strawberry.argument(
            description="Only artifacts of this kind.")] = None, first: First = 100) -> list[AccountArtifact]:
        n = check_first(first, 100, info.context.settings.api_max_page)
        g = info.context.model.graph
        span = g.links_of(self.row.code)
        arts = g.link_artifact[span].astype(np.int64)
        rows = np.arange(span.start, span.stop)
        if kind is not None:
            k = [e.value for e in ArtifactKind].index(kind.value)
            mine = (arts >= g.kind_start[k]) & (arts < g.kind_start[k + 1])
            arts, rows = arts[mine], rows[mine]
        order = np.lexsort((arts, -g.spec[arts]))[:n]
        return [AccountArtifact(kind=ArtifactKind(g.artifact_kind(int(a))), key=g.artifact_value[int(a)],
                                count=int(g.link_count[r]), first_seen=to_datetime(int(g.link_first[r])),
                                last_seen=to_datetime(int(g.link_last[r])), specificity=round(float(g.spec[a]), 4))
                for a, r in zip(arts[order], rows[order])]

    @strawberry.field(description="The rings it is a member of.")
    def rings(self, info: Ctx) -> list[AccountRing]:
        model = info.context.model
        return [AccountRing(entry=model.rings[rid], score=score, since=since)
                for rid, score, since in model.memberships.get(self.row.code, [])]

    @strawberry.field(description="Accounts sharing specific artifacts with it (no hubs), strongest first.")
    def linked_accounts(self, info: Ctx, first: First = 10) -> list[LinkedAccount]:
        n = check_first(first, 10, info.context.settings.api_max_page)
        ctx = info.context
        blocked = ctx.holder.blocked(ctx.model, ctx.decisions())
        codes, strength, kinds = ctx.model.finder.linked(self.row.code, blocked)
        ids = ctx.model.graph.account_ids
        kind_list = list(ArtifactKind)
        return [LinkedAccount(row=AccountRow(int(c), ids[int(c)]), strength=round(float(s), 4),
                              kinds=[k for i, k in enumerate(kind_list) if int(m) >> i & 1])
                for c, s, m in zip(codes[:n], strength[:n], kinds[:n])]


@strawberry.type(description="An account linked to another, and by what.")
class LinkedAccount:
    row: strawberry.Private[AccountRow]
    strength: float = strawberry.field(description="Shared artifacts' specificities combined: 1 − Π(1 − s).")
    kinds: list[ArtifactKind] = strawberry.field(description="Kinds of the artifacts they share.")

    @strawberry.field(description="The linked account.")
    def account(self) -> AccountType:
        return AccountType(row=self.row)


@strawberry.type(description="An account's membership of a ring.")
class AccountRing:
    entry: strawberry.Private[RingEntry]
    score: float = strawberry.field(description="The membership's score.")
    since: datetime = strawberry.field(description="Since when (the run that found it so).")

    @strawberry.field(description="The ring.")
    def ring(self) -> RingType:
        return RingType(entry=self.entry)


@strawberry.type(description="A member of a ring.")
class RingMember:
    row: strawberry.Private[AccountRow]  # the model already knows its code: no lookup at all
    score: float = strawberry.field(description="The membership's score.")
    since: datetime = strawberry.field(description="Since when (the run that found it so).")

    @strawberry.field(description="The member account.")
    def account(self) -> AccountType:
        return AccountType(row=self.row)


@strawberry.type(description="An edge of a ring's member list.")
class RingMemberEdge:
    cursor: str = strawberry.field(description="Pass as `after` to continue after this member.")
    node: RingMember = strawberry.field(description="The member.")


@strawberry.type(description="A page of a ring's members, in account id order.")
class RingMemberConnection:
    edges: list[RingMemberEdge] = strawberry.field(description="The members on this page.")
    page_info: PageInfo = strawberry.field(description="Where this page ends.")
    total_count: int = strawberry.field(description="Members in all.")


@strawberry.type(name="Ring", description="An operator ring: accounts tied together by what they share.")
class RingType:
    entry: strawberry.Private[RingEntry]

    @strawberry.field(description="Stable id, kept from run to run while the membership overlaps.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(self.entry.ring.ring_id)

    @strawberry.field(description="Score in [0, 1]: how strongly independent evidence ties it together.")
    def score(self) -> float:
        return self.entry.ring.score

    @strawberry.field(description="How many members it has (0 once dissolved).")
    def size(self) -> int:
        return self.entry.ring.size

    @strawberry.field(description="False once the ring dissolved or merged into another.")
    def active(self) -> bool:
        return self.entry.ring.status == "active"

    @strawberry.field(description="The analyst's verdict: the latest decision, NEW when there is none.")
    async def status(self, info: Ctx) -> RingStatus:
        found = await info.context.ring_decisions.load(self.entry.ring.ring_id)
        return RingStatus(found[-1].status) if found else RingStatus.NEW

    @strawberry.field(description="The named components its score is made of.")
    def components(self) -> list[ScoreComponent]:
        return [ScoreComponent(name=k, value=round(float(v), 4)) for k, v in sorted(self.entry.ring.components.items())]

    @strawberry.field(description="First use of any artifact by any member.")
    def first_seen(self) -> datetime | None:
        return self.entry.first_seen

    @strawberry.field(description="Last use of any artifact by any member.")
    def last_seen(self) -> datetime | None:
        return self.entry.last_seen

    @strawberry.field(description="Its members, a page at a time.")
    def members(self, info: Ctx, first: First = 50, after: After = None) -> RingMemberConnection:
        n = check_first(first, 50, info.context.settings.api_max_page)
        g, e = info.context.model.graph, self.entry
        start = 0
        if after is not None:
            (last,) = decode_cursor(after, "members", (str,))
            start = g.rows_after(e.members, str(last))  # member codes ascend as their ids do
        stop = min(start + n, len(e.members))
        edges = []
        for i in range(start, stop):
            code = int(e.members[i])
            account_id = g.account_ids[code]
            edges.append(RingMemberEdge(cursor=encode_cursor("members", [account_id]), node=RingMember(
                row=AccountRow(code, account_id), score=float(e.member_score[i]), since=e.member_since[i])))
        return RingMemberConnection(edges=edges, total_count=len(e.members), page_info=PageInfo(
            has_next_page=stop < len(e.members), end_cursor=edges[-1].cursor if edges else None))

    @strawberry.field(description="The artifacts its members share, most specific first.")
    def top_artifacts(self, info: Ctx, first: First = 10) -> list[RingArtifact]:
        n = check_first(first, 10, info.context.settings.api_max_page)
        return [RingArtifact(kind=ArtifactKind(a.kind), key=a.artifact, specificity=a.specificity, members=a.members)
                for a in self.entry.ring.artifacts[:n]]

    @strawberry.field(description="What detection runs found and what analysts decided, oldest first.")
    async def history(self, info: Ctx) -> list[RingHistoryEntry]:
        decided = await info.context.ring_decisions.load(self.entry.ring.ring_id)
        entries = [RingHistoryEntry(run_id=h.run_id, change=h.change, at=h.at, detail=h.detail)
                   for h in self.entry.history]
        entries += [RingHistoryEntry(run_id=None, change=f"status:{d.status}", at=d.at,
                                     detail={"note": d.note, "author": d.author, "size": d.size,
                                             "score": d.score}) for d in decided]
        return sorted(entries, key=lambda h: h.at)

    @strawberry.field(description="Decisions on this ring, oldest first.")
    async def decisions(self, info: Ctx) -> list[RingDecisionType]:
        return [RingDecisionType.of(d) for d in await info.context.ring_decisions.load(self.entry.ring.ring_id)]


@strawberry.type(description="An edge of a ring list.")
class RingEdge:
    cursor: str = strawberry.field(description="Pass as `after` to continue after this ring.")
    node: RingType = strawberry.field(description="The ring.")


@strawberry.type(description="A page of rings.")
class RingConnection:
    edges: list[RingEdge] = strawberry.field(description="The rings on this page.")
    page_info: PageInfo = strawberry.field(description="Where this page ends.")
    total_count: int = strawberry.field(description="Rings matching the filters, in all.")
