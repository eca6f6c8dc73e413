"""The embedded store merges a batch by the column rules, touching only the keys the batch carries.

Spec: after any sequence of `merge_batch` calls, every table holds exactly what grouping all
the batches ever sent by key gives — counters summed, first seen the earliest, last seen the
latest, descriptive columns the newest non-null value — one row per key, whether a key came
once, in every batch, or again after many batches without it. The oracle below is plain
Python over the batches, independent of the SQL.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pyarrow as pa
import pytest
from detect_graphs import _arrow_type

from linkage.store.embedded import EmbeddedStore
from linkage.store.tables import TABLES, Merge, TableSpec

pytestmark = pytest.mark.embedded

T0 = datetime(2026, 2, 1, tzinfo=timezone.utc)


def _schema(spec: TableSpec) -> pa.Schema:
    return pa.schema([(c.name, _arrow_type(c.sql_type)) for c in spec.columns])


def oracle(spec: TableSpec, batches: list[list[dict]]) -> list[tuple]:
    """The column rules applied by hand: each key's rows in arrival order, folded."""
    rows: dict[tuple, dict] = {}
    for batch in batches:
        for r in batch:
            key = tuple(r[k] for k in spec.keys)
            if key not in rows:
                rows[key] = dict(r)
                continue
            kept = rows[key]
            for c in spec.columns:
                old, new = kept[c.name], r[c.name]
                if c.merge is Merge.KEY or new is None:
                    continue
                if old is None or c.merge is Merge.LATEST:
                    kept[c.name] = new
                elif c.merge is Merge.SUM:
                    kept[c.name] = old + new
                elif c.merge is Merge.MIN:
                    kept[c.name] = min(old, new)
                elif c.merge is Merge.MAX:
                    kept[c.name] = max(old, new)
    return sorted((tuple(r[n] for n in spec.names) for r in rows.values()), key=repr)


def stored(store: EmbeddedStore, spec: TableSpec) -> list[tuple]:
    return sorted((tuple(r.values()) for r in store.read_table(spec.name).to_pylist()), key=repr)


def _maybe(rng: random.Random, value: object, null_share: float = 0.3) -> object:
    return None if rng.random() < null_share else value


def account_batch(rng: random.Random, n_keys: int) -> list[dict]:
    ids = rng.sample(range(n_keys), rng.randint(1, n_keys))
    return [{"account_id": f"a{i}", "created_at": _maybe(rng, T0 + timedelta(days=rng.randint(0, 30))),
             "email_hash": _maybe(rng, f"h{rng.randint(0, 3)}"), "email_domain": _maybe(rng, "d.example"),
             "country": _maybe(rng, rng.choice(["FR", "DE", "US"])), "org_id": _maybe(rng, None, 1.0)}
            for i in ids]


def used_ip_batch(rng: random.Random, n_keys: int) -> list[dict]:
    out = []
    for _ in range(rng.randint(1, 2 * n_keys)):
        first = T0 + timedelta(minutes=rng.randint(0, 10_000))
        out.append({"account_id": f"a{rng.randint(0, n_keys)}", "ip": f"10.0.0.{rng.randint(0, 3)}",
                    "requests": rng.randint(1, 9), "first_seen": first,
                    "last_seen": first + timedelta(minutes=rng.randint(0, 500))})
    # one row per key, as the pipeline hands them over
    return list({(r["account_id"], r["ip"]): r for r in out}.values())


def co_window_batch(rng: random.Random, n_keys: int) -> list[dict]:
    rows = {}
    for _ in range(rng.randint(1, 2 * n_keys)):
        r = {"kind": rng.choice(["ip", "prompt"]), "artifact": f"x{rng.randint(0, 2)}",
             "window_start": T0 + timedelta(minutes=5 * rng.randint(0, 3)),
             "account_id": _maybe(rng, f"a{rng.randint(0, n_keys)}", 0.1), "requests": rng.randint(1, 5)}
        rows[(r["kind"], r["artifact"], r["window_start"], r["account_id"])] = r
    return list(rows.values())


MAKERS = {"account": account_batch, "used_ip": used_ip_batch, "co_window": co_window_batch}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_table_equals_the_column_rules_over_all_batches(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    store = EmbeddedStore(str(tmp_path / "g.duckdb"))
    sent: dict[str, list[list[dict]]] = {name: [] for name in MAKERS}
    try:
        for _ in range(8):
            batch = {}
            for name, make in MAKERS.items():
                if rng.random() < 0.25:
                    continue  # a batch need not carry every table
                rows = make(rng, 6)
                sent[name].append(rows)
                batch[name] = pa.Table.from_pylist(rows, schema=_schema(TABLES[name]))
            store.merge_batch(batch, [])
            for name in MAKERS:
                assert stored(store, TABLES[name]) == oracle(TABLES[name], sent[name]), name
    finally:
        store.close()


def test_a_key_seen_again_after_many_batches_merges_with_its_old_row(tmp_path: Path) -> None:
    spec = TABLES["used_ip"]
    store = EmbeddedStore(str(tmp_path / "g.duckdb"))

    def send(account: str, requests: int, first: datetime, last: datetime) -> None:
        store.merge_batch({"used_ip": pa.Table.from_pylist(
            [{"account_id": account, "ip": "9.9.9.9", "requests": requests, "first_seen": first,
              "last_seen": last}], schema=_schema(spec))}, [])

    try:
        send("a1", 3, T0, T0 + timedelta(hours=1))
        for day in range(1, 6):  # other accounts only: a1's row is left alone
            send(f"b{day}", 1, T0 + timedelta(days=day), T0 + timedelta(days=day))
        send("a1", 4, T0 - timedelta(hours=1), T0 + timedelta(days=9))
        rows = {r[0]: r for r in stored(store, spec)}
        assert len(rows) == 6 and len(stored(store, spec)) == 6
        assert rows["a1"] == ("a1", "9.9.9.9", 7, T0 - timedelta(hours=1), T0 + timedelta(days=9))
        assert rows["b3"] == ("b3", "9.9.9.9", 1, T0 + timedelta(days=3), T0 + timedelta(days=3))
    finally:
        store.close()


def test_a_null_key_part_matches_itself_as_grouping_does(tmp_path: Path) -> None:
    spec = TABLES["co_window"]
    store = EmbeddedStore(str(tmp_path / "g.duckdb"))
    row = {"kind": "ip", "artifact": "x", "window_start": T0, "account_id": None, "requests": 2}
    try:
        for requests in (2, 5):
            store.merge_batch({"co_window": pa.Table.from_pylist([{**row, "requests": requests}],
                                                                 schema=_schema(spec))}, [])
        assert stored(store, spec) == [("ip", "x", T0, None, 7)]
    finally:
        store.close()
