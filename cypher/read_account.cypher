// Times leave as microseconds since the epoch: decoding driver DateTimes costs 4x more.
MATCH (n:Account)
RETURN n.account_id AS account_id,
       n.created_at.epochSeconds * 1000000 + n.created_at.microsecond AS created_at, n.email_hash AS email_hash, n.email_domain AS email_domain, n.country AS country, n.org_id AS org_id
