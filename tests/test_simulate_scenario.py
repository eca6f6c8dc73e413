"""The simulated scenario: valid contract data in every variant and format, reproducible, truthful."""

from __future__ import annotations

import csv
import hashlib
import ipaddress
import json
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from linkage.ingest.families import assign_families
from linkage.ingest.fingerprint import fingerprint_prompts
from linkage.simulate import VARIANTS, simulate
from linkage.simulate.config import build_config

TINY = 0.002  # the floors: 2,000 legit accounts, >= 30 accounts per campaign


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("baseline")
    simulate(out, scale=TINY, seed=11, raw_prompt_fraction=0.3)
    return out


def _truth(out: Path) -> dict[str, str]:
    with open(out / "truth.csv", newline="") as f:
        return {r["account_id"]: r["ring_id"] for r in csv.DictReader(f)}


def _con(out: Path, fmt: str = "parquet") -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("SET TimeZone='UTC'")
    for t in ("accounts", "requests", "payments", "proxies"):
        p = out / f"{t}.{fmt}"
        if fmt == "parquet":
            con.execute(f"CREATE VIEW {t} AS SELECT * FROM read_parquet('{p}')")
        elif fmt == "csv":
            con.execute(f"CREATE VIEW {t} AS SELECT * FROM read_csv('{p}', header=true, parallel=false)")
        else:
            con.execute(f"CREATE VIEW {t} AS SELECT * FROM read_json('{p}', format='newline_delimited')")
    return con


def test_full_scale_config_is_the_public_case() -> None:
    # what the public case says (DESIGN.md, README): ~24,000 ring accounts of three operators of very
    # different sizes, ~16 million exchanges, 500,000 ordinary accounts; not how the config splits them
    cfg = build_config(1.0, 1)
    sizes = sorted(c.accounts for c in cfg.campaigns)
    assert len(sizes) == 3 and cfg.ring_accounts == sum(sizes) == 24_000 and sizes[2] >= 10 * sizes[0]
    exchanges = sorted(c.exchanges for c in cfg.campaigns)  # "roughly 150 thousand, 3.4 and 13 million"
    assert exchanges == pytest.approx([150_000, 3_400_000, 13_000_000], rel=0.1)
    assert cfg.legit_accounts >= 500_000
    assert cfg.legit_rows + cfg.campaign_rows >= 36_000_000
    assert cfg.raw_prompt_fraction == 1.0  # raw text on every request, at every scale


def test_sizes_scale_linearly_with_floors() -> None:
    half, full = build_config(0.5, 1), build_config(1.0, 1)
    assert half.legit_accounts * 2 == full.legit_accounts
    assert [c.accounts * 2 for c in half.campaigns] == [c.accounts for c in full.campaigns]
    tiny = build_config(0.0001, 1)
    assert tiny.legit_accounts >= 2_000
    assert all(c.accounts >= 30 for c in tiny.campaigns)


def test_truth_matches_accounts_and_campaign_sizes(baseline: Path) -> None:
    truth = _truth(baseline)
    con = _con(baseline)
    ids = {r[0] for r in con.sql("SELECT account_id FROM accounts").fetchall()}
    assert set(truth) == ids and len(ids) == con.sql("SELECT count(*) FROM accounts").fetchall()[0][0]
    scenario = json.loads((baseline / "scenario.json").read_text())
    for c in scenario["campaigns"]:
        assert sum(1 for r in truth.values() if r == c["ring_id"]) == c["accounts"] >= 30
    assert sum(1 for r in truth.values() if r == "") == scenario["legit_accounts"] >= 2_000
    # exchanges in scenario.json are the campaign's request rows
    con.register("truth", con.sql(f"SELECT * FROM read_csv('{baseline / 'truth.csv'}', all_varchar=true)").to_arrow_table())
    per_ring = dict(con.sql("SELECT ring_id, count(*) FROM requests JOIN truth USING (account_id) "
                            "WHERE ring_id IS NOT NULL AND ring_id <> '' GROUP BY 1").fetchall())
    assert per_ring == {c["ring_id"]: c["exchanges"] for c in scenario["campaigns"]}
    # nothing in ids or e-mails says "ring"
    assert not any("ring" in a for a in ids)
    assert con.sql("SELECT count(*) FROM accounts WHERE email ILIKE '%ring%'").fetchall()[0][0] == 0


def test_raw_prompts_and_precomputed_fingerprints_split_the_rows_and_operators_send_distinct_texts(
        baseline: Path) -> None:
    con = _con(baseline)
    truth = _truth(baseline)
    rows = con.sql("SELECT account_id, prompt, prompt_fingerprint FROM requests").fetchall()
    assert all((p is None) != (f is None) for _, p, f in rows)  # exactly one of the two
    assert all(len(f) == 16 for _, p, f in rows if f is not None)
    ring_texts = [p for a, p, _ in rows if truth[a] and p is not None]
    assert len(set(ring_texts)) >= 0.95 * len(ring_texts)  # a fresh filling on every request
    # a scenario written without the option has raw text on every row
    assert build_config(TINY, 11).raw_prompt_fraction == 1.0


def _file_hashes(out: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(out.iterdir())}


@pytest.mark.parametrize("fmt", ["parquet", "jsonl.gz"])
def test_same_seed_gives_byte_identical_files(tmp_path: Path, fmt: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # small chunks: several row groups, generated while the previous one is being written
    monkeypatch.setattr("linkage.simulate.scenario.CHUNK_ROWS", 15_000)
    simulate(tmp_path / "a", scale=TINY, seed=3, fmt=fmt)
    simulate(tmp_path / "b", scale=TINY, seed=3, fmt=fmt)
    simulate(tmp_path / "c", scale=TINY, seed=4, fmt=fmt)
    a, b, c = (_file_hashes(tmp_path / x) for x in "abc")
    assert a == b
    if fmt == "parquet":
        assert pq.ParquetFile(tmp_path / "a" / "requests.parquet").metadata.num_row_groups > 3
    assert a[f"requests.{fmt}"] != c[f"requests.{fmt}"]


def _check_contract(con: duckdb.DuckDBPyConnection, out: Path) -> None:
    accounts = {r[0] for r in con.sql("SELECT account_id FROM accounts").fetchall()}
    assert con.sql("SELECT count(*) FROM accounts WHERE account_id IS NULL OR created_at IS NULL").fetchall()[0][0] == 0
    assert con.sql("SELECT count(*) FROM requests WHERE ts IS NULL OR account_id IS NULL OR ip IS NULL").fetchall()[0][0] == 0
    req_accounts = {r[0] for r in con.sql("SELECT DISTINCT account_id FROM requests").fetchall()}
    pay_accounts = {r[0] for r in con.sql("SELECT DISTINCT account_id FROM payments").fetchall()}
    assert req_accounts <= accounts and pay_accounts <= accounts
    for (ip,) in con.sql("SELECT DISTINCT ip FROM requests").fetchall():
        ipaddress.ip_address(ip)
    for ip, cidr, provider, kind in con.sql("SELECT ip, cidr, provider, kind FROM proxies").fetchall():
        assert (ip is None) != (cidr is None) and provider
        ipaddress.ip_network(cidr) if cidr else ipaddress.ip_address(ip)
        assert kind in ("residential", "datacenter", "vpn", "tor")
    lo, hi = con.sql("SELECT min(ts)::VARCHAR, max(ts)::VARCHAR FROM requests").fetchall()[0]
    assert lo >= "2026-02-01" and hi < "2026-03-01"
    assert con.sql("SELECT count(*) FROM payments WHERE instrument_fingerprint IS NULL OR ts IS NULL").fetchall()[0][0] == 0


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_variant_writes_valid_contract_data(tmp_path: Path, variant: str) -> None:
    simulate(tmp_path, scale=TINY, seed=5, variant=variant)
    _check_contract(_con(tmp_path), tmp_path)
    truth = _truth(tmp_path)
    con = _con(tmp_path)
    pays = con.sql("SELECT account_id, instrument_fingerprint FROM payments").fetchall()
    ring_cards: dict[str, set[str]] = {}
    ring_accounts: dict[str, set[str]] = {}
    for a, card in pays:
        if truth[a]:
            ring_cards.setdefault(truth[a], set()).add(card)
            ring_accounts.setdefault(truth[a], set()).add(a)
    tactics = {c["ring_id"]: t for c, t in zip(json.loads((tmp_path / "scenario.json").read_text())["campaigns"],
                                              json.loads((tmp_path / "scenario.json").read_text())["tactics"])}
    for r in set(truth.values()) - {""}:
        cards = tactics[r].split("cards=")[1].split()[0]
        if variant in ("no-payment-sharing", "hard") or cards == "per_account":
            assert len(ring_cards[r]) == len(ring_accounts[r])  # one card per account
        elif cards == "none":
            assert r not in ring_cards
        elif cards == "mixed":  # some heads share one card, the others a card per account
            assert len(ring_cards[r]) < len(ring_accounts[r])
        else:
            assert len(ring_cards[r]) * 10 <= len(ring_accounts[r])  # a few cards, many accounts


def _ring_share(out: Path, where: str) -> float:
    con = _con(out)
    con.register("truth", con.sql(f"SELECT * FROM read_csv('{out / 'truth.csv'}', all_varchar=true)").to_arrow_table())
    prompts = con.sql("SELECT DISTINCT prompt FROM requests WHERE prompt IS NOT NULL").to_arrow_table()["prompt"]
    family = assign_families(prompts.combine_chunks())
    texts = prompts.to_pylist()
    con.register("families", pa.table({"prompt": prompts, "family": pa.array(  # family, else exact template
        [f"f{f}" if f else fp.template for f, fp in zip(family.tolist(), fingerprint_prompts(texts))])}))
    return con.sql(f"SELECT avg(CASE WHEN {where} THEN 1.0 ELSE 0 END) FROM requests JOIN truth USING (account_id) "
                   "WHERE ring_id IS NOT NULL AND ring_id <> ''").fetchall()[0][0]


def test_variants_change_what_they_say(tmp_path: Path) -> None:
    for v in ("baseline", "camouflage", "shared-proxies"):
        simulate(tmp_path / v, scale=TINY, seed=8, variant=v)
    # everyday content: a prompt whose family (its template, if it has none) two or more legitimate
    # accounts send too (legit users mostly add their own context, so few send a template bare)
    generic = """prompt IN (SELECT prompt FROM requests JOIN families USING (prompt)
                  WHERE family IN (SELECT family FROM requests JOIN families USING (prompt) JOIN truth USING (account_id)
                                   WHERE coalesce(ring_id, '') = ''
                                   GROUP BY family HAVING count(DISTINCT account_id) >= 2))"""
    assert _ring_share(tmp_path / "baseline", generic) < 0.05
    assert 0.3 <= _ring_share(tmp_path / "camouflage", generic) <= 0.5

    def legit_on_operator_ips(out: Path) -> int:
        con = _con(out)
        con.register("truth", con.sql(f"SELECT * FROM read_csv('{out / 'truth.csv'}', all_varchar=true)").to_arrow_table())
        return con.sql("""
            WITH ring_ips AS (SELECT DISTINCT ip FROM requests JOIN truth USING (account_id)
                              WHERE ring_id IS NOT NULL AND ring_id <> '')
            SELECT count(DISTINCT account_id) FROM requests JOIN truth USING (account_id)
            WHERE (ring_id IS NULL OR ring_id = '') AND ip IN (SELECT ip FROM ring_ips)""").fetchall()[0][0]

    assert legit_on_operator_ips(tmp_path / "shared-proxies") > 3 * legit_on_operator_ips(tmp_path / "baseline") > 0


def test_formats_round_trip_to_the_same_data(tmp_path: Path) -> None:
    digests = {}
    for fmt in ("parquet", "csv", "jsonl", "jsonl.gz"):
        out = tmp_path / fmt.replace(".", "_")
        simulate(out, scale=TINY, seed=2, fmt=fmt)
        con = _con(out, fmt)
        _check_contract(con, out)
        digests[fmt] = con.sql("""
            SELECT count(*), sum(hash(account_id, ip, strftime(ts::TIMESTAMPTZ, '%Y-%m-%dT%H:%M:%S'),
                                      coalesce(prompt, ''), model, tokens_in, tokens_out))
            FROM requests""").fetchall()[0]
        digests[fmt] += con.sql("SELECT count(*), sum(hash(account_id, strftime(created_at::TIMESTAMPTZ, '%Y-%m-%dT%H:%M:%S'), "
                                "email)) FROM accounts").fetchall()[0]
    assert len(set(digests.values())) == 1, digests
    # parquet timestamps are typed UTC columns
    assert str(pq.read_schema(tmp_path / "parquet" / "requests.parquet").field("ts").type) == "timestamp[us, tz=UTC]"


def _one(con: duckdb.DuckDBPyConnection, sql: str):
    return con.sql(sql).fetchall()[0]


def _with_truth(out: Path) -> duckdb.DuckDBPyConnection:
    con = _con(out)
    con.register("truth", con.sql(f"SELECT account_id, coalesce(ring_id, '') AS ring_id FROM "
                                  f"read_csv('{out / 'truth.csv'}', all_varchar=true)").to_arrow_table())
    return con


def test_accounts_are_distinct_and_nobody_acts_before_being_created(baseline: Path) -> None:
    con = _with_truth(baseline)
    n, ids, emails = _one(con, "SELECT count(*), count(DISTINCT account_id), count(DISTINCT email) FROM accounts")
    assert ids == n and emails >= 0.98 * n  # a few people share an address (families), nearly all do not
    assert _one(con, "SELECT count(*) FROM accounts ANTI JOIN (SELECT DISTINCT account_id FROM requests) "
                     "USING (account_id)") == (0,)  # every account sends something
    for table in ("requests", "payments"):
        assert _one(con, f"SELECT count(*) FROM {table} t JOIN accounts a USING (account_id) "
                         "WHERE t.ts < a.created_at") == (0,)
    scenario = json.loads((baseline / "scenario.json").read_text())
    assert _one(con, f"""SELECT count(*) FROM requests WHERE model = '{scenario['new_model']}'
                         AND ts < '{scenario['model_release']}'::TIMESTAMPTZ""") == (0,)  # not before it exists
    assert _one(con, "SELECT min(tokens_in) > 0 AND min(tokens_out) > 0 FROM requests") == (True,)


def test_volumes_are_heavy_tailed_and_add_up_to_the_declared_rows(baseline: Path) -> None:
    con = _with_truth(baseline)
    scenario = json.loads((baseline / "scenario.json").read_text())
    assert {t: _one(con, f"SELECT count(*) FROM {t}")[0] for t in scenario["rows"]} == scenario["rows"]
    median, p99, top = _one(con, """SELECT median(c), quantile_cont(c, 0.99), max(c) FROM
        (SELECT account_id, count(*) c FROM requests JOIN truth USING (account_id) WHERE ring_id = '' GROUP BY 1)""")
    assert median <= 20 and p99 >= 10 * median and top >= 100 * median  # most people ask little, a few a lot
    hours = [c for _, c in con.sql("""SELECT hour(ts), count(*) FROM requests JOIN truth USING (account_id)
                                      WHERE ring_id = '' GROUP BY 1 ORDER BY 1""").fetchall()]
    assert len(hours) == 24 and max(hours) >= 1.2 * min(hours)  # a day has busy and quiet hours


def test_creation_spreads_ordinary_accounts_over_years_and_campaigns_over_their_waves(baseline: Path) -> None:
    con = _with_truth(baseline)
    scenario = json.loads((baseline / "scenario.json").read_text())
    days, new_share = _one(con, f"""
        SELECT (epoch(max(created_at)) - epoch(min(created_at))) / 86400,
               avg(CASE WHEN created_at >= '{scenario['span_start']}'::TIMESTAMPTZ THEN 1.0 ELSE 0 END)
        FROM accounts JOIN truth USING (account_id) WHERE ring_id = ''""")
    assert days >= 2 * 365 and 0.01 <= new_share <= 0.2  # years of sign-ups, a few during the month itself
    for c in scenario["campaigns"]:
        windows = _one(con, f"""SELECT count(DISTINCT epoch(created_at)::BIGINT // 43200) FROM accounts
                                JOIN truth USING (account_id) WHERE ring_id = '{c['ring_id']}'""")[0]
        assert 1 <= windows <= 3 * c["waves"]  # each wave: accounts made within a day or so


def test_a_rerun_in_another_format_replaces_the_old_tables(tmp_path: Path) -> None:
    simulate(tmp_path, scale=TINY, seed=1, fmt="csv")
    simulate(tmp_path, scale=TINY, seed=1, fmt="parquet")
    tables = sorted(p.name for p in tmp_path.iterdir() if p.suffix in (".csv", ".parquet") and p.name not in ("truth.csv", "groups.csv"))
    assert tables == ["accounts.parquet", "payments.parquet", "proxies.parquet", "requests.parquet"]


@pytest.fixture(scope="module")
def raw_everywhere(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("raw")
    simulate(out, scale=TINY, seed=12)  # the default: raw text on every request
    return out


def test_prompts_are_nearly_all_distinct_as_in_real_logs_with_a_few_common_repeats(raw_everywhere: Path) -> None:
    con = _con(raw_everywhere)
    con.execute(f"CREATE TABLE truth AS SELECT * FROM read_csv('{raw_everywhere / 'truth.csv'}', all_varchar=true)")
    legit = "account_id IN (SELECT account_id FROM truth WHERE coalesce(ring_id, '') = '')"
    n, distinct = con.sql("SELECT count(*), count(DISTINCT prompt) FROM requests").fetchall()[0]
    assert con.sql("SELECT count(*) FROM requests WHERE prompt IS NULL").fetchall()[0][0] == 0
    assert distinct >= 0.90 * n
    n_legit, d_legit = con.sql(f"SELECT count(*), count(DISTINCT prompt) FROM requests WHERE {legit}").fetchall()[0]
    assert d_legit >= 0.90 * n_legit
    # ...but not all: a common greeting is sent by many people, and repeats are a small share
    top_senders, repeated = con.sql(f"""
        WITH p AS (SELECT prompt, count(*) AS k, count(DISTINCT account_id) AS a FROM requests WHERE {legit}
                   GROUP BY prompt)
        SELECT max(a), sum(k) FILTER (WHERE k > 1) / sum(k) FROM p""").fetchall()[0]
    assert top_senders >= 20 and 0.005 <= repeated <= 0.10
    # the popular phrasings (longer than a greeting, word for word what other people send) are a thin head:
    # 1.5-4.5 % of legit traffic, whatever the scale (at 5 %, the public case fell to 89.5 % distinct prompts)
    shared = con.sql(f"""
        WITH p AS (SELECT prompt, count(*) AS k, count(DISTINCT account_id) AS a FROM requests WHERE {legit}
                   GROUP BY prompt)
        SELECT sum(k) FILTER (WHERE a >= 2 AND length(prompt) > 30) / sum(k) FROM p""").fetchall()[0][0]
    assert 0.015 <= shared <= 0.045
    (p10, p50, p99), longest = con.sql(f"""SELECT quantile_cont(length(prompt), [0.1, 0.5, 0.99]),
        max(length(prompt)) FROM requests WHERE {legit}""").fetchall()[0]
    assert p10 < 60 and 60 <= p50 <= 400 and p99 > 1500 and longest > 3000  # a few words to pasted documents
