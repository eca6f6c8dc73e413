"""The scenario simulator: legitimate traffic with its look-alikes, plus three operator campaigns.

`simulate(out, scale, seed, variant, fmt)` writes `accounts`, `requests`, `payments`,
`proxies` (one file per table, in parquet, jsonl, jsonl.gz or csv), `truth.csv`
(`account_id,ring_id`; empty ring_id = legitimate) and `scenario.json` (sizes, release
time, per-campaign counts, generator version). Parquet timestamps are typed
`timestamp[us, UTC]` columns; csv/jsonl carry RFC 3339 UTC strings.

What is in the data (module by module):
- `population`: accounts created steadily over three years; organisations (heavy-tailed
  sizes, two giants, corporate domains, 1-3 NAT IPs, some on one company card, a few
  running scripted pipelines over several member accounts); households of 2-5 sharing
  an IP and a card; 1% integrations with SDK user agents and their own prompt.
  Operators: accounts created in waves a few hours wide, batches that fire together,
  pattern e-mails on their own disposable domains (legit users use those domains too).
- `network`: home IPs (5% IPv6), carrier NATs and VPN exits shared by tens of thousands,
  residential and datacenter proxy providers, intel for part of them (CIDRs and single
  IPs; one operator's datacenter is missing from intel; one provider nobody abuses).
- `traffic`: legit users follow their country's day and adopt the new model over weeks;
  operators fire in scheduled sessions, rotate through a dozen exits of their pools per
  session, send their own template bank, and move to the new model within 5-19 hours.
- `payments`: own, household and company cards; operators one card per 20-300 accounts.
- `templates`/`prompts`: everyday prompts, popular and personal free text, integrations'
  prompts, and per operator 8/18/35 templates (reasoning, coding, tool use) in its own
  house style. Fingerprints come from `linkage.ingest.fingerprint.fingerprint_prompt`.

Variants: `camouflage` (40% of ring traffic is everyday prompts at human hours, mostly
via popular VPN/carrier IPs), `shared-proxies` (a quarter of legit users send 60% of
their traffic through the operators' providers), `no-payment-sharing` (one card per
ring account), `hard` (all three).
"""

from linkage.simulate.config import VARIANTS
from linkage.simulate.scenario import SimulationSummary, simulate
from linkage.simulate.writers import FORMATS

__all__ = ["FORMATS", "VARIANTS", "SimulationSummary", "simulate"]
