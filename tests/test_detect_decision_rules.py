"""When a dismissed ring is raised again, rule by rule, on rings and decisions written by hand
(an in-memory store keeps the decisions; no detection run is needed)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from linkage.detect.decisions import DETECTOR, artifact_keys, growth, review_dismissed, store_allowlist
from linkage.store import open_store
from linkage.store.models import AllowlistEntry, Ring, RingArtifact, RingChange, RingDecision

pytestmark = pytest.mark.embedded
AT = datetime(2026, 3, 1, tzinfo=timezone.utc)


def ring(rid: str = "ring_a", size: int = 10, score: float = 0.8, artifacts=("payment:card-1", "prompt:tpl-1"),
         status: str = "active") -> Ring:
    arts = [RingArtifact(kind=k.split(":")[0], artifact=k.split(":", 1)[1], specificity=0.9, members=2)
            for k in artifacts]
    return Ring(ring_id=rid, score=score, components={}, size=size, status=status, created_run="r0",
                updated_run="r1", members=[f"m{i}" for i in range(size)], artifacts=arts)


def dismissed(rid: str = "ring_a", size: int = 10, score: float = 0.8,
              artifacts=("payment:card-1", "prompt:tpl-1"), status: str = "DISMISSED") -> RingDecision:
    return RingDecision(ring_id=rid, status=status, note="a family", author="ana", at=AT, size=size, score=score,
                        artifacts=list(artifacts))


def test_a_ring_as_it_was_dismissed_has_not_grown():
    assert artifact_keys(ring()) == ["payment:card-1", "prompt:tpl-1"]
    assert growth(ring(), dismissed(), 0.05) is None
    assert growth(ring(size=9, score=0.7, artifacts=("prompt:tpl-1",)), dismissed(), 0.05) is None  # less


def test_more_members_a_clearly_higher_score_or_new_artifacts_each_raise_it():
    assert growth(ring(size=11), dismissed(), 0.05) == "size grew from 10 to 11"
    assert growth(ring(score=0.85), dismissed(), 0.05) is None  # within the margin (0.8 + 0.05)
    assert growth(ring(score=0.86), dismissed(), 0.05) == "score rose from 0.800 to 0.860"
    assert growth(ring(artifacts=("payment:card-1", "ip:10.0.0.9")), dismissed(), 0.05) == \
        "1 new shared artifact(s): ip:10.0.0.9"
    many = ring(size=12, artifacts=tuple(f"prompt:t{i}" for i in range(7)))
    assert growth(many, dismissed(), 0.05) == ("size grew from 10 to 12; 7 new shared artifact(s): "
                                               "prompt:t0, prompt:t1, prompt:t2, prompt:t3, prompt:t4")


def test_review_marks_dismissed_rings_and_raises_only_those_that_grew():
    store = open_store(":memory:")
    store.save_ring_decision(dismissed("ring_a"))
    store.save_ring_decision(dismissed("ring_b"))
    store.save_ring_decision(dismissed("ring_c", status="CONFIRMED"))
    store.save_ring_decision(dismissed("ring_d"))
    store.save_ring_decision(dismissed("ring_d", status="CONFIRMED"))  # the latest decision wins
    store.save_ring_decision(dismissed("ring_g"))
    rings = [ring("ring_a"), ring("ring_b", size=14), ring("ring_c", size=20), ring("ring_d", size=20),
             ring("ring_e", size=20), ring("ring_f", size=0, status="dissolved"), ring("ring_g", score=0.9)]
    changes = [RingChange(run_id="r1", ring_id=r.ring_id, change="stable") for r in rings]
    raised = review_dismissed(store, rings, changes, 0.05, AT)
    detail = {c.ring_id: c.detail for c in changes}
    assert detail["ring_a"]["review"] == "DISMISSED"
    assert detail["ring_a"]["review_note"] == ("still dismissed: 10 members, score 0.800, no new shared "
                                               "artifacts (dismissed at 10 members, score 0.800)")
    assert detail["ring_b"] == {"review": "NEW", "review_note":
                                "raised again: size grew from 10 to 14 since it was dismissed by ana"}
    assert detail["ring_c"] == detail["ring_d"] == detail["ring_e"] == detail["ring_f"] == {}
    assert [(d.ring_id, d.status, d.author, d.size, d.score, d.at) for d in raised] == \
        [("ring_b", "NEW", DETECTOR, 14, 0.8, AT), ("ring_g", "NEW", DETECTOR, 10, 0.9, AT)]
    assert detail["ring_g"]["review_note"].startswith("raised again: score rose from 0.800 to 0.900")
    assert raised[0].artifacts == ["payment:card-1", "prompt:tpl-1"] and raised[0].note == \
        detail["ring_b"]["review_note"]


def test_the_stores_allowlist_is_kind_and_value():
    store = open_store(":memory:")
    assert store_allowlist(store) == set()
    store.allowlist_artifact(AllowlistEntry(kind="ip", key="10.1.1.1", reason="NAT", author="ana", at=AT))
    assert store_allowlist(store) == {("ip", "10.1.1.1")}
