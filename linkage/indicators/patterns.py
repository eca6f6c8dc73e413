"""STIX 2.1 patterns for Linkage's artifacts.

Standard cyber-observable paths where STIX has one (IP addresses, CIDR ranges, HTTP
user agents, e-mail domains); custom `x-linkage-*` objects for what STIX has no type
for (keyed hashes of payment instruments, prompt template and family fingerprints).
Hashed artifacts are exported as the hashes they are: nothing raw leaves.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_RANGES = 50  # CIDRs ORed into one proxy-provider pattern


@dataclass(frozen=True)
class Pattern:
    pattern: str
    name: str
    description: str


def quote(value: str) -> str:
    """A STIX pattern string literal: backslashes and single quotes escaped."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _addr_type(value: str) -> str:
    return "ipv6-addr" if ":" in value else "ipv4-addr"


def ip_pattern(ip: str) -> Pattern:
    return Pattern(f"[{_addr_type(ip)}:value = {quote(ip)}]", f"IP {ip}",
                   "An exit address the ring's accounts shared.")


def proxy_pattern(proxy_id: str, networks: list[str]) -> Pattern | None:
    """A proxy provider as the CIDR ranges known for it (None when no range is known)."""
    provider, _, kind = proxy_id.partition("|")
    nets = sorted(networks)[:MAX_RANGES]
    if not nets:
        return None
    body = " OR ".join(f"{_addr_type(n)}:value ISSUBSET {quote(n)}" for n in nets)
    label = f"{provider} ({kind})" if kind else provider
    return Pattern(f"[{body}]", f"proxy provider {label}",
                   f"Exit ranges of the proxy provider {label} the ring's accounts went through"
                   + (f" ({len(networks)} ranges, first {MAX_RANGES} listed)" if len(networks) > MAX_RANGES else "")
                   + "; ordinary customers may use it too.")


def payment_pattern(keyed_hash: str) -> Pattern:
    return Pattern(f"[x-linkage-payment-instrument:keyed_hash = {quote(keyed_hash)}]",
                   f"payment instrument {keyed_hash[:12]}",
                   "Keyed hash (HMAC-SHA256 under the producer's key) of a payment instrument the ring's "
                   "accounts shared; the instrument itself is never exported.")


def prompt_pattern(fingerprint: str, family: bool = False) -> Pattern:
    kind = "family" if family else "template"
    return Pattern(f"[x-linkage-prompt-{kind}:fingerprint = {quote(fingerprint)}]",
                   f"prompt {kind} {fingerprint[:12]}",
                   f"Fingerprint of a prompt {kind} the ring's accounts sent (variable parts masked, "
                   "then hashed); the prompts themselves are never exported.")


def user_agent_pattern(user_agent: str) -> Pattern:
    path = "network-traffic:extensions.'http-request-ext'.request_header.'User-Agent'"
    return Pattern(f"[{path} = {quote(user_agent)}]", f"user agent {user_agent[:60]}",
                   "An HTTP user agent the ring's accounts shared.")


def email_domain_pattern(domain: str) -> Pattern:
    return Pattern(f"[email-addr:value LIKE {quote('%@' + domain)}]", f"e-mail domain {domain}",
                   "The e-mail domain of the ring's accounts (addresses themselves are never exported).")


def artifact_pattern(kind: str, value: str, user_agents: dict[str, str],
                     proxy_ranges: dict[str, list[str]]) -> Pattern | None:
    """The pattern of one artifact, or None when it cannot be expressed (unknown user agent id)."""
    if kind == "ip":
        return ip_pattern(value)
    if kind == "proxy":
        return proxy_pattern(value, proxy_ranges.get(value, []))
    if kind == "payment":
        return payment_pattern(value)
    if kind in ("prompt", "prompt_template"):
        return prompt_pattern(value)
    if kind == "prompt_family":
        return prompt_pattern(value, family=True)
    if kind == "user_agent":
        text = user_agents.get(value)
        return user_agent_pattern(text) if text else None
    if kind == "email_domain":
        return email_domain_pattern(value)
    return Pattern(f"[x-linkage-artifact:kind = {quote(kind)} AND x-linkage-artifact:value = {quote(value)}]",
                   f"{kind} {value[:40]}", f"A {kind} artifact the ring's accounts shared.")
