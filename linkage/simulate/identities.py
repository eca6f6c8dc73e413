"""What an account looks like from outside: its id, e-mail, country, user agent.

Ids are random; nothing in an id, e-mail or user agent says "ring". Operators
give themselves away only by what they must do: pattern e-mails on disposable
domains (which some legitimate users also have), scripted user agents (which
legitimate integrations also send).
"""

from __future__ import annotations

import numpy as np

# country code, share of legit accounts, UTC offset in hours (drives the diurnal cycle)
COUNTRIES = [("US", 28, -5), ("IN", 10, 5.5), ("GB", 7, 0), ("DE", 7, 1), ("BR", 6, -3), ("JP", 5, 9),
             ("FR", 5, 1), ("CA", 4, -5), ("KR", 3, 9), ("NG", 3, 1), ("MX", 3, -6), ("ES", 3, 1),
             ("AU", 3, 10), ("ID", 3, 7), ("NL", 2, 1), ("PL", 2, 1), ("PH", 2, 8), ("SE", 1, 1),
             ("ZA", 1, 2), ("AR", 2, -3)]
COUNTRY_CODES = [c for c, _, _ in COUNTRIES]
COUNTRY_WEIGHTS = np.array([w for _, w, _ in COUNTRIES], float) / sum(w for _, w, _ in COUNTRIES)
COUNTRY_OFFSETS = np.array([o for _, _, o in COUNTRIES], float)

WEBMAIL = [("gmail.com", 40), ("outlook.com", 12), ("yahoo.com", 8), ("hotmail.com", 5), ("icloud.com", 6),
           ("proton.me", 3), ("gmx.de", 2), ("qq.com", 2), ("naver.com", 2), ("mail.com", 1)]
DISPOSABLE = ["quickinbox.net", "tmpmail.io", "boxdrop.xyz", "fastmailer.top", "inboxly.site",
              "mailpod.click", "sendnow.shop", "letterbin.store", "zmail.rest", "postbin.fun"]
# each operator registers on its own disposable domains; legit users occasionally use all of them
OPERATOR_DOMAINS = [DISPOSABLE[0:2], DISPOSABLE[2:5], DISPOSABLE[5:10]]

FIRST = ("james mary john patricia robert jennifer michael linda david elizabeth william barbara richard "
         "susan joseph jessica thomas sarah charles karen daniel nancy matthew lisa anthony betty mark "
         "sandra donald ashley steven kimberly andrew emily paul donna joshua michelle kevin carol brian "
         "amanda george melissa timothy deborah ravi priya wei li hiro yuki carlos maria ahmed fatima "
         "olga ivan lena jonas sofia lucas emma noah mia leon ana pedro chen min").split()
LAST = ("smith johnson williams brown jones garcia miller davis rodriguez martinez hernandez lopez "
        "gonzalez wilson anderson thomas taylor moore jackson martin lee perez thompson white harris "
        "sanchez clark ramirez lewis robinson walker young allen king wright scott torres nguyen hill "
        "flores green adams nelson baker hall rivera campbell mitchell carter roberts kumar sharma "
        "wang zhang tanaka sato kim park mueller schmidt novak silva santos costa rossi").split()

BROWSER_UAS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{v}.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{v}.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.{m} Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:{v}.0) Gecko/20100101 Firefox/{v}.0",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{v}.0.0.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_{m} like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.{m} Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel {m}) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{v}.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{v}.0.0.0 Safari/537.36 Edg/{v}.0.0.0",
    "AtlasDesktop/2.{m}.{v} (Windows; x64)",
    "AtlasMobile/5.{m} (iOS 17.{m}; iPhone)",
]
SDK_UAS = ["python-requests/2.31.0", "python-requests/2.32.3", "atlas-python/1.{m}.0", "atlas-node/4.{m}.1",
           "axios/1.6.{m}", "Go-http-client/1.1", "curl/8.{m}.0", "python-httpx/0.27.{m}", "okhttp/4.12.0",
           "aiohttp/3.9.{m} Python/3.11"]


# Scripts some operators run: rare builds nobody else sends (but nothing marks them as abuse).
OPERATOR_UAS = [
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/119.0.6045.105 Safari/537.36",
    "atlas-python/0.28.1",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/116.0.5845.97 Safari/537.36",
]


def user_agent_bank() -> tuple[list[str], int, int]:
    """All user agents: browsers/apps at several versions, SDKs, operators' own builds.

    Returns (list, index of the first SDK, index of the first operator build)."""
    browsers = [u.format(v=v, m=m) for u in BROWSER_UAS for v in (118, 120, 122, 124) for m in (1, 3, 5)]
    browsers = list(dict.fromkeys(browsers))
    sdks = list(dict.fromkeys(u.format(m=m) for u in SDK_UAS for m in range(1, 6)))
    return browsers + sdks + OPERATOR_UAS, len(browsers), len(browsers) + len(sdks)


def account_ids(rng: np.random.Generator, n: int) -> list[str]:
    """n distinct random account ids (no order, no kind, nothing to learn from)."""
    raw = np.unique(rng.integers(1 << 60, (1 << 63) - 1, size=n + n // 100 + 16, dtype=np.int64))
    raw = rng.permutation(raw)[:n]
    return [f"acct_{x:016x}" for x in raw.tolist()]


def personal_emails(rng: np.random.Generator, n: int, domains: list[str], weights: np.ndarray | None) -> list[str]:
    """Ordinary addresses: name-based local parts in a few styles."""
    f = rng.integers(0, len(FIRST), n).tolist()
    last = rng.integers(0, len(LAST), n).tolist()
    style = rng.integers(0, 5, n).tolist()
    num = rng.integers(1, 9999, n).tolist()
    dom = rng.choice(len(domains), size=n, p=weights).tolist()
    out = []
    for a, b, s, k, d in zip(f, last, style, num, dom):
        fa, lb = FIRST[a], LAST[b]
        local = (f"{fa}.{lb}", f"{fa}{lb}{k % 100}", f"{fa[0]}{lb}", f"{lb}.{fa}{k}", f"{fa}_{lb}")[s]
        out.append(f"{local}@{domains[d]}")
    return out


def pattern_emails(rng: np.random.Generator, n: int, domains: list[str], gmail_share: float) -> list[str]:
    """An operator's sign-up script: first name + last name + four digits, on its domains."""
    f = rng.integers(0, len(FIRST), n).tolist()
    last = rng.integers(0, len(LAST), n).tolist()
    num = rng.integers(1000, 9999, n).tolist()
    dom = rng.integers(0, len(domains), n).tolist()
    gm = (rng.random(n) < gmail_share).tolist()
    return [f"{FIRST[a]}{LAST[b]}{k}@{'gmail.com' if g else domains[d]}"
            for a, b, k, d, g in zip(f, last, num, dom, gm)]
