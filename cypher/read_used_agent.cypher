MATCH (a:Account)-[r:USED_AGENT]->(x:UserAgent)
RETURN a.account_id AS account_id, x.ua_id AS ua_id, r.requests AS requests,
       r.first_seen AS first_seen, r.last_seen AS last_seen
