"""`simulate()`: build the world, then stream its tables to disk in the input contract.

Requests are generated and written in chunks of accounts (each chunk mixes
legitimate and operator accounts and is sorted by time), so memory stays
bounded at any scale. Everything draws from one seed: same seed, scale and
variant give byte-identical files.
"""

from __future__ import annotations

import json
from concurrent.futures import Future, ThreadPoolExecutor
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from linkage.simulate import config as C
from linkage.simulate.identities import COUNTRY_CODES, user_agent_bank
from linkage.simulate.network import build_network
from linkage.simulate.payments import build_payments
from linkage.simulate.population import Population, build_population
from linkage.ingest.fingerprint import fingerprint_prompts
from linkage.simulate.prompts import build_prompts
from linkage.simulate.traffic import MODELS, Rows, build_infrastructure, legit_rows, ring_rows
from linkage.simulate.writers import FORMATS, TableWriter, write_table

CHUNK_ROWS = 1_500_000
Progress = Callable[[str, int, int], None]  # (step, done, total)

REQUEST_SCHEMA = pa.schema([
    ("ts", pa.timestamp("us", tz="UTC")), ("account_id", pa.string()), ("ip", pa.string()),
    ("prompt", pa.string()), ("prompt_fingerprint", pa.string()), ("user_agent", pa.string()),
    ("model", pa.string()), ("tokens_in", pa.int32()), ("tokens_out", pa.int32()),
])


@dataclass
class SimulationSummary:
    out: str
    scale: float
    seed: int
    variant: str
    format: str
    accounts: int
    legit_accounts: int
    ring_accounts: int
    rows: dict[str, int] = field(default_factory=dict)
    campaigns: list[dict] = field(default_factory=list)
    files: list[str] = field(default_factory=list)


def _ts(seconds: np.ndarray) -> pa.Array:
    return pa.array(seconds.astype(np.int64) * 1_000_000, pa.int64()).cast(pa.timestamp("us", tz="UTC"))


def _accounts_table(pop: Population) -> pa.Table:
    org_ids = pa.array(pop.orgs.org_id + [None], pa.string())
    return pa.table({
        "account_id": pa.array(pop.account_id, pa.string()),
        "created_at": _ts(pop.created),
        "email": pa.array(pop.email, pa.string()),
        "country": pc.take(pa.array(COUNTRY_CODES), pa.array(pop.country)),
        "org_id": pc.take(org_ids, pa.array(np.where(pop.org >= 0, pop.org, pop.orgs.n))),
    })


class _RequestEncoder:
    """Index rows → an Arrow chunk of the requests table."""

    def __init__(self, pop: Population, net, bank, uas: list[str], raw_fraction: float, with_fp: bool,
                 subsecond: bool = False) -> None:
        self.subsecond = subsecond  # real logs carry microseconds; the fixed variants whole seconds
        self.ids = pa.array(pop.account_id, pa.string())
        self.ips = net.ips
        self.bank = bank
        self.uas = pa.array(uas, pa.string())
        self.models = pa.array(MODELS, pa.string())
        self.raw_fraction = raw_fraction
        self.with_fp = with_fp

    def encode(self, r: Rows, rng: np.random.Generator) -> pa.Table:
        # int32 offsets sort much faster than int64 epochs; the sort is deterministic for equal input
        order = np.argsort((r.ts - C.epoch(C.SPAN_START)).astype(np.int32))
        n = len(order)
        raw = rng.random(n) < self.raw_fraction
        pid = r.prompt[order]
        text = self.bank.render(pid, rng)  # a fresh filling per row
        if self.with_fp:  # rows without raw text carry the fingerprint of the text they would have had
            fps = pa.array([f.template for f in fingerprint_prompts(pc.filter(text, pa.array(~raw)).to_pylist())])
            fp = pc.replace_with_mask(pa.nulls(n, pa.string()), pa.array(~raw), fps)
            prompt = pc.if_else(pa.array(raw), text, pa.nulls(n, pa.string()))
        else:
            prompt, fp = text, pa.nulls(n, pa.string())
        micros = r.ts[order].astype(np.int64) * 1_000_000
        if self.subsecond:
            micros = micros + rng.integers(0, 1_000_000, n)
        return pa.table({
            "ts": pa.array(micros, pa.int64()).cast(pa.timestamp("us", tz="UTC")),
            "account_id": _dictionary(r.acct[order], self.ids),
            "ip": _dictionary(r.ip[order], self.ips),
            "prompt": prompt,
            "prompt_fingerprint": fp,
            "user_agent": pa.DictionaryArray.from_arrays(pa.array(r.ua[order].astype(np.int32)), self.uas),
            "model": pa.DictionaryArray.from_arrays(pa.array(r.model[order].astype(np.int32)), self.models),
            "tokens_in": pa.array(r.tokens_in[order].astype(np.int32)),
            "tokens_out": pa.array(r.tokens_out[order].astype(np.int32)),
        })


def _dictionary(idx: np.ndarray, values: pa.Array, mask: np.ndarray | None = None) -> pa.DictionaryArray:
    """A dictionary column over the distinct values a chunk uses: no per-row string copies, and
    the parquet writer takes the dictionary as it is instead of hashing every row again."""
    lo, hi = int(idx.min()), int(idx.max())
    if (hi - lo) * 8 < len(idx):  # a narrow range (a chunk's accounts): slice, no marking
        codes, dictionary = idx - lo, values.slice(lo, hi - lo + 1)
    else:  # mark what is used: linear, no sort
        present = np.zeros(len(values), bool)
        present[idx] = True
        codes = (np.cumsum(present) - 1)[idx]
        dictionary = pc.take(values, pa.array(np.flatnonzero(present)))
    return pa.DictionaryArray.from_arrays(pa.array(codes.astype(np.int32), mask=mask), dictionary)


def simulate(out: Path, scale: float = 0.01, seed: int = 7, variant: str = "baseline", fmt: str = "parquet",
             progress: Progress | None = None, raw_prompt_fraction: float | None = None) -> SimulationSummary:
    """Write a scenario (accounts, requests, payments, proxies, truth.csv, scenario.json) to `out`.

    `raw_prompt_fraction` overrides the share of request rows that carry raw prompt text
    (default: all rows); the others carry `prompt_fingerprint`.
    """
    cfg = C.build_config(scale, seed, variant)
    if raw_prompt_fraction is not None:
        cfg = replace(cfg, raw_prompt_fraction=raw_prompt_fraction)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    # a re-run in another format must not leave the old tables beside the new ones
    for table in ("accounts", "requests", "payments", "proxies"):
        for old_fmt in FORMATS:
            (out / f"{table}.{old_fmt}").unlink(missing_ok=True)
    streams = np.random.SeedSequence(seed).spawn(8)
    rng = [np.random.default_rng(s) for s in streams]
    step = progress or (lambda *_: None)

    step("world", 0, 5)
    uas, first_sdk, first_op_ua = user_agent_bank()
    n_integrator_prompts = max(50, cfg.legit_accounts // 100)
    net = build_network(cfg, rng[0], n_orgs_nat=3 * max(20, cfg.legit_accounts // 100))
    step("world", 1, 5)
    pop = build_population(cfg, rng[1], first_sdk, first_op_ua, len(net.seg("home_v4")),
                           len(net.seg("home_v6")), n_integrator_prompts)
    step("world", 2, 5)
    bank, capabilities = build_prompts(rng[2], [c.n_templates for c in cfg.campaigns],
                                       n_free=int(pop.free_count.sum()), n_popular=max(200, int(3000 * scale)),
                                       n_integrators=n_integrator_prompts)
    step("world", 3, 5)
    infra = build_infrastructure(cfg, pop, net, bank, rng[3])
    step("world", 4, 5)

    small = {"accounts": _accounts_table(pop), "payments": build_payments(cfg, pop, rng[4]), "proxies": net.intel}
    files = [write_table(out, name, fmt, table) for name, table in small.items()]
    row_counts = {name: table.num_rows for name, table in small.items()}
    step("world", 5, 5)

    # requests, in chunks of accounts: each chunk is sorted by time and written as a row group
    enc = _RequestEncoder(pop, net, bank, uas, cfg.raw_prompt_fraction, cfg.raw_prompt_fraction < 1.0,
                          subsecond=variant == "drawn")
    schema = REQUEST_SCHEMA if enc.with_fp else REQUEST_SCHEMA.remove(REQUEST_SCHEMA.get_field_index("prompt_fingerprint"))
    writer = TableWriter(out, "requests", fmt, schema)
    total = int(pop.rows.sum())
    bounds = np.searchsorted(np.cumsum(pop.rows), np.arange(CHUNK_ROWS, total, CHUNK_ROWS), side="right")
    cuts = [0, *bounds.tolist(), pop.n]
    chunk_rngs = [np.random.default_rng(s) for s in streams[5].spawn(len(cuts) - 1)]
    done = 0
    # Generate chunk i+1 while chunk i is written: the parquet writer releases the GIL,
    # so the two cores overlap. Writes stay in order, so output is unchanged.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending: Future | None = None
        for i, (lo, hi) in enumerate(zip(cuts[:-1], cuts[1:])):
            if hi <= lo:
                continue
            acc = np.arange(lo, hi)
            g = chunk_rngs[i]
            parts = [legit_rows(acc[pop.op[acc] < 0], pop, infra, bank, net, g),
                     ring_rows(acc[pop.op[acc] >= 0], pop, infra, bank, cfg, g)]
            chunk = enc.encode(Rows.concat(parts), g)
            del parts
            if pending is not None:
                pending.result()
                step("requests", done, total)
            pending = pool.submit(writer.write, chunk)
            done += int(pop.rows[acc].sum())
        if pending is not None:
            pending.result()
    step("requests", done, total)
    writer.close()
    files.append(writer.path)

    ring_names = [c.name for c in cfg.campaigns] + [""]
    with open(out / "truth.csv", "w", newline="") as f:
        f.write("account_id,ring_id\n")
        f.writelines(f"{a},{ring_names[o]}\n" for a, o in zip(pop.account_id, pop.op.tolist()))
    files.append(out / "truth.csv")
    # who each account is, for benchmarks that count flagged enterprise teams and households
    kinds = _account_kinds(pop)
    with open(out / "groups.csv", "w", newline="") as f:
        f.write("account_id,group\n")
        f.writelines(f"{a},{k}\n" for a, k in zip(pop.account_id, kinds))
    files.append(out / "groups.csv")

    campaigns = []
    for o, c in enumerate(cfg.campaigns):
        m = pop.op == o
        campaigns.append({
            "ring_id": c.name, "accounts": int(m.sum()), "exchanges": int(pop.rows[m].sum()),
            "templates": c.n_templates, "template_capabilities": capabilities[f"op{o}"],
            "waves": c.waves, "shift_to_new_model_at": _iso(int(infra.shift_time[o])),
        })
    summary = SimulationSummary(
        out=str(out), scale=scale, seed=seed, variant=variant, format=fmt, accounts=pop.n,
        legit_accounts=int((pop.op < 0).sum()), ring_accounts=int((pop.op >= 0).sum()),
        rows={**row_counts, "requests": writer.rows},
        campaigns=campaigns, files=[str(Path(f).name) for f in files])
    scenario = {
        "generator_version": C.GENERATOR_VERSION, "scale": scale, "seed": seed, "variant": variant,
        "format": fmt, "span_start": _iso(C.epoch(C.SPAN_START)), "span_end": _iso(C.epoch(C.SPAN_END)),
        "model_release": _iso(C.epoch(C.MODEL_RELEASE)), "old_model": C.OLD_MODEL, "new_model": C.NEW_MODEL,
        "timestamps": "parquet: timestamp[us, UTC] columns; csv/jsonl: RFC 3339 UTC strings",
        "raw_prompt_fraction": cfg.raw_prompt_fraction, "cover_fraction": cfg.cover_fraction,
        "legit_proxy_users": cfg.legit_proxy_users, "card_per_ring_account": cfg.card_per_ring_account,
        "tactics": [t.describe() for t in cfg.tactics],
        "accounts": pop.n, "legit_accounts": summary.legit_accounts, "ring_accounts": summary.ring_accounts,
        "rows": summary.rows, "campaigns": campaigns,
    }
    (out / "scenario.json").write_text(json.dumps(scenario, indent=2) + "\n")
    summary.files.append("scenario.json")
    return summary


def _account_kinds(pop: Population) -> list[str]:
    """operator, enterprise_team (office hours), organisation, household, integration or individual."""
    org = np.maximum(pop.org, 0)
    kind = np.select(
        [pop.op >= 0, (pop.org >= 0) & pop.orgs.office[org], pop.org >= 0, pop.household >= 0,
         pop.private_prompt >= 0],
        ["operator", "enterprise_team", "organisation", "household", "integration"], "individual")
    return kind.tolist()


def _iso(seconds: int) -> str:
    return np.datetime_as_string(np.datetime64(seconds, "s")) + "Z"
