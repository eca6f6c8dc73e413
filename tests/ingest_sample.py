"""A small input-contract dataset and writers for every format, shared by the ingest tests."""

from __future__ import annotations

import csv
import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from linkage.store.tables import GRAPH_TABLES

ROOT = Path(__file__).resolve().parents[1]
SECRET_PROMPT = "Zanzibar-Quokka-7731 please think step by step about the 12 apples"
SECRET_EMAIL = "quokka.secret@hidden-example.org"

ACCOUNTS = [
    {"account_id": "a1", "created_at": "2024-05-01T00:00:00Z", "email": SECRET_EMAIL, "country": "US"},
    {"account_id": "a2", "created_at": "2024-05-01T01:00:00+00:00", "email": "Bob@Example.COM", "org_id": "o1"},
    {"account_id": "a3", "created_at": "2024-05-02T00:00:00Z"},
]
DAY1 = [
    {"ts": "2024-05-01T10:00:00Z", "account_id": "a1", "ip": "1.2.3.4", "prompt": SECRET_PROMPT,
     "model": "m1", "tokens_in": 10, "tokens_out": 5, "user_agent": "curl/8"},
    {"ts": "2024-05-01T10:03:00Z", "account_id": "a2", "ip": "::ffff:1.2.3.4",
     "prompt_fingerprint": "00000000deadbeef", "model": "m1", "tokens_in": 3},
    {"ts": "2024-05-01T11:00:00Z", "account_id": "a2", "ip": "2001:DB8:0:0::1", "user_agent": "curl/8"},
    {"ts": "2024-05-01T11:05:00Z", "account_id": "a9", "ip": "10.0.0.7"},
]
DAY2 = [
    {"ts": "2024-05-02T09:00:00Z", "account_id": "a1", "ip": "1.2.3.4", "prompt": SECRET_PROMPT.replace("12", "99"),
     "model": "m2", "tokens_in": 1, "tokens_out": 1},
    {"ts": "2024-05-02T09:30:00Z", "account_id": "a3", "ip": "2001:db8::1", "user_agent": "curl/8"},
]
PAYMENTS = [
    {"account_id": "a1", "instrument_fingerprint": "card-XYZ", "ts": "2024-05-01T00:10:00Z", "instrument_type": "Card"},
    {"account_id": "a2", "instrument_fingerprint": "card-XYZ", "ts": "2024-05-01T02:10:00Z", "bin": "411111"},
]
PROXIES = [
    {"cidr": "1.2.3.0/24", "provider": "ResiNet", "kind": "residential"},
    {"cidr": "2001:db8::/32", "provider": "DCNet", "kind": "datacenter"},
    {"ip": "10.0.0.7", "provider": "TorList", "kind": "tor"},
]


def write(path: Path, rows: list[dict], fmt: str | None = None) -> Path:
    """Write rows as .jsonl, .jsonl.gz, .csv or .parquet (format from the name)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    name = path.name
    if name.endswith(".jsonl.gz"):
        with gzip.open(path, "wt") as fh:
            fh.writelines(json.dumps(r) + "\n" for r in rows)
    elif name.endswith(".jsonl"):
        path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    elif name.endswith(".csv"):
        cols = sorted({k for r in rows for k in r})
        with path.open("w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=cols)
            w.writeheader()
            w.writerows(rows)
    elif name.endswith(".parquet"):
        cols = sorted({k for r in rows for k in r})
        pq.write_table(pa.table({c: [None if r.get(c) is None else str(r[c]) for r in rows] for c in cols}), path)
    else:
        raise ValueError(name)
    return path


def write_dataset(directory: Path, ext: str, requests: list[dict] | None = None) -> Path:
    write(directory / f"accounts{ext}", ACCOUNTS)
    write(directory / f"requests{ext}", requests if requests is not None else DAY1 + DAY2)
    write(directory / f"payments{ext}", PAYMENTS)
    write(directory / f"proxies{ext}", PROXIES)
    return directory


def snapshot(db: Path) -> dict[str, list[tuple]]:
    """Every graph table's rows, sorted (ingested_file without paths and times; co_window without
    the one-account windows an ingest keeps at its batch's edges for the next batch to complete)."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        out = {}
        for spec in GRAPH_TABLES:
            cols = "content_hash, table_name, rows_loaded, rows_quarantined" if spec.name == "ingested_file" else "*"
            where = ""
            if spec.name == "co_window":  # the lockstep evidence: windows two or more accounts share
                where = (" WHERE (kind, artifact, window_start) IN (SELECT (kind, artifact, window_start)"
                         " FROM co_window GROUP BY ALL HAVING count(*) >= 2)")
            out[spec.name] = sorted(con.execute(f"SELECT {cols} FROM {spec.name}{where}").fetchall(), key=repr)
        return out
    finally:
        con.close()


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("LINKAGE_")}
    full_env.update({"PYTHONPATH": str(ROOT), "COLUMNS": "200", **(env or {})})
    return subprocess.run([sys.executable, "-m", "linkage", *args], capture_output=True, text=True,
                          env=full_env, cwd=str(ROOT), timeout=300)
