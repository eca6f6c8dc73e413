// Uniqueness constraints: one node per key, and the index every MERGE below relies on.
CREATE CONSTRAINT account_id IF NOT EXISTS FOR (a:Account) REQUIRE a.account_id IS UNIQUE;
CREATE CONSTRAINT ip_address IF NOT EXISTS FOR (i:IP) REQUIRE i.ip IS UNIQUE;
CREATE CONSTRAINT proxy_id IF NOT EXISTS FOR (p:Proxy) REQUIRE p.proxy_id IS UNIQUE;
CREATE CONSTRAINT proxy_range IF NOT EXISTS FOR (r:ProxyRange) REQUIRE r.network IS UNIQUE;
CREATE CONSTRAINT instrument_id IF NOT EXISTS FOR (p:PaymentInstrument) REQUIRE p.instrument_id IS UNIQUE;
CREATE CONSTRAINT prompt_fingerprint IF NOT EXISTS FOR (f:PromptFingerprint) REQUIRE f.fingerprint IS UNIQUE;
CREATE CONSTRAINT prompt_family IF NOT EXISTS FOR (f:PromptFamily) REQUIRE f.family_id IS UNIQUE;
CREATE CONSTRAINT prompt_family_key IF NOT EXISTS FOR (k:PromptFamilyKey) REQUIRE k.band_key IS UNIQUE;
CREATE CONSTRAINT user_agent IF NOT EXISTS FOR (u:UserAgent) REQUIRE u.ua_id IS UNIQUE;
CREATE CONSTRAINT email_domain IF NOT EXISTS FOR (d:EmailDomain) REQUIRE d.domain IS UNIQUE;
CREATE CONSTRAINT model_name IF NOT EXISTS FOR (m:Model) REQUIRE m.model IS UNIQUE;
CREATE CONSTRAINT ingested_file IF NOT EXISTS FOR (f:IngestedFile) REQUIRE f.content_hash IS UNIQUE;
CREATE CONSTRAINT ring_id IF NOT EXISTS FOR (r:Ring) REQUIRE r.ring_id IS UNIQUE;
CREATE CONSTRAINT run_id IF NOT EXISTS FOR (d:DetectionRun) REQUIRE d.run_id IS UNIQUE;
CREATE CONSTRAINT applied_batch IF NOT EXISTS FOR (b:AppliedBatch) REQUIRE b.batch_id IS UNIQUE;
CREATE CONSTRAINT pending_load IF NOT EXISTS FOR (p:PendingLoad) REQUIRE p.token IS UNIQUE;
CREATE CONSTRAINT tick_series IF NOT EXISTS FOR (s:TickSeries) REQUIRE s.account_id IS UNIQUE;
CREATE CONSTRAINT nightly_run IF NOT EXISTS FOR (r:NightlyRun) REQUIRE r.run_id IS UNIQUE;
CREATE CONSTRAINT nightly_partition IF NOT EXISTS FOR (p:NightlyPartition) REQUIRE (p.partition, p.run_id) IS UNIQUE;
CREATE INDEX ring_change_run IF NOT EXISTS FOR (c:RingChange) ON (c.run_id);
CREATE INDEX applied_batch_token IF NOT EXISTS FOR (b:AppliedBatch) ON (b.token)
