"""The run report: JSON for machines, a short Markdown summary for people.

Built only from what the store holds (the run's partition records, the detection run,
its ring changes, the rings, and the snapshot of the rings taken before detection), so
a run that was killed and resumed reports exactly what one clean run would have.
Everything that differs between two identical runs (ids, clock times, durations) sits
under `run` and `timings`; the rest is the run's content.
"""

from __future__ import annotations

from linkage.nightly.state import NightlyRun, PartitionRecord
from linkage.store.base import GraphStore
from linkage.store.models import Ring

CHANGE_KINDS = ("new", "grown", "shrunk", "merged", "split", "dissolved", "stable")
TOP_NEW_EVIDENCE = 20
TOP_RING_ARTIFACTS = 5
PER_RING_KIND = 3  # top new evidence: at most this many artifacts of one kind per ring
COMPONENT_MOVE = 0.1  # a score component that moves at least this much is named in the report


def ring_snapshot(rings: list[Ring]) -> dict[str, dict]:
    """What the report needs of the rings before detection: size, score, components, artifacts."""
    return {r.ring_id: {"size": r.size, "score": r.score, "components": r.components,
                        "artifacts": [f"{a.kind}:{a.artifact}" for a in r.artifacts]} for r in rings}


def _artifact_list(ring: Ring, n: int = TOP_RING_ARTIFACTS) -> list[dict]:
    return [{"kind": a.kind, "artifact": a.artifact, "specificity": a.specificity, "members": a.members}
            for a in ring.artifacts[:n]]


def _moved_components(before: dict[str, float], after: dict[str, float]) -> dict[str, list[float]]:
    return {k: [round(before.get(k, 0.0), 4), round(v, 4)] for k, v in sorted(after.items())
            if abs(v - before.get(k, 0.0)) >= COMPONENT_MOVE}


def _changes(store: GraphStore, detection_run_id: str, previous: dict[str, dict]
             ) -> tuple[dict[str, list[dict]], list[dict]]:
    rings = {r.ring_id: r for r in store.rings(include_dissolved=True, with_members=False)}
    out: dict[str, list[dict]] = {k: [] for k in CHANGE_KINDS}
    evidence: list[dict] = []
    for ch in store.ring_changes(detection_run_id):
        ring = rings.get(ch.ring_id)
        entry: dict = {"ring_id": ch.ring_id, **ch.detail}
        if ch.change in ("new", "split", "grown", "shrunk", "stable") and ring is not None:
            entry.update(size=ring.size, score=round(ring.score, 4))
            # what tonight's list has that this ring's (or, for a split, its source's) did not
            before = previous.get(ch.ring_id) or previous.get(str(ch.detail.get("from", ""))) or {}
            known = set(before.get("artifacts", []))
            fresh = [a for a in ring.artifacts if f"{a.kind}:{a.artifact}" not in known]
            evidence += [{"ring_id": ch.ring_id, "change": ch.change, "kind": a.kind, "artifact": a.artifact,
                          "specificity": a.specificity, "members": a.members} for a in fresh]
            entry["new_artifacts"] = len(fresh)
            if before:
                entry["score_before"] = round(float(before["score"]), 4)
                entry["components_moved"] = _moved_components(before.get("components", {}), ring.components)
            else:
                entry["top_artifacts"] = _artifact_list(ring)
        out.setdefault(ch.change, []).append(entry)
    for kind in out:
        out[kind].sort(key=lambda e: e["ring_id"])
    evidence.sort(key=lambda e: (-e["specificity"], -e["members"], e["ring_id"], e["kind"], e["artifact"]))
    # a few of each kind per ring: twenty exits of one pool say less than its exit, card and template
    per: dict[tuple[str, str], int] = {}
    varied = []
    for e in evidence:
        key = (e["ring_id"], e["kind"])
        per[key] = per.get(key, 0) + 1
        if per[key] <= PER_RING_KIND:
            varied.append(e)
    return out, varied[:TOP_NEW_EVIDENCE]


def _decisions(store: GraphStore, changes: dict[str, list[dict]]) -> dict:
    """Analyst decisions as they stand after the run, and what the run did to them.

    Detection keeps a dismissed ring dismissed until its evidence grows; then it records a
    NEW decision and the ring's change says why (`review`, `review_note`).
    """
    entries = [e for kind, es in changes.items() if kind not in ("merged", "dissolved") for e in es]
    ids = sorted({e["ring_id"] for e in entries} | {str(e["from"]) for e in changes.get("split", [])})
    latest = {d.ring_id: d for d in store.ring_decisions(ids)} if ids else {}  # oldest first: last wins
    for e in changes.get("split", []):
        if e["from"] in latest:
            e["from_status"] = latest[e["from"]].status
    active = {e["ring_id"] for e in entries}
    return {
        "raised_again": [{"ring_id": e["ring_id"], "why": e.get("review_note", "")}
                         for e in sorted(entries, key=lambda e: e["ring_id"]) if e.get("review") == "NEW"],
        "still_dismissed": sorted(e["ring_id"] for e in entries if e.get("review") == "DISMISSED"),
        "status": {rid: latest[rid].status for rid in sorted(active) if rid in latest},
    }


def build_report(store: GraphStore, run: NightlyRun, parts: list[PartitionRecord]) -> dict:
    """The report of `run` (phase `ingested` or later, detection saved as `run.detection_run_id`)."""
    detection = next((d for d in store.detection_runs() if d.run_id == run.detection_run_id), None)
    by_table: dict[str, int] = {}
    for p in parts:
        for table, n in p.quarantined_by_table.items():
            by_table[table] = by_table.get(table, 0) + n
    quarantined = sum(p.rows_quarantined for p in parts)
    changes, evidence = _changes(store, run.detection_run_id, run.previous or {}) if detection else ({}, [])
    counts = {k: v for k, v in (detection.counts if detection else {}).items() if not k.startswith("ms_")}
    return {
        "run": {"run_id": run.run_id, "started_at": run.started_at.isoformat(),
                "detection_run_id": run.detection_run_id, "input_dir": run.input_dir,
                "date_limit": run.date_limit,
                "quarantine_files": sorted(p.quarantine_file for p in parts if p.quarantine_file)},
        "exit_code": 3 if quarantined else 0,
        "partitions": [{"partition": p.partition, "files": p.files, "rows_loaded": p.rows_loaded,
                        "rows_quarantined": p.rows_quarantined} for p in parts],
        "quarantine": {"rows": quarantined, "by_table": dict(sorted(by_table.items()))},
        "rings": {"active": sum(1 for r in store.rings(with_members=False)),
                  "counts": {k: len(v) for k, v in changes.items()}},
        "changes": changes,
        "decisions": _decisions(store, changes) if detection else {},
        "top_new_evidence": evidence,
        "detection": counts,
        "parameters": detection.params if detection else {},
        "timings": {"ingest_s": {p.partition: round(p.seconds, 3) for p in parts},
                    "detect_s": round(detection.duration_s, 3) if detection else None,
                    "detect_steps_ms": {k[3:]: v for k, v in (detection.counts if detection else {}).items()
                                        if k.startswith("ms_")}},
    }


def to_markdown(report: dict) -> str:
    """A short summary an analyst reads in the morning."""
    run, counts = report["run"], report["rings"]["counts"]
    days = ", ".join(p["partition"] for p in report["partitions"]) or "none"
    lines = [f"# Nightly run {run['run_id']}", "",
             f"- partitions: {days}",
             f"- rows loaded: {sum(p['rows_loaded'] for p in report['partitions']):,}; "
             f"quarantined: {report['quarantine']['rows']:,}"
             + (f" ({', '.join(f'{t} {n:,}' for t, n in report['quarantine']['by_table'].items())})"
                if report["quarantine"]["by_table"] else ""),
             f"- rings active: {report['rings']['active']}; "
             + ", ".join(f"{k} {counts.get(k, 0)}" for k in CHANGE_KINDS if k != "stable")
             + f", stable {counts.get('stable', 0)}", ""]
    for kind in CHANGE_KINDS:
        entries = report["changes"].get(kind, [])
        if not entries or kind == "stable":
            continue
        lines.append(f"## {kind.capitalize()}")
        for e in entries:
            lines.append(f"- `{e['ring_id']}` " + _describe(kind, e))
        lines.append("")
    moved = [(kind, e) for kind in ("grown", "shrunk", "stable", "split") for e in report["changes"].get(kind, [])
             if e.get("components_moved")]
    if moved:
        lines.append("## Evidence that moved")
        for kind, e in moved:
            lines.append(f"- `{e['ring_id']}` ({kind}): " + ", ".join(
                f"{k} {a:.2f} → {b:.2f}" for k, (a, b) in e["components_moved"].items()))
        lines.append("")
    for e in report.get("decisions", {}).get("raised_again", []):
        lines.append(f"- **raised again** `{e['ring_id']}` (was dismissed): {e['why']}")
    status = report.get("decisions", {}).get("status", {})
    if status:
        lines.append("- analyst status: " + ", ".join(f"`{r}` {s}" for r, s in status.items()))
    if report["top_new_evidence"]:
        lines += ["## Top new evidence", "", "| ring | kind | artifact | specificity | members |",
                  "|---|---|---|---|---|"]
        lines += [f"| `{e['ring_id']}` | {e['kind']} | `{e['artifact'][:40]}` | {e['specificity']:.2f} | "
                  f"{e['members']} |" for e in report["top_new_evidence"][:10]]
        lines.append("")
    t = report["timings"]
    lines.append(f"Ingest {sum(t['ingest_s'].values()):.1f}s, detection {t['detect_s'] or 0:.1f}s; "
                 f"exit code {report['exit_code']}.")
    return "\n".join(lines) + "\n"


def _describe(kind: str, e: dict) -> str:
    if kind in ("new", "split"):
        src = f" from `{e['from']}`" if kind == "split" else ""
        return f"{e.get('size', '?')} accounts, score {e.get('score', 0):.2f}{src}"
    if kind in ("grown", "shrunk"):
        return f"{e['before']} → {e['after']} accounts, score {e.get('score_before', 0):.2f} → {e.get('score', 0):.2f}"
    if kind == "merged":
        return f"merged into `{e['into']}`"
    return f"{e.get('before', '?')} accounts, no longer a ring"
