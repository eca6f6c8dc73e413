"""All configuration in one place, read from flags or `LINKAGE_*` environment variables.

Built by `load_settings()` and passed down; nothing here runs at import time.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_HASH_SECRET = "linkage-dev-secret-change-me"


class Settings(BaseSettings):
    """Every knob Linkage has. Environment: `LINKAGE_<NAME>` (e.g. `LINKAGE_STORE`)."""

    model_config = SettingsConfigDict(env_prefix="LINKAGE_", extra="ignore")

    store: str = Field(
        default="linkage.duckdb",
        description="Store URL: a DuckDB file path (default), ':memory:', or neo4j://host:port",
    )
    hash_secret: str = Field(
        default=DEV_HASH_SECRET,
        description="Key for the keyed hashes of e-mails and payment instruments",
    )
    quarantine_dir: Path | None = Field(
        default=None,
        description="Where quarantine files go; default: <input dir>/_quarantine",
    )
    memory_limit: str = Field(default="4GB", description="DuckDB memory limit")
    threads: int = Field(default=0, description="DuckDB threads; 0 = all cores")
    lockstep_window_minutes: int = Field(
        default=10, description="Width of the time buckets kept for lockstep evidence"
    )
    tick_seconds: int = Field(
        default=1, description="Width of the per-account activity buckets kept for synchrony evidence")
    # Detection knobs live here too so the nightly job and the CLI share them.
    allowlist: Path | None = Field(
        default=None, description="File of artifacts (kind:value per line) that must never link accounts"
    )
    model_release: str | None = Field(
        default=None, description="RFC 3339 time of a model release, for the traffic-shift signal"
    )
    ring_threshold: float = Field(default=0.6, description="Minimum score to report a community as a ring")
    ring_min_coordination: float = Field(
        default=0.2, description="A ring's score is scaled down until its strongest coordinated behaviour "
        "(templates, synchrony, creation burst, release rush) reaches this: youth and volume alone are no ring")
    seed: int = Field(default=42, description="Seed for community detection")
    # ---- detection (issue #3); see linkage/detect/*.py for how each is used ----
    top_k: int = Field(default=10, description="Strongest neighbours kept per account in the similarity graph")
    small_artifact: int = Field(
        default=25, description="Artifacts used by at most this many accounts link all their pairs")
    neighbours: int = Field(
        default=3, description="Larger artifacts link each account to this many neighbours by first use")
    hub_accounts: int = Field(
        default=1000, description="Hub cutoff: above max(this, hub_fraction*accounts) an artifact is damped")
    hub_fraction: float = Field(default=0.01, description="Hub cutoff as a share of all accounts")
    hub_drop_fraction: float = Field(
        default=0.2, description="Artifacts used by more than this share of accounts never link")
    min_kinds: int = Field(
        default=2, description="Independent evidence families a pair needs to be linked")
    min_edge_weight: float = Field(default=0.6, description="Minimum combined weight of a linked pair")
    min_corroboration: float = Field(
        default=0.3, description="Weight a linked pair needs from families other than its strongest")
    lockstep_min_windows: int = Field(
        default=3, description="Shared short windows before two accounts count as in lockstep")
    lockstep_kinds: str = Field(
        default="prompt,prompt_family", description="co_window kinds used for lockstep, comma-separated "
        "(prompt, prompt_family, ip); "
        "ip windows mostly restate the network evidence and cost most of the time at scale")
    lockstep_max_group: int = Field(
        default=5000, description="Windows with more accounts than this on one artifact are ignored")
    resolution: float = Field(default=0.5, description="Leiden resolution (RB configuration model)")
    merge_ratio: float = Field(
        default=0.02, description="Ring-scored fragments merge when their links reach this share of the smaller")
    min_ring_size: int = Field(default=3, description="Smallest community reported as a ring")
    min_tie: float = Field(
        default=0.25, description="Members tied to their community below this share of its median member are dropped")
    detach_bridged: bool = Field(
        default=True, description="Groups hanging on a community by a single link (a household glued to an "
        "operator's head) become communities of their own")
    drop_bystanders: bool = Field(
        default=True, description="Ring members that act like none of the ring (no synchrony with a member, none of "
        "its templates, not created in its burst, not young and heavy) are dropped: linked is not enough")
    burst_minutes: int = Field(
        default=60, description="Accounts created within this many minutes of another member are a burst")
    # ---- synchrony: acting together in seconds, whatever is sent (see linkage/detect/synchrony.py) ----
    sync_window_seconds: float = Field(default=4.0, description="Bucket width for synchrony (a multiple of tick_seconds)")
    sync_min_ticks: int = Field(default=5, description="Active buckets an account needs before it is tested")
    sync_account_z: float = Field(
        default=3.0, description="Bucket-mates beyond chance (z) an account needs to be paired at all")
    sync_max_group: int = Field(default=48, description="Accounts in one bucket paired with at most this many others")
    sync_min_shared: int = Field(default=5, description="Buckets two accounts must share")
    sync_min_log10p: float = Field(
        default=8.0, description="Chance of that many shared buckets must be below 10^-this")
    sync_saturation_log10p: float = Field(
        default=24.0, description="Surprise (-log10 p) at which the timing weight reaches 1")
    sync_periodic_share: float = Field(
        default=0.3, description="Accounts with this share of their activity in one minute of the hour "
        "(cron jobs) are not tested for synchrony")
    sync_link_alone: float = Field(
        default=1.0, description="A synchrony weight at or above this links a pair without a second family")
    ablate: str = Field(
        default="", description="Evidence left out, for ablation benchmarks: comma-separated among "
        "cards, templates, network, timing, creation, release")
    young_days: float = Field(
        default=120, description="Accounts created within this many days of the data's end count as young")
    youth_saturation_log10p: float = Field(
        default=6.0, description="Youth counts fully only when that many young members would happen by chance "
        "(at the population's young share) with probability below 10^-this: three young team mates are no "
        "surprise, thirty fresh accounts are; 0 turns the bound off")
    release_window_hours: float = Field(
        default=72, description="Hours after a model release in which a rush to it counts as release shift")
    release_prior_requests: float = Field(
        default=5.0, description="Each account's new-model share in a release window is shrunk towards the "
        "population's by this many pseudo-requests (a few requests are no rush)")
    # ---- consolidation: one operator, one ring (see linkage/detect/consolidate.py) ----
    consolidate: bool = Field(
        default=True, description="Join reported rings that share the same operator-exclusive content")
    consolidate_min_shared: int = Field(
        default=3, description="Exclusive non-network artifacts two rings must share to merge")
    consolidate_min_overlap: float = Field(
        default=0.5, description="...and the share of the smaller ring's exclusive content they must make up")
    consolidate_outside_accounts: int = Field(
        default=2, description="An artifact is exclusive to rings when at most this many outside accounts use it")
    consolidate_outside_share: float = Field(
        default=0.01, description="...or at most this share of its in-ring users, whichever is larger")
    consolidate_min_agreements: int = Field(
        default=2, description="Weak rule: rings sharing some exclusive content merge when this many other "
        "independent things agree too (another family's shared content, creation window, release switch, "
        "synchrony across them); 0 turns the weak rule off")
    consolidate_min_families: int = Field(
        default=2, description="Weak rule: rings sharing exclusive content in this many evidence families "
        "(e.g. a job template and an own agent build) merge without timing agreements")
    consolidate_weak_share: float = Field(
        default=0.5, description="Weak rule: shared content counts only when this share of each ring's members "
        "use it (the job every head runs, not a stray card)")
    consolidate_job_share: float = Field(
        default=0.4, description="Job rule: rings whose shared templates carry this share of each one's own "
        "template traffic merge (one private job fed to both); above 1 turns it off")
    consolidate_creation_days: float = Field(
        default=7.0, description="Two rings agree on creation when both were created within one window this wide")
    consolidate_switch_jump: float = Field(
        default=0.5, description="A ring rushed to a released model when its new-model share jumps by this much")
    consolidate_switch_support: float = Field(
        default=3.0, description="Switch hours within this log-likelihood of the best are plausible; "
        "two rings agree when their plausible switch hours overlap")
    consolidate_sync_pairs: int = Field(
        default=3, description="Synchrony pairs across two rings that count as them acting together")
    # ---- the Neo4j engine (neo4j:// and bolt:// store URLs; see linkage/store/neo4j_engine) ----
    neo4j_user: str = Field(default="neo4j", description="Neo4j user for neo4j:// and bolt:// stores")
    neo4j_password: str | None = Field(
        default=None, description="Neo4j password (environment only: LINKAGE_NEO4J_PASSWORD)")
    neo4j_database: str = Field(default="neo4j", description="Neo4j database the engine reads and writes")
    neo4j_batch_size: int = Field(
        default=5000, description="Rows per UNWIND batch (one transaction each) when ingesting into Neo4j")
    # ---- the nightly job (issue #9; see linkage/nightly/) ----
    nightly_lock: Path | None = Field(
        default=None, description="Lock file of the nightly job; default: beside the DuckDB store "
        "(<store>.nightly.lock), else <input>/.linkage-nightly.lock")
    nightly_store_wait_seconds: float = Field(
        default=600.0, description="How long the nightly job retries opening a store other processes hold "
        "(the API loading its model holds it read-only for minutes); then it fails with exit code 1")
    nightly_store_retry_seconds: float = Field(
        default=1.0, description="The nightly job's first wait between store opens; it doubles, at most 30 s")
    report_dir: Path | None = Field(
        default=None, description="Where the nightly job writes its reports; default: <input>/_reports")
    # ---- indicator sharing (issue #9; see linkage/indicators/) ----
    stix_tlp: str = Field(default="amber", description="TLP marking of exported STIX bundles: clear, green, amber, red")
    stix_producer: str = Field(default="Linkage", description="Name of the producer identity in exported bundles")
    stix_min_ring_share: float = Field(
        default=0.5, description="An artifact is exported only if at least this share of its users are ring members")

    # ---- analyst decisions (issue #12; see linkage/detect/decisions.py) ----
    dismissed_score_margin: float = Field(
        default=0.05, description="A dismissed ring is raised again when its score rises by more than this")

    # ---- GraphQL API (issue #12; see linkage/api/) ----
    api_keys: str = Field(
        default="", description="API keys, 'name:key:role' entries separated by commas; roles reader, analyst")
    api_max_depth: int = Field(default=10, description="Deepest GraphQL selection accepted")
    api_max_aliases: int = Field(default=30, description="Most aliases in one GraphQL document")
    api_max_tokens: int = Field(default=2000, description="Most tokens in one GraphQL document")
    api_max_page: int = Field(default=500, description="Largest `first` of any list or connection")
    api_path_min_specificity: float = Field(
        default=0.25, description="Evidence paths walk only artifacts at least this specific (and no hubs)")
    api_path_max_accounts: int = Field(
        default=1000, description="Evidence paths never pass through an artifact more accounts than this use")
    api_document_cache: int = Field(
        default=256, description="Distinct GraphQL documents whose parse and validation the server keeps")
    api_snapshots: bool = Field(
        default=True, description="Write each run's read model as a snapshot that workers memory-map")
    api_snapshot_dir: Path | None = Field(
        default=None, description="Where the API's snapshots go; default: beside a DuckDB store (<store>.api-snapshot)")
    api_workers: int = Field(default=1, description="Worker processes of `linkage serve` (each maps the snapshot)")
    api_reload_seconds: float = Field(
        default=10.0, description="How often the server looks for a newer detection run to load")
    api_decisions_ttl_seconds: float = Field(
        default=2.0, description="How long the server trusts its copy of the decisions before re-reading")


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment, with explicit (non-None) overrides from flags on top."""
    clean = {k: v for k, v in overrides.items() if v is not None}
    return Settings(**clean)
