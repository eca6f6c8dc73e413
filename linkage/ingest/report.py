"""What an ingest did, as typed results the CLI prints and tests assert on."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field


class FileResult(BaseModel):
    path: str
    table: str | None
    status: str  # loaded | skipped (already ingested, or a duplicate in this run) | unknown_table
    rows_loaded: int = 0
    rows_quarantined: int = 0


class TableCounts(BaseModel):
    loaded: int = 0
    quarantined: int = 0


class IngestReport(BaseModel):
    files: list[FileResult] = Field(default_factory=list)
    tables: dict[str, TableCounts] = Field(default_factory=dict)
    ignored: list[str] = Field(default_factory=list, description="Files of no supported format")
    quarantine_file: Path | None = None
    graph_rows: dict[str, int] = Field(default_factory=dict, description="Aggregated rows merged per graph table")
    seconds: float = 0.0

    @property
    def skipped(self) -> list[FileResult]:
        return [f for f in self.files if f.status == "skipped"]

    @property
    def quarantined(self) -> int:
        return sum(t.quarantined for t in self.tables.values()) + sum(
            1 for f in self.files if f.status == "unknown_table")

    @property
    def loaded(self) -> int:
        return sum(t.loaded for t in self.tables.values())
