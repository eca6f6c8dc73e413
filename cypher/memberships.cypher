MATCH (a:Account)-[m:MEMBER_OF]->(r:Ring)
RETURN a.account_id AS account_id, r.ring_id AS ring_id, m.score AS score, m.since AS since
ORDER BY ring_id, account_id
