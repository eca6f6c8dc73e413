"""The root Query and Mutation: lookups in the request's read model, decisions through the store."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone
from typing import Annotated

import strawberry

from linkage.api.context import AccountRow
from linkage.api.enums import ArtifactKind, RingOrder, RingStatus
from linkage.api.errors import BadUserInput, Forbidden, NotFound
from linkage.api.pagination import check_first, decode_cursor, encode_cursor, page_after
from linkage.api.read_model import RingEntry
from linkage.api.types import AccountType, After, AllowlistEntryType, Ctx, First, PageInfo, RingConnection, RingEdge, RingType
from linkage.api.types_evidence import ArtifactType, DetectionRunType, EvidenceHop, EvidencePath
from linkage.store.models import AllowlistEntry, RingDecision

MAX_HOPS = 6
KEY_TYPES = {RingOrder.SCORE: (float, int, str), RingOrder.SIZE: (int, float, str),
             RingOrder.LAST_CHANGE: (float, float, str)}


def _sort_key(entry: RingEntry, order: RingOrder) -> tuple[object, ...]:
    r = entry.ring
    if order is RingOrder.SIZE:
        return (-r.size, -r.score, r.ring_id)
    if order is RingOrder.LAST_CHANGE:
        return (-entry.last_change.timestamp(), -r.score, r.ring_id)
    return (-r.score, -r.size, r.ring_id)


def _artifact(info: Ctx, kind: ArtifactKind, key: str) -> ArtifactType | None:
    code = info.context.model.graph.artifact_code(kind.value, key)
    return None if code is None else ArtifactType(code=code, kind=kind, key=key)


def _require_analyst(info: Ctx) -> str:
    who = info.context.principal
    if not who.may_decide:
        raise Forbidden(f"the key {who.name!r} has the role {who.role!r}; decisions need the role 'analyst'")
    return who.name


def _text(value: str, name: str, limit: int = 2000) -> str:
    value = value.strip()
    if not value:
        raise BadUserInput(f"`{name}` must not be empty", argument=name)
    if len(value) > limit:
        raise BadUserInput(f"`{name}` must be at most {limit} characters", argument=name)
    return value


@strawberry.type(description="Read what detection found: rings, accounts, artifacts, evidence, runs.")
class Query:
    @strawberry.field(description="Current (active) rings, a page at a time.")
    def rings(self, info: Ctx, first: First = 50, after: After = None,
              min_score: Annotated[float | None, strawberry.argument(description="Only rings scoring at least this.")] = None,
              status: Annotated[RingStatus | None, strawberry.argument(description="Only rings with this status.")] = None,
              kind: Annotated[ArtifactKind | None, strawberry.argument(
                  description="Only rings whose members share an artifact of this kind.")] = None,
              order_by: Annotated[RingOrder, strawberry.argument(description="Ordering; SCORE by default.")] = RingOrder.SCORE,
              ) -> RingConnection:
        n = check_first(first, 50, info.context.settings.api_max_page)
        cursor = decode_cursor(after, f"rings:{order_by.name}", KEY_TYPES[order_by]) if after is not None else None
        model = info.context.model
        entries = [model.rings[rid] for rid in model.active]
        if min_score is not None:
            entries = [e for e in entries if e.ring.score >= min_score]
        if kind is not None:
            entries = [e for e in entries if any(a.kind == kind.value for a in e.ring.artifacts)]
        if status is not None:
            decisions = info.context.decisions()
            entries = [e for e in entries if decisions.status(e.ring.ring_id) == status.value]
        keyed = sorted(((_sort_key(e, order_by), e) for e in entries), key=lambda t: t[0])
        keys = [k for k, _ in keyed]
        start, stop, more = page_after(keys, cursor, n)
        edges = [RingEdge(cursor=encode_cursor(f"rings:{order_by.name}", keys[i]), node=RingType(entry=keyed[i][1]))
                 for i in range(start, stop)]
        return RingConnection(edges=edges, total_count=len(keys), page_info=PageInfo(
            has_next_page=more, end_cursor=edges[-1].cursor if edges else None))

    @strawberry.field(description="One ring by id (also a dissolved one); null when there is none.")
    def ring(self, info: Ctx, id: Annotated[strawberry.ID, strawberry.argument(description="The ring id.")]
             ) -> RingType | None:
        entry = info.context.model.rings.get(str(id))
        return RingType(entry=entry) if entry else None

    @strawberry.field(description="One account by id; null when there is none.")
    async def account(self, info: Ctx, id: Annotated[strawberry.ID, strawberry.argument(
            description="The account id.")]) -> AccountType | None:
        row = await info.context.accounts.load(str(id))
        return AccountType(row=row) if row else None

    @strawberry.field(description="One artifact by kind and value; null when no account uses it.")
    def artifact(self, info: Ctx, kind: Annotated[ArtifactKind, strawberry.argument(description="Its kind.")],
                 key: Annotated[str, strawberry.argument(description="Its value as stored.")]) -> ArtifactType | None:
        return _artifact(info, kind, key)

    @strawberry.field(description="Shortest chains of shared artifacts between two accounts, strongest first; "
                                  "hub and allowlisted artifacts are never walked. Empty when none is short enough.")
    async def evidence_path(
        self, info: Ctx,
        from_: Annotated[strawberry.ID, strawberry.argument(name="from", description="One account id.")],
        to: Annotated[strawberry.ID, strawberry.argument(description="The other account id.")],
        max_hops: Annotated[int, strawberry.argument(description="Most artifacts on a path, 1 to 6.")] = 4,
        first: Annotated[int, strawberry.argument(description="Most paths returned, 1 to 50.")] = 10,
    ) -> list[EvidencePath]:
        if not 1 <= max_hops <= MAX_HOPS:
            raise BadUserInput(f"`maxHops` must be between 1 and {MAX_HOPS} (got {max_hops})", argument="maxHops")
        if not 1 <= first <= 50:
            raise BadUserInput(f"`first` must be between 1 and 50 (got {first})", argument="first")
        ctx = info.context
        a, b = await asyncio.gather(ctx.accounts.load(str(from_)), ctx.accounts.load(str(to)))  # one batch
        if a is None or b is None:
            return []
        model = ctx.model
        blocked = ctx.holder.blocked(model, ctx.decisions())
        # the compiled search releases the GIL (numba nogil): other requests go on meanwhile
        found = await asyncio.to_thread(model.finder.paths, a.code, b.code, max_hops, first, blocked)
        g = model.graph
        out = []
        for p in found:
            hops = [EvidenceHop(source=AccountRow(h.source, g.account_ids[h.source]),
                                target=AccountRow(h.target, g.account_ids[h.target]),
                                artifact=ArtifactType(code=h.artifact, kind=ArtifactKind(g.artifact_kind(h.artifact)),
                                                      key=g.artifact_value[h.artifact]))
                    for h in p.hops]
            out.append(EvidencePath(strength=round(p.strength, 4), hops=hops))
        return sorted(out, key=lambda p: len(p.hops))

    @strawberry.field(description="Detection runs, newest first.")
    def detection_runs(self, info: Ctx, first: First = 20) -> list[DetectionRunType]:
        n = check_first(first, 20, info.context.settings.api_max_page)
        out = []
        for r in reversed(info.context.model.runs[-n:] if n else []):
            counts = {k: v for k, v in r.counts.items() if not k.startswith("ms_")}
            timings = {k[3:]: v / 1000 for k, v in r.counts.items() if k.startswith("ms_")}
            out.append(DetectionRunType(id=strawberry.ID(r.run_id), started_at=r.started_at,
                                        finished_at=r.finished_at, duration_seconds=r.duration_s,
                                        parameters=r.params, timings=timings, counts=counts))
        return out

    @strawberry.field(description="Artifacts allowlisted through this API, by kind and value.")
    def allowlist(self, info: Ctx) -> list[AllowlistEntryType]:
        entries = info.context.decisions().allowlist
        return [AllowlistEntryType.of(entries[k]) for k in sorted(entries)]


@strawberry.type(description="Analyst decisions (role `analyst`), respected by the next `linkage detect`.")
class Mutation:
    @strawberry.mutation(description="Set a ring's status with a note; a DISMISSED ring is not raised again "
                                     "unless its evidence grows past what it is now.")
    def set_ring_status(self, info: Ctx, id: Annotated[strawberry.ID, strawberry.argument(description="The ring id.")],
                        status: Annotated[RingStatus, strawberry.argument(description="The new status.")],
                        note: Annotated[str, strawberry.argument(description="Why (shown in the ring's history).")],
                        ) -> RingType:
        author = _require_analyst(info)
        note = _text(note, "note")
        entry = info.context.model.rings.get(str(id))
        if entry is None:
            raise NotFound(f"no ring with id {str(id)!r}", argument="id")
        r = entry.ring
        info.context.holder.decisions.store.save_ring_decision(RingDecision(
            ring_id=r.ring_id, status=status.value, note=note, author=author, at=datetime.now(timezone.utc),
            size=r.size, score=r.score, artifacts=[f"{a.kind}:{a.artifact}" for a in r.artifacts]))
        info.context.backend_calls += 1
        info.context.fresh_decisions()
        return RingType(entry=entry)

    @strawberry.mutation(description="Allowlist an artifact: from the next detection run it links nobody.")
    def allowlist_artifact(self, info: Ctx, kind: Annotated[ArtifactKind, strawberry.argument(description="Its kind.")],
                           key: Annotated[str, strawberry.argument(description="Its value as stored.")],
                           reason: Annotated[str, strawberry.argument(description="Why it is harmless.")],
                           ) -> AllowlistEntryType:
        author = _require_analyst(info)
        entry = AllowlistEntry(kind=kind.value, key=_text(key, "key", 1000), reason=_text(reason, "reason"),
                               author=author, at=datetime.now(timezone.utc))
        info.context.holder.decisions.store.allowlist_artifact(entry)
        info.context.backend_calls += 1
        info.context.fresh_decisions()
        return AllowlistEntryType.of(entry)

    @strawberry.mutation(description="Take an artifact off the allowlist; false when it was not on it.")
    def remove_allowlisted_artifact(self, info: Ctx,
                                    kind: Annotated[ArtifactKind, strawberry.argument(description="Its kind.")],
                                    key: Annotated[str, strawberry.argument(description="Its value as stored.")],
                                    ) -> bool:
        author = _require_analyst(info)
        removed = info.context.holder.decisions.store.remove_allowlisted_artifact(
            kind.value, key, author, datetime.now(timezone.utc))
        info.context.backend_calls += 1
        info.context.fresh_decisions()
        return removed
