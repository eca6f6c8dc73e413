"""Typed rows that leave the store: what the CLI, the detector and (later) the API see."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class GraphStats(BaseModel):
    nodes: dict[str, int]
    edges: dict[str, int]


class IngestedFile(BaseModel):
    content_hash: str
    path: str
    table_name: str
    rows_loaded: int
    rows_quarantined: int
    ingested_at: datetime


class RingArtifact(BaseModel):
    kind: str
    artifact: str
    specificity: float
    members: int = Field(description="How many of the ring's accounts use this artifact")


class Ring(BaseModel):
    ring_id: str
    score: float
    components: dict[str, float]
    size: int
    status: str = "active"  # active | dissolved
    created_run: str
    updated_run: str
    members: list[str] = Field(default_factory=list)
    artifacts: list[RingArtifact] = Field(default_factory=list)


class RingMember(BaseModel):
    account_id: str
    ring_id: str
    score: float
    since: datetime


class RingChange(BaseModel):
    run_id: str
    ring_id: str
    change: str  # new | grown | shrunk | stable | merged | split | dissolved
    detail: dict[str, object] = Field(default_factory=dict)


class DetectionRun(BaseModel):
    run_id: str
    started_at: datetime
    finished_at: datetime
    duration_s: float
    params: dict[str, object]
    counts: dict[str, int]


class DetectionResult(BaseModel):
    """Everything one detection run writes, applied by the store in one transaction."""

    run: DetectionRun
    rings: list[Ring]
    members: list[RingMember]
    changes: list[RingChange]


# ---- analyst decisions (issue #12) -------------------------------------------------
# Stored beside the graph (embedded: a small DuckDB file next to the store; Neo4j: in
# the graph) and respected by the next `linkage detect`.

REVIEW_STATUSES = ("NEW", "CONFIRMED", "DISMISSED")


class RingDecision(BaseModel):
    """An analyst's (or the detector's) verdict on a ring, with what the ring looked like then.

    `size`, `score` and `artifacts` ("kind:value" of its top shared artifacts) are the
    evidence at the time of the decision: a DISMISSED ring is raised again only when
    a later run finds more than this.
    """

    ring_id: str
    status: str = Field(description="NEW | CONFIRMED | DISMISSED")
    note: str
    author: str = Field(description="Who decided: an API key's name, or 'linkage detect'")
    at: datetime
    size: int = 0
    score: float = 0.0
    artifacts: list[str] = Field(default_factory=list)


class AllowlistEntry(BaseModel):
    """An artifact that must never link accounts (merged with the LINKAGE_ALLOWLIST file)."""

    kind: str
    key: str
    reason: str
    author: str
    at: datetime
