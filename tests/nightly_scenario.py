"""A small multi-day scenario in the input contract, one dated partition per day, for the nightly tests.

One operator among ordinary users, told day by day (`DAYS`):

- 2026-02-10  ordinary users only;
- 2026-02-11  the operator **appears**: two heads of 12 accounts each, created in bursts; each head
              has its own card, SDK build, e-mail domain, templates and lockstep batches; the heads
              share a template bank and a residential proxy pool (so they read as one ring);
- 2026-02-12  it **grows**: 12 more accounts per head;
- 2026-02-13  it **splits**: the shared bank turns out to be a public prompt pack and the pool a
              popular VPN (most ordinary users send and use them from this day on), so nothing the
              heads share is specific any more, and each head now uses its own exits;
- 2026-02-14  a model is released at 12:00; from 13:00 both heads **shift** all traffic to it,
              ordinary users barely.

The signals are deliberately blunt (a card per head, identical templates, bursts of
seconds) so the story holds whatever the detector's fine print: what is tested is the
nightly job, not detection's edge cases. Two rows of day 2 break the contract on purpose.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np

DAYS = ("2026-02-10", "2026-02-11", "2026-02-12", "2026-02-13", "2026-02-14")
RELEASE = datetime(2026, 2, 14, 12, 0, tzinfo=timezone.utc)
OLD, NEW = "atlas-3", "atlas-4"
LEGIT = 240
WAVES = (8, 4)  # accounts each head recruits on day 2 and on day 3
BAD_ROWS_DAY = "2026-02-11"
BAD_ROWS = 2

_WORDS = ("garden recipe weather travel budget poem letter summary meeting invoice history river "
          "mountain coffee music novel guitar lesson spanish french birthday gift plan story email "
          "resume interview photo camera bike running diet sleep movie review city museum train "
          "flight hotel beach winter summer school homework science planet ocean forest animal dog "
          "cat bird horse football tennis chess painting color design kitchen table chair lamp").split()
_UAS = tuple(f"Mozilla/5.0 (Browser {i}) Gecko/2010 Firefox/{120 + i}" for i in range(6))
_HEAD_TEMPLATES = {
    "a": ("Solve step by step and show your reasoning: a train leaves at {n} and travels {m} km.",
          "Implement a python function that parses {n} log lines and returns {m} counts; explain the code.",
          "You are an agent with tools. Plan and act: call the search tool {n} times, then summarise {m} results."),
    "b": ("Think step by step: prove that the sum of the first {n} odd numbers equals {m} squared.",
          "Refactor this javascript function with {n} branches into {m} smaller ones and add unit tests.",
          "Available tools: calculator, browser. Execute {n} tool calls and report observation {m}."),
}
_SHARED_BANK = ("Explain your reasoning in detail for problem number {n} of the contest, part {m}.",
                "Write the algorithm for task {n} in python and derive its complexity for n = {m}.",
                "Use chain of thought to justify answer {n} of exam {m}, first principles only.",
                "Debug this python code with {n} lines and explain each of the {m} bugs step by step.",
                "Prove the identity for {n} terms and show your work up to order {m}.",
                "As an agent, call the weather tool for {n} cities and execute {m} follow-up actions.",
                "Derive the closed form of sequence {n} and justify every step of the {m} cases.",
                "Implement a rust function that sorts {n} records and write {m} unit tests for it.",
                "Solve puzzle {n} with a plan and act loop, using at most {m} tool calls.")
_SHARED_SDK = "python-httpx/0.27"
PER_ACCOUNT = 24  # requests per operator account per day before the split
_SHARED_POOL = tuple(f"89.44.{i // 8}.{10 + i % 8}" for i in range(16))  # Resiflow residential range


def _ts(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def _write_jsonl(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))


def _legit_prompt(rng: np.random.Generator) -> str:
    return " ".join(rng.choice(_WORDS, size=9)) + "?"


def _fill(template: str, rng: np.random.Generator) -> str:
    return template.format(n=int(rng.integers(2, 999)), m=int(rng.integers(2, 999)))


def head_accounts(head: str, day_index: int) -> list[str]:
    """Accounts of one head as of `day_index` (0-based into DAYS)."""
    return [f"op-{head}-{i:03d}" for i in range(sum(WAVES[:min(day_index, 2)]))]


def _legit_day(day: datetime, d: int, rng: np.random.Generator, rows: list[dict]) -> None:
    for i in range(LEGIT):
        acc = f"user-{i:04d}"
        for _ in range(int(rng.integers(3, 7))):
            at = day + timedelta(seconds=int(rng.integers(6 * 3600, 23 * 3600)))
            model = NEW if at >= RELEASE and rng.random() < 0.1 else OLD
            row = {"ts": _ts(at), "account_id": acc, "ip": f"24.{i // 200}.{i % 200}.{7 + i % 3}",
                   "prompt": _legit_prompt(rng), "user_agent": _UAS[i % len(_UAS)], "model": model,
                   "tokens_in": int(rng.integers(20, 400)), "tokens_out": int(rng.integers(50, 800))}
            rows.append(row)
        if d >= 3 and i % 5 < 3:  # from day 4 the shared bank and pool turn out to be public
            for j, ip in enumerate(_SHARED_POOL):
                at = day + timedelta(seconds=int(rng.integers(6 * 3600, 23 * 3600)))
                rows.append({"ts": _ts(at), "account_id": acc, "ip": ip, "model": OLD,
                             "prompt": _fill(_SHARED_BANK[j % len(_SHARED_BANK)], rng),
                             "user_agent": _SHARED_SDK, "tokens_in": 30, "tokens_out": 90})


def _operator_day(day: datetime, d: int, rng: np.random.Generator, rows: list[dict]) -> None:
    for h, head in enumerate("ab"):
        accounts = head_accounts(head, d)
        if d < 3:  # one operator to every eye: shared bank, pool and SDK, no batches, no per-head trait
            for k, acc in enumerate(accounts):
                for j in range(PER_ACCOUNT):
                    at = day + timedelta(seconds=int(rng.integers(1 * 3600, 23 * 3600)))
                    rows.append(_op_row(at, acc, _SHARED_POOL[int(rng.integers(0, 16))],
                                        _fill(_SHARED_BANK[j % len(_SHARED_BANK)], rng), _SHARED_SDK))
            continue
        own_pool = [f"185.{120 + h}.7.{i}" for i in range(10, 26)]  # each head's own datacenter
        for session in range(8):
            # head a fires at even hours, head b at odd hours: the heads never act together
            start = day + timedelta(hours=2 * session + h + 6)
            for t, template in enumerate(_HEAD_TEMPLATES[head]):
                at = start + timedelta(minutes=3 * t)
                for k, acc in enumerate(accounts):
                    rows.append(_op_row(at + timedelta(seconds=k % 7), acc, own_pool[(k * 3 + session) % 16],
                                        _fill(template, rng), f"hydra-sdk/1.4-{head}"))


def _op_row(at: datetime, acc: str, ip: str, prompt: str, agent: str) -> dict:
    # a day after the release, everything the operator sends goes to the new model
    model = NEW if at >= RELEASE + timedelta(hours=1) else OLD
    return {"ts": _ts(at), "account_id": acc, "ip": ip, "prompt": prompt, "user_agent": agent,
            "model": model, "tokens_in": 900, "tokens_out": 2400}


def write_day(root: Path, d: int) -> Path:
    """Write partition `DAYS[d]` under `root`; return its directory."""
    day = datetime.fromisoformat(DAYS[d]).replace(tzinfo=timezone.utc)
    rng = np.random.default_rng(1000 + d)
    out = root / DAYS[d]
    accounts, payments, requests = [], [], []
    if d == 0:
        for i in range(LEGIT):
            created = datetime(2025, 1, 1, tzinfo=timezone.utc) + timedelta(hours=37 * i)
            accounts.append({"account_id": f"user-{i:04d}", "created_at": _ts(created),
                             "email": f"person{i}@{('mailhub', 'webpost', 'inbox')[i % 3]}.example"})
            payments.append({"account_id": f"user-{i:04d}", "instrument_fingerprint": f"card-user-{i}",
                             "ts": _ts(created + timedelta(days=1)), "instrument_type": "card"})
        _write_jsonl(out / "proxies.jsonl", [
            {"cidr": "89.44.0.0/16", "provider": "Resiflow", "kind": "residential"},
            {"cidr": "10.99.0.0/16", "provider": "CloudHop", "kind": "datacenter"}])
    if d in (1, 2):  # a wave per head, each created within minutes (a virtual card per account)
        for h, head in enumerate("ab"):
            wave = head_accounts(head, d)[-WAVES[d - 1]:]
            burst = day + timedelta(hours=1 + 12 * h)
            for k, acc in enumerate(wave):
                accounts.append({"account_id": acc, "created_at": _ts(burst + timedelta(seconds=20 * k)),
                                 "email": f"{acc.replace('-', '')}@webpost.example"})
                payments.append({"account_id": acc, "instrument_fingerprint": f"vcard-{acc}",
                                 "ts": _ts(burst + timedelta(minutes=5, seconds=k)), "instrument_type": "card"})
    if d == 3:  # after the split each head pays for all its accounts with one card of its own
        for head in "ab":
            payments += [{"account_id": acc, "instrument_fingerprint": f"card-head-{head}",
                          "ts": _ts(day + timedelta(hours=3, seconds=k)), "instrument_type": "card"}
                         for k, acc in enumerate(head_accounts(head, d))]
    _legit_day(day, d, rng, requests)
    _operator_day(day, d, rng, requests)
    if DAYS[d] == BAD_ROWS_DAY:
        requests += [{"ts": "not-a-time", "account_id": "user-0001", "ip": "24.0.1.8"},
                     {"ts": _ts(day + timedelta(hours=9)), "account_id": "user-0002", "ip": "999.1.1.1"}]
    if accounts:
        _write_jsonl(out / "accounts.jsonl", accounts)
    if payments:
        _write_jsonl(out / "payments.jsonl", payments)
    _write_jsonl(out / "requests.jsonl", requests)
    return out


def write_days(root: Path, upto: int = len(DAYS)) -> Path:
    """Partitions DAYS[0:upto] under `root`."""
    for d in range(upto):
        write_day(root, d)
    return root
