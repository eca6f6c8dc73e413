"""Analyst decisions, respected by detection.

- Allowlisted artifacts (through the API, kept by the store) join the LINKAGE_ALLOWLIST
  file's: they are removed on load, so they link nobody.
- A ring whose latest decision is DISMISSED stays dismissed from run to run — it is
  still found, keeps its id and its history, but is not raised again — until its
  evidence grows past what the analyst saw: more members, a score higher by more than
  `dismissed_score_margin`, or shared artifacts that were not among its top artifacts
  at dismissal. Then the detector records a NEW decision saying why (author
  `linkage detect`), and the ring's change in this run carries the same reason.
"""

from __future__ import annotations

from datetime import datetime

from linkage.store.base import GraphStore
from linkage.store.models import Ring, RingChange, RingDecision

DETECTOR = "linkage detect"


def store_allowlist(store: GraphStore) -> set[tuple[str, str]]:
    """(kind, value) of the artifacts allowlisted through the store."""
    return {(e.kind, e.key) for e in store.allowlisted_artifacts()}


def artifact_keys(ring: Ring) -> list[str]:
    """A ring's top shared artifacts as `kind:value`, as recorded with a decision."""
    return [f"{a.kind}:{a.artifact}" for a in ring.artifacts]


def growth(ring: Ring, dismissed: RingDecision, score_margin: float) -> str | None:
    """Why `ring` has outgrown its dismissal, or None when it has not."""
    reasons = []
    if ring.size > dismissed.size:
        reasons.append(f"size grew from {dismissed.size} to {ring.size}")
    if ring.score > dismissed.score + score_margin:
        reasons.append(f"score rose from {dismissed.score:.3f} to {ring.score:.3f}")
    new = [k for k in artifact_keys(ring) if k not in set(dismissed.artifacts)]
    if new:
        reasons.append(f"{len(new)} new shared artifact(s): {', '.join(new[:5])}")
    return "; ".join(reasons) or None


def review_dismissed(store: GraphStore, rings: list[Ring], changes: list[RingChange],
                     score_margin: float, at: datetime) -> list[RingDecision]:
    """Mark this run's changes of dismissed rings; return the decisions that raise rings again.

    The caller saves the returned decisions once the run itself is saved.
    """
    active = {r.ring_id: r for r in rings if r.status == "active"}
    latest: dict[str, RingDecision] = {}
    for d in store.ring_decisions(list(active)):
        latest[d.ring_id] = d  # oldest first: the last one wins
    raised: list[RingDecision] = []
    for change in changes:
        decision = latest.get(change.ring_id)
        ring = active.get(change.ring_id)
        if ring is None or decision is None or decision.status != "DISMISSED":
            continue
        reason = growth(ring, decision, score_margin)
        if reason is None:
            change.detail["review"] = "DISMISSED"
            change.detail["review_note"] = (
                f"still dismissed: {ring.size} members, score {ring.score:.3f}, no new shared artifacts"
                f" (dismissed at {decision.size} members, score {decision.score:.3f})")
            continue
        note = f"raised again: {reason} since it was dismissed by {decision.author}"
        change.detail["review"] = "NEW"
        change.detail["review_note"] = note
        raised.append(RingDecision(ring_id=ring.ring_id, status="NEW", note=note, author=DETECTOR, at=at,
                                   size=ring.size, score=ring.score, artifacts=artifact_keys(ring)))
    return raised
