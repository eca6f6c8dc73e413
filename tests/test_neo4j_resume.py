"""Neo4j ingest killed between batches: nothing counts twice, nothing reads half a load, and the same
ingest run again finishes it (the batch markers of linkage/store/neo4j_engine/ingest.py)."""

from __future__ import annotations

import pyarrow as pa
import pytest
from detect_graphs import _arrow_type

from linkage.store.base import StoreError
from linkage.store.models import IngestedFile
from linkage.store.neo4j_engine.ingest import PendingLoadError
from linkage.store.tables import TABLES

pytestmark = pytest.mark.neo4j


def _load(n: int) -> dict[str, pa.Table]:
    spec = TABLES["used_ip"]
    schema = pa.schema([(c.name, _arrow_type(c.sql_type)) for c in spec.columns])
    return {"used_ip": pa.Table.from_pylist(
        [{"account_id": f"r{i}", "ip": f"5.5.{i % 7}.1", "requests": 1, "first_seen": None, "last_seen": None}
         for i in range(n)], schema=schema)}


def _file(h: str) -> IngestedFile:
    return IngestedFile(content_hash=h, path=f"{h}.jsonl", table_name="requests", rows_loaded=1,
                        rows_quarantined=0, ingested_at="2026-01-01T00:00:00Z")


class Killed(Exception):
    pass


def test_a_load_killed_between_batches_resumes_without_counting_twice(neo4j_store, monkeypatch) -> None:
    neo4j_store.batch_size = 10  # 60 rows: 6 batches
    real_write, calls = neo4j_store._write, []

    def dies_after_three_batches(work):
        calls.append(work)
        if len(calls) == 5:  # load_begin, then batches 1-3 committed; the 4th never does
            raise Killed()
        return real_write(work)
    monkeypatch.setattr(neo4j_store, "_write", dies_after_three_batches)
    with pytest.raises(StoreError) as killed:
        neo4j_store.merge_batch(_load(60), [_file("day1")])
    assert isinstance(killed.value.cause, Killed)
    monkeypatch.setattr(neo4j_store, "_write", real_write)

    half = neo4j_store.read_table("used_ip")
    assert 0 < half.num_rows < 60 and neo4j_store.ingested_hashes() == set()
    with pytest.raises(PendingLoadError, match="day1.jsonl"):
        neo4j_store.account_artifacts()  # detection never sees half a load
    with pytest.raises(PendingLoadError):
        neo4j_store.merge_batch(_load(5), [_file("other")])  # nor is another load mixed in

    neo4j_store.merge_batch(_load(60), [_file("day1")])  # the same ingest again
    done = neo4j_store.read_table("used_ip")
    assert done.num_rows == 60 and set(done["requests"].to_pylist()) == {1}  # nothing added twice
    assert neo4j_store.ingested_hashes() == {"day1"} and neo4j_store.pending_loads() == []
    assert neo4j_store.account_artifacts().num_rows >= 60
