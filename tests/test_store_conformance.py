"""One specification, both engines: every test here runs on the embedded engine and on the
real Neo4j + GDS server (marked `embedded` / `neo4j`; the Neo4j half skips only without java/mvn).

Ingest idempotence, incremental merge by the column rules, a killed ingest rerun clean,
detection on small known graphs, ring identity across runs, evidence paths.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pyarrow as pa
import pytest
from detect_graphs import T0, GraphBuilder, _arrow_type
from ingest_sample import ACCOUNTS, DAY1, DAY2, PAYMENTS, PROXIES, run_cli, write

from linkage.detect import detect, evidence_paths
from linkage.ingest.pipeline import CRASH_ENV, ingest_directory
from linkage.settings import load_settings
from linkage.store.embedded import EmbeddedStore
from linkage.store.tables import GRAPH_TABLES, TABLES


@pytest.fixture(params=[pytest.param("embedded", marks=pytest.mark.embedded),
                        pytest.param("neo4j", marks=pytest.mark.neo4j)])
def store(request: pytest.FixtureRequest, tmp_path: Path):
    if request.param == "neo4j":
        yield request.getfixturevalue("neo4j_store")
        return
    s = EmbeddedStore(str(tmp_path / "g.duckdb"))
    yield s
    s.close()


def snapshot(store) -> dict[str, list[tuple]]:
    """Every graph table through the store interface, rows sorted; files without paths and times,
    co_window only where two or more accounts share a window (what lockstep reads)."""
    out = {}
    for spec in GRAPH_TABLES:
        table = store.read_table(spec.name)
        if spec.name == "ingested_file":
            table = table.select(["content_hash", "table_name", "rows_loaded", "rows_quarantined"])
        rows = [tuple(r.values()) for r in table.to_pylist()]
        if spec.name == "co_window":
            shared = {}
            for r in rows:
                shared.setdefault(r[:3], []).append(r)
            rows = [r for group in shared.values() if len(group) >= 2 for r in group]
        out[spec.name] = sorted(rows, key=repr)
    return out


def _days(tmp_path: Path) -> tuple[Path, Path, Path]:
    day1, day2, both = tmp_path / "day1", tmp_path / "day2", tmp_path / "both"
    for d in (day1, both):
        write(d / "accounts.jsonl", ACCOUNTS)
        write(d / "requests-2024-05-01.jsonl", DAY1)
        write(d / "payments.csv", PAYMENTS)
    for d in (day2, both):
        write(d / "requests-2024-05-02.parquet", DAY2)
        write(d / "proxies.jsonl.gz", PROXIES)
    return day1, day2, both


# ---- ingest ----------------------------------------------------------------------
def test_reingest_is_a_no_op(store, tmp_path: Path) -> None:
    _, _, both = _days(tmp_path)
    first = ingest_directory(store, both, load_settings())
    before = snapshot(store)
    again = ingest_directory(store, both, load_settings())
    assert snapshot(store) == before
    assert first.loaded > 0 and again.loaded == 0 and len(again.skipped) == len(first.files) == 5
    assert len(store.ingested_hashes()) == 5


def test_day_by_day_equals_all_at_once_by_the_column_rules(store, tmp_path: Path) -> None:
    day1, day2, both = _days(tmp_path)
    ingest_directory(store, day1, load_settings())
    ingest_directory(store, day2, load_settings())
    incremental = snapshot(store)
    with EmbeddedStore(str(tmp_path / "once.duckdb")) as once:
        ingest_directory(once, both, load_settings())
        all_at_once = snapshot(once)
    # a prompt family is born in a batch holding two of its prompts: here only the single batch
    # finds one (tests/test_ingest_incremental.py); everything else merges to the same rows
    families = ("prompt_family", "prompt_family_key", "sent_family")
    assert not any(incremental[t] for t in families) and all(all_at_once[t] for t in families)
    assert {k: v for k, v in incremental.items() if k not in families} == {
        k: v for k, v in all_at_once.items() if k not in families}
    a1 = next(r for r in incremental["used_ip"] if r[:2] == ("a1", "1.2.3.4"))
    assert a1[2] == 2 and a1[3].day == 1 and a1[4].day == 2  # SUM, MIN first_seen, MAX last_seen


def test_merge_rules_sum_min_max_and_newest_non_null(store) -> None:
    t = datetime(2026, 3, 1, tzinfo=timezone.utc)
    spec_acc, spec_ip = TABLES["account"], TABLES["used_ip"]

    def batch(created: datetime, country: str | None, requests: int, first: datetime, last: datetime) -> None:
        acc = pa.Table.from_pylist([{"account_id": "x1", "created_at": created, "email_hash": None,
                                     "email_domain": "d.example", "country": country, "org_id": None}],
                                   schema=_schema(spec_acc))
        ip = pa.Table.from_pylist([{"account_id": "x1", "ip": "9.9.9.9", "requests": requests,
                                    "first_seen": first, "last_seen": last}], schema=_schema(spec_ip))
        store.merge_batch({"account": acc, "used_ip": ip}, [])

    batch(t, "FR", 3, t, t + timedelta(hours=1))
    batch(t - timedelta(days=1), None, 4, t + timedelta(hours=2), t + timedelta(hours=3))
    account = store.read_table("account").to_pylist()[0]
    used = store.read_table("used_ip").to_pylist()[0]
    assert account["created_at"] == t - timedelta(days=1)  # MIN
    assert account["country"] == "FR"  # LATEST: a null never overwrites
    assert used["requests"] == 7  # SUM
    assert (used["first_seen"], used["last_seen"]) == (t, t + timedelta(hours=3))  # MIN, MAX
    assert store.stats().nodes["EmailDomain"] == 1


def _schema(spec) -> pa.Schema:
    return pa.schema([(c.name, _arrow_type(c.sql_type)) for c in spec.columns])


def test_a_killed_ingest_reruns_to_exactly_the_uninterrupted_result(store, tmp_path: Path) -> None:
    _, _, both = _days(tmp_path)
    env = {"LINKAGE_STORE": store.url}
    if not isinstance(store, EmbeddedStore):
        user, password = store._auth
        env |= {"LINKAGE_NEO4J_USER": user, "LINKAGE_NEO4J_PASSWORD": password}
    store.close() if isinstance(store, EmbeddedStore) else None  # DuckDB: one writer process
    crashed = run_cli("ingest", str(both), env={**env, CRASH_ENV: "merge"})
    assert crashed.returncode == 17, crashed.stderr
    done = run_cli("ingest", str(both), env=env)
    assert done.returncode == 0, done.stderr
    with EmbeddedStore(str(tmp_path / "clean.duckdb")) as clean:
        ingest_directory(clean, both, load_settings())
        expected = snapshot(clean)
    reopened = EmbeddedStore(store.url) if isinstance(store, EmbeddedStore) else store
    try:
        assert snapshot(reopened) == expected
    finally:
        if reopened is not store:
            reopened.close()


# ---- detection -------------------------------------------------------------------
def _two_rings(store) -> tuple[list[str], list[str]]:
    g = GraphBuilder(1)
    alpha, beta = g.ring("alpha", 30), g.ring("beta", 20)
    g.background(60)
    g.write(store)
    return alpha, beta


def test_detection_finds_the_known_rings_and_no_lookalike(store) -> None:
    alpha, beta = _two_rings(store)
    result = detect(store, load_settings())
    found = sorted((sorted(r.members) for r in result.rings), key=len, reverse=True)
    assert found == [sorted(alpha), sorted(beta)]
    stored = store.rings()
    assert [r.ring_id for r in stored] == [r.ring_id for r in sorted(result.rings, key=lambda r: -r.score)]
    assert all(r.components and r.artifacts and r.score >= 0.6 for r in stored)
    one, of_member = store.ring(stored[0].ring_id), store.rings_of_account(stored[0].members[0])
    assert [_same(one), *map(_same, of_member)] == [_same(stored[0])] * 2
    assert store.stats().edges["MEMBER_OF"] == len(alpha) + len(beta)
    assert [c.change for c in store.ring_changes()] == ["new", "new"]


def _same(ring) -> tuple:
    """A ring as a comparable value (artifacts of equal specificity and members may come in any order)."""
    return (ring.model_dump(exclude={"artifacts"}), sorted(a.model_dump_json() for a in ring.artifacts))


def test_ring_identity_survives_the_next_run(store) -> None:
    _two_rings(store)
    first = detect(store, load_settings())
    more = GraphBuilder(2)
    extra = more.ring("alpha", 6, start=30, pool_size=15)
    more.write(store)
    second = detect(store, load_settings())
    before = {r.ring_id: set(r.members) for r in first.rings}
    after = {r.ring_id: set(r.members) for r in second.rings if r.status == "active"}
    assert set(after) == set(before)
    grown = next(rid for rid, members in after.items() if set(extra) <= members)
    assert {c.ring_id: c.change for c in store.ring_changes(second.run.run_id)} == {
        grown: "grown", next(r for r in after if r != grown): "stable"}
    runs = store.detection_runs()
    assert [r.run_id for r in runs] == [first.run.run_id, second.run.run_id]
    assert runs[1].counts["rings"] == 2 and runs[1].params["seed"] == 42


# ---- evidence --------------------------------------------------------------------
def test_evidence_paths_hop_through_shared_artifacts(store) -> None:
    g = GraphBuilder(3)
    for acc in ("e1", "e2", "e3", "e4"):
        g.account(acc, T0)
    g.use("e1", "ip", "7.7.7.7")
    g.use("e2", "ip", "7.7.7.7")
    g.use("e2", "payment", "card-e")
    g.use("e3", "payment", "card-e")
    g.use("e4", "user_agent", "lonely-agent")
    g.background(20)
    g.write(store)
    paths = evidence_paths(store, "e1", "e3", settings=load_settings())
    assert len(paths) == 1
    hops = paths[0].hops
    assert [(h.from_account, h.kind, h.artifact, h.to_account) for h in hops] == [
        ("e1", "ip", "7.7.7.7", "e2"), ("e2", "payment", "card-e", "e3")]
    assert all(h.accounts_using == 2 and 0 < h.specificity <= 1 for h in hops)
    assert evidence_paths(store, "e1", "e4", settings=load_settings()) == []
    assert evidence_paths(store, "e1", "e3", max_hops=1, settings=load_settings()) == []


# ---- analyst decisions (issue #12) -------------------------------------------------
def test_ring_decisions_and_the_allowlist_are_append_only_logs(store) -> None:
    from linkage.store.models import AllowlistEntry, RingDecision

    t = datetime(2026, 3, 1, tzinfo=timezone.utc)
    for i, status in enumerate(("CONFIRMED", "DISMISSED")):
        store.save_ring_decision(RingDecision(ring_id="ring_a", status=status, note=f"n{i}", author="ana",
                                              at=t + timedelta(minutes=i), size=4, score=0.8,
                                              artifacts=["ip:1.1.1.1"]))
    store.save_ring_decision(RingDecision(ring_id="ring_b", status="NEW", note="", author="linkage detect",
                                          at=t, size=3, score=0.7))
    assert [d.status for d in store.ring_decisions(["ring_a"])] == ["CONFIRMED", "DISMISSED"]
    assert len(store.ring_decisions()) == 3 and store.ring_decisions(["ring_a"])[1].artifacts == ["ip:1.1.1.1"]
    store.allowlist_artifact(AllowlistEntry(kind="ip", key="8.8.8.8", reason="resolver", author="ana", at=t))
    store.allowlist_artifact(AllowlistEntry(kind="prompt", key="p1", reason="canned", author="ana", at=t))
    assert store.remove_allowlisted_artifact("ip", "8.8.8.8", "bob", t + timedelta(hours=1))
    assert not store.remove_allowlisted_artifact("ip", "8.8.8.8", "bob", t + timedelta(hours=2))
    assert [(e.kind, e.key, e.reason) for e in store.allowlisted_artifacts()] == [("prompt", "p1", "canned")]
