// Times leave as microseconds since the epoch: decoding driver DateTimes costs 4x more.
MATCH (a:Account)-[r:SEEN_IN_WINDOW]->(x)
RETURN CASE WHEN x:IP THEN 'ip' WHEN x:PromptFamily THEN 'prompt_family' ELSE 'prompt' END AS kind,
       coalesce(x.ip, x.fingerprint, x.family_id) AS artifact,
       r.window_start.epochSeconds * 1000000 + r.window_start.microsecond AS window_start, a.account_id AS account_id, r.requests AS requests
