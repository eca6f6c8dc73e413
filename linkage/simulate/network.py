"""The simulated internet: home IPs, corporate NATs, carrier NATs, VPN exits, proxy pools, and intel.

Every IP lives once in one global string array; traffic refers to IPs by index
into it, so a request chunk's `ip` column is a single vectorised `take`.
Proxy pools are shared: legitimate users rotate through the same residential
and datacenter providers the operators use, which is why an IP alone must
never be enough to call a ring.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from linkage.simulate.config import ScenarioConfig

RESIDENTIAL = ("Resiflow", "HomeRoute", "Peerlink")
DATACENTER = ("RackEdge", "CloudHop", "unlisted-dc")
VPNS = {"SwiftVPN": 12, "SafeTunnel": 10, "OpenWay VPN": 8}  # provider -> number of v4 exits
_RESERVED_FIRST_OCTETS = {0, 10, 100, 127, 169, 172, 192, 198, 203}


def format_v4(addresses: np.ndarray) -> pa.StringArray:
    """Dotted quads for an array of uint32 addresses, without a Python loop."""
    a = addresses.astype(np.uint64)
    octets = [pa.array(((a >> s) & 255).astype(np.int64)).cast(pa.string()) for s in (24, 16, 8, 0)]
    return pc.binary_join_element_wise(*octets, ".")


def _v4_network(base: int, prefix: int) -> str:
    return ".".join(str((base >> s) & 255) for s in (24, 16, 8, 0)) + f"/{prefix}"


@dataclass
class Network:
    """All IPs (as strings), named segments of indices into them, and the proxy intel table."""

    ips: pa.StringArray
    segments: dict[str, np.ndarray]
    intel: pa.Table

    def seg(self, name: str) -> np.ndarray:
        return self.segments[name]


class _Builder:
    def __init__(self, rng: np.random.Generator, n_blocks: int) -> None:
        self.rng = rng
        cand = rng.integers(1 << 12, 224 << 12, size=n_blocks * 2 + 64)
        cand = cand[~np.isin(cand >> 12, list(_RESERVED_FIRST_OCTETS))]
        _, first = np.unique(cand, return_index=True)
        self.blocks = cand[np.sort(first)]  # distinct /20 prefixes, in random order
        self.next_block = 0
        self.parts: list[pa.Array] = []
        self.count = 0
        self.segments: dict[str, np.ndarray] = {}

    def take_blocks(self, n: int) -> np.ndarray:
        if self.next_block + n > len(self.blocks):
            raise RuntimeError("ran out of simulated address blocks")
        out = self.blocks[self.next_block:self.next_block + n].astype(np.uint32) << np.uint32(12)
        self.next_block += n
        return out

    def scattered(self, n: int, density: float = 0.25) -> tuple[np.ndarray, np.ndarray]:
        """n distinct addresses scattered over fresh /20 blocks; returns (addresses, blocks)."""
        blocks = self.take_blocks(max(1, int(np.ceil(n / (4096 * density)))))
        draw = int(n * 1.3) + 16
        addr = blocks[self.rng.integers(0, len(blocks), draw)] + self.rng.integers(1, 4095, draw).astype(np.uint32)
        _, first = np.unique(addr, return_index=True)
        addr = addr[np.sort(first)]
        while len(addr) < n:  # extremely unlikely: top up
            extra = blocks[self.rng.integers(0, len(blocks), n)] + self.rng.integers(1, 4095, n).astype(np.uint32)
            addr = np.concatenate([addr, extra])
            _, first = np.unique(addr, return_index=True)
            addr = addr[np.sort(first)]
        return addr[:n], blocks

    def add(self, name: str, strings: pa.Array) -> np.ndarray:
        idx = np.arange(self.count, self.count + len(strings), dtype=np.int64)
        self.parts.append(strings)
        self.count += len(strings)
        self.segments[name] = idx
        return idx


def _v6_strings(rng: np.random.Generator, n: int, prefix: str) -> pa.Array:
    words = rng.integers(1, 0xFFFF, size=(n, 4))
    return pa.array([f"{prefix}:{a:x}:{b:x}:{c:x}::{d:x}" for a, b, c, d in words.tolist()])


def build_network(cfg: ScenarioConfig, rng: np.random.Generator, n_orgs_nat: int) -> Network:
    """Allocate every IP the scenario uses, and write the proxy intel for part of it."""
    n_home = int(cfg.legit_accounts * 1.35)
    total = n_home + sum(cfg.pool_ips.values()) * 2 + n_orgs_nat + 10_000
    b = _Builder(rng, int(total / 1024) + 200)
    intel: list[tuple[str | None, str | None, str, str]] = []

    n_home_v6 = n_home // 20
    home, _ = b.scattered(n_home - n_home_v6, density=0.25)
    b.add("home_v4", format_v4(home))
    b.add("home_v6", _v6_strings(rng, n_home_v6, "2a02"))
    nat, _ = b.scattered(n_orgs_nat, density=0.05)
    b.add("org_nat", format_v4(nat))
    cg, _ = b.scattered(24, density=0.01)
    b.add("cgnat", format_v4(cg))  # mobile carrier NATs: a handful of IPs, huge crowds

    for provider, n in VPNS.items():
        exits, _ = b.scattered(n, density=0.01)
        idx = b.add(f"vpn:{provider}", format_v4(exits))
        intel += [(ip, None, provider, "vpn") for ip in b.parts[-1].to_pylist()]
        del idx
    v6 = pa.array([f"2a0c:5bc0:1::{i:x}" for i in range(1, 9)])
    b.add("vpn6:SwiftVPN", v6)
    intel.append((None, "2a0c:5bc0:1::/48", "SwiftVPN", "vpn"))

    for provider in RESIDENTIAL:
        n = cfg.pool_ips[provider]
        addr, blocks = b.scattered(n, density=0.3)
        b.add(f"pool:{provider}", format_v4(addr))
        # intel knows most of a provider's ranges, and some single exits in the rest
        known = rng.random(len(blocks)) < 0.6
        intel += [(None, _v4_network(int(x), 20), provider, "residential") for x in blocks[known]]
        unknown_blocks = blocks[~known]
        in_unknown = np.isin(addr & np.uint32(0xFFFFF000), unknown_blocks)
        singles = addr[in_unknown & (rng.random(len(addr)) < 0.2)]
        intel += [(ip, None, provider, "residential") for ip in format_v4(singles).to_pylist()]

    for provider in DATACENTER:
        n24 = cfg.pool_ips[provider] // 256
        blocks20 = b.take_blocks(int(np.ceil(n24 / 16)))
        nets = (blocks20[:, None] + (np.arange(16, dtype=np.uint32) << np.uint32(8))[None, :]).ravel()[:n24]
        addr = (nets[:, None] + np.arange(256, dtype=np.uint32)[None, :]).ravel()
        b.add(f"pool:{provider}", format_v4(addr))
        if provider != "unlisted-dc":  # one operator's datacenter is missing from intel: a real gap
            known = rng.random(len(nets)) < 0.75
            intel += [(None, _v4_network(int(x), 24), provider, "datacenter") for x in nets[known]]

    tor, _ = b.scattered(40, density=0.01)
    b.add("tor", format_v4(tor))
    intel += [(ip, None, "tor", "tor") for ip in b.parts[-1].to_pylist()]

    ips = pa.concat_arrays([p.cast(pa.string()) for p in b.parts])
    order = rng.permutation(len(intel))  # intel feeds arrive unordered
    rows = [intel[i] for i in order]
    table = pa.table({
        "ip": pa.array([r[0] for r in rows], pa.string()),
        "cidr": pa.array([r[1] for r in rows], pa.string()),
        "provider": pa.array([r[2] for r in rows], pa.string()),
        "kind": pa.array([r[3] for r in rows], pa.string()),
    })
    return Network(ips=ips, segments=b.segments, intel=table)
