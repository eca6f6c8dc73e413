"""Cypher statements live in `cypher/*.cypher` and are loaded by name, never built from strings.

Values always travel as `$parameters`. The folder ships inside the package
(`linkage/cypher` links to the top-level `cypher/`), so an installed Linkage finds it.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from linkage.store.tables import ARRAY_TABLES, GRAPH_TABLES, NIGHTLY_TABLES

_PACKAGED = Path(__file__).resolve().parents[1] / "cypher"
_REPO = Path(__file__).resolve().parents[2] / "cypher"


def cypher_dir() -> Path:
    return _PACKAGED if _PACKAGED.is_dir() else _REPO


def cypher_names() -> list[str]:
    return sorted(p.stem for p in cypher_dir().glob("*.cypher"))


@lru_cache(maxsize=None)
def load_cypher(name: str) -> str:
    """The statement(s) in `cypher/<name>.cypher`."""
    path = cypher_dir() / f"{name}.cypher"
    if not path.is_file():
        raise KeyError(f"no Cypher file named {name!r} in {cypher_dir()}")
    return path.read_text()


def split_statements(text: str) -> list[str]:
    """A multi-statement file (like schema.cypher) as single statements for the driver."""
    lines = [ln for ln in text.splitlines() if not ln.lstrip().startswith("//")]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]


def graph_schema() -> dict[str, list[str]]:
    """Labels, relationship types and property keys of the graph model, for the Cypher linter."""
    labels = {t.label for t in GRAPH_TABLES + NIGHTLY_TABLES if not t.is_edge} | {
        "EmailDomain", "Model", "Ring", "DetectionRun", "RingChange", "AppliedBatch", "PendingLoad",
        "RingDecision", "ArtifactDecision", "TickSeries"}
    rels = {t.label for t in GRAPH_TABLES if t.is_edge and t.name not in ARRAY_TABLES} | {
        "HAS_EMAIL_DOMAIN", "MEMBER_OF", "RANGE_OF", "DETECTED_IN", "RECORDED", "SIMILAR"}
    props = {c.name for t in GRAPH_TABLES + NIGHTLY_TABLES for c in t.columns} | {
        "domain", "ring_id", "run_id", "score", "components", "size", "status", "created_run",
        "updated_run", "started_at", "finished_at", "duration_s", "params", "counts", "since",
        "graphName", "nodeCount", "relationshipCount", "model", "artifacts", "change", "detail",
        "batch_id", "token", "files", "hour", "window_start",
        "epochSeconds", "microsecond", "tick_start", "tick_us", "note", "author", "at", "seq", "artifact_key", "action", "reason"}  # temporal accessors, which the linter takes for properties
    return {"labels": sorted(labels), "relationshipTypes": sorted(rels), "propertyKeys": sorted(props)}
