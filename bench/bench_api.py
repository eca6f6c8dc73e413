"""GraphQL API benchmark: `linkage serve` on a built store, N concurrent clients per query kind.

    PYTHONPATH=. python bench/bench_api.py --store /path/full.duckdb            # 8 clients, 60 s each
    PYTHONPATH=. python bench/bench_api.py --store s.duckdb --seconds 10        # a quick look

The store must hold a detection run (simulate → ingest → detect; see bench/bench_simulate.py
and bench/bench_ingest.py). The server runs as its own process (the real CLI, on a free
loopback port, `--workers N`) and the clients as asyncio tasks in this one, each on its own
HTTP/1.1 keep-alive connection written and read with asyncio streams (no HTTP library: the
clients share the server's two cores, so they must cost little; this process's own CPU
time per request is printed beside the server's). The store is opened read-only; the
server's snapshots go to a temporary folder (`--snapshot-dir`), so the store's folder is
not written either. `--server-root DIR` runs another checkout's server (a before/after
comparison with the same clients). Inputs are drawn (seeded) from the store before the
server starts:
- ring: every active ring in turn, first 100 members + top 10 artifacts;
- account: ring members and ordinary accounts alike, with artifacts, rings, linked accounts;
- evidencePath (ring): two random members of the largest ring;
- evidencePath (unrelated): two random accounts that are in no ring.
Prints, per query kind: requests, throughput, p50/p99/max latency, errors (HTTP status
other than 200, or any GraphQL error), the server's CPU time per request (all workers;
it does not depend on what else the machine runs) and the clients', the load average
over the run, the model's load time and each worker's RSS and PSS (PSS counts shared
mapped pages once across the workers).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np
import psutil

ROOT = Path(__file__).resolve().parents[1]
KEY = "bench-analyst-key-0000000001"
READY_TIMEOUT_S = 600  # a full-scale model loads in 1.5-2.5 min; past this something is wrong

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


class Connection:
    """One HTTP/1.1 keep-alive connection: POST a JSON body, read one Content-Length answer."""

    def __init__(self, host: str, port: int, path: str):
        self.host, self.port, self.path = host, port, path
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, body: bytes) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        head = (f"POST {self.path} HTTP/1.1\r\nHost: {self.host}\r\nAuthorization: Bearer {KEY}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode()
        self.writer.write(head + body)
        status_line = await self.reader.readline()
        length, chunked = 0, False
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding" and b"chunked" in value.lower():
                chunked = True
        if chunked:  # not what the server sends for JSON, but read it right if it ever does
            data = b""
            while (size := int((await self.reader.readline()).strip(), 16)):
                data += await self.reader.readexactly(size + 2)
            await self.reader.readline()
        else:
            data = await self.reader.readexactly(length)
        return int(status_line.split()[1]), data

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


async def run_kind(host: str, port: int, query: str, inputs: list[dict], clients: int, seconds: float
                   ) -> dict[str, float]:
    latencies: list[float] = []
    errors = 0
    found = 0
    deadline = time.perf_counter() + seconds
    bodies = [json.dumps({"query": query, "variables": v}).encode() for v in inputs]

    async def client(k: int) -> None:
        nonlocal errors, found
        i = k
        conn = Connection(host, port, "/graphql")
        try:
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                status, raw = await conn.post(bodies[i % len(bodies)])
                latencies.append(time.perf_counter() - started)
                body = json.loads(raw) if status == 200 else {}
                if status != 200 or body.get("errors"):
                    errors += 1
                elif body.get("data") and any(body["data"].values()):
                    found += 1
                i += clients
        finally:
            conn.close()

    started = time.perf_counter()
    await asyncio.gather(*(client(k) for k in range(clients)))
    wall = time.perf_counter() - started
    ms = np.array(latencies) * 1000
    return {"requests": len(ms), "rps": len(ms) / wall, "p50": float(np.percentile(ms, 50)),
            "p99": float(np.percentile(ms, 99)), "max": float(ms.max()), "errors": errors,
            "non_empty": found}


def server_processes(server: psutil.Process) -> list[psutil.Process]:
    """The server and its workers (uvicorn's supervisor forks them with --workers > 1)."""
    return [server, *server.children(recursive=True)]


def cpu_seconds(procs: list[psutil.Process]) -> float:
    total = 0.0
    for p in procs:
        try:
            t = p.cpu_times()
            total += t.user + t.system
        except psutil.NoSuchProcess:
            pass
    return total


def memory_line(procs: list[psutil.Process]) -> str:
    parts = []
    for p in (procs[1:] if len(procs) > 1 else procs):  # a multi-worker server's supervisor holds no model
        try:
            m = p.memory_full_info()
        except psutil.NoSuchProcess:
            continue
        parts.append(f"pid {p.pid}: RSS {m.rss / 2**30:.2f} GiB, PSS {m.pss / 2**30:.2f} GiB")
    return "; ".join(parts) or "no worker holds a model"


def wait_ready(base: str, workers: int, server: subprocess.Popen, log_name: str) -> set[int]:
    """Until `workers` distinct worker pids answered /healthz 200 (fresh connections reach any)."""
    ready: set[int] = set()
    deadline = time.monotonic() + READY_TIMEOUT_S
    reason = None
    while len(ready) < workers:
        try:
            response = httpx.get(f"{base}/healthz", headers={"Connection": "close"})
            if response.status_code == 200:
                ready.add(response.json().get("worker_pid", 0))
            else:
                reason = response.json().get("store_busy") or reason
        except httpx.TransportError:
            pass
        if server.poll() is not None:
            raise SystemExit(f"the server exited; see {log_name}")
        if time.monotonic() > deadline:
            raise SystemExit(f"no model after {READY_TIMEOUT_S} s ({reason}); see {log_name}")
        time.sleep(0.2)
    return ready


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def plain_http_shim(folder: Path) -> Path:
    """Modules that refuse to import, so that uvicorn falls back to h11 and asyncio (as before #12)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("httptools", "uvloop"):
        (folder / f"{name}.py").write_text('raise ImportError("--plain-http: uvicorn uses h11 and asyncio")\n')
    return folder


def start_server(args: argparse.Namespace, port: int, log) -> subprocess.Popen:
    path = str(args.server_root) if args.plain_http is None else f"{args.plain_http}{os.pathsep}{args.server_root}"
    env = {**os.environ, "PYTHONPATH": path, "LINKAGE_API_KEYS": f"bench:{KEY}:analyst",
           "LINKAGE_API_SNAPSHOT_DIR": str(args.snapshot_dir)}
    cmd = [sys.executable, "-m", "linkage", "serve", "--store", args.store, "--port", str(port),
           "--log-level", "warning"]
    if args.workers > 1:
        cmd += ["--workers", str(args.workers)]
    return subprocess.Popen(cmd, env=env, stdout=log, stderr=log, cwd=args.server_root)


def stop_server(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--store", required=True)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--server-root", type=Path, default=ROOT, help="checkout whose `linkage serve` runs")
    ap.add_argument("--snapshot-dir", type=Path, default=None, help="default: a temporary folder")
    ap.add_argument("--restart", action="store_true", help="then restart the server and time its start "
                    "from the snapshot the first start wrote")
    ap.add_argument("--plain-http", action="store_true", help="hide httptools and uvloop from the server "
                    "(what uvicorn ran on before they were dependencies)")
    ap.add_argument("--only", nargs="*", default=None, help="query kinds to run (default: all four)")
    args = ap.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="bench-api-"))
    args.snapshot_dir = args.snapshot_dir or scratch / "snapshots"
    args.plain_http = plain_http_shim(scratch / "plain-http") if args.plain_http else None

    inputs = pick_inputs(args.store)
    largest = inputs.pop("_largest")[0]
    port = free_port()
    log = open(scratch / "server.log", "w")
    t0 = time.perf_counter()
    server = start_server(args, port, log)
    base = f"http://127.0.0.1:{port}"
    try:
        pids = wait_ready(base, args.workers, server, log.name)
        load_s = time.perf_counter() - t0
        procs = server_processes(psutil.Process(server.pid))
        print(f"store {args.store}: largest ring {largest['id']} ({largest['size']:,} members); "
              f"server ({args.server_root.name}, {args.workers} worker(s)) ready in {load_s:.1f} s; "
              f"{args.clients} clients x {args.seconds:.0f} s per kind; log {log.name}")
        print(f"memory when ready: {memory_line(procs)}")
        print(f"load average at start {os.getloadavg()[0]:.1f} (2 cores here; the other jobs' share is not ours)")
        print("| query | requests | req/s | p50 ms | p99 ms | max ms | errors | non-empty answers "
              "| server CPU ms/request | client CPU ms/request | load avg (1 min) at end |")
        print("|---|---|---|---|---|---|---|---|---|---|---|")
        queries = {"ring": RING, "account": ACCOUNT, "evidencePath (ring)": PATH, "evidencePath (unrelated)": PATH}
        for kind, query in queries.items():
            if args.only and kind not in args.only:
                continue
            cpu, mine = cpu_seconds(procs), time.process_time()
            r = asyncio.run(run_kind("127.0.0.1", port, query, inputs[kind], args.clients, args.seconds))
            # CPU time the server spent per request: what the answer costs, whatever else runs on the machine
            cpu_ms = (cpu_seconds(procs) - cpu) * 1000 / max(r["requests"], 1)
            client_ms = (time.process_time() - mine) * 1000 / max(r["requests"], 1)
            print(f"| {kind} | {r['requests']:,} | {r['rps']:.0f} | {r['p50']:.1f} | {r['p99']:.1f} | {r['max']:.1f} "
                  f"| {r['errors']} | {r['non_empty']:,} | {cpu_ms:.1f} | {client_ms:.2f} "
                  f"| {os.getloadavg()[0]:.1f} |", flush=True)
        metrics = httpx.get(f"{base}/metrics").text
        for op in ("query:ring", "query:account", "query:evidencePath"):
            s = re.search(rf'linkage_api_backend_calls_sum{{operation="{op}"}} (\S+)', metrics)
            c = re.search(rf'linkage_api_backend_calls_count{{operation="{op}"}} (\S+)', metrics)
            if s and c:
                print(f"{op}: {float(s.group(1)) / max(float(c.group(1)), 1):.2f} backend calls per request "
                      "(one worker's count)")
        print(f"memory after the run: {memory_line(procs)} (workers answered: {len(pids)})")
    finally:
        stop_server(server)
    if args.restart:
        t0 = time.perf_counter()
        server = start_server(args, port, log)
        try:
            wait_ready(base, args.workers, server, log.name)
            print(f"restart: ready in {time.perf_counter() - t0:.1f} s (model from the snapshot); "
                  f"memory: {memory_line(server_processes(psutil.Process(server.pid)))}")
        finally:
            stop_server(server)
    log.close()


if __name__ == "__main__":
    main()
