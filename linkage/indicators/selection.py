"""Which rings to share, and which of their artifacts are worth sharing.

Rings: active ones, filtered by analyst status (`active` = all but dismissed, `confirmed`,
`new` = not yet decided) and optionally by change since a date. Artifacts: those at least
two of the ring's accounts share and that belong mostly to the ring — at least
`min_ring_share` of everyone who uses them is a ring member — so that a popular VPN exit
or a public template never becomes an indicator that would flag other providers'
ordinary customers. Proxy providers are the exception: shared as context (their CIDR
ranges), with a confidence scaled down by how little of their traffic the ring is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timezone

import pyarrow as pa
import pyarrow.compute as pc

from linkage.store.base import GraphStore
from linkage.store.models import Ring

STATUSES = ("active", "confirmed", "new")
CONTEXT_KINDS = ("proxy",)  # shared whatever their share, as infrastructure context


@dataclass(frozen=True)
class SharedArtifact:
    kind: str
    value: str
    ring_users: int
    all_users: int

    @property
    def ring_share(self) -> float:
        return self.ring_users / self.all_users if self.all_users else 0.0


@dataclass(frozen=True)
class SelectedRing:
    ring: Ring
    status: str  # the latest analyst decision (NEW when there is none)


def select_rings(store: GraphStore, status: str = "active", since: date | None = None) -> list[SelectedRing]:
    """Active rings with the wanted analyst status (and changed since `since`), best first."""
    if status not in STATUSES:
        raise ValueError(f"unknown status {status!r}; choose one of {', '.join(STATUSES)}")
    rings = store.rings(with_members=True)
    latest = {d.ring_id: d.status for d in store.ring_decisions([r.ring_id for r in rings])} if rings else {}
    if since is not None:
        start = datetime.combine(since, time.min, tzinfo=timezone.utc)
        changed = {c.ring_id for run in store.detection_runs() if run.started_at >= start
                   for c in store.ring_changes(run.run_id) if c.change != "stable"}
        rings = [r for r in rings if r.ring_id in changed]
    keep = {"active": lambda s: s != "DISMISSED", "confirmed": lambda s: s == "CONFIRMED",
            "new": lambda s: s == "NEW"}[status]
    return [SelectedRing(r, latest.get(r.ring_id, "NEW")) for r in rings if keep(latest.get(r.ring_id, "NEW"))]


def shared_artifacts(store: GraphStore, rings: list[Ring], min_ring_share: float) -> dict[str, list[SharedArtifact]]:
    """Per ring id, its shareable artifacts, most ring-specific first."""
    out: dict[str, list[SharedArtifact]] = {r.ring_id: [] for r in rings}
    members = [(a, r.ring_id) for r in rings for a in r.members]
    if not members:
        return out
    links = store.account_artifacts().select(["account_id", "kind", "artifact"])
    totals = links.group_by(["kind", "artifact"]).aggregate([("account_id", "count")])
    accounts = pa.array([a for a, _ in members], pa.string())
    pos = pc.index_in(links["account_id"], value_set=accounts)
    mine = links.filter(pc.is_valid(pos)).append_column(
        "ring_id", pc.take(pa.array([r for _, r in members], pa.string()), pos.filter(pc.is_valid(pos))))
    per_ring = mine.group_by(["ring_id", "kind", "artifact"]).aggregate([("account_id", "count")])
    joined = per_ring.join(totals, ["kind", "artifact"], right_suffix="_all")
    for row in joined.to_pylist():
        art = SharedArtifact(row["kind"], row["artifact"], row["account_id_count"], row["account_id_count_all"])
        if art.ring_users >= 2 and (art.ring_share >= min_ring_share or art.kind in CONTEXT_KINDS):
            out[row["ring_id"]].append(art)
    for arts in out.values():
        arts.sort(key=lambda a: (-a.ring_share, -a.ring_users, a.kind, a.value))
    return out
