"""Neo4j engine benchmark beside the embedded engine, in one run, on one simulated scenario.

    PYTHONPATH=. python bench/bench_neo4j.py --scale 0.1
    PYTHONPATH=. python bench/bench_neo4j.py --scenario DIR --keep /tmp/bench-neo4j

Prints, for the same input:
  embedded  ingest (request rows/s and graph rows/s), detect
  bulk      export-neo4j-import, `neo4j-admin database import full` into a fresh database,
            server start on it, node/edge counts checked against the embedded store, then
            GDS detection on it (`linkage detect --store neo4j://…`)
  neo4j     batched-MERGE ingest (`linkage ingest --store neo4j://…`) into another fresh
            database; `--merge-budget S` stops it after S seconds and reports the rate so far
Each Neo4j server is the assembled one (docker/neo4j-server), heap capped at --heap, on its
own state directory, stopped at the end. Every step runs the real CLI in a child process.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def launcher():
    spec = importlib.util.spec_from_file_location("neo4j_server", ROOT / "docker" / "neo4j-server" / "neo4j_server.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("neo4j_server", module)
    spec.loader.exec_module(module)
    return module


def cli(*args: str, env: dict[str, str] | None = None) -> tuple[float, str]:
    """Run `linkage ARGS`; its wall time and stderr (progress and summaries go there)."""
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "linkage", *args], capture_output=True, text=True, env=full_env)
    took = time.perf_counter() - started
    if done.returncode not in (0, 3):
        sys.exit(f"linkage {' '.join(args)} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return took, done.stderr + done.stdout


def request_rows(data: Path) -> int:
    import duckdb

    return duckdb.sql(f"SELECT count(*) FROM read_parquet('{data}/requests*.parquet')").fetchall()[0][0]


def embedded_stats(store: Path) -> dict[str, dict[str, int]]:
    from linkage.store.embedded import EmbeddedStore

    with EmbeddedStore(str(store)) as st:
        stats = st.stats()
    return {"nodes": stats.nodes, "edges": stats.edges}


def neo4j_counts(server, info) -> dict[str, dict[str, int]]:
    nodes = dict(server.query(info, "MATCH (n) RETURN labels(n)[0], count(*)", timeout_s=600))
    edges = dict(server.query(info, "MATCH ()-[r]->() RETURN type(r), count(*)", timeout_s=600))
    return {"nodes": nodes, "edges": edges}


def summary(out: str) -> str:
    """The detector's one-line run summary (`run …: N accounts, … → K rings …`)."""
    return next((ln.strip() for ln in out.splitlines() if ln.startswith("run ")), "")[:110]


def line(what: str, seconds: float, extra: str = "") -> None:
    print(f"  {what:<44} {seconds:>8.1f} s  {extra}", flush=True)


def merge_ingest(server, info, data: Path, rows: int, graph_rows: int, budget_s: float) -> None:
    """`linkage ingest --store neo4j://…`; past `budget_s` (0: none) it is stopped and the rate is
    what it wrote by then (graph elements: nodes plus relationships, load markers left out)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), **info.env()}
    started = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-m", "linkage", "ingest", str(data), "--store", info.neo4j_url],
                             env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        child.wait(timeout=budget_s or None)
    except subprocess.TimeoutExpired:
        took = time.perf_counter() - started
        child.kill()
        child.wait()
        written = neo4j_elements(server, info)
        line("ingest, stopped at the time budget", took,
             f"{written:,} of ~{graph_rows:,} graph elements written: {written / took:,.0f} elements/s "
             f"(~{rows * written / graph_rows / took:,.0f} request rows/s)")
        return
    took = time.perf_counter() - started
    if child.returncode not in (0, 3):
        sys.exit(f"neo4j ingest failed ({child.returncode}): {child.stderr.read()[-3000:]}")
    written = neo4j_elements(server, info)
    line("ingest (complete)", took, f"{rows / took:,.0f} request rows/s, {written / took:,.0f} graph elements/s "
                                    f"({written:,} elements)")


def neo4j_elements(server, info) -> int:
    nodes = server.query(info, "MATCH (n) WHERE NOT n:AppliedBatch AND NOT n:PendingLoad RETURN count(n)",
                         timeout_s=600)[0][0]
    return nodes + server.query(info, "MATCH ()-[r]->() RETURN count(r)", timeout_s=600)[0][0]


def engine_ready() -> bool:
    return importlib.util.find_spec("linkage.store.neo4j_engine") is not None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=0.1)
    parser.add_argument("--scenario", type=Path, default=None, help="an existing scenario directory")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--heap", default="1g", help="Java heap of each server and of neo4j-admin (<= 1g here)")
    parser.add_argument("--merge-budget", type=float, default=0.0,
                        help="stop the batched-MERGE ingest after this many seconds and report its rate so far")
    parser.add_argument("--keep", type=Path, default=None, help="keep data, stores and exports here")
    args = parser.parse_args()
    server = launcher()
    work = args.keep or Path(tempfile.mkdtemp(prefix="linkage-bench-neo4j-"))
    data = args.scenario or work / "data"
    if not args.scenario and not (data / "requests.parquet").exists():
        took, _ = cli("simulate", "--out", str(data), "--scale", str(args.scale), "--seed", str(args.seed))
        print(f"simulated scale {args.scale} in {took:.1f}s")
    rows = request_rows(data)
    print(f"input: {rows:,} request rows ({data})")

    print("embedded (DuckDB)")
    store = work / "embedded.duckdb"
    for p in (store, Path(f"{store}.wal")):
        p.unlink(missing_ok=True)
    took, _ = cli("ingest", str(data), "--store", str(store))
    expected = embedded_stats(store)
    graph_rows = sum(expected["nodes"].values()) + sum(expected["edges"].values())
    line("ingest", took, f"{rows / took:,.0f} request rows/s, {graph_rows / took:,.0f} graph rows/s "
                         f"({graph_rows:,} graph rows)")
    took, out = cli("detect", "--store", str(store))
    line("detect (igraph/leidenalg)", took, summary(out))
    expected = embedded_stats(store)

    print("bulk first load (export-neo4j-import + neo4j-admin database import full), then GDS detection")
    export = work / "export"
    shutil.rmtree(export, ignore_errors=True)
    # Without the embedded results: GDS detection below is then a first run, as after a MERGE load.
    took, _ = cli("export-neo4j-import", str(export), "--store", str(store), "--no-results")
    manifest = json.loads((export / "manifest.json").read_text())
    exported = sum(manifest["rows"].values())
    line("export CSVs", took, f"{exported:,} rows, {sum(f.stat().st_size for f in export.glob('*.csv')) / 1e6:,.0f} MB")
    from linkage.store.neo4j_import import import_command

    state = work / "neo4j-bulk"
    shutil.rmtree(state, ignore_errors=True)
    started = time.perf_counter()
    server.admin(state, *import_command(export)[1:], heap=args.heap, cwd=export)
    took = time.perf_counter() - started
    line("neo4j-admin database import full", took, f"{exported / took:,.0f} rows/s")
    started = time.perf_counter()
    info = server.start(state, heap=args.heap)
    line("server start on the imported database", time.perf_counter() - started)
    try:
        got = neo4j_counts(server, info)
        inputs = {k: v for k, v in expected["nodes"].items() if k not in ("Ring", "DetectionRun")}
        same_nodes = all(got["nodes"].get(k, 0) == v for k, v in inputs.items())
        same_edges = all(got["edges"].get(k, 0) == v for k, v in expected["edges"].items() if k != "MEMBER_OF")
        print(f"  counts as in the embedded store: nodes {'yes' if same_nodes else 'NO'}, "
              f"edges {'yes' if same_edges else 'NO'}")
        if not (same_nodes and same_edges):
            print("  embedded:", json.dumps(expected), "\n  neo4j:   ", json.dumps(got))
        if engine_ready():
            took, out = cli("detect", "--store", info.neo4j_url, env=info.env())
            line("detect on Neo4j (GDS projection + Leiden)", took, summary(out))
    finally:
        server.stop(state)

    if not engine_ready():
        print("neo4j batched MERGE: the Neo4j engine (linkage.store.neo4j_engine) is not in this checkout")
    else:
        print("neo4j batched MERGE ingest (UNWIND $rows + MERGE, one transaction per batch)")
        state = work / "neo4j-merge"
        shutil.rmtree(state, ignore_errors=True)
        started = time.perf_counter()
        info = server.start(state, heap=args.heap)
        line("server start (fresh database)", time.perf_counter() - started)
        try:
            merge_ingest(server, info, data, rows, graph_rows, args.merge_budget)
        finally:
            server.stop(state)
    if args.keep is None:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
