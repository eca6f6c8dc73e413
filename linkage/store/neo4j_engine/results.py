"""Detection results to and from Neo4j: the parameter shapes of the save statements, and rings read back.

Maps that are not plain properties (score components, shared artifacts, run params and
counts, change details) travel as JSON strings, as the embedded engine stores them.
"""

from __future__ import annotations

import json

from linkage.store.base import StoreError
from linkage.store.cypher_files import load_cypher
from linkage.store.models import DetectionResult, Ring, RingArtifact
from linkage.store.neo4j_engine.rows import native

SAVE_ORDER = ("save_detection_run", "save_rings", "clear_members", "save_members", "save_changes")


def save_statements(result: DetectionResult) -> list[tuple[str, dict[str, object]]]:
    """(statement name, parameters) for one run, in the order they run in its one transaction."""
    run = result.run
    return [
        ("save_detection_run", {
            "run_id": run.run_id, "started_at": run.started_at, "finished_at": run.finished_at,
            "duration_s": run.duration_s, "params": json.dumps(run.params, default=str),
            "counts": json.dumps(run.counts)}),
        ("save_rings", {"rings": [{
            "ring_id": r.ring_id, "score": r.score, "components": json.dumps(r.components), "size": r.size,
            "status": r.status, "created_run": r.created_run, "updated_run": r.updated_run,
            "artifacts": json.dumps([a.model_dump() for a in r.artifacts])} for r in result.rings]}),
        ("clear_members", {}),
        ("save_members", {"members": [
            {"account_id": m.account_id, "ring_id": m.ring_id, "score": m.score, "since": m.since}
            for m in result.members]}),
        ("save_changes", {"changes": [
            {"run_id": c.run_id, "ring_id": c.ring_id, "change": c.change,
             "detail": json.dumps(c.detail, default=str)} for c in result.changes]}),
    ]


def run_save(tx, statements: list[tuple[str, dict[str, object]]], expected_members: int) -> None:
    """Run the save statements in `tx`; a member whose account is not in the graph fails the run."""
    for name, params in statements:
        result = tx.run(load_cypher(name), **params)
        if name == "save_members":
            record = result.single()
            written = int(record["written"]) if record else 0
            if written != expected_members:
                raise StoreError("save_detection", load_cypher(name), ValueError(
                    f"{expected_members - written} of {expected_members} ring members have no Account node"))
        else:
            result.consume()


def ring_from_row(row: list[object]) -> Ring:
    ring_id, score, components, size, status, created_run, updated_run, artifacts, members = row
    arts = [RingArtifact(**a) for a in json.loads(artifacts or "[]")]
    arts.sort(key=lambda a: (-a.specificity, -a.members))  # as the embedded engine orders them
    return Ring(ring_id=ring_id, score=score, components=json.loads(components or "{}"), size=size,
                status=status, created_run=created_run, updated_run=updated_run,
                members=sorted(native(m) for m in members), artifacts=arts)
