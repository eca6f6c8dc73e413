"""The Neo4j engine's pieces that need no server: batches, parameter shapes, GDS rows to rings."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from linkage.detect.communities import LEIDEN_ABOVE
from linkage.detect.inputs import KINDS, Links
from linkage.detect.specificity import specificity
from linkage.settings import load_settings
from linkage.store.models import DetectionResult, DetectionRun, Ring, RingArtifact, RingChange, RingMember
from linkage.store.tables import GRAPH_TABLES, TABLES

pytest.importorskip("neo4j")  # the engine's modules import the driver
from linkage.store.neo4j_engine.evidence import drop_cutoff, specificity_of  # noqa: E402
from linkage.store.neo4j_engine.gds_communities import labels_from_gds, seeds_for  # noqa: E402
from linkage.store.neo4j_engine.ingest import ORDER, load_token  # noqa: E402
from linkage.store.neo4j_engine.results import ring_from_row, save_statements  # noqa: E402
from linkage.store.neo4j_engine.rows import (  # noqa: E402
    tick_table,
    arrow_schema, batches, param_rows, table_from_rows, to_signed, to_unsigned)
from linkage.store.cypher_files import cypher_names  # noqa: E402

pytestmark = pytest.mark.embedded
T = datetime(2026, 1, 1, tzinfo=timezone.utc)


def _used_ip(n: int, offset: int = 0) -> pa.Table:
    return pa.table({"account_id": [f"a{i}" for i in range(offset, offset + n)], "ip": ["1.1.1.1"] * n,
                     "requests": list(range(n)), "first_seen": [T] * n, "last_seen": [T] * n},
                    schema=arrow_schema(TABLES["used_ip"]))


def test_batches_cover_every_row_once_in_about_the_batch_size() -> None:
    got = list(batches("used_ip", _used_ip(1000), TABLES["used_ip"], 100))
    assert len({b.index for b in got}) == len(got) and all(b.of == 10 for b in got)
    ids = sorted(r["account_id"] for b in got for r in b.rows)
    assert ids == sorted(f"a{i}" for i in range(1000))
    assert max(len(b.rows) for b in got) < 200  # hash buckets: about, not exactly, 100


def test_batches_are_the_same_whatever_the_row_order() -> None:
    """Resuming a killed ingest relies on it: the same rows give the same batch ids and contents."""
    table = _used_ip(500)
    shuffled = table.take(np.random.default_rng(3).permutation(500))
    one = {(b.index, b.of): b.rows for b in batches("used_ip", table, TABLES["used_ip"], 64)}
    two = {(b.index, b.of): b.rows for b in batches("used_ip", shuffled, TABLES["used_ip"], 64)}
    assert one == two
    assert next(iter(batches("used_ip", table, TABLES["used_ip"], 64))).batch_id("tok") == "tok:used_ip:0/8"


def test_an_empty_table_gives_no_batch() -> None:
    assert list(batches("used_ip", _used_ip(0), TABLES["used_ip"], 10)) == []


def test_parameter_rows_carry_every_column_and_simhash_as_int64() -> None:
    spec = TABLES["prompt_fingerprint"]
    big = (1 << 64) - 5
    rows = param_rows(pa.table({"fingerprint": ["f"], "simhash": pa.array([big], pa.uint64()),
                                "capability": [None]}), spec)
    assert rows == [{"fingerprint": "f", "simhash": -5, "capability": None}]
    back = table_from_rows(spec, spec.names, [["f", -5, None]])
    assert back["simhash"].to_pylist() == [big] and back.schema == arrow_schema(spec)
    assert to_unsigned(to_signed(1 << 63)) == 1 << 63 and to_signed(7) == 7


def test_times_read_back_as_epoch_microseconds_become_utc_timestamps() -> None:
    spec = TABLES["used_ip"]
    micros = int(T.timestamp() * 1_000_000) + 250
    back = table_from_rows(spec, spec.names, [["a", "1.1.1.1", 3, micros, None]])
    assert back["first_seen"].to_pylist() == [T.replace(microsecond=250)]
    assert back["last_seen"].to_pylist() == [None]


def test_tick_series_read_back_as_rows_with_a_second_seen_twice_summed() -> None:
    # two loads appended the same account's ticks; 10:00:01.5 was in both (one and two requests)
    from collections import Counter
    us = int(T.timestamp() * 1_000_000)
    series = [["a", [us + 1_500_000, us + 7_000_000, us + 1_500_000], [1, 4, 2]], ["b", [us], [3]], ["c", [], []]]
    back = tick_table(TABLES["tick"], series)
    want = Counter()
    for acc, ticks, counts in series:  # brute force: add up every (account, tick)
        for t, n in zip(ticks, counts):
            want[(acc, t)] += n
    got = {(r["account_id"], int(r["tick_start"].timestamp() * 1_000_000)): r["requests"] for r in back.to_pylist()}
    assert got == dict(want) and len(got) == 3
    assert back.schema == tick_table(TABLES["tick"], []).schema


def test_every_graph_table_has_its_merge_and_read_statement_and_nodes_go_first() -> None:
    names = set(cypher_names())
    for spec in GRAPH_TABLES:
        assert {f"merge_{spec.name}", f"read_{spec.name}"} <= names, spec.name
    edge_at = [t.is_edge for t in ORDER]
    assert edge_at == sorted(edge_at) and "ingested_file" not in {t.name for t in ORDER}


def test_load_token_names_the_set_of_files_not_their_order() -> None:
    from linkage.store.models import IngestedFile
    files = [IngestedFile(content_hash=h, path=h, table_name="requests", rows_loaded=1, rows_quarantined=0,
                          ingested_at=T) for h in ("aa", "bb")]
    assert load_token(files) == load_token(files[::-1]) != load_token(files[:1])


def _result() -> DetectionResult:
    ring = Ring(ring_id="ring_1", score=0.9, components={"kinds": 0.5}, size=2, created_run="r1",
                updated_run="r1", members=["b", "a"],
                artifacts=[RingArtifact(kind="ip", artifact="1.1.1.1", specificity=0.5, members=2),
                           RingArtifact(kind="payment", artifact="c", specificity=0.9, members=2)])
    return DetectionResult(
        run=DetectionRun(run_id="r1", started_at=T, finished_at=T, duration_s=1.0, params={"seed": 42},
                         counts={"rings": 1}),
        rings=[ring], members=[RingMember(account_id=a, ring_id="ring_1", score=0.9, since=T) for a in "ab"],
        changes=[RingChange(run_id="r1", ring_id="ring_1", change="new", detail={"size": 2})])


def test_save_statements_send_maps_as_json_in_one_ordered_transaction() -> None:
    statements = dict(save_statements(_result()))
    assert list(statements) == ["save_detection_run", "save_rings", "clear_members", "save_members",
                                "save_changes"]
    ring = statements["save_rings"]["rings"][0]
    assert json.loads(ring["components"]) == {"kinds": 0.5} and len(json.loads(ring["artifacts"])) == 2
    assert statements["save_members"]["members"][0] == {"account_id": "a", "ring_id": "ring_1", "score": 0.9,
                                                        "since": T}
    assert json.loads(statements["save_detection_run"]["params"]) == {"seed": 42}


def test_a_ring_read_back_has_sorted_members_and_artifacts_by_specificity() -> None:
    rings = dict(save_statements(_result()))["save_rings"]["rings"][0]
    row = [rings["ring_id"], 0.9, rings["components"], 2, "active", "r1", "r1", rings["artifacts"], ["b", "a"]]
    ring = ring_from_row(row)
    assert ring.members == ["a", "b"] and [a.kind for a in ring.artifacts] == ["payment", "ip"]


def test_gds_rows_become_labels_small_components_whole_large_ones_by_leiden() -> None:
    big = list(range(10, 10 + LEIDEN_ABOVE + 4))  # one large component, split in two by Leiden
    components = pd.DataFrame({"nodeId": [5, 6, 7, 1, 2, *big], "componentId": [3, 3, 3, 9, 9] + [4] * len(big)})
    half = len(big) // 2
    leiden = {4: pd.DataFrame({"nodeId": big, "communityId": [77] * half + [12] * (len(big) - half)})}
    labels = labels_from_gds(40, components, leiden, min_size=3)
    assert set(labels[[5, 6, 7]]) == {0}  # small component: a community as it is, numbered by smallest code
    assert labels[1] == labels[2] == -1  # below min_size
    assert set(labels[big[:half]]) == {1} and set(labels[big[half:]]) == {2}
    assert (labels >= 0).sum() == 3 + len(big)


def test_leiden_seeds_come_from_the_previous_rings_and_fresh_ids_otherwise() -> None:
    ids = np.array(["a", "b", "c", "d"], dtype=object)
    seeds = seeds_for(ids, {"ring_y": ["c"], "ring_x": ["a", "b"]}, np.array([0, 1, 2, 3]))
    assert seeds.tolist() == [0, 0, 1, 2 + 3]


def test_evidence_specificity_is_the_shared_rule_on_the_artifacts_of_a_path() -> None:
    settings = load_settings()
    links = Links(account_ids=np.array([f"a{i}" for i in range(50)], dtype=object),
                  artifact_kind=np.array([KINDS.index("ip"), KINDS.index("payment")], np.int8),
                  artifact_value=np.array(["x", "y"], dtype=object),
                  account=np.r_[np.arange(3), np.arange(10)], artifact=np.r_[np.zeros(3, int), np.ones(10, int)],
                  count=np.ones(13, np.int64), first_seen=np.zeros(13, np.int64))
    expected = specificity(links, settings).value
    assert np.allclose(specificity_of(["ip", "payment"], [3, 10], 50, settings), expected)
    assert drop_cutoff(100_000, settings) == 0.2 * 100_000
