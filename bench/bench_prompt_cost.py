"""Per-prompt cost of the ingest's prompt work, before and after the compiled pass, on the simulator's prompts.

Renders N requests' prompts from the simulator's bank in the public case's mix
(operator templates ~45 %, everyday templates, users' own words, popular
phrasings, integrators), keeps the distinct ones, and prints CPU µs per distinct
prompt (process time, i.e. per core) for:
- before: template fingerprint + SimHash + capability as Python regex code (bench/fingerprint_v1.py);
- compiled: the same three from the compiled pass (`fingerprint_table`, numba, threaded);
- families: MinHash signatures + family assignment (`minhash` + `families`, compiled, threaded);
- before/after totals (fingerprint + families per distinct prompt);
and the wall time of the ingest's prompt map (`prompt_map.build_prompt_map`), all of it on the same prompts.

    python bench/bench_prompt_cost.py [--requests 300000] [--seed 5]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from linkage.ingest.families import FamilyIndex  # noqa: E402
import fingerprint_v1  # noqa: E402  (bench/: the Python implementation before the compiled pass)

from linkage.ingest.fingerprint import fingerprint_table  # noqa: E402
from linkage.ingest.minhash import signatures  # noqa: E402
from linkage.ingest.prompt_map import build_prompt_map  # noqa: E402
from linkage.simulate.prompts import build_prompts  # noqa: E402

MIX = {"op0": 0.005, "op1": 0.09, "op2": 0.355, "generic": 0.19, "free": 0.28, "popular": 0.05, "integrator": 0.03}


def simulator_prompts(n: int, seed: int) -> pa.StringArray:
    rng = np.random.default_rng(seed)
    bank, _ = build_prompts(rng, [8, 18, 35], n_free=50_000, n_popular=3_000, n_integrators=5_000)
    segs = list(MIX)
    seg = rng.choice(len(segs), size=n, p=np.array(list(MIX.values())) / sum(MIX.values()))
    ids = np.empty(n, np.int64)
    for i, name in enumerate(segs):
        m = seg == i
        ids[m] = rng.choice(bank.segments[name], int(m.sum()))
    return pc.unique(bank.render(ids, rng))


def cpu(fn) -> float:
    start = time.process_time()
    fn()
    return time.process_time() - start


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=300_000)
    ap.add_argument("--seed", type=int, default=5)
    args = ap.parse_args()
    texts = simulator_prompts(args.requests, args.seed)
    n = len(texts)
    chars = pc.sum(pc.utf8_length(texts)).as_py() / n
    print(f"{args.requests} requests -> {n} distinct prompts ({100 * n / args.requests:.1f} %), {chars:.0f} chars on average")
    # compile once (cached on disk afterwards), on enough prompts to reach every compiled function
    FamilyIndex().assign(*signatures(texts.slice(0, 5000)))
    fingerprint_table(texts.slice(0, 5000))
    as_list = texts.to_pylist()
    before = cpu(lambda: fingerprint_v1.fingerprint_prompts(as_list))

    def compiled() -> None:
        for lo in range(0, n, 500_000):
            fingerprint_table(texts.slice(lo, 500_000))

    def families() -> None:
        index = FamilyIndex()
        for lo in range(0, n, 500_000):
            index.assign(*signatures(texts.slice(lo, 500_000)))
    after = cpu(compiled)
    fam = cpu(families)
    us = 1e6 / n
    print(f"before  fingerprint + simhash + capability (Python regex)  {before * us:7.2f} µs/prompt/core")
    print(f"after   fingerprint + simhash + capability (compiled)      {after * us:7.2f} µs/prompt/core")
    print(f"        families (signatures + assignment)                 {fam * us:7.2f} µs/prompt/core")
    print(f"before  fingerprint + families                             {(before + fam) * us:7.2f} µs/prompt/core")
    print(f"after   fingerprint + families                             {(after + fam) * us:7.2f} µs/prompt/core")
    con = duckdb.connect()
    con.register("t", pa.table({"v": texts}))
    start, cpu0 = time.perf_counter(), time.process_time()
    build_prompt_map(con, "SELECT v FROM t", FamilyIndex())
    wall, used = time.perf_counter() - start, time.process_time() - cpu0
    print(f"prompt map (DuckDB read + both + write): {wall:.1f} s wall = {wall * us:.2f} µs/prompt wall,"
          f" {used * us:.2f} µs/prompt/core")


if __name__ == "__main__":
    main()
