"""The read model as a memory-mapped snapshot, and `linkage serve --workers N` sharing it.

A model mapped from a snapshot must answer exactly as the model built from the store;
the first worker builds and writes it, the others map it; keys change with whatever
changes the model, and old snapshots go once a newer one is in place."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import httpx
import pytest

from api_support import AS_READER, KEYS, READER_KEY, ROOT, client_for, copy_store, data
from linkage.api import snapshot
from linkage.api.strings import StringColumn
from linkage.settings import load_settings

QUERIES = {
    "rings": ("""{ rings(first: 5) { totalCount edges { cursor node { id score size status firstSeen lastSeen
        members(first: 30) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { account { id
          createdAt emailDomain country } score since } } }
        topArtifacts(first: 5) { kind key specificity members } history { runId change at } } } } }""", {}),
}


def answers(client, ring_id: str, a: str, b: str) -> dict:
    out = {name: data(client, q, v) for name, (q, v) in QUERIES.items()}
    out["account"] = data(client, """query($id: ID!) { account(id: $id) { id createdAt emailDomain country
        artifacts(first: 50) { kind key count firstSeen lastSeen specificity } rings { ring { id } score since }
        linkedAccounts(first: 20) { account { id } strength kinds } } }""", {"id": a})
    out["path"] = data(client, """query($a: ID!, $b: ID!) { evidencePath(from: $a, to: $b) { strength
        hops { from { id } to { id } artifact { kind key specificity accountCount } } } }""", {"a": a, "b": b})
    art = out["account"]["account"]["artifacts"][0]
    out["artifact"] = data(client, """query($k: ArtifactKind!, $key: String!) { artifact(kind: $k, key: $key) {
        specificity accountCount accounts(first: 3) { totalCount edges { cursor node { id } } } } }""",
                           {"k": art["kind"], "key": art["key"]})
    after = out["rings"]["rings"]["edges"][0]["node"]["members"]["pageInfo"]["endCursor"]
    out["page2"] = data(client, """query($id: ID!, $after: String) { ring(id: $id) { members(first: 30, after: $after) {
        edges { node { account { id } } } } } }""", {"id": ring_id, "after": after})
    return out


def test_a_mapped_snapshot_answers_exactly_as_the_built_model(api_store, tmp_path) -> None:
    store = copy_store(api_store, tmp_path)
    with client_for(store, api_snapshots=False) as built:
        first = data(built, "{ rings(first: 1) { edges { node { id members(first: 2) { edges { node { account { id } } } } } } } }")
        node = first["rings"]["edges"][0]["node"]
        ring_id = node["id"]
        a, b = (e["node"]["account"]["id"] for e in node["members"]["edges"])
        expected = answers(built, ring_id, a, b)
        assert built.app.state.holder.last_source == "built"
    folder = tmp_path / "snapshots"
    with client_for(store, api_snapshot_dir=folder) as writer:
        assert writer.app.state.holder.last_source == "built"
        assert answers(writer, ring_id, a, b) == expected
    assert len([p for p in folder.iterdir() if p.is_dir()]) == 1
    with client_for(store, api_snapshot_dir=folder) as mapped:
        assert mapped.app.state.holder.last_source == "snapshot"
        assert answers(mapped, ring_id, a, b) == expected
        graph = mapped.app.state.holder.model.graph
        assert not graph.link_artifact.flags.writeable  # mapped read-only, not copied


def test_snapshot_keys_follow_what_shapes_the_model_and_old_ones_are_pruned(tmp_path) -> None:
    settings = load_settings(store=str(tmp_path / "g.duckdb"))
    base = snapshot.snapshot_key("run_1", set(), settings)
    assert base == snapshot.snapshot_key("run_1", set(), settings)
    assert base != snapshot.snapshot_key("run_2", set(), settings)
    assert base != snapshot.snapshot_key("run_1", {("IP", "10.0.0.1")}, settings)
    assert base != snapshot.snapshot_key("run_1", set(), load_settings(store=settings.store, api_path_max_accounts=7))
    assert base != snapshot.snapshot_key("run_1", set(), load_settings(store=str(tmp_path / "other.duckdb")))
    assert base == snapshot.snapshot_key("run_1", set(), load_settings(store=settings.store, api_reload_seconds=1))
    for key in ("old-1", "old-2", "new"):
        (tmp_path / key).mkdir()
        (tmp_path / key / snapshot.DONE).write_text("{}")
    snapshot.prune(tmp_path, keep="new")
    assert [p.name for p in tmp_path.iterdir() if p.is_dir()] == ["new"]
    assert snapshot.find(tmp_path, "new") and snapshot.find(tmp_path, "old-1") is None


def test_string_columns_search_in_python_order_and_keep_nulls() -> None:
    values = sorted(["", "a", "ab", "b", "zz", "é", "ü-x", "日本"])
    col = StringColumn.from_strings(values)
    assert [col[i] for i in range(len(col))] == values
    for i, v in enumerate(values):
        assert col.find(v) == i
    assert col.find("aa") is None and col.search("aa") == 2 and col.search("\uffff") == len(values)
    assert col.find("b", 0, 3) is None and col.find("b", 3, 5) == 3
    with_nulls = StringColumn.from_strings(["x", None, "y"])
    assert [with_nulls[i] for i in range(3)] == ["x", None, "y"]
    assert with_nulls.to_arrow().to_pylist() == ["x", None, "y"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_with_two_workers_loads_once_and_both_answer(api_store, tmp_path) -> None:
    store = copy_store(api_store, tmp_path)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LINKAGE_")}
    env.update({"PYTHONPATH": str(ROOT), "LINKAGE_API_KEYS": KEYS,
                "LINKAGE_API_SNAPSHOT_DIR": str(tmp_path / "snapshots")})
    log = open(tmp_path / "server.log", "w")
    server = subprocess.Popen([sys.executable, "-m", "linkage", "serve", "--store", str(store), "--port", str(port),
                               "--workers", "2", "--log-level", "warning"], env=env, stdout=log, stderr=log)
    try:
        sources: dict[int, str] = {}
        deadline = time.monotonic() + 180
        while len(sources) < 2 and time.monotonic() < deadline and server.poll() is None:
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/healthz", headers={"Connection": "close"})
                if r.status_code == 200:
                    sources[r.json()["worker_pid"]] = r.json()["model_source"]
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        assert len(sources) == 2, (sources, (tmp_path / "server.log").read_text()[-2000:])
        assert sorted(sources.values()) == ["built", "snapshot"]  # one worker built it, the other mapped it
        for _ in range(6):  # fresh connections: both workers answer some
            body = httpx.post(f"http://127.0.0.1:{port}/graphql", headers={**AS_READER, "Connection": "close"},
                              json={"query": "{ rings(first: 1) { totalCount } }"}).json()
            assert body["data"]["rings"]["totalCount"] >= 1
        scrape = httpx.get(f"http://127.0.0.1:{port}/metrics").text  # whichever worker: the whole server's
        assert 'linkage_api_requests_total{operation="query:rings",outcome="ok"} 6.0' in scrape
        assert httpx.post(f"http://127.0.0.1:{port}/graphql", json={"query": "{ rings { totalCount } }"}).status_code == 401
        assert READER_KEY not in (tmp_path / "server.log").read_text()
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
