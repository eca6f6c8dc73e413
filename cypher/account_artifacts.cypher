// Every account-artifact link, in the shape the detector reads from either engine.
// Times leave as microseconds since the epoch: decoding driver DateTimes costs 4x more.
MATCH (a:Account)-[r:USED_IP|PAID_WITH|SENT|SENT_FAMILY|USED_AGENT]->(x)
RETURN a.account_id AS account_id,
       CASE type(r) WHEN 'USED_IP' THEN 'ip' WHEN 'PAID_WITH' THEN 'payment'
                    WHEN 'SENT' THEN 'prompt' WHEN 'SENT_FAMILY' THEN 'prompt_family' ELSE 'user_agent' END AS kind,
       coalesce(x.ip, x.instrument_id, x.fingerprint, x.family_id, x.ua_id) AS artifact,
       coalesce(r.requests, r.payments, r.count) AS count,
       r.first_seen.epochSeconds * 1000000 + r.first_seen.microsecond AS first_seen,
       r.last_seen.epochSeconds * 1000000 + r.last_seen.microsecond AS last_seen
UNION ALL
MATCH (a:Account)-[r:USED_IP]->(:IP)-[:EXIT_OF]->(p:Proxy)
WITH a, p, sum(r.requests) AS count, min(r.first_seen) AS first_seen, max(r.last_seen) AS last_seen
RETURN a.account_id AS account_id, 'proxy' AS kind, p.proxy_id AS artifact, count,
       first_seen.epochSeconds * 1000000 + first_seen.microsecond AS first_seen,
       last_seen.epochSeconds * 1000000 + last_seen.microsecond AS last_seen
UNION ALL
MATCH (a:Account)-[:HAS_EMAIL_DOMAIN]->(d:EmailDomain)
RETURN a.account_id AS account_id, 'email_domain' AS kind, d.domain AS artifact, 1 AS count,
       a.created_at.epochSeconds * 1000000 + a.created_at.microsecond AS first_seen,
       a.created_at.epochSeconds * 1000000 + a.created_at.microsecond AS last_seen
