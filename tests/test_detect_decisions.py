"""Analyst decisions as the detector sees them: the store's allowlist and dismissed rings.

Real DuckDB files, real detection runs; decisions written through the store interface
exactly as the API writes them.
"""

from __future__ import annotations

from datetime import datetime, timezone

import subprocess
import sys

import pytest
from detect_graphs import GraphBuilder

from linkage.detect import detect
from linkage.detect.decisions import DETECTOR, artifact_keys
from linkage.settings import load_settings
from linkage.store.embedded import EmbeddedStore
from linkage.store.embedded_decisions import decisions_path
from linkage.store.models import AllowlistEntry, RingDecision

pytestmark = pytest.mark.embedded
NOW = datetime(2026, 3, 1, tzinfo=timezone.utc)


def build(path: str) -> EmbeddedStore:
    g = GraphBuilder(3)
    g.ring("alpha", 24)
    g.ring("beta", 18)
    g.background(50)
    store = EmbeddedStore(path)
    g.write(store)
    return store


def recruit(store: EmbeddedStore, n: int) -> None:
    """The next day's logs: ring alpha brings n more accounts."""
    more = GraphBuilder(4)
    more.ring("alpha", n, start=24)
    more.write(store)


def ring_of(result, prefix: str):
    return next(r for r in result.rings if r.status == "active" and r.members[0].startswith(prefix))


def dismiss(store: EmbeddedStore, ring) -> None:
    store.save_ring_decision(RingDecision(
        ring_id=ring.ring_id, status="DISMISSED", note="a QA farm we run ourselves", author="ana", at=NOW,
        size=ring.size, score=ring.score, artifacts=artifact_keys(ring)))


def test_decisions_live_in_a_file_beside_the_store_writable_while_the_store_is_held(tmp_path):
    path = str(tmp_path / "g.duckdb")
    store = build(path)  # holds the graph file read-write, as a nightly job would
    probe = subprocess.run([sys.executable, "-c", f"import duckdb; duckdb.connect({path!r}, read_only=True)"],
                           capture_output=True, text=True)
    assert probe.returncode != 0 and "lock" in probe.stderr.lower()  # nobody else may open the graph ...
    # ... but another store object (another process would do the same) records a decision
    other = EmbeddedStore(path, lazy=True)
    other.allowlist_artifact(AllowlistEntry(kind="ip", key="10.1.1.1", reason="office NAT", author="ana", at=NOW))
    assert decisions_path(path) == path + ".decisions.duckdb"
    assert [(e.kind, e.key, e.author) for e in store.allowlisted_artifacts()] == [("ip", "10.1.1.1", "ana")]
    assert other.remove_allowlisted_artifact("ip", "10.1.1.1", "bo", NOW) is True
    assert other.remove_allowlisted_artifact("ip", "10.1.1.1", "bo", NOW) is False
    assert store.allowlisted_artifacts() == []
    other.close()
    store.close()


def test_an_allowlisted_artifact_links_nobody_in_the_next_run(tmp_path):
    store = build(str(tmp_path / "g.duckdb"))
    settings = load_settings()
    first = detect(store, settings)
    beta = ring_of(first, "beta")
    assert any(a.kind == "payment" for a in beta.artifacts)
    for a in beta.artifacts:  # everything beta shares is declared harmless
        store.allowlist_artifact(AllowlistEntry(kind=a.kind, key=a.artifact, reason="test", author="ana", at=NOW))
    second = detect(store, settings)
    shared = {(a.kind, a.artifact) for r in second.rings if r.status == "active" for a in r.artifacts}
    assert not shared & {(a.kind, a.artifact) for a in beta.artifacts}
    assert not any(r.status == "active" and r.members[0].startswith("beta") for r in second.rings)
    alpha = ring_of(second, "alpha")  # the other ring is untouched
    assert alpha.size == ring_of(first, "alpha").size
    store.close()


def test_a_dismissed_ring_stays_dismissed_while_its_evidence_does_not_grow(tmp_path):
    store = build(str(tmp_path / "g.duckdb"))
    settings = load_settings()
    alpha = ring_of(detect(store, settings), "alpha")
    dismiss(store, alpha)
    again = detect(store, settings)
    change = next(c for c in again.changes if c.ring_id == alpha.ring_id)
    assert change.detail["review"] == "DISMISSED"
    assert "still dismissed" in change.detail["review_note"]
    assert [d.status for d in store.ring_decisions([alpha.ring_id])] == ["DISMISSED"]
    other = ring_of(again, "beta")
    assert "review" not in next(c for c in again.changes if c.ring_id == other.ring_id).detail
    store.close()


def test_a_dismissed_ring_is_raised_again_when_it_grows_and_says_why(tmp_path):
    store = build(str(tmp_path / "g.duckdb"))
    settings = load_settings()
    alpha = ring_of(detect(store, settings), "alpha")
    dismiss(store, alpha)
    recruit(store, 10)
    raised = detect(store, settings)
    grown = ring_of(raised, "alpha")
    assert grown.ring_id == alpha.ring_id and grown.size > alpha.size
    change = next(c for c in raised.changes if c.ring_id == alpha.ring_id)
    assert change.detail["review"] == "NEW"
    assert f"size grew from {alpha.size} to {grown.size}" in change.detail["review_note"]
    latest = store.ring_decisions([alpha.ring_id])[-1]
    assert (latest.status, latest.author) == ("NEW", DETECTOR)
    assert "raised again" in latest.note and "ana" in latest.note
    assert latest.size == grown.size  # the new baseline, should an analyst dismiss it again
    store.close()
