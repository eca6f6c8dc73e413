// Accounts: created_at keeps the earliest value seen; descriptive fields the newest non-null one.
UNWIND $rows AS row
MERGE (a:Account {account_id: row.account_id})
SET a.created_at = CASE WHEN a.created_at IS NULL OR row.created_at < a.created_at
                        THEN row.created_at ELSE a.created_at END,
    a.email_hash = coalesce(row.email_hash, a.email_hash),
    a.country = coalesce(row.country, a.country),
    a.org_id = coalesce(row.org_id, a.org_id)
WITH a, row
CALL (a, row) {
  WITH a, row WHERE row.email_domain IS NOT NULL
  MERGE (d:EmailDomain {domain: row.email_domain})
  MERGE (a)-[:HAS_EMAIL_DOMAIN]->(d)
}
