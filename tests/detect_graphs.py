"""Hand-built linkage graphs for the detection tests, written through `store.merge_batch`.

Each builder call adds what the ingest would have aggregated: accounts, account–artifact
edges, hourly activity, short-window co-occurrence. Rings and look-alikes are made from
the same few primitives, so every test states its graph in a few lines.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np
import pyarrow as pa

from linkage.store.base import GraphStore
from linkage.store.tables import TABLES

T0 = datetime(2026, 2, 1, tzinfo=timezone.utc)
RELEASE = T0 + timedelta(days=14, hours=17)
EDGE = {"ip": ("used_ip", "ip", "requests"), "payment": ("paid_with", "instrument_id", "payments"),
        "prompt": ("sent", "fingerprint", "count"), "user_agent": ("used_agent", "ua_id", "requests")}


class GraphBuilder:
    def __init__(self, seed: int = 0):
        self.rng = np.random.default_rng(seed)
        self.rows: dict[str, list[dict]] = {name: [] for name in TABLES}

    # ---- primitives --------------------------------------------------------
    def account(self, acc: str, created: datetime, domain: str | None = None, org: str | None = None) -> None:
        self.rows["account"].append({"account_id": acc, "created_at": created, "email_hash": None,
                                     "email_domain": domain, "country": None, "org_id": org})

    def use(self, acc: str, kind: str, artifact: str, count: int = 5, first: datetime = T0) -> None:
        table, col, cnt = EDGE[kind]
        self.rows[table].append({"account_id": acc, col: artifact, cnt: count, "first_seen": first,
                                 "last_seen": first + timedelta(days=1)})

    def exit_of(self, ip: str, proxy: str) -> None:
        self.rows["exit_of"].append({"ip": ip, "proxy_id": proxy})

    def capability(self, fingerprint: str, capability: str) -> None:
        self.rows["prompt_fingerprint"].append({"fingerprint": fingerprint, "simhash": None,
                                                "capability": capability})

    def active(self, acc: str, hour: datetime, model: str, requests: int) -> None:
        self.rows["activity"].append({"account_id": acc, "hour": hour, "model": model,
                                      "requests": requests, "tokens_in": 0, "tokens_out": 0})

    def window(self, kind: str, artifact: str, start: datetime, acc: str, requests: int = 1) -> None:
        self.rows["co_window"].append({"kind": kind, "artifact": artifact, "window_start": start,
                                       "account_id": acc, "requests": requests})

    def tick(self, acc: str, when: datetime, requests: int = 1) -> None:
        self.rows["tick"].append({"account_id": acc, "tick_start": when, "requests": requests})

    # ---- composites ----------------------------------------------------------
    def job_runner(self, accs: list[str], jobs: int = 300, fanout: int = 8, days: int = 20) -> None:
        """A job runner: each job fans out over `fanout` of `accs` within 3 seconds (sub-second times)."""
        for _ in range(jobs):
            start = T0 + timedelta(seconds=float(self.rng.random() * days * 86_400))
            for i in self.rng.choice(len(accs), size=min(fanout, len(accs)), replace=False):
                self.tick(accs[int(i)], start + timedelta(seconds=float(self.rng.random() * 3)))

    def human_ticks(self, acc: str, n: int = 40, days: int = 20, hours: range = range(24)) -> None:
        """An ordinary account's requests at independent random times within `hours` (UTC)."""
        for _ in range(n):
            day = int(self.rng.integers(0, days))
            hour = int(self.rng.choice(list(hours)))
            self.tick(acc, T0 + timedelta(days=day, hours=hour, seconds=float(self.rng.random() * 3600)))

    def ring(self, name: str, n: int, *, cards: int = 2, templates: int = 3, pool: list[str] | None = None,
             lockstep: bool = True, release_shift: bool = True, created: datetime | None = None,
             domain: str | None = None, payment: bool = True, ips_per_account: int = 3, start: int = 0,
             pool_size: int | None = None) -> list[str]:
        """An operator ring: burst-created, templated prompts, shared cards, a proxy pool, lockstep.

        `start` adds members numbered from there (a ring recruiting more accounts later)."""
        created = created or T0 - timedelta(days=3)
        accs = [f"{name}-{i:03d}" for i in range(start, start + n)]
        net = sum(map(ord, name)) % 200  # stable across processes, unlike hash()
        pool = pool if pool is not None else [f"10.{net}.0.{i}" for i in range(pool_size or max(4, n // 2))]
        for i, acc in zip(range(start, start + n), accs):
            self.account(acc, created + timedelta(minutes=i % 10), domain or f"{name}-mail.example")
            first = T0 + timedelta(minutes=i)
            if payment:
                self.use(acc, "payment", f"{name}-card-{i % cards}", 1, first)
            for t in range(templates):
                self.use(acc, "prompt", f"{name}-tpl-{t}", 40, first)
            for ip in self.rng.choice(pool, size=min(ips_per_account, len(pool)), replace=False):
                self.use(acc, "ip", str(ip), 10, first)
            self.use(acc, "user_agent", "python-requests/2.31", 120, first)
            self._traffic(acc, heavy=True, shift=release_shift)
            if lockstep:
                for w in range(6):
                    self.window("prompt", f"{name}-tpl-{w % templates}", T0 + timedelta(hours=3 * w), acc, 4)
        for t in range(templates):
            self.capability(f"{name}-tpl-{t}", ("reasoning", "coding", "tool_use")[t % 3])
        return accs

    def legit(self, acc: str, created: datetime, *, ips: list[str] = (), card: str | None = None,
              domain: str = "gmail.com", org: str | None = None, common_prompts: int = 2) -> None:
        """An ordinary user: own prompts, a few common ones, steady traffic, no rush to a new model."""
        self.account(acc, created, domain, org)
        first = created + timedelta(days=1)
        for p in range(4):
            self.use(acc, "prompt", f"{acc}-own-{p}", 3, first)
        for p in self.rng.choice(20, size=common_prompts, replace=False):
            self.use(acc, "prompt", f"common-{p}", 2, first)
        for ip in ips:
            self.use(acc, "ip", ip, 5, first)
        if card:
            self.use(acc, "payment", card, 1, first)
        self.use(acc, "user_agent", f"browser-{self.rng.integers(0, 5)}", 20, first)
        self._traffic(acc, heavy=False, shift=False)

    def background(self, n: int, prefix: str = "user") -> list[str]:
        """n unrelated users with their own home IPs and cards."""
        out = []
        for i in range(n):
            acc = f"{prefix}-{i:04d}"
            self.legit(acc, T0 - timedelta(days=400 - (i * 37) % 390), ips=[f"172.16.{i // 250}.{i % 250}"],
                       card=f"{acc}-card")
            out.append(acc)
        return out

    def _traffic(self, acc: str, heavy: bool, shift: bool) -> None:
        base = 30 if heavy else 3
        for d in (2, 8, 13):
            self.active(acc, T0 + timedelta(days=d, hours=int(self.rng.integers(0, 24))), "atlas-3", base)
        after = RELEASE + timedelta(hours=int(self.rng.integers(2, 20)))
        self.active(acc, after, "atlas-4" if shift else "atlas-3", base)
        self.active(acc, RELEASE + timedelta(days=5), "atlas-4", base // 2 + 1)

    # ---- output --------------------------------------------------------------
    def write(self, store: GraphStore) -> None:
        tables = {}
        for name, rows in self.rows.items():
            if not rows or name == "ingested_file":
                continue
            spec = TABLES[name]
            schema = pa.schema([(c.name, _arrow_type(c.sql_type)) for c in spec.columns])
            tables[name] = pa.Table.from_pylist(_dedupe(rows, spec.keys), schema=schema)
        store.merge_batch(tables, [])


def _dedupe(rows: list[dict], keys: list[str]) -> list[dict]:
    seen: dict[tuple, dict] = {}
    for r in rows:
        seen.setdefault(tuple(r[k] for k in keys), r)
    return list(seen.values())


def _arrow_type(sql: str) -> pa.DataType:
    return {"VARCHAR": pa.string(), "TIMESTAMPTZ": pa.timestamp("us", tz="UTC"), "BIGINT": pa.int64(),
            "TINYINT": pa.int8(), "UBIGINT": pa.uint64(), "INTEGER": pa.int32(),
            "DOUBLE": pa.float64()}[sql]
