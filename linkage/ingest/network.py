"""IP addresses and proxy ranges: parse, normalise, and match IPs to CIDRs.

Everything here runs over DISTINCT values (a few million at most), never per
request row. Normal form is Python's compressed form, with IPv4-mapped IPv6
(`::ffff:1.2.3.4`) folded to plain IPv4 so one host has one node.
"""

from __future__ import annotations

import ipaddress
import socket
from collections import defaultdict
from collections.abc import Iterable

import numpy as np


def normalise_ip(raw: str | None) -> tuple[str, int] | None:
    """(normal form, version) of an IP address, or None if it is not one.

    Accepts surrounding whitespace, upper-case hex, IPv4-mapped IPv6; a zone
    index (`fe80::1%eth0`: a link-local address, meaningless off its host) is
    rejected; IPv4 octets with leading zeros (`010.001.002.003`)
    are read as decimal, as log pipelines that zero-pad mean them.
    """
    if raw is None:
        return None
    text = raw.strip()
    if not text:
        return None
    if "." in text and ":" not in text:
        parts = text.split(".")
        if len(parts) == 4 and all(p.isdigit() and 0 < len(p) <= 3 for p in parts):
            text = ".".join(str(int(p)) for p in parts)
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    try:
        addr = ipaddress.ip_address(text)
    except ValueError:
        return None
    if addr.version == 6 and addr.scope_id is not None:
        return None
    if addr.version == 6 and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped
    return str(addr), addr.version


def normalise_network(raw: str | None) -> tuple[str, int] | None:
    """(normal form, version) of a CIDR or a single IP (as /32 or /128), or None.

    Host bits set (`10.0.0.5/8`) are cleared rather than rejected: intel feeds
    often write ranges that way. An IPv4-mapped range is its IPv4 range, like its addresses.
    """
    if raw is None or not raw.strip():
        return None
    text = raw.strip()
    if "/" not in text:
        ip = normalise_ip(text)
        if ip is None:
            return None
        return f"{ip[0]}/{32 if ip[1] == 4 else 128}", ip[1]
    addr, _, length = text.partition("/")
    ip = normalise_ip(addr)
    if ip is None or not length.isdigit():
        return None
    bits = int(length)
    if ip[1] == 4 and ":" in addr:  # an IPv4-mapped range (::ffff:10.0.0.0/104): its IPv4 prefix
        bits -= 96
        if bits < 0:
            return None
    try:
        net = ipaddress.ip_network(f"{ip[0]}/{bits}", strict=False)
    except ValueError:
        return None
    return str(net), net.version


def match_ips(ips: Iterable[str], networks: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """Every (ip, network) pair where the IP lies in the network.

    `ips` are normal-form addresses, `networks` (network, payload) pairs in
    normal form; the payload is returned instead of the network. Exact and
    correct for nested/overlapping ranges: for each prefix length present,
    the IPs are masked to that length and looked up among the networks of
    that length (vectorised with numpy for IPv4).
    """
    by_len: dict[tuple[int, int], dict[int, list[str]]] = defaultdict(lambda: defaultdict(list))
    for net, payload in networks:
        address, _, length = net.partition("/")
        if ":" in address:
            n = ipaddress.ip_network(net)
            by_len[(6, n.prefixlen)][int(n.network_address)].append(payload)
        else:  # normal-form IPv4: inet_aton is ~20x ipaddress.ip_network
            by_len[(4, int(length))][int.from_bytes(socket.inet_aton(address), "big")].append(payload)
    if not by_len:
        return []
    v4: list[str] = []
    v6: list[str] = []
    for ip in ips:
        (v6 if ":" in ip else v4).append(ip)
    pairs: list[tuple[str, str]] = []
    if v4:
        # inet_aton over normal-form addresses, read as big-endian words: ~10x int(IPv4Address)
        ints = np.frombuffer(b"".join(map(socket.inet_aton, v4)), dtype=">u4").astype(np.uint64)
        for (version, length), nets in by_len.items():
            if version != 4:
                continue
            mask = np.uint64(((1 << length) - 1) << (32 - length)) if length else np.uint64(0)
            starts = np.array(sorted(nets), dtype=np.uint64)
            masked = ints & mask
            pos = np.searchsorted(starts, masked)
            hit = pos < len(starts)
            hit[hit] = starts[pos[hit]] == masked[hit]
            for i in np.nonzero(hit)[0]:
                for payload in nets[int(starts[pos[i]])]:
                    pairs.append((v4[i], payload))
    if v6:
        lengths = [(length, nets) for (version, length), nets in by_len.items() if version == 6]
        for ip in v6:
            value = int(ipaddress.IPv6Address(ip))
            for length, nets in lengths:
                masked = value >> (128 - length) << (128 - length) if length else 0
                for payload in nets.get(masked, ()):
                    pairs.append((ip, payload))
    return pairs
