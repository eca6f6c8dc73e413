MATCH (n:Account)
RETURN n.account_id AS account_id, n.created_at AS created_at, n.email_hash AS email_hash, n.email_domain AS email_domain, n.country AS country, n.org_id AS org_id
