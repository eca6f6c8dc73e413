MATCH (a:Account)-[r:ACTIVE_IN]->(m:Model)
RETURN a.account_id AS account_id, r.hour AS hour, CASE m.model WHEN '' THEN null ELSE m.model END AS model,
       r.requests AS requests, r.tokens_in AS tokens_in, r.tokens_out AS tokens_out
