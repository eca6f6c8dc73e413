// Accounts: created_at keeps the earliest value seen; descriptive fields the newest non-null one.
// The e-mail domain is a property (for reads) and a HAS_EMAIL_DOMAIN edge (for the graph), kept in step.
UNWIND $rows AS row
MERGE (a:Account {account_id: row.account_id})
SET a.created_at = CASE WHEN a.created_at IS NULL OR row.created_at < a.created_at
                        THEN row.created_at ELSE a.created_at END,
    a.email_hash = coalesce(row.email_hash, a.email_hash),
    a.email_domain = coalesce(row.email_domain, a.email_domain),
    a.country = coalesce(row.country, a.country),
    a.org_id = coalesce(row.org_id, a.org_id)
WITH a
CALL (a) {
  WITH a WHERE a.email_domain IS NOT NULL
  OPTIONAL MATCH (a)-[old:HAS_EMAIL_DOMAIN]->(was:EmailDomain) WHERE was.domain <> a.email_domain
  DELETE old
  MERGE (d:EmailDomain {domain: a.email_domain})
  MERGE (a)-[:HAS_EMAIL_DOMAIN]->(d)
}
