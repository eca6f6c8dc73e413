MATCH (a:Account)-[r:SEEN_IN_WINDOW]->(x)
RETURN CASE WHEN x:IP THEN 'ip' ELSE 'prompt' END AS kind, coalesce(x.ip, x.fingerprint) AS artifact,
       r.window_start AS window_start, a.account_id AS account_id, r.requests AS requests
