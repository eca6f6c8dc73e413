"""Each input format loads the same data into the same graph; the graph holds the right aggregates."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from ingest_sample import snapshot, write_dataset
from linkage.ingest.pipeline import ingest_directory
from linkage.settings import load_settings
from linkage.store import open_store

pytestmark = pytest.mark.embedded
FORMATS = [".jsonl", ".jsonl.gz", ".csv", ".parquet"]


def _ingest(data: Path, db: Path):
    settings = load_settings(store=str(db))
    with open_store(str(db)) as store:
        return ingest_directory(store, data, settings)


@pytest.fixture(scope="module")
def graphs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    out = {}
    for ext in FORMATS:
        base = tmp_path_factory.mktemp(ext.strip(".").replace(".", "_"))
        report = _ingest(write_dataset(base / "in", ext), base / "g.duckdb")
        assert report.tables["requests"].loaded == 6 and report.quarantined == 0
        out[ext] = snapshot(base / "g.duckdb")
    return out


@pytest.mark.parametrize("ext", FORMATS[1:])
def test_every_format_gives_the_same_graph(graphs: dict[str, dict], ext: str) -> None:
    def graph(g: dict) -> dict:  # file hashes differ by format, of course
        return {**g, "ingested_file": sorted(r[1:] for r in g["ingested_file"])}

    assert graph(graphs[ext]) == graph(graphs[".jsonl"])


def test_aggregates_are_edges_not_events(graphs: dict[str, dict]) -> None:
    g = graphs[".jsonl"]
    used = {(r[0], r[1]): r for r in g["used_ip"]}
    # '::ffff:1.2.3.4' and '1.2.3.4' are one node; a1 used it twice over two days.
    assert {r[0] for r in g["ip"]} == {"1.2.3.4", "2001:db8::1", "10.0.0.7"}
    a1 = used[("a1", "1.2.3.4")]
    assert a1[2] == 2
    assert a1[3] == datetime(2024, 5, 1, 10, tzinfo=timezone.utc)
    assert a1[4] == datetime(2024, 5, 2, 9, tzinfo=timezone.utc)
    # accounts seen only in requests still become nodes
    assert {r[0] for r in g["account"]} == {"a1", "a2", "a3", "a9"}
    # one payment instrument shared by two accounts, keyed-hashed
    assert len(g["payment_instrument"]) == 1 and len(g["paid_with"]) == 2
    # a raw prompt and its edited-number twin share a template; precomputed one has null simhash
    fps = {r[0]: r for r in g["prompt_fingerprint"]}
    assert fps["00000000deadbeef"][1] is None
    sent_a1 = [r for r in g["sent"] if r[0] == "a1"]
    assert len(sent_a1) == 1 and sent_a1[0][2] == 2
    assert fps[sent_a1[0][1]][2] == "reasoning"
    # activity per hour and model, '' when the model is missing
    assert ("a2", datetime(2024, 5, 1, 11, tzinfo=timezone.utc), "", 1, 0, 0) in g["activity"]
    # proxy intel by CIDR (v4, v6) and by single IP
    assert set(g["exit_of"]) == {("1.2.3.4", "ResiNet|residential"), ("2001:db8::1", "DCNet|datacenter"),
                                 ("10.0.0.7", "TorList|tor")}
    # a1 and a2 shared 1.2.3.4 within one 10-minute window: lockstep evidence
    co = {(r[0], r[1], r[3]) for r in g["co_window"]}
    assert co == {("ip", "1.2.3.4", "a1"), ("ip", "1.2.3.4", "a2")}


def test_typed_parquet_columns(tmp_path: Path) -> None:
    """Parquet with real TIMESTAMP and integer columns loads like text columns do."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    data = tmp_path / "in"
    data.mkdir()
    pq.write_table(pa.table({
        "ts": pa.array([datetime(2024, 5, 1, 10, tzinfo=timezone.utc)] * 2, pa.timestamp("us", tz="UTC")),
        "account_id": ["a1", "a2"], "ip": ["1.2.3.4", "1.2.3.5"],
        "tokens_in": pa.array([5, -1], pa.int32()), "tokens_out": pa.array([1.0, 2.5], pa.float64()),
    }), data / "requests.parquet")
    report = _ingest(data, tmp_path / "g.duckdb")
    assert report.tables["requests"].loaded == 1 and report.tables["requests"].quarantined == 1
    g = snapshot(tmp_path / "g.duckdb")
    assert g["activity"] == [("a1", datetime(2024, 5, 1, 10, tzinfo=timezone.utc), "", 1, 5, 1)]


def test_csv_quoted_prompt_with_newlines(tmp_path: Path) -> None:
    """A CSV prompt holding a quoted code block (newlines inside quotes) loads as one request."""
    import csv

    data = tmp_path / "in"
    data.mkdir()
    prompt = "Fix this:\n```python\ndef f(x):\n    return x, \"y\"\n```\nThanks"
    with open(data / "requests.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["ts", "account_id", "ip", "prompt", "tokens_in", "tokens_out"])
        for i in range(3000):  # enough rows that a parallel reader would split the file
            w.writerow([f"2024-05-01T10:{i % 60:02d}:00Z", f"a{i % 7}", "1.2.3.4", prompt, 5, 1])
    report = _ingest(data, tmp_path / "g.duckdb")
    assert report.tables["requests"].loaded == 3000 and report.quarantined == 0
    g = snapshot(tmp_path / "g.duckdb")
    assert sum(row[3] for row in g["activity"]) == 3000
