MATCH (a:Account)-[r:USED_IP]->(x:IP)
RETURN a.account_id AS account_id, x.ip AS ip, r.requests AS requests,
       r.first_seen AS first_seen, r.last_seen AS last_seen
