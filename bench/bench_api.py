"""GraphQL API benchmark: `linkage serve` on a built store, N concurrent clients per query kind.

    PYTHONPATH=. python bench/bench_api.py --store /path/full.duckdb            # 8 clients, 60 s each
    PYTHONPATH=. python bench/bench_api.py --store s.duckdb --seconds 10        # a quick look

The store must hold a detection run (simulate → ingest → detect; see bench/bench_simulate.py
and bench/bench_ingest.py). The server runs as its own process (the real CLI, on a free
loopback port) and the clients as asyncio tasks over HTTP keep-alive in this one. Inputs are
drawn (seeded) from the store before the server starts:
- ring: every active ring in turn, first 100 members + top 10 artifacts;
- account: ring members and ordinary accounts alike, with artifacts, rings, linked accounts;
- evidencePath (ring): two random members of the largest ring;
- evidencePath (unrelated): two random accounts that are in no ring.
Prints, per query kind: requests, throughput, p50/p99/max latency, errors (HTTP status
other than 200, or any GraphQL error) and the server's CPU time per request (which does
not depend on what else the machine runs), the model's load time and the server's RSS.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import numpy as np
import psutil

ROOT = Path(__file__).resolve().parents[1]
KEY = "bench-analyst-key-0000000001"

RING = """query($id: ID!) { ring(id: $id) { id score size status components { name value }
  members(first: 100) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { account { id } score since } } }
  topArtifacts(first: 10) { kind key specificity members } } }"""
ACCOUNT = """query($id: ID!) { account(id: $id) { id createdAt emailDomain country
  artifacts(first: 20) { kind key count firstSeen lastSeen specificity } rings { ring { id } score since }
  linkedAccounts(first: 10) { account { id } strength kinds } } }"""
PATH = """query($a: ID!, $b: ID!) { evidencePath(from: $a, to: $b) { strength
  hops { from { id } to { id } artifact { kind key specificity } } } }"""


def pick_inputs(store: str, seed: int = 7) -> dict[str, list[dict]]:
    from linkage.store import open_store

    rng = np.random.default_rng(seed)
    with open_store(store, read_only=True) as st:
        rings = st.rings(include_dissolved=False, with_members=True)
        ids = np.array(st.read_table("account", ["account_id"])["account_id"].to_pylist(), dtype=object)
    flagged = {a for r in rings for a in r.members}
    largest = max(rings, key=lambda r: r.size)
    outside = np.array([a for a in rng.choice(ids, min(5000, len(ids)), replace=False) if a not in flagged], dtype=object)
    members = np.array(largest.members, dtype=object)
    accounts = list(rng.choice(np.array(sorted(flagged), dtype=object), 100)) + list(outside[:100])
    return {
        "ring": [{"id": r.ring_id} for r in rings],
        "account": [{"id": str(a)} for a in rng.permutation(np.array(accounts, dtype=object))],
        "evidencePath (ring)": [dict(zip("ab", map(str, rng.choice(members, 2, replace=False)))) for _ in range(200)],
        "evidencePath (unrelated)": [{"a": str(outside[i]), "b": str(outside[i + 1])}
                                     for i in range(200, min(len(outside) - 1, 600), 2)],
        "_largest": [{"id": largest.ring_id, "size": largest.size}],
    }


async def run_kind(url: str, query: str, inputs: list[dict], clients: int, seconds: float) -> dict[str, float]:
    latencies: list[float] = []
    errors = 0
    found = 0
    deadline = time.perf_counter() + seconds

    async def client(k: int) -> None:
        nonlocal errors, found
        i = k
        async with httpx.AsyncClient(headers={"Authorization": f"Bearer {KEY}"}, timeout=30) as http:
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                response = await http.post(url, json={"query": query, "variables": inputs[i % len(inputs)]})
                latencies.append(time.perf_counter() - started)
                body = response.json() if response.status_code == 200 else {}
                if response.status_code != 200 or body.get("errors"):
                    errors += 1
                elif body.get("data") and any(body["data"].values()):
                    found += 1
                i += clients

    started = time.perf_counter()
    await asyncio.gather(*(client(k) for k in range(clients)))
    wall = time.perf_counter() - started
    ms = np.array(latencies) * 1000
    return {"requests": len(ms), "rps": len(ms) / wall, "p50": float(np.percentile(ms, 50)),
            "p99": float(np.percentile(ms, 99)), "max": float(ms.max()), "errors": errors,
            "non_empty": found}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--store", required=True)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--seconds", type=float, default=60.0)
    args = ap.parse_args()

    inputs = pick_inputs(args.store)
    largest = inputs.pop("_largest")[0]
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "LINKAGE_API_KEYS": f"bench:{KEY}:analyst"}
    log = open(Path(args.store).with_suffix(".bench-api.log"), "w")
    t0 = time.perf_counter()
    server = subprocess.Popen([sys.executable, "-m", "linkage", "serve", "--store", args.store, "--port", str(port),
                               "--log-level", "warning"], env=env, stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    try:
        while True:
            try:
                if httpx.get(f"{base}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if server.poll() is not None:
                raise SystemExit(f"the server exited; see {log.name}")
            time.sleep(0.5)
        load_s = time.perf_counter() - t0
        rss = psutil.Process(server.pid).memory_info().rss / 2**30
        print(f"store {args.store}: largest ring {largest['id']} ({largest['size']:,} members); "
              f"server ready in {load_s:.1f} s, RSS {rss:.2f} GiB; {args.clients} clients x {args.seconds:.0f} s per kind")
        print(f"load average at start {os.getloadavg()[0]:.1f} (2 cores here; the other jobs' share is not ours)")
        print("| query | requests | req/s | p50 ms | p99 ms | max ms | errors | non-empty answers | server CPU ms/request |")
        print("|---|---|---|---|---|---|---|---|---|")
        queries = {"ring": RING, "account": ACCOUNT, "evidencePath (ring)": PATH, "evidencePath (unrelated)": PATH}
        for kind, query in queries.items():
            cpu = psutil.Process(server.pid).cpu_times()
            r = asyncio.run(run_kind(f"{base}/graphql", query, inputs[kind], args.clients, args.seconds))
            after = psutil.Process(server.pid).cpu_times()
            # CPU time the server spent per request: what the answer costs, whatever else runs on the machine
            cpu_ms = ((after.user + after.system) - (cpu.user + cpu.system)) * 1000 / max(r["requests"], 1)
            print(f"| {kind} | {r['requests']:,} | {r['rps']:.0f} | {r['p50']:.1f} | {r['p99']:.1f} | {r['max']:.1f} "
                  f"| {r['errors']} | {r['non_empty']:,} | {cpu_ms:.1f} |", flush=True)
        metrics = httpx.get(f"{base}/metrics").text
        for op in ("query:ring", "query:account", "query:evidencePath"):
            s = re.search(rf'linkage_api_backend_calls_sum{{operation="{op}"}} (\S+)', metrics)
            c = re.search(rf'linkage_api_backend_calls_count{{operation="{op}"}} (\S+)', metrics)
            if s and c:
                print(f"{op}: {float(s.group(1)) / max(float(c.group(1)), 1):.2f} backend calls per request")
        print(f"server RSS after the run {psutil.Process(server.pid).memory_info().rss / 2**30:.2f} GiB")
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


if __name__ == "__main__":
    main()
